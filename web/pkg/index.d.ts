// Types of the package's entry point (index.js). Everything but `init` is declared by
// wasm-bindgen in catalyst_guard_web.d.ts and re-exported unchanged.
export * from './catalyst_guard_web.js';
import type { InitInput, InitOutput, SyncInitInput } from './catalyst_guard_web.js';

/**
 * Loads and instantiates the WebAssembly module: call once and await it before any
 * other export (they throw "call `await init()` first" until it resolves). With no
 * argument it loads `catalyst_guard_web_bg.wasm` next to the module: fetched in
 * browsers and bundlers, read from disk where the module has a `file:` URL (Node,
 * vitest, jest). Repeated calls without an argument share one load.
 */
export default function init(
  module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>,
): Promise<InitOutput>;

/** Instantiates the module synchronously from its bytes or a `WebAssembly.Module`. */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;
