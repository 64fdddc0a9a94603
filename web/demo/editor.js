// One file editor: the path, the text in a textarea over a backdrop that draws each
// finding at its line and columns, a gutter, and the list of findings.

import { el, plural } from './dom.js';

const RANK = { info: 1, warning: 2, error: 3 };
const SEVERITY = ['', 'info', 'warning', 'error'];

export class FileEditor {
  /** `onEdit` runs after each edit of the path or the text, `onRemove` when the file
   *  is removed. */
  constructor(path, text, { onEdit, onRemove }) {
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
      onEdit();
    });
    this.textarea.addEventListener('scroll', () => this.syncScroll());
    this.pathInput.addEventListener('input', () => {
      this.root.dataset.path = this.path;
      onEdit();
    });
    remove.addEventListener('click', () => onRemove(this));
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
