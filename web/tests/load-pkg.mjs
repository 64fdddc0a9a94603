// The built package, loaded in Node the way a non-browser consumer would: the ES
// module imported as is and the wasm handed to `initSync` (Node's fetch cannot read
// file: URLs, so the default `init()` path is for browsers and bundlers).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PKG = fileURLToPath(new URL('../pkg/', import.meta.url));

let loaded;

/** The package's exports, initialised once per test file. */
export async function loadPackage() {
  if (!loaded) {
    const mod = await import(new URL('../pkg/catalyst_guard_web.js', import.meta.url));
    mod.initSync({ module: readFileSync(new URL('../pkg/catalyst_guard_web_bg.wasm', import.meta.url)) });
    loaded = mod;
  }
  return loaded;
}
