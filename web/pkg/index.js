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

/** What a value is, for a message: `a string`, `an ArrayBuffer`, `null`. */
function kindOf(value) {
  if (value === null || value === undefined) return String(value);
  const name = typeof value === 'object' ? Object.prototype.toString.call(value).slice(8, -1) : typeof value;
  return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
}

/** The first bytes of `value` in hex, if it is bytes. */
function leadingBytes(value) {
  const tag = Object.prototype.toString.call(value);
  let bytes;
  if (ArrayBuffer.isView(value)) bytes = new Uint8Array(value.buffer, value.byteOffset, Math.min(4, value.byteLength));
  else if (tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]') bytes = new Uint8Array(value, 0, Math.min(4, value.byteLength));
  else return null;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

const ACCEPTED = "a URL, a Response, the module's bytes (an ArrayBuffer or a typed array) or a WebAssembly.Module";
const SAME_VERSION = `help: pass \`${WASM_FILE}\` of this very package (the glue and the .wasm are built together)`;
const VITE_HELP =
  `help: with a Vite dev server older than Vite 8, add \`optimizeDeps: { exclude: ['${PACKAGE}'] }\` to vite.config; ` +
  `elsewhere serve \`${WASM_FILE}\` next to the module or pass its URL: \`init({ module_or_path: url })\``;

/**
 * Explains the failures users meet, keeping the original as `cause`. `fn` is the
 * function called (`init`, `initSync`); `given` is the module argument as the caller
 * gave it (`undefined`: the `.wasm` next to the module).
 */
function explain(e, fn, given) {
  const message = String(e?.message ?? e);
  const name = e?.name;
  const start = leadingBytes(given);
  if (name === 'CompileError' && /magic word|expected magic/i.test(message)) {
    if (start === null) {
      return new Error(
        `\`${fn}\`: the .wasm request returned something that is not WebAssembly (often the app's HTML page): ${message}\n${VITE_HELP}`,
        { cause: e },
      );
    }
    // Bytes starting with `<` are a page, as a dev server answers for a missing asset.
    const html = start.startsWith('3c') || /^(20|0a|0d|09) /.test(start);
    return new Error(
      `\`${fn}\`: the bytes given are not WebAssembly: they start with \`${start}\`, not \`00 61 73 6d\`${html ? ' (an HTML page?)' : ''}\n${html ? VITE_HELP : SAME_VERSION}`,
      { cause: e },
    );
  }
  if (name === 'CompileError') {
    return new Error(`\`${fn}\`: the bytes given are not a valid WebAssembly module (${message})\n${SAME_VERSION}`, { cause: e });
  }
  if (name === 'LinkError' || (name === 'TypeError' && /\bimport\b/i.test(message))) {
    return new Error(`\`${fn}\`: the WebAssembly module is not this package's: ${message}\n${SAME_VERSION}`, { cause: e });
  }
  if (name === 'TypeError' && /argument|buffer source|must be/i.test(message)) {
    return new Error(`\`${fn}\`: expected ${ACCEPTED}, got ${kindOf(given)}\nhelp: ${PASS_THE_BYTES}`, { cause: e });
  }
  if (isNode() && /fetch failed|not implemented|unknown scheme/i.test(message)) {
    return new Error(`cannot fetch the WebAssembly module in Node: ${message}\nhelp: ${PASS_THE_BYTES}`, { cause: e });
  }
  return e;
}

/** The module argument inside `{ module_or_path }` / `{ module }`, or the argument itself. */
function unwrap(arg, key) {
  return arg !== null && typeof arg === 'object' && Object.getPrototypeOf(arg) === Object.prototype ? arg[key] : arg;
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
      throw explain(e, 'init', unwrap(moduleOrPath, 'module_or_path'));
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
  let exports;
  try {
    exports = glueInitSync(module);
  } catch (e) {
    throw explain(e, 'initSync', unwrap(module, 'module'));
  }
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
