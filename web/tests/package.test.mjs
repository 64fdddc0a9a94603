// The npm package in web/pkg: what a React or Vite app imports. Checks that the
// manifest points at files the build wrote, that the module is plain ES with no bare
// imports (so no bundler plugin is needed), that the wasm is referenced the way Vite
// and browsers resolve assets, and that the .d.ts declares every export.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { DOCUMENTS, figure, measure, rewrite } from '../scripts/sizes.mjs';
import { PKG, RULE_COUNT, loadPackage } from './load-pkg.mjs';

const manifest = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
const GLUE = 'catalyst_guard_web.js';
const EXPORTS = ['canonicalGiteaUrl', 'checkGiteaUrl', 'checkObject', 'decodeLocationCode', 'lint', 'locationTable', 'rules'];

test('the manifest points at files the build wrote', () => {
  assert.equal(manifest.type, 'module');
  for (const file of [manifest.main, manifest.module, manifest.types, ...manifest.files]) {
    assert.ok(existsSync(join(PKG, file)), `${file} is missing: run \`cargo xtask web build\``);
  }
  assert.equal(manifest.exports['.'].default, manifest.main);
  assert.equal(manifest.exports['.'].types, manifest.types);
});

test('the package version is the crate version', () => {
  const cargo = readFileSync(new URL('../../Cargo.toml', import.meta.url), 'utf8');
  const version = /\[workspace\.package\][^[]*?\nversion\s*=\s*"([^"]+)"/.exec(cargo)?.[1];
  assert.ok(version, 'workspace version in Cargo.toml');
  assert.equal(manifest.version, version);
});

test('the modules are plain ES with no bare imports and a relative wasm URL', () => {
  for (const file of [manifest.main, GLUE]) {
    const js = readFileSync(join(PKG, file), 'utf8');
    const imports = [...js.matchAll(/^\s*import\b[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
    for (const spec of imports) assert.ok(spec.startsWith('.'), `bare import ${spec} in ${file} needs a bundler`);
    assert.doesNotMatch(js, /require\(/);
  }
  assert.match(readFileSync(join(PKG, GLUE), 'utf8'), /new URL\('catalyst_guard_web_bg\.wasm', import\.meta\.url\)/);
  assert.match(readFileSync(join(PKG, manifest.main), 'utf8'), /from '\.\/catalyst_guard_web\.js'/);
});

test('the .d.ts declares every export, the result types and the entry point\'s init', () => {
  const dts = readFileSync(join(PKG, 'catalyst_guard_web.d.ts'), 'utf8');
  for (const name of EXPORTS) assert.match(dts, new RegExp(`export function ${name}\\(`), name);
  for (const type of ['LintReport', 'Finding', 'GiteaUrlCheck', 'GiteaUrlParts', 'DecodedLocation', 'RuleInfo', 'LocationTableInfo', 'FieldError']) {
    assert.match(dts, new RegExp(`export (interface|type) ${type}\\b`), type);
  }
  assert.match(dts, /export function lint\(files: SourceFileInput\[\], config\?: LintConfig \| string \| null\): LintReport;/);
  assert.match(dts, /messageText: string;/);
  const entry = readFileSync(join(PKG, manifest.types), 'utf8');
  assert.match(entry, /export \* from '\.\/catalyst_guard_web\.js';/);
  assert.match(entry, /export default function init\(/);
});

test('the tarball carries the package README and the licence', () => {
  const readme = readFileSync(join(PKG, 'README.md'), 'utf8');
  for (const topic of ['optimizeDeps', 'vitest', 'jest', 'Node', 'await init()', 'messageText']) assert.ok(readme.includes(topic), `README mentions ${topic}`);
  assert.match(readFileSync(join(PKG, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
});

test('the module exports exactly the documented API', async () => {
  const mod = await loadPackage();
  const functions = Object.keys(mod).filter((k) => typeof mod[k] === 'function' && k !== 'default' && k !== 'initSync');
  assert.deepEqual(functions.sort(), EXPORTS);
  assert.equal(mod.rules().length, RULE_COUNT);
  const repo = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'x' },
    spec: { url: 'http://gitea.hfmp.openova.io/openova/flux.git' } };
  const finding = mod.checkObject(repo).findings[0];
  assert.equal(finding.code, 'CG005', 'checkObject runs the core object rules');
  assert.ok(finding.message.includes('`') && !finding.messageText.includes('`'), finding.messageText);
});

test('the glue takes TextDecoder and TextEncoder from text-coding.js, not the globals', () => {
  const glue = readFileSync(join(PKG, GLUE), 'utf8');
  assert.equal(glue.split('\n')[0], "import { TextDecoder, TextEncoder } from './text-coding.js';");
  assert.match(glue, /new TextDecoder\(/, 'the glue still decodes text (else the import is dead)');
  assert.ok(manifest.files.includes('text-coding.js'), 'text-coding.js is packed');
});

test('the READMEs state the .wasm sizes of this build', () => {
  const sizes = measure();
  for (const doc of DOCUMENTS) {
    const { stale, marks } = rewrite(readFileSync(doc, 'utf8'), sizes);
    assert.ok(marks >= 2, `${doc.pathname} marks its raw and gzipped sizes`);
    assert.deepEqual(stale, [], `${doc.pathname} is stale: run \`cargo xtask web sizes\``);
  }
  assert.equal(figure(95 * 1024 + 100), '95 KiB');
  assert.equal(figure(97.6 * 1024), '100 KiB');
});

test('the shipped .wasm has no name section', () => {
  const bytes = readFileSync(join(PKG, 'catalyst_guard_web_bg.wasm'));
  const custom = [];
  let at = 8;
  const leb = () => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[at++];
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    const end = at + size;
    if (id === 0) {
      const length = leb();
      custom.push(bytes.subarray(at, at + length).toString('utf8'));
    }
    at = end;
  }
  assert.equal(at, bytes.length, 'the sections end with the module');
  assert.ok(!custom.includes('name'), `custom sections: ${custom}`);
});

test('the entry point wraps every function the glue exports, and nothing else', () => {
  const names = (file, pattern) => [...readFileSync(join(PKG, file), 'utf8').matchAll(pattern)].map((m) => m[1]).sort();
  const glue = names(GLUE, /^export function (\w+)\(/gm).filter((n) => n !== 'initSync');
  const entry = names(manifest.main, /^export function (\w+)\(/gm).filter((n) => n !== 'initSync');
  assert.deepEqual(entry, glue, 'index.js must wrap each export of the glue (index.d.ts re-exports all their types)');
  assert.deepEqual(entry, [...EXPORTS].sort());
});

test('the Finding type declares every field lint returns, fix and related included', async () => {
  const mod = await loadPackage();
  const blueprint = 'apiVersion: catalyst.openova.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: bp-flux\nspec:\n  version: 1.2.3\n';
  const chart = 'apiVersion: v2\nname: bp-flux\nversion: 1.2.4\n';
  const report = mod.lint([
    { path: 'platform/flux/blueprint.yaml', text: blueprint },
    { path: 'platform/flux/chart/Chart.yaml', text: chart },
  ]);
  const withRelated = report.findings.find((f) => f.related);
  assert.ok(withRelated, `a lockstep finding carries related places: ${JSON.stringify(report.findings)}`);
  assert.ok(report.findings.some((f) => f.fix), 'a lockstep finding carries a fix');
  const dts = readFileSync(join(PKG, 'catalyst_guard_web.d.ts'), 'utf8');
  const declared = (name) => {
    const body = new RegExp(`export interface ${name} \\{([^}]*)\\}`).exec(dts)?.[1] ?? '';
    return new Set([...body.matchAll(/^\s*(\w+)\??:/gm)].map((m) => m[1]));
  };
  const check = (name, object) => {
    for (const key of Object.keys(object)) assert.ok(declared(name).has(key), `${name} declares \`${key}\``);
  };
  for (const f of report.findings) {
    check('Finding', f);
    if (f.fix) {
      check('Fix', f.fix);
      for (const e of f.fix.edits) check('Edit', e);
    }
    for (const r of f.related ?? []) check('RelatedLocation', r);
  }
});
