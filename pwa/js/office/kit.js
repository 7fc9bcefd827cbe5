/**
 * The office kit: the three parts every office screen is built from (docs/pwa.md "Office kit").
 *
 *  - listPane:  a server-paged, sortable, filterable list (the API's own query parameters) with
 *               loading / empty / error states; remembers its filters per list in localStorage;
 *               a table with columns at ≥ 1024 px, cards on a phone (same DOM, CSS decides).
 *  - formPane:  a detail form: the API's `errors` shown at the field, `409 stale_version` shown as
 *               "changed by someone else — reload" (never re-sent, never overwritten), the draft kept
 *               in localStorage while editing and when the network is missing.
 *  - splitView: list and detail side by side at ≥ 1024 px, one of them at a time on a phone.
 *
 * The document-lines editor (PO, SO; later transfers and adjustments) is in ./lines.js.
 * Office writes go straight to the API (not the outbox): they need the network, and say so.
 */
import { api, hasCsrf } from '../api.js';
import { t } from '../i18n.js';
import { can, restore } from '../session.js';
import { h, mount, toast } from '../ui.js';

const LS = 'jxc.';

/** JSON in localStorage (null when missing or unreadable). */
export function stored(key) {
  try { return JSON.parse(localStorage.getItem(LS + key) || 'null'); } catch { return null; }
}
export function store(key, value) {
  try { if (value === null || value === undefined) localStorage.removeItem(LS + key); else localStorage.setItem(LS + key, JSON.stringify(value)); }
  catch { /* quota or private mode: the form stays in memory */ }
}

/**
 * An office write (POST/PATCH/DELETE) straight to the API. An app started offline has no CSRF token yet
 * (it lives in memory only): ask /auth/me for one first, as the outbox's sync does.
 */
export async function write(method, path, opts = {}) {
  if (!hasCsrf()) await restore();
  return api(method, path, opts);
}

/** Field errors of an ApiError as a flat `{field: "message"}` (webargs nests them under `json`). */
export function fieldErrors(e) {
  let errs = (e && e.errors) || {};
  if (errs.json && typeof errs.json === 'object') errs = errs.json;
  const out = {};
  const walk = (obj, prefix) => {
    if (Array.isArray(obj)) {
      if (obj.every((x) => typeof x === 'string')) { out[prefix] = obj.join(' '); return; }
      obj.forEach((v, i) => walk(v, prefix ? `${prefix}.${i}` : String(i)));
    } else if (obj && typeof obj === 'object') {
      for (const [k, v] of Object.entries(obj)) walk(v, prefix ? `${prefix}.${k}` : k);
    } else if (obj !== undefined && obj !== null) out[prefix] = String(obj);
  };
  walk(errs, '');
  return out;
}

/** A banner (role=alert) that says office writes need the network; updates itself. */
export function offlineNote(ctx) {
  const el = h('p', { class: 'note warn', role: 'status', 'data-testid': 'office-offline' }, t('office.offline'));
  const upd = () => { el.hidden = navigator.onLine; };
  upd();
  ctx.on(window, 'online', upd);
  ctx.on(window, 'offline', upd);
  return el;
}

/**
 * List and detail side by side (≥ 1024 px) or one at a time (phone: the detail when `hasDetail`).
 * @returns {{el: HTMLElement, list: HTMLElement, detail: HTMLElement}}
 */
export function splitView(hasDetail) {
  const list = h('section', { class: 'split-list', 'aria-label': t('office.list') });
  const detail = h('section', { class: 'split-detail', 'aria-label': t('office.detail') });
  const el = h('div', { class: `split${hasDetail ? ' has-detail' : ''}` }, list, detail);
  return { el, list, detail };
}

/**
 * A server-paged list.
 * @param {object} o
 * @param {string} o.key                 localStorage key for the remembered filters/sort
 * @param {string|function} o.path       API collection, or `(state) => ({path, query?, map?})`
 * @param {Array<{key: string, label: string, render?: (row) => any, sort?: string|boolean, num?: boolean, perm?: string, phone?: boolean}>} o.columns
 *   `phone: false` hides a column on a phone card (it stays in the desk table); `wrap: true` lets a desk cell
 *   wrap (the others stay on one line); `when: (state) => bool` shows a column only for some filters
 * @param {Array<{name: string, label: string, type: 'search'|'select'|'check', options?: Array<[string, string]>|(() => Promise<Array>)}>} [o.filters]
 * @param {string} [o.sort]              default sort ("-id")
 * @param {number} [o.perPage]
 * @param {(row) => void} o.onOpen
 * @param {number|string|null} [o.selectedId]
 * @param {string} [o.testid]
 * @param {HTMLElement|null} [o.actions] buttons shown above the list (e.g. "New")
 * @param {object} [o.ctx]             the view context: the list reloads when the network comes back
 * @param {(ids: Set) => void} [o.onSelect]  rows get a checkbox; called with the chosen ids (kept across pages)
 * @returns {{el: HTMLElement, reload: () => Promise<void>, state: object}}
 */
export function listPane(o) {
  const allCols = o.columns.filter((c) => !c.perm || can(c.perm));
  let cols = allCols;
  const saved = stored(`list.${o.key}`) || {};
  const state = { q: saved.q || '', f: saved.f || {}, sort: saved.sort || o.sort || '', page: 1, perPage: o.perPage || 25 };
  const remember = () => store(`list.${o.key}`, { q: state.q, f: state.f, sort: state.sort });
  let ctl = null;

  const status = h('div', { class: 'list-state', role: 'status', 'aria-live': 'polite' });
  const thead = h('thead');
  const tbody = h('tbody');
  const table = h('table', { class: 'grid', 'data-testid': o.testid || `list-${o.key}` }, thead, tbody);
  const pager = h('nav', { class: 'pager', 'aria-label': t('list.pages') });

  /** One filter control; changing it reloads from page 1 and is remembered. */
  function filterControl(f) {
    const id = `flt-${o.key}-${f.name}`;
    if (f.type === 'search') {
      const inp = h('input', { type: 'search', id, value: state.q, placeholder: t(f.label), 'aria-label': t(f.label),
        enterkeyhint: 'search', 'data-testid': `filter-${f.name}` });
      let timer = null;
      inp.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => { state.q = inp.value.trim(); state.page = 1; remember(); load(); }, 250); });
      inp.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); clearTimeout(timer); state.q = inp.value.trim(); state.page = 1; remember(); load(); } });
      return (h('div', { class: 'flt flt-search' }, inp));
    } else if (f.type === 'check') {
      const inp = h('input', { type: 'checkbox', id, checked: !!state.f[f.name], 'data-testid': `filter-${f.name}`,
        onchange: () => { if (inp.checked) state.f[f.name] = true; else delete state.f[f.name]; state.page = 1; remember(); load(); } });
      return (h('label', { class: 'flt flt-check', for: id }, inp, t(f.label)));
    } else {
      const sel = h('select', { id, 'data-testid': `filter-${f.name}`, 'aria-label': t(f.label),
        onchange: () => { if (sel.value === '') delete state.f[f.name]; else state.f[f.name] = sel.value; state.page = 1; remember(); load(); } },
      h('option', { value: '' }, `${t(f.label)}: ${t('list.all')}`));
      const fill = (opts) => {
        for (const [v, label] of opts) sel.append(h('option', { value: String(v), selected: String(state.f[f.name] ?? '') === String(v) }, label));
      };
      if (typeof f.options === 'function') f.options().then(fill).catch(() => {}); else fill(f.options || []);
      return (h('div', { class: 'flt' }, sel));
    }
  }
  const filterEls = (o.filters || []).map(filterControl);

  const chosen = new Set();
  function head() {
    cols = allCols.filter((c) => !c.when || c.when(state));
    mount(thead, h('tr', {}, o.onSelect ? h('th', { scope: 'col', class: 'sel' }, h('span', { class: 'sr-only' }, t('list.select'))) : null, cols.map((c) => {
      const field = c.sort === true ? c.key : c.sort;
      if (!field) return h('th', { scope: 'col', class: c.num ? 'num' : '' }, t(c.label));
      const dir = state.sort === field ? 'ascending' : state.sort === `-${field}` ? 'descending' : 'none';
      return h('th', { scope: 'col', class: c.num ? 'num' : '', 'aria-sort': dir },
        h('button', { type: 'button', class: 'sort', onclick: () => {
          state.sort = dir === 'ascending' ? `-${field}` : field; state.page = 1; remember(); head(); load();
        } }, t(c.label), dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : ''));
    })));
  }

  function show(kind, msg, retry) {
    table.setAttribute('aria-busy', kind === 'loading' ? 'true' : 'false');
    status.className = `list-state ${kind}`;
    mount(status, msg ? h('span', {}, msg) : null,
      retry ? h('button', { class: 'btn', type: 'button', onclick: load }, t('list.retry')) : null);
    status.hidden = !msg;
  }

  function request() {
    const src = typeof o.path === 'function' ? o.path(state) : { path: o.path };
    const query = { page: state.page, per_page: state.perPage, sort: state.sort || undefined, ...(src.query || {}) };
    if (state.q) query.q = state.q;
    for (const [k, v] of Object.entries(state.f)) if (!(src.skip || []).includes(k)) query[k] = v;
    return { src, query };
  }

  function pages(total) {
    const n = Math.max(1, Math.ceil((total || 0) / state.perPage));
    mount(pager,
      h('button', { class: 'btn', type: 'button', disabled: state.page <= 1, 'aria-label': t('list.prev'),
        onclick: () => { state.page -= 1; load(); } }, '‹'),
      h('span', { class: 'muted small', 'data-testid': 'list-total' }, t('list.page', { page: state.page, pages: n, total: total || 0 })),
      h('button', { class: 'btn', type: 'button', disabled: state.page >= n, 'aria-label': t('list.next'),
        onclick: () => { state.page += 1; load(); } }, '›'));
  }

  async function load() {
    if (ctl) ctl.abort();
    ctl = new AbortController();
    const mine = ctl;
    show('loading', t('common.loading'));
    head();
    const { src, query } = request();
    let res;
    try {
      res = await api('GET', src.path, { query, signal: mine.signal });
    } catch (e) {
      if (mine !== ctl) return;
      mount(tbody);
      show('error', e.isNetwork ? t('list.offline') : (e.message || String(e)), true);
      mount(pager);
      return;
    }
    if (mine !== ctl) return;
    performance.mark(`jxc:list:${o.key}:response`); // bench/pwa_list_bench.py measures response → rendered
    const items = (res.items || []).map(src.map || ((x) => x));
    mount(tbody, items.map(row));
    show(items.length ? 'ok' : 'empty', items.length ? '' : t('common.none'));
    pages(res.total);
    performance.mark(`jxc:list:${o.key}:rendered`);
    requestAnimationFrame(() => requestAnimationFrame(() => performance.mark(`jxc:list:${o.key}:painted`)));
  }

  /** The row's checkbox cell (lists with `onSelect`). */
  function pick(r) {
    if (!o.onSelect) return null;
    const box = h('input', { type: 'checkbox', checked: chosen.has(r.id), 'aria-label': t('list.select_row', { name: r.sku || r.code || r.number || r.id }),
      'data-testid': 'row-select', onclick: (e) => e.stopPropagation(),
      onchange: () => { if (box.checked) chosen.add(r.id); else chosen.delete(r.id); o.onSelect(chosen); } });
    return h('td', { class: 'sel' }, box);
  }

  function row(r) {
    const open = () => o.onOpen(r);
    const tr = h('tr', { class: `clickable${String(r.id) === String(o.selectedId) ? ' selected' : ''}`, tabindex: '0',
      dataset: { id: String(r.id) }, onclick: open,
      onkeydown: (e) => { if (e.key === 'Enter' && e.target === e.currentTarget) { e.preventDefault(); open(); } } },
    pick(r), cols.map((c) => {
      const v = c.render ? c.render(r) : r[c.key];
      const blank = v === null || v === undefined || v === '';
      return h('td', { class: [c.num ? 'num' : '', c.wrap ? 'wrap' : '', blank ? 'blank' : '', c.phone === false ? 'desk-only' : ''].filter(Boolean).join(' '),
        'data-label': t(c.label) }, blank ? '' : v);
    }));
    if (String(r.id) === String(o.selectedId)) tr.setAttribute('aria-current', 'true');
    return tr;
  }

  head();
  // back online after an offline error: load again
  if (o.ctx) o.ctx.on(window, 'online', () => { if (status.classList.contains('error')) load(); });
  const el = h('div', { class: 'listpane' },
    h('div', { class: 'list-tools' }, o.actions || null, filterEls),
    h('div', { class: 'grid-wrap' }, table), status, pager);
  load();
  return { el, reload: load, state };
}

/**
 * A detail form.
 * @param {object} o
 * @param {Array<object>} o.fields  `{name, label, type: 'text'|'number'|'decimal'|'percent'|'date'|'email'|'password'|
 *                                   'textarea'|'select'|'check'|'checks', required?, options?, datalist?, help?,
 *                                   createOnly?, readonly?, perm?, autocomplete?}`
 * @param {object|null} o.record    the record being edited (null: create)
 * @param {string} o.draftKey       localStorage key of the unsaved draft
 * @param {(body: object, record: object|null) => Promise<object>} o.save  sends create (full) or patch (changed + version)
 * @param {(saved: object) => void} o.onSaved
 * @param {boolean} [o.readonly]
 * @param {string} [o.submitLabel]
 * @param {string} [o.testid]
 * @param {Array<HTMLElement>} [o.extra]  more buttons
 * @param {HTMLElement} [o.after]  more content inside the form, after the fields (e.g. the lines editor)
 * @param {boolean} [o.allowEmpty]  save even when no field changed (the body carries other parts, e.g. lines)
 * @returns {{el: HTMLElement, values: () => object, showError: (e) => void, dirty: () => boolean}}
 */
export function formPane(o) {
  const rec = o.record;
  const fields = o.fields.filter((f) => (!f.perm || can(f.perm)) && !(f.createOnly && rec));
  const inputs = {};
  const errs = {};
  const banner = h('div', { class: 'form-banner', role: 'alert', hidden: true, 'data-testid': 'form-banner' });
  const draft = stored(`draft.${o.draftKey}`);

  const initial = (f) => {
    let v = rec ? rec[f.name] : f.default;
    if (f.type === 'percent' && v !== undefined && v !== null && v !== '') v = String(Math.round(Number(v) * 1000000) / 10000);
    if (f.type === 'decimal' && v !== undefined && v !== null && v !== '' && Number.isFinite(Number(v))) v = String(Number(v)); // "12.5000" → "12.5"
    return v;
  };

  /** A group of checkboxes (a list value, e.g. roles). */
  function checks(f, id, errId, v) {
    const set = new Set((v || []).map(String));
    return h('fieldset', { class: 'checks', id, 'data-testid': `field-${f.name}`, 'aria-describedby': errId, disabled: !!o.readonly },
      h('legend', {}, t(f.label)),
      (f.options || []).map(([val, label]) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', value: String(val), checked: set.has(String(val)) }), label)));
  }

  /** The input element of a field. */
  function control(f, id, errId, v) {
    const common = { id, name: f.name, 'data-testid': `field-${f.name}`, disabled: !!(o.readonly || f.readonly),
      'aria-describedby': errId, required: !!f.required };
    if (f.type === 'textarea') return h('textarea', { ...common, rows: 3, value: v ?? '' });
    if (f.type === 'select') {
      return h('select', common, h('option', { value: '' }, f.required ? t('form.choose') : '—'),
        (f.options || []).map(([val, label]) => h('option', { value: String(val), selected: String(v ?? '') === String(val) }, label)));
    }
    if (f.type === 'check') return h('input', { ...common, type: 'checkbox', checked: v === undefined ? !!f.default : !!v });
    if (f.type === 'checks') return checks(f, id, errId, v);
    const type = { number: 'number', date: 'date', email: 'email', password: 'password' }[f.type] || 'text';
    const inputmode = { decimal: 'decimal', percent: 'decimal', number: 'numeric' }[f.type] || null;
    return h('input', { ...common, type, value: v ?? '', autocomplete: f.autocomplete || 'off', inputmode,
      list: f.datalist ? `${id}-dl` : null });
  }

  /** A read-only field: label and value as text (nothing when empty). */
  function shown(f) {
    const v = initial(f);
    if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) return null;
    const opt = (x) => ((f.options || []).find(([val]) => String(val) === String(x)) || [x, x])[1];
    const text = f.type === 'check' ? (v ? t('office.yes') : t('office.no'))
      : f.type === 'checks' ? v.map(opt).join(', ') : f.type === 'select' ? opt(v) : f.type === 'percent' ? `${v}%` : String(v);
    return h('div', { class: `field ro${f.type === 'textarea' ? ' field-wide' : ''}`, 'data-testid': `field-${f.name}` },
      h('div', { class: 'ro-label' }, t(f.label)), h('div', { class: 'ro-value' }, text));
  }

  /** A field: label, input, help, error slot. */
  function fieldEl(f) {
    if (o.readonly) return shown(f);
    const id = `fld-${o.draftKey.replace(/\W/g, '-')}-${f.name}`;
    const errId = `${id}-err`;
    const input = control(f, id, errId, initial(f));
    inputs[f.name] = input;
    errs[f.name] = h('div', { class: 'field-err', id: errId, 'data-testid': `error-${f.name}` });
    const help = f.help ? h('div', { class: 'muted small' }, t(f.help)) : null;
    if (f.type === 'check') return h('div', { class: 'field field-check' }, h('label', { class: 'check', for: id }, input, t(f.label)), help, errs[f.name]);
    if (f.type === 'checks') return h('div', { class: 'field field-wide' }, input, help, errs[f.name]);
    const dl = f.datalist ? h('datalist', { id: `${id}-dl` }, f.datalist.map((x) => h('option', { value: x }))) : null;
    return h('div', { class: `field${f.type === 'textarea' ? ' field-wide' : ''}` },
      h('label', { for: id }, t(f.label), f.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null,
        f.type === 'percent' ? ' (%)' : ''), input, dl, help, errs[f.name]);
  }
  const controls = fields.map(fieldEl);

  function read(f) {
    const inp = inputs[f.name];
    if (!inp) return initial(f);
    if (f.type === 'check') return inp.checked;
    if (f.type === 'checks') return [...inp.querySelectorAll('input:checked')].map((x) => (f.numeric ? Number(x.value) : x.value));
    const s = inp.value.trim();
    if (f.type === 'number') return s === '' ? null : Number(s);
    if (f.type === 'percent') return s === '' ? null : String(Math.round(Number(s) * 10000) / 1000000);
    if (f.type === 'select' && f.numeric) return s === '' ? null : Number(s);
    return s === '' ? null : s;
  }
  function write(f, v) {
    const inp = inputs[f.name];
    if (!inp) return;
    if (f.type === 'check') inp.checked = !!v;
    else if (f.type === 'checks') { const set = new Set((v || []).map(String)); for (const x of inp.querySelectorAll('input')) x.checked = set.has(x.value); }
    else if (f.type === 'percent') inp.value = v === null || v === undefined ? '' : String(Math.round(Number(v) * 1000000) / 10000);
    else inp.value = v ?? '';
  }
  const values = () => Object.fromEntries(fields.map((f) => [f.name, read(f)]));
  const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const norm = (f, v) => (f.type === 'decimal' || f.type === 'percent') && v !== null && v !== undefined && v !== '' ? Number(v) : v;
  /** Fields that differ from the record (all non-empty fields for a new one). */
  function changes() {
    const out = {};
    for (const f of fields) {
      if (f.readonly) continue;
      const v = read(f);
      if (rec) { if (!same(norm(f, v), norm(f, rec[f.name])) && !(v === null && (rec[f.name] === '' || rec[f.name] === undefined))) out[f.name] = v; }
      else if (v !== null && !(Array.isArray(v) && !v.length && !f.required)) out[f.name] = v;
    }
    return out;
  }
  const dirty = () => Object.keys(changes()).length > 0;

  function clearErrors() {
    banner.hidden = true;
    mount(banner);
    for (const [name, el] of Object.entries(errs)) { el.textContent = ''; if (inputs[name]) inputs[name].removeAttribute('aria-invalid'); }
  }
  function showError(e) {
    clearErrors();
    if (e && e.isNetwork) {
      store(`draft.${o.draftKey}`, values());
      mount(banner, t('form.offline_kept'));
      banner.className = 'form-banner warn';
      banner.hidden = false;
      return;
    }
    if (e && e.status === 409 && e.code === 'stale_version') {
      banner.className = 'form-banner err';
      mount(banner, h('span', { 'data-testid': 'stale' }, t('form.stale')), ' ',
        h('button', { class: 'btn', type: 'button', 'data-testid': 'stale-reload', onclick: () => {
          store(`draft.${o.draftKey}`, null);
          if (o.reload) o.reload(); else window.dispatchEvent(new HashChangeEvent('hashchange'));
        } }, t('form.reload')));
      banner.hidden = false;
      banner.scrollIntoView({ block: 'nearest' });
      return;
    }
    const fe = fieldErrors(e);
    const rest = [];
    let first = null;
    for (const [k, msg] of Object.entries(fe)) {
      const name = k.split('.')[0];
      if (errs[name] && k === name) {
        errs[name].textContent = msg;
        inputs[name].setAttribute('aria-invalid', 'true');
        first = first || inputs[name];
      } else rest.push(`${k}: ${msg}`);
    }
    banner.className = 'form-banner err';
    mount(banner, (e && e.message) || String(e), rest.length ? h('div', { class: 'small' }, rest.join('; ')) : null);
    banner.hidden = false;
    if (first && first.focus) first.focus(); else banner.scrollIntoView({ block: 'nearest' });
  }

  const submitBtn = h('button', { class: 'btn primary', type: 'submit', 'data-testid': 'form-save', disabled: !!o.readonly },
    t(o.submitLabel || 'form.save'));
  /** Validate nothing locally (the server is the judge), send, show errors; the saved record or null. */
  async function doSave({ silent = false } = {}) {
    clearErrors();
    const body = changes();
    if (rec && !Object.keys(body).length && !o.allowEmpty) { if (!silent) toast(t('form.nothing')); return silent ? rec : null; }
    submitBtn.disabled = true;
    try {
      const saved = await o.save(rec ? { ...body, version: rec.version } : body, rec);
      store(`draft.${o.draftKey}`, null);
      if (!silent) { toast(t('form.saved')); o.onSaved(saved); }
      return saved;
    } catch (err) {
      showError(err);
      return null;
    } finally { submitBtn.disabled = !!o.readonly; }
  }
  const form = h('form', { class: 'form card', novalidate: true, 'data-testid': o.testid || 'form', onsubmit: (e) => { e.preventDefault(); doSave(); } },
    banner, h('div', { class: 'fields' }, controls), o.after || null,
    h('div', { class: 'btn-row' }, o.extra || null, o.readonly || o.noSubmit ? null : submitBtn));

  // keep the unsaved form in localStorage while typing (a reload, a crash or going offline loses nothing)
  let timer = null;
  form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => store(`draft.${o.draftKey}`, dirty() ? values() : null), 300); });
  form.addEventListener('change', () => store(`draft.${o.draftKey}`, dirty() ? values() : null));
  if (draft && !o.readonly) {
    for (const f of fields) if (f.name in draft) write(f, draft[f.name]);
    if (dirty()) {
      const note = h('p', { class: 'note', 'data-testid': 'draft-restored' }, t('form.draft_restored'), ' ',
        h('button', { class: 'btn', type: 'button', onclick: () => {
          store(`draft.${o.draftKey}`, null); for (const f of fields) write(f, initial(f)); note.remove();
        } }, t('form.discard')));
      form.prepend(note);
    }
  }
  return { el: form, values, showError, clearErrors, dirty, inputs, save: doSave, changes };
}

/** A definition list of `[label key, value]` pairs (read-only facts). */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) =>
    [h('dt', {}, t(k)), h('dd', {}, v)]));
}

/**
 * A same-origin file (PDF) opened in a new tab with the session cookie — plus, where the browser can share
 * files (Web Share API level 2: Android Chrome, iOS Safari), a Share button that sends the PDF itself
 * (WeChat, mail, print services) instead of a link that needs a login.
 */
export function fileLink(href, labelKey, testid) {
  const link = h('a', { class: 'btn', href, target: '_blank', rel: 'noopener', 'data-testid': testid }, t(labelKey));
  const probe = typeof File === 'function' && navigator.canShare && navigator.canShare({ files: [new File([''], 'x.pdf', { type: 'application/pdf' })] });
  if (!probe) return link;
  const share = h('button', { class: 'btn', type: 'button', 'data-testid': `${testid}-share`, onclick: async () => {
    try {
      const resp = await fetch(href, { credentials: 'same-origin' });
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      const name = (/filename="?([^";]+)/.exec(resp.headers.get('Content-Disposition') || '') || [])[1] || 'document.pdf';
      await navigator.share({ files: [new File([await resp.blob()], name, { type: 'application/pdf' })], title: name });
    } catch (e) { if (e && e.name !== 'AbortError') toast(e.message || String(e), 'err'); }
  } }, t('doc.share'));
  return h('span', { class: 'btn-pair' }, link, share);
}

/**
 * `[[id, label]]` options from an API list (first 500 rows). The last answer is kept in localStorage, so a
 * form opened offline (or reloaded from its draft) still shows its choices.
 */
export async function optionsFrom(path, label, query = {}) {
  const key = `opts.${path}?${new URLSearchParams(query)}`;
  try {
    const res = await api('GET', path, { query: { per_page: 500, ...query } });
    const opts = (res.items || []).map((x) => [x.id, label(x)]);
    store(key, opts);
    return opts;
  } catch (e) {
    const kept = e.isNetwork ? stored(key) : null;
    if (kept) return kept;
    throw e;
  }
}
