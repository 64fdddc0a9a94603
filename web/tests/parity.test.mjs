// Native and wasm must agree: for every fixture tree (the example Sovereign, the
// synthetic one, each rule's fire and pass cases) `cargo xtask web test` writes the
// files, their configuration and the report the native core renders; here the wasm
// package lints the same files and must return the same document.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { loadPackage } from './load-pkg.mjs';

const source = process.env.CG_WEB_PARITY;
if (!source) throw new Error('CG_WEB_PARITY is not set: run these tests with `cargo xtask web test`');
const cases = JSON.parse(readFileSync(source, 'utf8'));

test('there are parity cases for every fixture tree', () => {
  assert.ok(cases.length >= 20, `only ${cases.length} cases`);
  assert.ok(cases.some((c) => c.name === 'examples/sovereign'));
  assert.ok(cases.some((c) => (c.expected.report?.findings.length ?? 0) > 0), 'some case has findings');
});

for (const c of cases) {
  test(`wasm lint equals native lint: ${c.name}`, async () => {
    const { lint } = await loadPackage();
    if (c.expected.configError) {
      assert.throws(() => lint(c.files, c.config), (e) => e.field === 'config' && e.message.includes(c.expected.configError));
      return;
    }
    const report = lint(c.files, c.config);
    // The plain-text twins are the browser's addition; the rest is the CLI's document.
    for (const f of report.findings) {
      assert.equal(typeof f.messageText, 'string');
      if (/`[^`]+`/.test(f.message)) assert.notEqual(f.messageText, f.message, `messageText of ${f.code} keeps its Markdown`);
      if (f.help === undefined) assert.equal(f.helpText, null);
      else assert.equal(typeof f.helpText, 'string');
      delete f.messageText;
      delete f.helpText;
    }
    assert.deepEqual(report, c.expected.report);
  });
}
