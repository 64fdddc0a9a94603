// The file set: the editors, linted together as you type (debounced), and files read
// from a drop or a file picker.

import { lint } from '../pkg/index.js';
import { configArg, configValid } from './config.js';
import { $, el, plural } from './dom.js';
import { FileEditor } from './editor.js';

/** Pause in typing before a lint; short enough to feel live, long enough not to lint every key. */
const DEBOUNCE_MS = 150;
/** Files larger than this are not read from a drop: the linter would skip them anyway (CG000 at 10 MiB). */
const MAX_DROP_BYTES = 2 * 1024 * 1024;
const LINTABLE = /\.(ya?ml|md|markdown)$/i;

export const editors = [];
let lintTimer = 0;
let lintRuns = 0;

export function addFile(path, text) {
  const existing = editors.find((e) => e.path === path);
  if (existing) {
    existing.text = text;
    return existing;
  }
  const editor = new FileEditor(path, text, { onEdit: scheduleLint, onRemove: removeEditor });
  editors.push(editor);
  $('#files').append(editor.root);
  editor.paint();
  $('#no-files').hidden = true;
  return editor;
}

function removeEditor(editor) {
  editors.splice(editors.indexOf(editor), 1);
  editor.root.remove();
  $('#no-files').hidden = editors.length > 0;
  scheduleLint();
}

export function clearFiles() {
  for (const editor of [...editors]) removeEditor(editor);
}

export function scheduleLint() {
  for (const editor of editors) editor.markStale();
  clearTimeout(lintTimer);
  lintTimer = setTimeout(runLint, DEBOUNCE_MS);
}

export function runLint() {
  clearTimeout(lintTimer);
  for (const editor of editors) editor.showPathError('');
  const summary = $('#summary');
  if (!configValid()) {
    summary.textContent = 'fix the configuration to lint';
    return;
  }
  const files = editors.map((e) => ({ path: e.path, text: e.text }));
  const started = performance.now();
  let report;
  try {
    report = lint(files, configArg());
  } catch (error) {
    // A bad argument names its field: `files[2].path` points at the third editor.
    const index = /^files\[(\d+)\]/.exec(error.field ?? '');
    if (index) editors[Number(index[1])]?.showPathError(error.message);
    summary.textContent = `not linted: ${error.message}`;
    return;
  }
  const ms = performance.now() - started;
  const byPath = new Map();
  for (const f of report.findings) {
    if (!byPath.has(f.path)) byPath.set(f.path, []);
    byPath.get(f.path).push(f);
  }
  for (const editor of editors) editor.setFindings(byPath.get(editor.path) ?? []);
  const { error, warning, info } = report.summary;
  const files_ = plural(report.filesScanned, 'file');
  summary.replaceChildren(
    report.findings.length
      ? el(
          'span',
          {},
          el('span', { className: error ? 'count-error' : '', textContent: plural(error, 'error') }),
          ', ',
          el('span', { className: warning ? 'count-warning' : '', textContent: plural(warning, 'warning') }),
          `, ${plural(info, 'info')} in ${files_}`,
        )
      : `no findings in ${files_}`,
    ` · linted in ${ms < 1 ? ms.toFixed(2) : ms.toFixed(1)} ms`,
  );
  document.body.dataset.lintRuns = String(++lintRuns);
}

/** Reads dropped files and folders (folders keep their paths, so lockstep works). */
export async function readDrop(transfer) {
  const found = [];
  let skipped = 0;
  const readFile = (entry) => new Promise((resolve, reject) => entry.file(resolve, reject));
  const readBatch = (reader) => new Promise((resolve, reject) => reader.readEntries(resolve, reject));
  async function walk(entry) {
    if (entry.isDirectory) {
      const reader = entry.createReader();
      for (let batch = await readBatch(reader); batch.length; batch = await readBatch(reader)) {
        for (const child of batch) await walk(child);
      }
    } else if (entry.isFile) {
      const file = await readFile(entry);
      if (LINTABLE.test(file.name) && file.size <= MAX_DROP_BYTES) {
        found.push({ path: entry.fullPath.replace(/^\/+/, ''), text: await file.text() });
      } else {
        skipped++;
      }
    }
  }
  const entries = [...transfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
  for (const entry of entries) await walk(entry);
  if (!entries.length) {
    // No entry API for this drop (a script-made DataTransfer): plain files, by name.
    for (const file of transfer.files) {
      if (LINTABLE.test(file.name) && file.size <= MAX_DROP_BYTES) found.push({ path: file.name, text: await file.text() });
      else skipped++;
    }
  }
  return { found, skipped };
}

export async function addFileList(fileList) {
  for (const file of fileList) {
    if (file.size > MAX_DROP_BYTES) continue;
    addFile(file.webkitRelativePath || file.name, await file.text());
  }
  runLint();
}
