// `cargo xtask bench web` runs this: the committed benchmark page (web/bench/) in the
// same headless Chromium as the tests, against the built package. Prints the figures
// and exits 1 if a budget is missed.
//
//   node scripts/bench.mjs [--runs N]

import { launch } from './chromium.mjs';
import { serve } from './serve.mjs';

const at = process.argv.indexOf('--runs');
const runs = at > 0 ? Number(process.argv[at + 1]) : 31;
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: node scripts/bench.mjs [--runs N] (N a positive integer)');
  process.exit(2);
}

// Time from navigation to the first lint result, on a cold load (fresh profile, so
// nothing is cached), median of 5 fresh browsers.
const BUDGET_FIRST_RESULT_MS = 1000;

const server = await serve();
const firsts = [];
let result;
try {
  for (let i = 0; i < 5; i++) {
    const cold = await launch();
    try {
      const page = await cold.context.newPage();
      await page.goto(`${server.url}bench/first.html`);
      await page.waitForFunction(() => window.firstResult, null, { timeout: 60_000 });
      const first = await page.evaluate(() => window.firstResult);
      if (first.error) throw new Error(`first.html: ${first.error}`);
      firsts.push(first);
    } finally {
      await cold.close();
    }
  }
} catch (e) {
  await server.close();
  throw e;
}
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}bench/?runs=${runs}`);
  await page.waitForFunction(() => window.benchResult, null, { timeout: 120_000 });
  result = await page.evaluate(() => window.benchResult);
  if (browser.offRequests.length) result.error = `the page reached beyond 127.0.0.1: ${browser.offRequests.join(', ')}`;
} finally {
  await browser.close();
  await server.close();
}
if (result.error) {
  console.error(`bench web: ${result.error}`);
  process.exit(1);
}
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const ms = (n) => `${n.toFixed(2)} ms`;
console.log(`browser: ${result.userAgent}`);
console.log(`wasm: ${kib(result.wasmBytes)} uncompressed, ${kib(result.wasmGzipBytes)} gzipped (budget ${kib(result.budgetGzipBytes)}), instantiate ${ms(result.initMs)}`);
console.log(`paste: ${result.documents} YAML documents in ${result.files} files, ${kib(result.pasteBytes)}, ${result.findings} findings (${result.findingCodes.join(', ')})`);
console.log(`lint: median ${ms(result.lintMedianMs)} of ${result.runs} runs (min ${ms(result.lintMinMs)}, p90 ${ms(result.lintP90Ms)}, first call ${ms(result.firstLintMs)}; budget ${result.budgetLintMs} ms)`);
firsts.sort((a, b) => a.firstResultMs - b.firstResultMs);
const first = firsts[Math.floor(firsts.length / 2)];
const firstOk = first.firstResultMs <= BUDGET_FIRST_RESULT_MS;
console.log(`first result: median ${ms(first.firstResultMs)} from navigation over ${firsts.length} cold loads (init done at ${ms(first.initDoneMs)}; all: ${firsts.map((f) => f.firstResultMs.toFixed(0)).join(', ')} ms; budget ${BUDGET_FIRST_RESULT_MS} ms)`);
const ok = result.withinBudget && firstOk;
console.log(ok ? 'bench web: within budget' : 'bench web: OVER BUDGET');
process.exit(ok ? 0 : 1);
