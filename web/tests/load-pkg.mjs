// The built package, loaded in Node the way the package README tells a Node user to:
// import the entry point and `await init()` with no argument (it reads the `.wasm`
// next to the module from its `file:` URL).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PKG = fileURLToPath(new URL('../pkg/', import.meta.url));

/** How many rules the registry has: the sections of docs/rules.md, which is generated
 *  from it (and checked current by `cargo xtask docs --check`). */
export const RULE_COUNT = readFileSync(new URL('../../docs/rules.md', import.meta.url), 'utf8').match(/^## CG\d+$/gm).length;

let loaded;

/** The package's exports, initialised once per test file. */
export async function loadPackage() {
  if (!loaded) {
    const mod = await import(new URL('../pkg/index.js', import.meta.url));
    await mod.default();
    loaded = mod;
  }
  return loaded;
}
