/**
 * Stocktake review (#/stocktakes[/<id>|new]) on the office kit: open a stocktake with its scope
 * (warehouse, optionally a location or a category), watch the counting progress by counter and by
 * location, finish counting, read the variance report (book vs counted at the count's time, value,
 * flagged lines: stock moved after the count), send products back to be counted again, approve (posts
 * the variances) or reject (cancel). Counting itself is the warehouse screen #/stocktake.
 * Every rule (who may, what posts, what is flagged) is the server's: this screen shows its answers.
 */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { facts, formPane, listPane, offlineNote, splitView, write } from '../office/kit.js';
import { can, session } from '../session.js';
import { errText, fmtMoney, fmtQty, h, toast } from '../ui.js';
import { banner, pill, pname, table, whName, whOptions, when } from './inv_common.js';

const BASE = '/api/v1/stocktakes';
const STATUSES = ['counting', 'submitted', 'approved', 'cancelled'];

/** Locations of the user's warehouses as select options ("WH1 · A-01"). */
async function locationOptions() {
  const out = [];
  await Promise.all(session.warehouses.map(async (w) => {
    try {
      for (const l of await api('GET', `/api/v1/warehouses/${w.id}/locations`)) {
        if (l.is_active !== false) out.push([l.id, `${w.code} · ${l.code}${l.name ? ` ${l.name}` : ''}`]);
      }
    } catch { /* offline: no locations to choose */ }
  }));
  return out.sort((a, b) => a[1].localeCompare(b[1]));
}

function scopeText(st, locs) {
  const loc = st.location_id ? (locs[st.location_id] || `#${st.location_id}`) : null;
  return [loc ? `${t('inv.location')} ${loc}` : null, st.category ? `${t('inv.category')} ${st.category}` : null]
    .filter(Boolean).join(' · ') || t('inv.scope_all');
}

export default {
  id: 'stocktakes', title: 'inv.nav.stocktakes', perm: 'stocktake.view', wide: true,
  async render(root, ctx) {
    const id = ctx.params.id;
    const split = splitView(!!id);
    split.el.classList.add('wide-detail');
    const list = listPane({
      ctx, key: 'stocktakes', path: BASE, selectedId: id, testid: 'stocktakes-list',
      actions: can('stocktake.create') ? h('a', { class: 'btn primary', href: '#/stocktakes/new', 'data-testid': 'stocktakes-new' },
        `+ ${t('inv.st_new')}`) : null,
      columns: [
        { key: 'number', label: 'doc.number' },
        { key: 'warehouse_id', label: 'common.warehouse', render: (r) => whName(r.warehouse_id) },
        { key: 'status', label: 'doc.status', render: (r) => pill(r.status) },
        { key: 'created_at', label: 'doc.date', render: (r) => when(r.created_at) },
      ],
      filters: [
        { name: 'status', type: 'select', label: 'doc.status', options: async () => STATUSES.map((s) => [s, t(`inv.st.${s}`)]) },
        { name: 'warehouse_id', type: 'select', label: 'common.warehouse', options: whOptions },
      ],
      onOpen: (r) => ctx.nav(`#/stocktakes/${r.id}`),
    });
    split.list.append(list.el);
    root.append(offlineNote(ctx), split.el);
    if (!id) { split.detail.append(h('p', { class: 'empty' }, t('office.pick'))); return; }
    if (id === 'new') { await createForm(split.detail, ctx); return; }
    await detail(split.detail, ctx, id, list);
  },
};

async function createForm(pane, ctx) {
  if (!can('stocktake.create')) { ctx.nav('#/stocktakes'); return; }
  let cats = [];
  try { const r = await api('GET', '/api/v1/products/categories'); cats = Array.isArray(r) ? r : r.items || []; } catch { /* offline */ }
  const form = formPane({
    record: null, draftKey: 'stocktakes.new', testid: 'stocktake-form', submitLabel: 'inv.st_open',
    fields: [
      { name: 'warehouse_id', label: 'common.warehouse', type: 'select', numeric: true, required: true,
        options: await whOptions(), default: session.warehouseId },
      { name: 'location_id', label: 'inv.location', type: 'select', numeric: true, options: await locationOptions(), help: 'inv.location_help' },
      { name: 'category', label: 'inv.category', type: 'text', datalist: cats.map((c) => (typeof c === 'string' ? c : c.name)), help: 'inv.category_help' },
      { name: 'note', label: 'common.note', type: 'textarea' },
    ],
    save: (body) => write('POST', BASE, { json: body }),
    onSaved: (saved) => ctx.nav(`#/stocktakes/${saved.id}`),
  });
  pane.append(h('div', { class: 'detail-head' },
    h('a', { class: 'btn back-to-list', href: '#/stocktakes' }, `‹ ${t('office.back_to_list')}`),
    h('h2', { 'data-testid': 'detail-title' }, t('inv.st_new'))), h('p', { class: 'note' }, t('inv.st_new_help')), form.el);
}

async function detail(pane, ctx, id, list) {
  let st; let report = null; let locs = {};
  try {
    st = await api('GET', `${BASE}/${id}`);
    if (can('stocktake.approve') && st.status !== 'cancelled') report = await api('GET', `${BASE}/${id}/report`);
  } catch (e) {
    pane.append(h('p', { class: 'empty err-text' }, e.isNetwork ? t('list.offline') : errText(e)));
    return;
  }
  try { for (const l of await api('GET', `/api/v1/warehouses/${st.warehouse_id}/locations`)) locs[l.id] = l.code; } catch { locs = {}; }
  const err = banner();
  const act = async (action, json, done) => {
    err.hide();
    try {
      await write('POST', `${BASE}/${st.id}/${action}`, { json: { version: st.version, ...json } });
      toast(t(done));
      list.reload();
      ctx.rerender();
    } catch (e) { err.show(errText(e)); }
  };
  const actions = st.allowed_actions || [];
  pane.append(h('div', { class: 'doc' },
    h('div', { class: 'detail-head' },
      h('a', { class: 'btn back-to-list', href: '#/stocktakes' }, `‹ ${t('office.back_to_list')}`),
      h('h2', { 'data-testid': 'detail-title' }, st.number), pill(st.status, 'doc-status')),
    err.el,
    facts([['common.warehouse', whName(st.warehouse_id)], ['inv.scope', scopeText(st, locs)], ['common.note', st.note],
      ['doc.date', when(st.created_at)], ['inv.submitted_at', when(st.submitted_at)], ['inv.approved_at', when(st.approved_at)]]),
    progress(st, locs, report, ctx),
    report ? reportPanel(st, report, actions, act) : null,
    h('div', { class: 'btn-row wrap doc-actions' },
      actions.includes('submit') && can('stocktake.count') ? h('button', { class: 'btn primary', type: 'button', 'data-testid': 'st-submit',
        onclick: () => act('submit', {}, 'inv.st_submitted') }, t('inv.st_submit')) : null,
      actions.includes('cancel') && can('stocktake.create') ? h('button', { class: 'btn danger', type: 'button', 'data-testid': 'st-cancel',
        onclick: () => { if (window.confirm(t('inv.st_cancel_confirm'))) act('cancel', {}, 'inv.st_cancelled'); } },
      t(st.status === 'submitted' ? 'inv.st_reject' : 'inv.st_cancel')) : null,
      h('a', { class: 'btn', href: '#/stocktake' }, t('inv.st_count_here')))));
}

/** Active counts grouped by counter and by location. */
function group(counts, locs) {
  const byCounter = new Map(); const byLoc = new Map();
  for (const c of counts) {
    const who = c.counted_by_name || `#${c.counted_by_id ?? '?'}`;
    const a = byCounter.get(who) || { n: 0, products: new Set(), last: null };
    a.n += 1; a.products.add(c.product_id); if (!a.last || c.counted_at > a.last) a.last = c.counted_at;
    byCounter.set(who, a);
    const where = c.location_id ? (locs[c.location_id] || `#${c.location_id}`) : t('inv.no_location');
    const b = byLoc.get(where) || { n: 0, products: new Set() };
    b.n += 1; b.products.add(c.product_id);
    byLoc.set(where, b);
  }
  return { byCounter, byLoc };
}

/** Counting progress: per counter and per location (active counts), and products counted of those in scope. */
function progress(st, locs, report, ctx) {
  const counts = (st.counts || []).filter((c) => c.active);
  const { byCounter, byLoc } = group(counts, locs);
  const counted = new Set(counts.map((c) => c.product_id)).size;
  const inScope = report ? (report.lines || []).length + (report.uncounted || []).length : null;
  const summary = inScope !== null ? t('inv.progress_of', { n: counted, total: inScope }) : t('inv.progress_n', { n: counted });
  const pct = inScope ? Math.round((counted / inScope) * 100) : null;
  return h('section', { class: 'card', 'aria-label': t('inv.progress'), 'data-testid': 'st-progress' },
    h('div', { class: 'row' }, h('h3', { class: 'grow' }, t('inv.progress')),
      h('button', { class: 'btn', type: 'button', 'data-testid': 'st-refresh', onclick: () => ctx.rerender() }, t('inv.refresh'))),
    h('p', {}, summary),
    pct !== null ? h('progress', { max: 100, value: pct, 'aria-label': t('inv.progress') }, `${pct}%`) : null,
    h('div', { class: 'cols2' },
      h('div', {}, h('h4', {}, t('inv.by_counter')), table([{ label: 'inv.counter' }, { label: 'inv.counts', num: true },
        { label: 'inv.products', num: true }, { label: 'inv.last_count' }],
      [...byCounter].map(([who, a]) => [who, String(a.n), String(a.products.size), when(a.last)]), { 'data-testid': 'st-by-counter' })),
      h('div', {}, h('h4', {}, t('inv.by_location')), table([{ label: 'inv.location' }, { label: 'inv.counts', num: true },
        { label: 'inv.products', num: true }], [...byLoc].map(([where, b]) => [where, String(b.n), String(b.products.size)]),
      { 'data-testid': 'st-by-location' }))));
}

/** The variance report with flagged lines; recount the chosen products; approve. */
function reportPanel(st, rep, actions, act) {
  const costs = can('cost.view');
  const chosen = new Set((rep.lines || []).filter((l) => l.flagged).map((l) => l.product_id));
  const box = (l) => h('input', { type: 'checkbox', checked: chosen.has(l.product_id),
    'aria-label': t('inv.recount_this', { sku: l.sku }), 'data-testid': 'recount-pick', dataset: { product: String(l.product_id) },
    onchange: (e) => { if (e.target.checked) chosen.add(l.product_id); else chosen.delete(l.product_id); } });
  const cols = [{ label: 'lines.product' }, { label: 'inv.book', num: true }, { label: 'inv.counted', num: true },
    { label: 'inv.variance', num: true }, ...(costs ? [{ label: 'inv.value', num: true }] : []), { label: 'inv.flag' },
    ...(actions.includes('recount') ? [{ label: 'inv.recount' }] : [])];
  const rows = (rep.lines || []).map((l) => ({
    attrs: { dataset: { product: String(l.product_id) }, class: l.flagged ? 'flagged' : '', 'data-testid': 'report-line' },
    cells: [h('div', {}, h('div', { class: 'nm' }, pname(l)), h('div', { class: 'muted small' }, l.sku)),
      fmtQty(l.book_qty), fmtQty(l.counted_qty), h('strong', { 'data-testid': 'line-variance' }, fmtQty(l.variance)),
      ...(costs ? [fmtMoney(l.variance_value)] : []),
      [l.flagged ? h('span', { class: 'pill warn', 'data-testid': 'flagged' }, t('inv.flagged', { q: fmtQty(l.moved_after_count) })) : null,
        l.clock_suspect ? h('span', { class: 'pill err' }, t('inv.clock_suspect')) : null],
      ...(actions.includes('recount') ? [box(l)] : [])],
  }));
  const uncounted = rep.uncounted || [];
  return h('section', { class: 'card', 'aria-label': t('inv.report'), 'data-testid': 'st-report' },
    h('h3', {}, t('inv.report')),
    h('p', { class: rep.flagged ? 'note warn' : 'note', 'data-testid': 'report-summary' },
      t('inv.report_summary', { n: (rep.lines || []).length, f: rep.flagged, u: uncounted.length }),
      costs ? ` · ${t('inv.report_value', { g: fmtMoney(rep.gain_value), l: fmtMoney(rep.loss_value), n: fmtMoney(rep.net_value) })}` : ''),
    rep.flagged ? h('p', { class: 'muted small' }, t('inv.flag_help')) : null,
    table(cols, rows, { 'data-testid': 'report-lines' }),
    uncounted.length ? h('details', {}, h('summary', {}, t('inv.uncounted', { n: uncounted.length })),
      h('ul', { class: 'plain' }, uncounted.map((l) => h('li', {}, `${l.sku} ${pname(l)} · ${t('inv.book')} ${fmtQty(l.book_qty)}`)))) : null,
    decisions(st, actions, chosen, uncounted.length, act));
}

/** Comment, "zero the uncounted", recount the ticked products, approve. */
function decisions(st, actions, chosen, uncounted, act) {
  const recount = actions.includes('recount'); const approve = actions.includes('approve');
  if (!recount && !approve) return null;
  const comment = h('input', { id: `st-comment-${st.id}`, 'data-testid': 'st-comment' });
  const zero = h('input', { type: 'checkbox', id: `st-zero-${st.id}`, 'data-testid': 'st-zero' });
  const note = () => comment.value.trim() || null;
  return [h('div', { class: 'fields' },
    h('div', { class: 'field field-wide' }, h('label', { for: comment.id }, t('inv.comment')), comment),
    uncounted && approve ? h('div', { class: 'field field-check' }, h('label', { class: 'check', for: zero.id }, zero, t('inv.zero_uncounted'))) : null),
  h('div', { class: 'btn-row wrap' },
    recount ? h('button', { class: 'btn', type: 'button', 'data-testid': 'st-recount', onclick: () => {
      if (!chosen.size) { toast(t('inv.recount_none'), 'err'); return; }
      act('recount', { product_ids: [...chosen], comment: note() }, 'inv.st_recount_sent');
    } }, t('inv.st_recount')) : null,
    approve ? h('button', { class: 'btn primary', type: 'button', 'data-testid': 'st-approve',
      onclick: () => act('approve', { zero_uncounted: zero.checked, comment: note() }, 'inv.st_approved') }, t('inv.st_approve')) : null)];
}
