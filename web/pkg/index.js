// The package's entry point: wasm-bindgen's glue (catalyst_guard_web.js) with an
// `init()` that also works in Node and test runners, and exports that say what to do
// when called before it.
//
// - In a browser or a bundler, `init()` is the glue's: it fetches the .wasm next to
//   the glue (`new URL('catalyst_guard_web_bg.wasm', import.meta.url)`).
// - Where that URL is a `file:` URL (Node, vitest, jest), fetch cannot read it, so
//   `init()` reads the file with `node:fs` and instantiates the bytes.
// - Every export called before `init()` throws "call `await init()` first" instead of
//   the glue's `Cannot read properties of undefined`.

import glueInit, {
  initSync as glueInitSync,
  canonicalGiteaUrl as glueCanonicalGiteaUrl,
  checkGiteaUrl as glueCheckGiteaUrl,
  checkObject as glueCheckObject,
  decodeLocationCode as glueDecodeLocationCode,
  lint as glueLint,
  locationTable as glueLocationTable,
  rules as glueRules,
} from './catalyst_guard_web.js';

// Not a literal: bundlers must not treat this second reference as an asset (the glue's
// own `new URL(...)` is the one they rewrite), and none must bundle `node:fs`.
const WASM_FILE = 'catalyst_guard_web_bg.wasm';
const NODE_FS = 'node:fs/promises';
const PACKAGE = '@openova/catalyst-guard';

let ready = false;
let loading;

function isNode() {
  return typeof process === 'object' && process !== null && typeof process.versions?.node === 'string';
}

function notReady(name) {
  return new Error(`\`${name}\`: call \`await init()\` first (it loads the WebAssembly module)`);
}

/** What to pass instead, for an error message. */
const PASS_THE_BYTES =
  `pass the module's bytes: \`await init({ module_or_path: await readFile(new URL(import.meta.resolve('${PACKAGE}/${WASM_FILE}'))) })\`` +
  ` (readFile from node:fs/promises), or \`initSync({ module: bytes })\``;

async function readWasmFile(url) {
  let fs;
  try {
    fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ NODE_FS);
  } catch (e) {
    throw new Error(`cannot load \`${NODE_FS}\` to read \`${url}\` (${e.message})\nhelp: ${PASS_THE_BYTES}`, { cause: e });
  }
  try {
    return await fs.readFile(url);
  } catch (e) {
    throw new Error(`cannot read the WebAssembly module \`${url}\` (${e.message})\nhelp: ${PASS_THE_BYTES}`, { cause: e });
  }
}

/** Explains the failures users meet, keeping the original as `cause`. */
function explain(e) {
  const message = String(e?.message ?? e);
  if (/magic word|expected magic/i.test(message)) {
    return new Error(
      `the .wasm request returned something that is not WebAssembly (often the app's HTML page): ${message}\n` +
        `help: with a Vite dev server older than Vite 8, add \`optimizeDeps: { exclude: ['${PACKAGE}'] }\` to vite.config; ` +
        `elsewhere serve \`${WASM_FILE}\` next to the module or pass its URL: \`init({ module_or_path: url })\``,
      { cause: e },
    );
  }
  if (isNode() && /fetch failed|not implemented|unknown scheme/i.test(message)) {
    return new Error(`cannot fetch the WebAssembly module in Node: ${message}\nhelp: ${PASS_THE_BYTES}`, { cause: e });
  }
  return e;
}

/**
 * Loads and instantiates the WebAssembly module; call once and await it before any
 * other export. With no argument it loads the `.wasm` next to this module (fetched in
 * browsers and bundlers, read from disk in Node). Accepts what the glue's init
 * accepts: `{ module_or_path }` with a URL, a Response, bytes or a
 * `WebAssembly.Module`. Concurrent and repeated calls share one load.
 */
export default function init(moduleOrPath) {
  if (loading && moduleOrPath === undefined) return loading;
  const load = (async () => {
    let arg = moduleOrPath;
    if (arg === undefined) {
      const url = new URL(WASM_FILE, import.meta.url);
      if (url.protocol === 'file:') {
        if (!isNode()) {
          throw new Error(`cannot load \`${url}\`: a page opened from a file: URL cannot fetch it\nhelp: serve the page over http, or ${PASS_THE_BYTES}`);
        }
        arg = { module_or_path: await readWasmFile(url) };
      }
    }
    try {
      const exports = await glueInit(arg);
      ready = true;
      return exports;
    } catch (e) {
      throw explain(e);
    }
  })();
  loading = load;
  // A failed load can be retried (with other arguments, say).
  load.catch(() => {
    if (loading === load) loading = undefined;
  });
  return load;
}

/** Instantiates the module synchronously from its bytes or a `WebAssembly.Module`. */
export function initSync(module) {
  const exports = glueInitSync(module);
  ready = true;
  return exports;
}

/** Lints a set of files; see the README and the `.d.ts`. */
export function lint(files, config) {
  if (!ready) throw notReady('lint');
  return glueLint(files, config);
}

/** Checks a Git URL against the canonical Gitea URL (rule CG005). */
export function checkGiteaUrl(url, config) {
  if (!ready) throw notReady('checkGiteaUrl');
  return glueCheckGiteaUrl(url, config);
}

/** Judges one Kubernetes object with the core's object rules (CG004, CG005, CG008, CG012). */
export function checkObject(object, config) {
  if (!ready) throw notReady('checkObject');
  return glueCheckObject(object, config);
}

/** Builds the canonical Gitea URL from its parts. */
export function canonicalGiteaUrl(parts, config) {
  if (!ready) throw notReady('canonicalGiteaUrl');
  return glueCanonicalGiteaUrl(parts, config);
}

/** Decodes a four-character location code. */
export function decodeLocationCode(code, config) {
  if (!ready) throw notReady('decodeLocationCode');
  return glueDecodeLocationCode(code, config);
}

/** The location-code table, for pickers. */
export function locationTable(config) {
  if (!ready) throw notReady('locationTable');
  return glueLocationTable(config);
}

/** Every rule with its code, name, default severity, summary and documentation. */
export function rules() {
  if (!ready) throw notReady('rules');
  return glueRules();
}
