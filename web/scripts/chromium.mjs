// Launching Debian's Chromium for the tests and the benchmark, the one way both use:
// headless, a fresh profile, and every flag that stops it from reaching out to the
// network by itself (this machine has none beyond loopback, and a page that works
// offline must be tested offline).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A browser context on a fresh `--user-data-dir`, with every request that is not to
 * 127.0.0.1 aborted and recorded in `offRequests` (a test asserts it stays empty).
 * `close()` shuts the browser and removes the profile.
 */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'cg-chromium-'));
  // launchPersistentContext is how Playwright takes an explicit --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1400, height: 1000 },
  });
  const offRequests = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    offRequests.push(url.href);
    return route.abort('internetdisconnected');
  });
  return {
    context,
    offRequests,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
