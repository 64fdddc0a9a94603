// The demo page end to end, as a person uses it: Debian's headless Chromium, driven by
// playwright-core, against the page served on 127.0.0.1. Every request that is not to
// 127.0.0.1 is aborted and fails the run, so the page is proven to work offline.
// Screenshots land in $CG_WEB_ARTIFACTS (web/test-results by default).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launch } from '../scripts/chromium.mjs';
import { serve } from '../scripts/serve.mjs';
import { loadPackage } from './load-pkg.mjs';

const ARTIFACTS = process.env.CG_WEB_ARTIFACTS ?? fileURLToPath(new URL('../test-results/', import.meta.url));
const REPO = 'clusters/_template/flux-system/gitrepository.yaml';
const BAD_REPO = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: platform
  namespace: flux-system
spec:
  interval: 1m
  url: https://gitea.hfrp.openova.io/openova/platform.git
  ref:
    branch: main
`;

let server;
let browser;
let page;
const problems = [];

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await serve();
  browser = await launch();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto(`${server.url}demo/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const file = (path) => `.file[data-path="${path}"]`;
const lintRuns = () => page.evaluate(() => Number(document.body.dataset.lintRuns ?? 0));

async function openFresh(path, text) {
  await page.click('#clear-files');
  await page.click('#add-file');
  const editor = page.locator('.file').last();
  await editor.locator('input.path').fill(path);
  await editor.locator('textarea').fill(text);
}

test('the demo loads and lints its example offline', async () => {
  const summary = await page.textContent('#summary');
  assert.match(summary, /2 errors, 0 warnings, 0 infos in 5 files/);
  assert.equal(await page.locator(`${file('platform/flux/blueprint.yaml')} .findings li[data-code="CG001"]`).count(), 1);
});

test('a bad GitRepository shows CG005 at its line, and fixing it as you type clears it', async () => {
  await openFresh(REPO, BAD_REPO);
  const finding = page.locator(`${file(REPO)} .findings li[data-code="CG005"]`);
  await finding.waitFor({ timeout: 5_000 });
  assert.equal(await finding.getAttribute('data-line'), '8');
  assert.match(await finding.textContent(), /`hfrp` = Hetzner Falkenstein rtz prod: Gitea runs on mgt/);
  // Drawn at the line itself: the gutter marker and the inline message on line 8 only.
  const gutter = page.locator(`${file(REPO)} .gutter .ln[data-line="8"]`);
  assert.match(await gutter.getAttribute('class'), /sev-error/);
  assert.equal(await gutter.getAttribute('data-codes'), 'CG005');
  assert.match(await page.textContent(`${file(REPO)} .backdrop .line[data-line="8"] .lens`), /^CG005 /);
  assert.equal(await page.locator(`${file(REPO)} .gutter .ln.sev-error`).count(), 1);
  await page.screenshot({ path: join(ARTIFACTS, 'demo-cg005.png'), fullPage: true });

  // Type the fix: select `hfrp`, type `hfmp` key by key, faster than the debounce.
  const textarea = page.locator(`${file(REPO)} textarea`);
  await textarea.evaluate((t) => {
    const at = t.value.indexOf('hfrp');
    t.focus();
    t.setSelectionRange(at, at + 4);
  });
  const before = await lintRuns();
  await page.keyboard.type('hfmp', { delay: 20 });
  await page.waitForFunction(
    (sel) => !document.querySelector(`${sel} .findings li`) && !document.querySelector(`${sel} .editor.stale`),
    file(REPO),
    { timeout: 5_000 },
  );
  const runs = (await lintRuns()) - before;
  assert.ok(runs >= 1 && runs < 4, `debounced: ${runs} lints for 4 keystrokes`);
  assert.match(await textarea.inputValue(), /url: https:\/\/gitea\.hfmp\.openova\.io\/openova\/platform\.git/);
  assert.equal(await page.locator(`${file(REPO)} .gutter .ln.sev-error`).count(), 0);
  assert.match(await page.textContent('#summary'), /no findings in 1 file/);
  await page.screenshot({ path: join(ARTIFACTS, 'demo-fixed.png'), fullPage: true });
});

test("the URL builder's pickers come from the core's table and its URL passes the checker", async () => {
  const { checkGiteaUrl, locationTable } = await loadPackage();
  const table = locationTable();
  const options = (sel) => page.locator(`${sel} option`).evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(await options('#bb-provider'), table.providers.map((p) => p.code));
  assert.deepEqual(await options('#bb-block'), table.buildingBlocks.map((b) => b.code));
  assert.deepEqual(await options('#bb-env'), table.envTypes.map((e) => e.code));
  await page.selectOption('#bb-provider', 'o');
  assert.deepEqual(await options('#bb-region'), table.providers.find((p) => p.code === 'o').regions.map((r) => r.code));

  await page.selectOption('#bb-provider', 'h');
  await page.selectOption('#bb-region', 'f');
  await page.selectOption('#bb-block', 'm');
  await page.selectOption('#bb-env', 'p');
  await page.fill('#bb-domain', 'openova.io');
  await page.fill('#bb-org', 'openova');
  await page.fill('#bb-repo', 'platform');
  const url = await page.textContent('#bb-url');
  assert.equal(url, 'https://gitea.hfmp.openova.io/openova/platform.git');
  assert.match(await page.textContent('#bb-decoded'), /Hetzner Falkenstein mgt prod/);
  await page.click('#bb-check');
  await page.waitForSelector('#check-result[data-ok="true"]');
  assert.match(await page.textContent('#check-result'), /canonical.*hfmp = Hetzner Falkenstein mgt prod/s);
  assert.equal(checkGiteaUrl(url).ok, true, 'the package agrees outside the page');

  // Gitea runs on mgt: another building block is refused, naming the field.
  await page.selectOption('#bb-block', 'r');
  assert.equal(await page.textContent('#bb-url'), '');
  assert.match(await page.textContent('#bb-error'), /^`locationCode`: `hfrp` = Hetzner Falkenstein rtz prod: Gitea runs on mgt/);
  assert.equal(await page.getAttribute('#bb-block', 'aria-invalid'), 'true');
  await page.screenshot({ path: join(ARTIFACTS, 'demo-builder-error.png'), fullPage: true });
  await page.selectOption('#bb-block', 'm');
  assert.equal(await page.textContent('#bb-url'), url);
});

test('a region added by configuration appears in the picker and is accepted', async () => {
  await page.click('#config-box summary');
  await page.fill('#config', 'locationCodes:\n  regions:\n    a: { e: eu-central-1 }\n');
  await page.selectOption('#bb-provider', 'a');
  assert.deepEqual(await page.locator('#bb-region option').evaluateAll((os) => os.map((o) => o.value)), ['e']);
  assert.equal(await page.textContent('#bb-url'), 'https://gitea.aemp.openova.io/openova/platform.git');
  await page.click('#bb-check');
  await page.waitForSelector('#check-result[data-ok="true"]');
  assert.match(await page.textContent('#check-result'), /AWS eu-central-1 mgt prod/);

  await page.fill('#config', 'rules:\n  CG099: off\n');
  assert.match(await page.textContent('#config-error'), /`config`: 2:3: `rules\.CG099`: unknown rule/);
  await page.fill('#config', '');
  assert.equal(await page.isHidden('#config-error'), true);
});

test('opened and dropped files are linted together, and a repeated path is shown at the file', async () => {
  await page.click('#clear-files');
  await page.setInputFiles('#open-files', [
    { name: 'blueprint.yaml', mimeType: 'text/yaml', buffer: Buffer.from('apiVersion: catalyst.openova.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: bp-flux\nspec:\n  version: 1.0.0\n') },
  ]);
  await page.locator(file('blueprint.yaml')).waitFor();
  await page.locator(`${file('blueprint.yaml')} input.path`).fill('platform/flux/blueprint.yaml');
  // A drop as the page receives it (a script-made DataTransfer has no entry API, so
  // this takes the plain-files path; folders keep their paths through webkitGetAsEntry).
  await page.evaluate(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['apiVersion: v2\nname: bp-flux\nversion: 1.0.1\n'], 'Chart.yaml'));
    transfer.items.add(new File(['binary'], 'logo.png'));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  });
  await page.locator(file('Chart.yaml')).waitFor();
  await page.locator(`${file('Chart.yaml')} input.path`).fill('platform/flux/chart/Chart.yaml');
  const mismatch = page.locator(`${file('platform/flux/blueprint.yaml')} .findings li[data-code="CG001"]`);
  await mismatch.waitFor({ timeout: 5_000 });
  assert.match(await mismatch.textContent(), /`1\.0\.0` differs from chart version `1\.0\.1`/);

  await page.locator(`${file('platform/flux/chart/Chart.yaml')} input.path`).fill('platform/flux/blueprint.yaml');
  const pathError = page.locator('.file').nth(1).locator('.path-error');
  await pathError.waitFor({ state: 'visible', timeout: 5_000 });
  assert.match(await pathError.textContent(), /^`files\[1\]\.path`: `platform\/flux\/blueprint\.yaml` repeats `files\[0\]\.path`/);
});

test('nothing was fetched from anywhere but 127.0.0.1, and the page logged no errors', () => {
  assert.deepEqual(browser.offRequests, []);
  assert.deepEqual(problems, []);
});
