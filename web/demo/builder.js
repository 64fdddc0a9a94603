// The canonical Gitea URL builder, whose pickers come from the core's location-code
// table, and the URL checker.

import { canonicalGiteaUrl, checkGiteaUrl, decodeLocationCode } from '../pkg/index.js';
import { configArg } from './config.js';
import { $, el } from './dom.js';

let table = null;

/** Shows the pickers of `next` (the location table of the current configuration). */
export function setTable(next) {
  table = next;
  renderPickers();
}

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

export function renderRegions() {
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

export function updateBuilder() {
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

export function updateCheck() {
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
