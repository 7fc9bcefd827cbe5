/** Audit log (audit.view): filter by record type, user, action, dates; a record opens as a before/after table. */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { listPane, splitView, store, stored } from '../office/kit.js';
import { errText, fmtTime, h } from '../ui.js';

const ACTIONS = ['create', 'update', 'delete', 'import', 'approve', 'reject', 'submit', 'cancel', 'ship', 'receive'];
let facetsCache = null;

/** The entity names and users present in the log (one request per screen visit). */
function facets() {
  facetsCache = facetsCache || api('GET', '/api/v1/audit/facets').catch(() => ({ entities: [], users: [] }));
  return facetsCache;
}

/** An entity's table name ("purchase_orders") as a readable label, falling back to the name itself. */
export const entityLabel = (e) => {
  const k = `audit.entity.${e}`;
  const s = t(k);
  return s === k ? e : s;
};
const actionLabel = (a) => {
  const k = `audit.action.${a}`;
  const s = t(k);
  return s === k ? a : s;
};

/** A column name as its label, the name itself beside it (what an API user or a support person searches). */
function fieldLabel(k) {
  const key = `audit.f.${k}`;
  const s = t(key);
  return s === key ? k : [s, h('span', { class: 'muted small' }, ` ${k}`)];
}

/** A value as short text: null → "—", objects as compact JSON. */
function text(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? t('office.yes') : t('office.no');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The changes of a record as rows `[field, before, after, changed]`. */
export function diffRows(changes) {
  const before = (changes && changes.before) || {};
  const after = (changes && changes.after) || {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.map((k) => {
    const b = k in before ? before[k] : undefined;
    const a = k in after ? after[k] : undefined;
    return [k, b, a, JSON.stringify(b ?? null) !== JSON.stringify(a ?? null)];
  });
}

function diffTable(rec) {
  const rows = diffRows(rec.changes);
  if (!rows.length) return null;
  const kind = rec.action === 'create' ? 'create' : rec.action === 'delete' ? 'delete' : 'update';
  return h('div', { class: 'grid-wrap' }, h('table', { class: `kv diff diff-${kind}`, 'data-testid': 'audit-diff' },
    h('caption', { class: 'sr-only' }, t('audit.changes')),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('audit.field')),
      kind !== 'create' ? h('th', { scope: 'col' }, t('audit.before')) : null,
      kind !== 'delete' ? h('th', { scope: 'col' }, t('audit.after')) : null)),
    h('tbody', {}, rows.map(([k, b, a, changed]) => h('tr', { class: changed && kind === 'update' ? 'chg' : '' },
      h('th', { scope: 'row' }, fieldLabel(k)),
      kind !== 'create' ? h('td', { class: 'before' }, text(b)) : null,
      kind !== 'delete' ? h('td', { class: 'after' }, text(a)) : null)))));
}

/** Extra details (a business action's comment, an import's counts) as label: value pairs. */
function details(rec) {
  const d = rec.changes && rec.changes.details;
  if (!d || typeof d !== 'object') return null;
  return h('dl', { class: 'facts', 'data-testid': 'audit-details' }, Object.entries(d).map(([k, v]) => {
    const key = `audit.detail.${k}`;
    const label = t(key) === key ? k : t(key);
    return [h('dt', {}, label), h('dd', {}, Array.isArray(v) ? v.map(text).join(', ') || '—' : text(v))];
  }));
}

/** The detail pane of one record. */
async function detail(pane, id) {
  let rec;
  try { rec = await api('GET', `/api/v1/audit/${id}`); } catch (e) {
    pane.append(h('p', { class: 'empty err-text' }, e.isNetwork ? t('list.offline') : errText(e)));
    return;
  }
  pane.append(h('div', { class: 'detail-head' },
    h('a', { class: 'btn back-to-list', href: '#/audit' }, `‹ ${t('office.back_to_list')}`),
    h('h2', { 'data-testid': 'detail-title' }, rec.entity === 'import' ? `${actionLabel('import')} · ${entityLabel(rec.entity_id)}`
      : `${entityLabel(rec.entity)} ${rec.entity_id} · ${actionLabel(rec.action)}`)),
  h('section', { class: 'card' }, h('dl', { class: 'facts' },
    h('dt', {}, t('audit.at')), h('dd', {}, fmtTime(rec.at)),
    h('dt', {}, t('audit.user')), h('dd', {}, rec.username || t('audit.system')),
    h('dt', {}, t('audit.source')), h('dd', {}, rec.source || '—'),
    rec.request_id ? [h('dt', {}, t('audit.request')), h('dd', { class: 'small' }, rec.request_id)] : null),
  details(rec)),
  h('section', { class: 'card' }, h('h3', {}, t('audit.changes')),
    diffTable(rec) || h('p', { class: 'muted' }, t('audit.no_changes'))));
}

/** Local date "2026-12-08" → the start of that day in this browser's time zone, as ISO 8601 with offset. */
function dayStart(day, plus = 0) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d + plus).toISOString();
}

/** The "from / to" date inputs (the list kit's filters are text, selects and checks). */
function dateRange(onChange) {
  const saved = stored('audit.dates') || {};
  const mk = (name, label) => {
    const id = `audit-${name}`;
    const inp = h('input', { type: 'date', id, value: saved[name] || '', 'data-testid': `filter-${name}`,
      onchange: () => { saved[name] = inp.value; store('audit.dates', saved); onChange(); } });
    return h('label', { class: 'flt flt-date', for: id }, h('span', { class: 'small muted' }, t(label)), inp);
  };
  return { el: [mk('from', 'audit.from'), mk('to', 'audit.to')], values: () => saved };
}

export default {
  id: 'audit', title: 'nav.audit', perm: 'audit.view', wide: true,
  async render(root, ctx) {
    facetsCache = null;
    const id = ctx.params.id;
    const split = splitView(!!id);
    split.el.classList.add('wide-detail');
    let list = null;
    const dates = dateRange(() => list && list.reload());
    list = listPane({
      ctx, key: 'audit', testid: 'audit-list', selectedId: id, actions: dates.el,
      path: () => {
        const d = dates.values();
        return { path: '/api/v1/audit', query: { since: d.from ? dayStart(d.from) : undefined, until: d.to ? dayStart(d.to, 1) : undefined } };
      },
      columns: [
        { key: 'at', label: 'audit.at', render: (r) => fmtTime(r.at) },
        { key: 'username', label: 'audit.user', render: (r) => r.username || t('audit.system') },
        { key: 'entity', label: 'audit.entity', render: (r) => entityLabel(r.entity) },
        { key: 'entity_id', label: 'audit.entity_id', phone: false },
        { key: 'action', label: 'audit.action', render: (r) => actionLabel(r.action) },
        { key: 'summary', label: 'audit.summary', wrap: true, phone: false, render: summary },
      ],
      filters: [
        { name: 'entity', type: 'select', label: 'audit.entity', options: async () => (await facets()).entities.map((e) => [e, entityLabel(e)]) },
        { name: 'user_id', type: 'select', label: 'audit.user', options: async () => (await facets()).users.map((u) => [u.id, u.username]) },
        { name: 'action', type: 'select', label: 'audit.action', options: ACTIONS.map((a) => [a, actionLabel(a)]) },
      ],
      onOpen: (r) => ctx.nav(`#/audit/${r.id}`),
    });
    split.list.append(list.el);
    root.append(split.el);
    if (!id) { split.detail.append(h('p', { class: 'empty' }, t('audit.pick'))); return; }
    await detail(split.detail, id);
  },
};

/** One line about what changed: the changed field names (updates) or an import's counts. */
function summary(r) {
  const c = r.changes || {};
  if (c.details && r.action === 'import') return t('audit.import_summary', c.details);
  if (r.action === 'update') return Object.keys(c.after || {}).join(', ');
  return '';
}
