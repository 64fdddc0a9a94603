// Navigation to first result, on a cold page: module graph, `.wasm` fetch and
// instantiation, the first (cold) `lint()` of the 200-document paste. The result lands
// in `window.firstResult` for scripts/bench.mjs.
import init, { lint } from '../pkg/index.js';
import { pasteOf200Documents } from './corpus.js';

try {
  await init();
  const afterInit = performance.now();
  const report = lint(pasteOf200Documents().files);
  const firstResultMs = performance.now();
  document.querySelector('#status').textContent = `${report.findings.length} findings after ${firstResultMs.toFixed(0)} ms`;
  window.firstResult = { firstResultMs, initDoneMs: afterInit, findings: report.findings.length };
} catch (error) {
  window.firstResult = { error: error.message };
}
