// The configuration panel (a `.catalyst-guard.yaml` every export takes) and the rule
// list. The configuration is kept here; the file set and the URL builder read it.

import { locationTable, rules } from '../pkg/index.js';
import { $, el } from './dom.js';

/** The configuration text if it parses, `null` for the defaults; `undefined` while it is invalid. */
let config = null;

/** The configuration to pass to an export. */
export function configArg() {
  return config;
}

/** Whether the configuration parses (an invalid one stops linting until fixed). */
export function configValid() {
  return config !== undefined;
}

/** Reads the panel after an edit. A valid configuration is kept and its location table
 *  handed to `onValid`; an invalid one is shown. Either way `onChange` runs after. */
export function onConfigInput({ onValid, onChange }) {
  const text = $('#config').value;
  const error = $('#config-error');
  const next = text.trim() ? text : null;
  let table;
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
    onChange();
    return;
  }
  onValid(table);
  onChange();
}

export function renderRules() {
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
