// The demo page: files in editors linted as you type (debounced), findings drawn at
// their lines, and a canonical Gitea URL builder whose pickers come from the core's
// location-code table. Everything runs in this tab on the wasm package in ../pkg:
// nothing is fetched from anywhere but this page's own origin.

import init, {
  canonicalGiteaUrl,
  checkGiteaUrl,
  decodeLocationCode,
  lint,
  locationTable,
  rules,
} from '../pkg/index.js';
import { EXAMPLE } from './example.js';

/** Pause in typing before a lint; short enough to feel live, long enough not to lint every key. */
const DEBOUNCE_MS = 150;
/** Files larger than this are not read from a drop: the linter would skip them anyway (CG000 at 10 MiB). */
const MAX_DROP_BYTES = 2 * 1024 * 1024;
const LINTABLE = /\.(ya?ml|md|markdown)$/i;
const RANK = { info: 1, warning: 2, error: 3 };
const SEVERITY = ['', 'info', 'warning', 'error'];

const $ = (selector, root = document) => root.querySelector(selector);

/** A DOM element with properties (attributes for `aria-*`/`data-*`) and children. */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key.startsWith('aria-') || key.startsWith('data-') || key === 'role') node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const editors = [];
let lintTimer = 0;
let lintRuns = 0;
/** The configuration text if it parses, `null` for the defaults; `undefined` while it is invalid. */
let config = null;

function configArg() {
  return config;
}

// ---------------------------------------------------------------- one file editor

class FileEditor {
  constructor(path, text) {
    this.findings = [];
    this.pathInput = el('input', {
      className: 'path',
      value: path,
      spellcheck: false,
      placeholder: 'platform/<name>/blueprint.yaml',
      'aria-label': 'file path, relative to the repository root',
    });
    this.badge = el('span', { className: 'badge' });
    const remove = el('button', { type: 'button', className: 'remove', title: 'Remove this file', textContent: '✕' });
    remove.setAttribute('aria-label', 'remove file');
    this.pathError = el('p', { className: 'error-text path-error', hidden: true, role: 'alert' });
    this.gutter = el('div', { className: 'gutter', 'aria-hidden': 'true' });
    this.backdrop = el('div', { className: 'backdrop', 'aria-hidden': 'true' });
    this.textarea = el('textarea', { spellcheck: false, wrap: 'off', 'aria-label': 'file contents' });
    this.textarea.value = text;
    this.editor = el('div', { className: 'editor' }, this.gutter, el('div', { className: 'code' }, this.backdrop, this.textarea));
    this.list = el('ul', { className: 'findings', 'aria-label': 'findings' });
    this.root = el(
      'div',
      { className: 'file' },
      el('div', { className: 'file-head' }, this.pathInput, this.badge, remove),
      this.pathError,
      this.editor,
      this.list,
    );
    this.root.dataset.path = path;

    this.textarea.addEventListener('input', () => {
      this.paint();
      scheduleLint();
    });
    this.textarea.addEventListener('scroll', () => this.syncScroll());
    this.pathInput.addEventListener('input', () => {
      this.root.dataset.path = this.path;
      scheduleLint();
    });
    remove.addEventListener('click', () => removeEditor(this));
  }

  get path() {
    return this.pathInput.value;
  }

  get text() {
    return this.textarea.value;
  }

  set text(value) {
    this.textarea.value = value;
    this.paint();
  }

  markStale() {
    this.editor.classList.add('stale');
  }

  setFindings(findings) {
    this.findings = findings;
    this.editor.classList.remove('stale');
    this.paint();
    this.renderList();
    const worst = Math.max(0, ...findings.map((f) => RANK[f.severity]));
    this.badge.className = `badge ${SEVERITY[worst]}`;
    this.badge.textContent = findings.length ? plural(findings.length, 'finding') : 'clean';
  }

  showPathError(message) {
    this.pathError.textContent = message;
    this.pathError.hidden = !message;
    this.pathInput.setAttribute('aria-invalid', message ? 'true' : 'false');
  }

  /** Gutter, highlights and inline messages for the current text and findings. */
  paint() {
    const lines = this.text.split('\n');
    const byLine = new Map();
    for (const f of this.findings) {
      // A finding past the end (text shrank since the last lint) sits on the last line.
      const line = Math.min(Math.max(f.line, 1), lines.length);
      if (!byLine.has(line)) byLine.set(line, []);
      byLine.get(line).push(f);
    }
    const gutter = document.createDocumentFragment();
    const backdrop = document.createDocumentFragment();
    lines.forEach((text, i) => {
      const n = i + 1;
      const here = byLine.get(n) ?? [];
      const worst = SEVERITY[Math.max(0, ...here.map((f) => RANK[f.severity]))];
      const ln = el('div', { className: worst ? `ln sev-${worst}` : 'ln', textContent: String(n), 'data-line': n });
      if (here.length) ln.dataset.codes = here.map((f) => f.code).join(' ');
      gutter.append(ln);
      backdrop.append(renderLine(text, here, n, worst));
    });
    this.gutter.replaceChildren(gutter);
    this.backdrop.replaceChildren(backdrop);
    this.resize(lines.length);
  }

  /** Grows the textarea to its content, so only the page scrolls vertically. */
  resize(lineCount) {
    const style = getComputedStyle(this.editor);
    const line = parseFloat(style.lineHeight) || 20;
    const pad = parseFloat(getComputedStyle(this.textarea).paddingTop) || 8;
    const base = lineCount * line + 2 * pad;
    this.textarea.style.height = `${base}px`;
    const scrollbar = this.textarea.offsetHeight - this.textarea.clientHeight;
    if (scrollbar > 0) this.textarea.style.height = `${base + scrollbar}px`;
    this.syncScroll();
  }

  syncScroll() {
    this.backdrop.style.transform = `translateX(${-this.textarea.scrollLeft}px)`;
  }

  renderList() {
    const items = this.findings.map((f) => {
      const where = el('button', { type: 'button', className: 'where', textContent: `${f.line}:${f.col}`, title: 'Go to this line' });
      where.addEventListener('click', () => this.reveal(f.line, f.col));
      const code = el('a', { className: 'code-tag', href: `#rule-${f.code}`, textContent: f.code, title: f.rule });
      code.addEventListener('click', () => {
        const details = document.getElementById(`rule-${f.code}`);
        if (details) details.open = true;
      });
      return el(
        'li',
        { className: `finding sev-${f.severity}`, 'data-code': f.code, 'data-line': f.line, 'data-col': f.col },
        where,
        ' ',
        code,
        el('span', { className: 'message', textContent: f.message }),
        f.help ? el('div', { className: 'help', textContent: `help: ${f.help}` }) : null,
      );
    });
    this.list.replaceChildren(...items);
  }

  /** Puts the caret at a 1-based line and column (columns count characters, as the core does). */
  reveal(line, col) {
    const lines = this.text.split('\n');
    let offset = 0;
    for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i].length + 1;
    const target = lines[Math.min(line, lines.length) - 1] ?? '';
    offset += Array.from(target).slice(0, col - 1).join('').length;
    this.textarea.focus();
    this.textarea.setSelectionRange(offset, offset);
    this.root.scrollIntoView({ block: 'nearest' });
  }
}

/** One line of the backdrop: the text (invisible, under the textarea's), wavy marks
 *  under each finding's columns, and the first finding's message after the line's end. */
function renderLine(text, findings, n, worst) {
  const row = el('div', { className: worst ? `line sev-${worst}` : 'line', 'data-line': n });
  if (!findings.length) {
    row.textContent = text || '\u200b';
    return row;
  }
  const chars = Array.from(text);
  // One slot past the end, so a finding at the end of the line is still visible.
  const rank = new Array(chars.length + 1).fill(0);
  for (const f of findings) {
    const start = Math.min(Math.max(f.col - 1, 0), chars.length);
    const end = Math.min(start + Math.max(f.width, 1), chars.length + 1);
    for (let k = start; k < end; k++) rank[k] = Math.max(rank[k], RANK[f.severity]);
  }
  let k = 0;
  while (k < rank.length) {
    let j = k;
    while (j < rank.length && rank[j] === rank[k]) j++;
    const piece = chars.slice(k, Math.min(j, chars.length)).join('') + (j > chars.length && rank[k] ? ' ' : '');
    if (piece) row.append(rank[k] ? el('mark', { className: `sev-${SEVERITY[rank[k]]}`, textContent: piece }) : piece);
    k = j;
  }
  const first = [...findings].sort((a, b) => RANK[b.severity] - RANK[a.severity])[0];
  const more = findings.length > 1 ? ` (+${findings.length - 1} more)` : '';
  row.append(el('span', { className: `lens sev-${first.severity}`, textContent: `${first.code} ${first.message}${more}` }));
  return row;
}

// ---------------------------------------------------------------- the file set

function addFile(path, text) {
  const existing = editors.find((e) => e.path === path);
  if (existing) {
    existing.text = text;
    return existing;
  }
  const editor = new FileEditor(path, text);
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

function clearFiles() {
  for (const editor of [...editors]) removeEditor(editor);
}

function scheduleLint() {
  for (const editor of editors) editor.markStale();
  clearTimeout(lintTimer);
  lintTimer = setTimeout(runLint, DEBOUNCE_MS);
}

function runLint() {
  clearTimeout(lintTimer);
  for (const editor of editors) editor.showPathError('');
  const summary = $('#summary');
  if (config === undefined) {
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
async function readDrop(transfer) {
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

async function addFileList(fileList) {
  for (const file of fileList) {
    if (file.size > MAX_DROP_BYTES) continue;
    addFile(file.webkitRelativePath || file.name, await file.text());
  }
  runLint();
}

// ---------------------------------------------------------------- URL builder and checker

let table = null;

function fill(select, options, keep) {
  select.replaceChildren(...options.map(([value, label]) => el('option', { value, textContent: label })));
  if (options.some(([value]) => value === keep)) select.value = keep;
}

/** The pickers, from the core's table (defaults plus configured codes). */
function renderPickers() {
  const provider = $('#bb-provider');
  fill(provider, table.providers.map((p) => [p.code, `${p.code} · ${p.name}`]), provider.value || 'h');
  renderRegions();
  fill($('#bb-block'), table.buildingBlocks.map((b) => [b.code, `${b.code} · ${b.short} (${b.long})`]), $('#bb-block').value || table.management);
  fill($('#bb-env'), table.envTypes.map((e) => [e.code, `${e.code} · ${e.name}`]), $('#bb-env').value || 'p');
}

function renderRegions() {
  const provider = table.providers.find((p) => p.code === $('#bb-provider').value);
  const region = $('#bb-region');
  const regions = provider?.regions ?? [];
  if (regions.length) {
    fill(region, regions.map((r) => [r.code, `${r.code} · ${r.name}`]), region.value);
    region.disabled = false;
  } else {
    fill(region, [['', 'none configured: add one under locationCodes.regions']], '');
    region.disabled = true;
  }
}

const FIELD_INPUT = { domain: '#bb-domain', org: '#bb-org', repo: '#bb-repo' };

function updateBuilder() {
  const code = ['#bb-provider', '#bb-region', '#bb-block', '#bb-env'].map((s) => $(s).value).join('');
  $('#bb-code').textContent = code;
  const decoded = decodeLocationCode(code, configArg());
  $('#bb-decoded').textContent = decoded.ok ? `= ${decoded.location.description}` : '';
  for (const s of ['#bb-region', '#bb-block', '#bb-domain', '#bb-org', '#bb-repo']) $(s).removeAttribute('aria-invalid');
  const error = $('#bb-error');
  try {
    const url = canonicalGiteaUrl(
      { locationCode: code, domain: $('#bb-domain').value, org: $('#bb-org').value, repo: $('#bb-repo').value },
      configArg(),
    );
    $('#bb-url').textContent = url;
    error.hidden = true;
  } catch (e) {
    $('#bb-url').textContent = '';
    error.textContent = e.message;
    error.hidden = false;
    const input =
      FIELD_INPUT[e.field] ?? (e.field === 'locationCode' ? (/runs on mgt/.test(e.message) ? '#bb-block' : '#bb-region') : null);
    if (input) $(input).setAttribute('aria-invalid', 'true');
  }
}

function updateCheck() {
  const url = $('#check-url').value.trim();
  const out = $('#check-result');
  if (!url) {
    out.replaceChildren();
    return;
  }
  const r = checkGiteaUrl(url, configArg());
  const where = r.location
    ? el('p', {}, 'Location code ', el('code', { textContent: r.location.code }), ` = ${r.location.description}`)
    : r.locationCode
      ? el('p', {}, 'Location code ', el('code', { textContent: r.locationCode }))
      : null;
  if (r.ok) {
    out.replaceChildren(el('p', { className: 'verdict ok', textContent: '✓ canonical' }), where);
    out.dataset.ok = 'true';
    return;
  }
  const suggestion = /`([^`]+)`/.exec(r.help ?? '')?.[1];
  const use = suggestion && !suggestion.includes('<')
    ? el('button', { type: 'button', textContent: 'Use the suggested URL' })
    : null;
  use?.addEventListener('click', () => {
    $('#check-url').value = suggestion;
    updateCheck();
  });
  out.replaceChildren(
    el('p', { className: 'verdict bad' }, `✗ ${r.code} `, el('span', { textContent: r.message })),
    el('p', { className: 'help', textContent: `help: ${r.help}` }),
    where,
    use,
  );
  out.dataset.ok = 'false';
}

// ---------------------------------------------------------------- configuration and rules

function onConfigInput() {
  const text = $('#config').value;
  const error = $('#config-error');
  const next = text.trim() ? text : null;
  try {
    table = locationTable(next);
    config = next;
    error.hidden = true;
    $('#config').removeAttribute('aria-invalid');
  } catch (e) {
    config = undefined;
    error.textContent = e.message;
    error.hidden = false;
    $('#config').setAttribute('aria-invalid', 'true');
    scheduleLint();
    return;
  }
  renderPickers();
  updateBuilder();
  updateCheck();
  scheduleLint();
}

function renderRules() {
  $('#rules').replaceChildren(
    ...rules().map((r) =>
      el(
        'details',
        { id: `rule-${r.code}` },
        el('summary', {}, el('code', { textContent: r.code }), ` ${r.name} `, el('span', { className: 'sev', textContent: r.defaultSeverity })),
        el('p', { textContent: r.summary }),
        el('pre', { textContent: r.docs }),
      ),
    ),
  );
}

// ---------------------------------------------------------------- start

async function main() {
  try {
    await init();
  } catch (error) {
    $('#summary').textContent = `could not load the rules (${error.message}): build them with \`cargo xtask web build\``;
    return;
  }
  table = locationTable(null);
  renderRules();
  renderPickers();
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
  $('#config').addEventListener('input', onConfigInput);

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
