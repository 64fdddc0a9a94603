// The browser budgets, measured where they matter: in the page, in Chromium.
// - size: the .wasm as served, gzipped by the browser's own CompressionStream;
// - speed: `lint()` on the 200-document paste (corpus.js), the whole call a UI makes
//   (JS objects in, report object out), median of N runs after a warm-up.
// `?runs=N` sets N. The result lands in `window.benchResult` for scripts/bench.mjs.

import init, { lint } from '../pkg/index.js';
import { pasteOf200Documents } from './corpus.js';

const BUDGET_GZIP_BYTES = 400 * 1024;
const BUDGET_LINT_MS = 30;
const WASM_URL = new URL('../pkg/catalyst_guard_web_bg.wasm', import.meta.url);

async function gzipSize(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main() {
  const runs = Number(new URLSearchParams(location.search).get('runs') ?? 31);
  const bytes = new Uint8Array(await (await fetch(WASM_URL)).arrayBuffer());
  const gzip = await gzipSize(bytes);

  const t0 = performance.now();
  await init({ module_or_path: bytes });
  const initMs = performance.now() - t0;

  const { files, documents } = pasteOf200Documents();
  const pasteBytes = files.reduce((n, f) => n + f.text.length, 0);
  const first = performance.now();
  let report = lint(files);
  const firstMs = performance.now() - first;
  for (let i = 0; i < 5; i++) report = lint(files);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    report = lint(files);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const result = {
    userAgent: navigator.userAgent,
    wasmBytes: bytes.byteLength,
    wasmGzipBytes: gzip,
    budgetGzipBytes: BUDGET_GZIP_BYTES,
    initMs,
    documents,
    files: files.length,
    pasteBytes,
    findings: report.findings.length,
    findingCodes: [...new Set(report.findings.map((f) => f.code))].sort(),
    runs,
    firstLintMs: firstMs,
    lintMedianMs: quantile(times, 0.5),
    lintMinMs: times[0],
    lintP90Ms: quantile(times, 0.9),
    budgetLintMs: BUDGET_LINT_MS,
  };
  result.withinBudget = result.wasmGzipBytes <= BUDGET_GZIP_BYTES && result.lintMedianMs <= BUDGET_LINT_MS;
  render(result);
  window.benchResult = result;
}

function render(r) {
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  const ms = (n) => `${n.toFixed(2)} ms`;
  const rows = [
    ['.wasm gzipped (CompressionStream)', kib(r.wasmGzipBytes), `≤ ${kib(r.budgetGzipBytes)}`, r.wasmGzipBytes > r.budgetGzipBytes],
    ['.wasm uncompressed', kib(r.wasmBytes), '', false],
    ['instantiate', ms(r.initMs), '', false],
    [`lint ${r.documents} documents in ${r.files} files (${kib(r.pasteBytes)}), median of ${r.runs}`, ms(r.lintMedianMs), `≤ ${r.budgetLintMs} ms`, r.lintMedianMs > r.budgetLintMs],
    ['  min / p90', `${ms(r.lintMinMs)} / ${ms(r.lintP90Ms)}`, '', false],
    ['  first call (cold)', ms(r.firstLintMs), '', false],
    ['findings in the paste', `${r.findings} (${r.findingCodes.join(', ')})`, '', false],
  ];
  const body = document.querySelector('#results tbody');
  for (const [what, value, budget, over] of rows) {
    const tr = document.createElement('tr');
    for (const text of [what, value, budget]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    if (over) tr.children[1].className = 'over';
    body.append(tr);
  }
  document.querySelector('#results').hidden = false;
  document.querySelector('#status').textContent = r.withinBudget ? 'within budget' : 'OVER BUDGET';
}

main().catch((error) => {
  document.querySelector('#status').textContent = `failed: ${error.message}`;
  window.benchResult = { error: error.message };
});
