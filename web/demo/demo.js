// The demo page: files in editors linted as you type (debounced), findings drawn at
// their lines, and a canonical Gitea URL builder whose pickers come from the core's
// location-code table. Everything runs in this tab on the wasm package in ../pkg:
// nothing is fetched from anywhere but this page's own origin.
//
// This file starts the page and wires its parts: `editor.js` (one file editor),
// `files.js` (the file set and linting), `builder.js` (the URL builder and checker),
// `config.js` (the configuration panel and the rule list), `dom.js` (helpers).

import init, { locationTable } from '../pkg/index.js';
import { renderRegions, setTable, updateBuilder, updateCheck } from './builder.js';
import { onConfigInput, renderRules } from './config.js';
import { $, plural } from './dom.js';
import { EXAMPLE } from './example.js';
import { addFile, addFileList, clearFiles, editors, readDrop, runLint, scheduleLint } from './files.js';

async function main() {
  try {
    await init();
  } catch (error) {
    $('#summary').textContent = `could not load the rules (${error.message}): build them with \`cargo xtask web build\``;
    return;
  }
  setTable(locationTable(null));
  renderRules();
  updateBuilder();

  for (const s of ['#bb-region', '#bb-block', '#bb-env']) $(s).addEventListener('change', updateBuilder);
  $('#bb-provider').addEventListener('change', () => {
    renderRegions();
    updateBuilder();
  });
  for (const s of ['#bb-domain', '#bb-org', '#bb-repo']) $(s).addEventListener('input', updateBuilder);
  $('#builder').addEventListener('submit', (e) => e.preventDefault());
  $('#bb-copy').addEventListener('click', () => navigator.clipboard?.writeText($('#bb-url').textContent));
  $('#bb-check').addEventListener('click', () => {
    $('#check-url').value = $('#bb-url').textContent;
    updateCheck();
  });
  $('#check-url').addEventListener('input', updateCheck);
  $('#config').addEventListener('input', () =>
    onConfigInput({
      onValid: (table) => {
        setTable(table);
        updateBuilder();
        updateCheck();
      },
      onChange: scheduleLint,
    }),
  );

  $('#add-file').addEventListener('click', () => {
    let n = 1;
    while (editors.some((e) => e.path === `new-${n}.yaml`)) n++;
    const editor = addFile(`new-${n}.yaml`, '');
    editor.pathInput.select();
    editor.pathInput.focus();
    scheduleLint();
  });
  $('#open-files').addEventListener('change', (e) => addFileList(e.target.files));
  $('#load-example').addEventListener('click', () => {
    for (const f of EXAMPLE) addFile(f.path, f.text);
    runLint();
  });
  $('#clear-files').addEventListener('click', () => {
    clearFiles();
    runLint();
  });

  // Dropping anywhere on the page adds the files (folders keep their relative paths).
  const overlay = $('#drop-overlay');
  let depth = 0;
  document.addEventListener('dragenter', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    depth++;
    overlay.hidden = false;
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) overlay.hidden = true;
  });
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', async (e) => {
    e.preventDefault();
    depth = 0;
    overlay.hidden = true;
    const { found, skipped } = await readDrop(e.dataTransfer);
    for (const f of found) addFile(f.path, f.text);
    runLint();
    if (skipped) $('#summary').append(` · skipped ${plural(skipped, 'file')} the linter does not read`);
  });

  for (const f of EXAMPLE) addFile(f.path, f.text);
  runLint();
  document.body.dataset.ready = 'true';
}

main();
