// The package README's Jest snippet, as printed, in a scratch app with Jest 30 from npm
// (`cargo xtask web test` writes it under $CG_WEB_APPS/jest30 with the packed tarball):
// Jest's ES module mode, no transform, once in the jsdom environment (which has no
// TextDecoder of its own) and once in the node environment.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';

const APPS = process.env.CG_WEB_APPS;
if (!APPS) throw new Error('CG_WEB_APPS is not set: run these tests with `cargo xtask web test`');
const app = join(APPS, 'jest30');

test('jest30: the README snippet passes in the jsdom and the node environment', () => {
  for (const [file, env] of [['jsdom.test.js', 'jsdom'], ['node.test.js', 'node']]) {
    assert.match(readFileSync(join(app, 'test', file), 'utf8'), new RegExp(`^/\\*\\* @jest-environment ${env} \\*/`), file);
  }
  rmSync(join(app, 'jest.json'), { force: true });
  // `NODE_OPTIONS=--experimental-vm-modules npx jest`, as the README says.
  const run = spawnSync(process.execPath, [join(app, 'node_modules/jest/bin/jest.js'), '--json', '--outputFile=jest.json'], {
    cwd: app,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules' },
  });
  const report = JSON.parse(readFileSync(join(app, 'jest.json'), 'utf8'));
  const failures = report.testResults.flatMap((f) =>
    f.status === 'passed' ? [] : [`${f.name}: ${f.message || f.assertionResults.map((a) => a.failureMessages.join('\n')).join('\n')}`],
  );
  assert.deepEqual(failures, [], run.stderr);
  assert.equal(report.numPassedTests, 2, run.stderr);
  assert.equal(run.status, 0, run.stderr);
});
