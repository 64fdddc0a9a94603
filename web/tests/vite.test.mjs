// The package in real Vite apps, as a user installs it: `cargo xtask web test` packs
// web/pkg with `npm pack` and installs the tarball with Vite from npm into scratch
// apps under $CG_WEB_APPS (templates in tests/vite-app/): Vite 6, the oldest major
// still maintained (with the README's `optimizeDeps.exclude` line), and Vite 8, the
// newest (without it). Each app is loaded in headless Chromium from its dev server and
// from its production build, and must show the first lint result; the Vite 8 app also
// runs its own vitest + jsdom tests, which import the package the documented way (one
// of them is the package README's vitest snippet, as printed).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launch } from '../scripts/chromium.mjs';

const APPS = process.env.CG_WEB_APPS;
if (!APPS) throw new Error('CG_WEB_APPS is not set: run these tests with `cargo xtask web test`');

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs vite's own CLI in `app` (`dev`, `preview`), resolving once it serves `port`. */
async function startVite(app, args, port) {
  const child = spawn(process.execPath, [join(app, 'node_modules/vite/bin/vite.js'), ...args, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`vite ${args.join(' ')} exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(url)).ok) return { url, stop: () => child.kill(), output: () => output };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`vite ${args.join(' ')} did not serve ${url} within 60 s:\n${output}`);
}

/** Loads the app in Chromium and returns what its page shows once it has a result. */
async function firstResult(url) {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const wasm = [];
  page.on('response', (r) => {
    if (r.url().endsWith('.wasm')) wasm.push({ status: r.status(), type: r.headers()['content-type'] });
  });
  try {
    await page.goto(url);
    await page.waitForSelector('body[data-state]', { timeout: 60_000 });
    const state = await page.evaluate(() => document.body.dataset.state);
    const text = await page.textContent('#result');
    assert.equal(state, 'done', `the page shows ${text}; page errors: ${errors.join('; ')}`);
    assert.deepEqual(errors, []);
    assert.equal(browser.offRequests.length, 0, `requests beyond 127.0.0.1: ${browser.offRequests}`);
    return { ...JSON.parse(text), wasm };
  } finally {
    await page.close();
  }
}

function assertLinted(result) {
  assert.ok(result.codes.includes('CG005'), `codes ${result.codes}`);
  assert.equal(result.line, 8);
  assert.ok(result.messageText.length > 0 && !result.messageText.includes('`'), result.messageText);
  assert.ok(result.wasm.length >= 1, 'the page fetched the .wasm');
  for (const w of result.wasm) assert.equal(w.status, 200);
}

for (const name of ['vite6', 'vite8']) {
  const app = join(APPS, name);
  const version = () => JSON.parse(readFileSync(join(app, 'node_modules/vite/package.json'), 'utf8')).version;

  test(`${name}: the app is installed with its Vite major from npm and the packed tarball`, () => {
    assert.equal(version().split('.')[0], name.slice(4));
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules/@openova/catalyst-guard/package.json'), 'utf8'));
    for (const file of ['README.md', 'LICENSE', 'index.js', 'catalyst_guard_web_bg.wasm']) {
      assert.ok(existsSync(join(app, 'node_modules/@openova/catalyst-guard', file)), `${file} is in the tarball`);
    }
    assert.equal(pkg.main, './index.js');
  });

  test(`${name}: the dev server serves the app and Chromium shows the first lint result`, async () => {
    const server = await startVite(app, [], await freePort());
    try {
      const result = await firstResult(server.url);
      assertLinted(result);
      console.log(`# ${name} ${version()} dev: first result ${result.msSinceNavigation.toFixed(0)} ms after navigation`);
    } finally {
      server.stop();
    }
  });

  test(`${name}: the production build serves the app and Chromium shows the first lint result`, async () => {
    const build = spawnSync(process.execPath, [join(app, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: app, encoding: 'utf8' });
    assert.equal(build.status, 0, `vite build failed:\n${build.stdout}\n${build.stderr}`);
    const server = await startVite(app, ['preview'], await freePort());
    try {
      const result = await firstResult(server.url);
      assertLinted(result);
      assert.ok(result.wasm.every((w) => w.type?.startsWith('application/wasm')), JSON.stringify(result.wasm));
      console.log(`# ${name} ${version()} build: first result ${result.msSinceNavigation.toFixed(0)} ms after navigation`);
    } finally {
      server.stop();
    }
  });
}

test('vite8: the app\'s own vitest + jsdom tests and the README\'s vitest snippet pass with `await init()` and no arguments', () => {
  const app = join(APPS, 'vite8');
  rmSync(join(app, 'vitest.json'), { force: true });
  const run = spawnSync(process.execPath, [join(app, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=json', '--outputFile=vitest.json'], {
    cwd: app,
    encoding: 'utf8',
  });
  const report = JSON.parse(readFileSync(join(app, 'vitest.json'), 'utf8'));
  const failures = report.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status !== 'passed').map((a) => `${a.title}: ${a.failureMessages.join('\n')}`));
  assert.deepEqual(failures, [], run.stderr);
  assert.equal(report.numPassedTests, 4);
  assert.equal(run.status, 0, run.stderr);
});
