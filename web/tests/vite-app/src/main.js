// Imports the package exactly as its README shows; the page records the first result
// (and when it arrived, in ms since navigation) for web/tests/vite.test.mjs.
import init, { lint } from '@openova/catalyst-guard';
import { BAD_REPO } from './example.js';

const out = document.getElementById('result');
init().then(
  () => {
    const report = lint([{ path: 'clusters/_template/flux-system/gitrepository.yaml', text: BAD_REPO }]);
    const first = report.findings[0];
    out.textContent = JSON.stringify({
      codes: report.findings.map((f) => f.code),
      line: first?.line,
      messageText: first?.messageText,
      msSinceNavigation: performance.now(),
    });
    document.body.dataset.state = 'done';
  },
  (e) => {
    out.textContent = `error: ${e.message}`;
    document.body.dataset.state = 'error';
  },
);
