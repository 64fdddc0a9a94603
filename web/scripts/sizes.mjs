// The built .wasm's sizes, as the READMEs state them: raw and gzipped (`gzip -9`), each
// rounded to the nearest 5 KiB ("about 95 KiB"), so a small change to the core does not
// make the documents stale but a real one does. The READMEs carry each figure between
// markers, `<!-- size: wasm gzip -->95 KiB<!-- /size -->`; a test checks them against the
// build, and `cargo xtask web sizes` rewrites them.
//
//   node scripts/sizes.mjs            prints the sizes
//   node scripts/sizes.mjs --write    rewrites the figures in the READMEs
//   node scripts/sizes.mjs --check    exits 1 if a README states other figures

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const WEB = new URL('../', import.meta.url);
export const WASM = new URL('pkg/catalyst_guard_web_bg.wasm', WEB);
export const DOCUMENTS = [new URL('README.md', WEB), new URL('pkg/README.md', WEB)];
const MARKED = /<!-- size: wasm (raw|gzip) -->([^<]*)<!-- \/size -->/g;

/** The figure a README states for `bytes`: KiB, to the nearest 5. */
export function figure(bytes) {
  return `${Math.round(bytes / 1024 / 5) * 5} KiB`;
}

/** The built module's sizes in bytes: `{ raw, gzip }`. */
export function measure(wasm = WASM) {
  const bytes = readFileSync(wasm);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

/** `text` with every marked figure set from `sizes`; also returns what differed. */
export function rewrite(text, sizes) {
  const stale = [];
  const out = text.replace(MARKED, (_, kind, stated) => {
    const want = figure(sizes[kind]);
    if (stated !== want) stale.push({ kind, stated, want });
    return `<!-- size: wasm ${kind} -->${want}<!-- /size -->`;
  });
  return { text: out, stale, marks: [...text.matchAll(MARKED)].length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const mode = process.argv[2];
  const sizes = measure();
  console.log(
    `${fileURLToPath(WASM)}: ${sizes.raw} bytes raw (${figure(sizes.raw)}), ${sizes.gzip} bytes gzip -9 (${figure(sizes.gzip)})`,
  );
  let failed = false;
  for (const doc of DOCUMENTS) {
    const path = fileURLToPath(doc);
    const { text, stale, marks } = rewrite(readFileSync(doc, 'utf8'), sizes);
    if (mode === '--write' && stale.length) {
      writeFileSync(doc, text);
      console.log(`wrote ${path}`);
    } else if (mode === '--check' && stale.length) {
      for (const s of stale) console.error(`${path}: states ${s.stated} for the ${s.kind} .wasm, the build gives ${s.want}`);
      failed = true;
    } else if (mode !== undefined && mode !== '--write' && mode !== '--check') {
      console.error('usage: node scripts/sizes.mjs [--write | --check]');
      process.exit(2);
    }
    if (marks === 0) console.error(`${path}: no size markers`);
  }
  if (failed) {
    console.error('help: run `cargo xtask web sizes`');
    process.exit(1);
  }
}
