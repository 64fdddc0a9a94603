// @vitest-environment jsdom
// The app's own unit test, as the package README documents it for vitest + jsdom:
// `await init()` with no argument, no bytes passed by hand.
import { expect, test } from 'vitest';
import init, { lint, checkGiteaUrl } from '@openova/catalyst-guard';
import { BAD_REPO } from '../src/example.js';

test('an export called before init says what to do', () => {
  expect(() => lint([])).toThrow('call `await init()` first');
});

test('init loads the module under jsdom and lint finds CG005 at line 8', async () => {
  await init();
  expect(typeof window).toBe('object');
  const report = lint([{ path: 'clusters/_template/flux-system/gitrepository.yaml', text: BAD_REPO }]);
  expect(report.findings.map((f) => f.code)).toContain('CG005');
  expect(report.findings[0].line).toBe(8);
  expect(report.findings[0].messageText).not.toContain('`');
});

test('checkGiteaUrl gives the fix as plain text too', () => {
  const v = checkGiteaUrl('https://gitea.hfrp.openova.io/acme/app.git');
  expect(v.ok).toBe(false);
  expect(v.helpText).toBe('use https://gitea.hfmp.openova.io/acme/app.git');
});
