// `init()` as a Node user meets it, in a fresh module instance (this file runs in its
// own process): exports before `init()` say what to do, a wrong argument fails with
// what to pass, and `await init()` with no argument reads the `.wasm` from the
// module's `file:` URL.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { RULE_COUNT } from './load-pkg.mjs';

const mod = await import(new URL('../pkg/index.js', import.meta.url));
const CALLS = {
  lint: () => mod.lint([]),
  checkGiteaUrl: () => mod.checkGiteaUrl('https://gitea.hfmp.openova.io/acme/app.git'),
  checkObject: () => mod.checkObject({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'x' }, spec: { url: 'http://gitea.hfmp.openova.io/acme/app.git' } }),
  canonicalGiteaUrl: () => mod.canonicalGiteaUrl({ locationCode: 'hfmp', domain: 'openova.io', org: 'acme', repo: 'app' }),
  decodeLocationCode: () => mod.decodeLocationCode('hfmp'),
  locationTable: () => mod.locationTable(),
  rules: () => mod.rules(),
};

test('every export called before init() says to call `await init()` first', () => {
  for (const [name, call] of Object.entries(CALLS)) {
    assert.throws(call, (e) => e instanceof Error && e.message === `\`${name}\`: call \`await init()\` first (it loads the WebAssembly module)`, name);
  }
});

test('init() with a URL Node cannot fetch fails saying what to pass, and can be retried', async () => {
  await assert.rejects(mod.default({ module_or_path: new URL('http://127.0.0.1:9/missing.wasm') }), (e) => {
    assert.match(e.message, /help: pass the module's bytes: `await init\(\{ module_or_path: /);
    assert.ok(e.cause, 'the original error is kept as cause');
    return true;
  });
  assert.throws(CALLS.lint, /call `await init\(\)` first/);
});

test('init() with bytes that are not WebAssembly names the Vite fix', async () => {
  const html = new TextEncoder().encode('<!doctype html><html></html>');
  await assert.rejects(mod.default({ module_or_path: html }), /optimizeDeps: \{ exclude: \['@openova\/catalyst-guard'\] \}/);
});

test('await init() with no argument reads the .wasm next to the module and every export works', async () => {
  const [a, b] = [mod.default(), mod.default()];
  assert.equal(a, b, 'concurrent calls share one load');
  await a;
  for (const [name, call] of Object.entries(CALLS)) assert.doesNotThrow(call, name);
  assert.equal(mod.rules().length, RULE_COUNT);
  const v = mod.checkGiteaUrl('https://gitea.hfrp.openova.io/acme/app.git');
  assert.equal(v.help, 'use `https://gitea.hfmp.openova.io/acme/app.git`');
  assert.equal(v.helpText, 'use https://gitea.hfmp.openova.io/acme/app.git');
  assert.ok(v.message.includes('`') && !v.messageText.includes('`'), v.messageText);
});

test('initSync with the bytes also works, as the README says for synchronous callers', async () => {
  const fresh = await import(new URL('../pkg/index.js?sync', import.meta.url));
  assert.throws(() => fresh.rules(), /call `await init\(\)` first/);
  fresh.initSync({ module: readFileSync(new URL('../pkg/catalyst_guard_web_bg.wasm', import.meta.url)) });
  assert.equal(fresh.rules().length, RULE_COUNT);
});
