// `init()` and `initSync()` given what they cannot load, in a process of their own: the
// glue keeps the first module it loads, so these run before anything loads one. Each
// failure says what was wrong and what to pass, and keeps the original error as `cause`.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';

test('initSync with bytes that are not WebAssembly names their first bytes and keeps the cause', async () => {
  const fresh = await import(new URL('../pkg/index.js?bad-sync', import.meta.url));
  assert.throws(() => fresh.initSync({ module: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) }), (e) => {
    assert.match(e.message, /^`initSync`: the bytes given are not WebAssembly: they start with `01 02 03 04`, not `00 61 73 6d`/);
    assert.equal(e.cause?.name, 'CompileError');
    return true;
  });
  assert.throws(() => fresh.initSync({ module: new TextEncoder().encode('<!doctype html>') }), /an HTML page\?\)\nhelp: with a Vite dev server/);
  assert.throws(() => fresh.rules(), /call `await init\(\)` first/, 'a failed initSync leaves the module unloaded');
});

test('init and initSync with an argument of the wrong type say what they take', async () => {
  const fresh = await import(new URL('../pkg/index.js?bad-type', import.meta.url));
  await assert.rejects(fresh.default({ module_or_path: 42 }), (e) => {
    assert.match(e.message, /^`init`: expected a URL, a Response, the module's bytes \(an ArrayBuffer or a typed array\) or a WebAssembly\.Module, got a number\nhelp: /);
    assert.equal(e.cause?.name, 'TypeError');
    return true;
  });
  assert.throws(() => fresh.initSync({ module: 'catalyst_guard_web_bg.wasm' }), /^Error: `initSync`: expected .*, got a string/);
});

test('init with a truncated or foreign module says it is not this package\'s .wasm', async () => {
  const fresh = await import(new URL('../pkg/index.js?foreign', import.meta.url));
  const wasm = readFileSync(new URL('../pkg/catalyst_guard_web_bg.wasm', import.meta.url));
  await assert.rejects(fresh.default({ module_or_path: wasm.subarray(0, 64) }), (e) => {
    assert.match(e.message, /^`init`: the bytes given are not a valid WebAssembly module \(/);
    assert.match(e.message, /\nhelp: pass `catalyst_guard_web_bg\.wasm` of this very package/);
    return true;
  });
  // A valid module that imports what the glue does not provide: (import "x" "y" (func)).
  const foreign = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 7, 1, 1, 120, 1, 121, 0, 0]);
  await assert.rejects(fresh.default({ module_or_path: foreign }), /^Error: `init`: the WebAssembly module is not this package's: /);
});
