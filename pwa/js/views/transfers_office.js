/**
 * Transfers in the office (#/transfers[/<id>]): the list (status, warehouse filters), the detail with its
 * lines (ordered, shipped, received, in transit) and discrepancies, and their resolution by a user with
 * transfer.resolve: write off (the goods are gone), return to the source warehouse, or accept into the
 * destination — one choice per open discrepancy, sent together (POST /transfers/{id}/resolve); the ledger
 * moves are the server's. Making, shipping and receiving transfers are the warehouse screens.
 */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { facts, listPane, offlineNote, splitView, write } from '../office/kit.js';
import { can } from '../session.js';
import { errText, fmtMoney, fmtQty, h, toast } from '../ui.js';
import { banner, pill, pname, productsById, table, whName, whOptions, when } from './inv_common.js';

const BASE = '/api/v1/transfers';
const STATUSES = ['draft', 'in_transit', 'partially_received', 'discrepancy', 'done', 'cancelled'];
const RESOLUTIONS = ['write_off', 'return_to_source', 'accept'];

export default {
  id: 'transfers', title: 'inv.nav.transfers', perm: 'transfer.view', wide: true,
  async render(root, ctx) {
    const id = ctx.params.id;
    const split = splitView(!!id);
    split.el.classList.add('wide-detail');
    const list = listPane({
      ctx, key: 'transfers', path: BASE, selectedId: id, testid: 'transfers-list',
      actions: can('transfer.create') ? h('a', { class: 'btn primary', href: '#/transfer', 'data-testid': 'transfers-new' },
        `+ ${t('inv.tr_new')}`) : null,
      columns: [
        { key: 'number', label: 'doc.number' },
        { key: 'from_warehouse_id', label: 'inv.from', render: (r) => whName(r.from_warehouse_id) },
        { key: 'to_warehouse_id', label: 'inv.to', render: (r) => whName(r.to_warehouse_id) },
        { key: 'status', label: 'doc.status', render: (r) => pill(r.status) },
        { key: 'in_transit', label: 'inv.in_transit', num: true, phone: false, render: (r) => fmtQty(r.in_transit) },
        { key: 'created_at', label: 'doc.date', phone: false, render: (r) => when(r.created_at) },
      ],
      filters: [
        { name: 'status', type: 'select', label: 'doc.status', options: async () => STATUSES.map((s) => [s, t(`inv.st.${s}`)]) },
        { name: 'warehouse_id', type: 'select', label: 'common.warehouse', options: whOptions },
      ],
      onOpen: (r) => ctx.nav(`#/transfers/${r.id}`),
    });
    split.list.append(list.el);
    root.append(offlineNote(ctx), split.el);
    if (!id) { split.detail.append(h('p', { class: 'empty' }, t('office.pick'))); return; }
    await detail(split.detail, ctx, id, list);
  },
};

async function detail(pane, ctx, id, list) {
  let tr;
  try { tr = await api('GET', `${BASE}/${id}`); } catch (e) {
    pane.append(h('p', { class: 'empty err-text' }, e.isNetwork ? t('list.offline') : errText(e)));
    return;
  }
  const costs = can('cost.view');
  const products = await productsById((tr.lines || []).map((l) => l.product_id));
  const name = (pid, sku) => h('div', {}, h('div', { class: 'nm' }, pname(products[pid]) || sku || `#${pid}`),
    h('div', { class: 'muted small' }, sku || (products[pid] || {}).sku || ''));
  const skuOf = Object.fromEntries((tr.lines || []).map((l) => [l.id, l.sku]));
  const lineRows = (tr.lines || []).map((l) => ({ attrs: { dataset: { product: String(l.product_id) } },
    cells: [name(l.product_id, l.sku), fmtQty(l.quantity), fmtQty(l.shipped_qty), fmtQty(l.received_qty), fmtQty(l.resolved_qty), fmtQty(l.in_transit)] }));
  pane.append(h('div', { class: 'doc' },
    h('div', { class: 'detail-head' },
      h('a', { class: 'btn back-to-list', href: '#/transfers' }, `‹ ${t('office.back_to_list')}`),
      h('h2', { 'data-testid': 'detail-title' }, tr.number), pill(tr.status, 'doc-status')),
    facts([['inv.from', whName(tr.from_warehouse_id)], ['inv.to', whName(tr.to_warehouse_id)], ['common.note', tr.note],
      ['doc.date', when(tr.created_at)], ['inv.shipped_at', when(tr.shipped_at)], ['inv.completed_at', when(tr.completed_at)]]),
    h('section', { class: 'card', 'aria-label': t('lines.title') }, table([{ label: 'lines.product' }, { label: 'inv.ordered', num: true },
      { label: 'inv.shipped', num: true }, { label: 'inv.received', num: true }, { label: 'inv.resolved', num: true },
      { label: 'inv.in_transit', num: true }], lineRows, { 'data-testid': 'tr-lines' })),
    discrepancies(tr, ctx, list, costs, name, skuOf)));
}

/** The discrepancies; open ones get a resolution choice each when the user may resolve. */
function discrepancies(tr, ctx, list, costs, name, skuOf) {
  const all = tr.discrepancies || [];
  if (!all.length) return null;
  const mayResolve = can('transfer.resolve') && (tr.allowed_actions || []).includes('resolve');
  const err = banner();
  const picks = [];
  const rows = all.map((d) => {
    let choice = d.resolution ? h('span', { 'data-testid': 'disc-resolution' }, t(`inv.res.${d.resolution}`),
      d.resolution_note ? h('span', { class: 'muted small' }, ` · ${d.resolution_note}`) : null) : h('span', { class: 'pill warn' }, t('inv.open'));
    if (!d.resolution && mayResolve) {
      const sel = h('select', { 'aria-label': t('inv.resolution_for', { sku: skuOf[d.line_id] || '' }), 'data-testid': 'disc-choice',
        dataset: { id: String(d.id) } }, h('option', { value: '' }, t('inv.choose')),
      RESOLUTIONS.map((r) => h('option', { value: r }, t(`inv.res.${r}`))));
      const note = h('input', { type: 'text', 'aria-label': t('inv.resolution_note'), placeholder: t('inv.resolution_note'), 'data-testid': 'disc-note' });
      picks.push({ d, sel, note });
      choice = h('div', { class: 'stack' }, sel, note);
    }
    return { attrs: { 'data-testid': 'disc-row', dataset: { id: String(d.id) } },
      cells: [name(d.product_id, skuOf[d.line_id]), t(`inv.kind.${d.kind}`), fmtQty(d.quantity), ...(costs ? [fmtMoney(d.value)] : []),
        d.note || '', choice] };
  });
  const cols = [{ label: 'lines.product' }, { label: 'inv.kind' }, { label: 'lines.qty', num: true }, ...(costs ? [{ label: 'inv.value', num: true }] : []),
    { label: 'common.note' }, { label: 'inv.resolution' }];
  const resolve = async () => {
    err.hide();
    const resolutions = picks.filter((p) => p.sel.value).map((p) => ({ discrepancy_id: p.d.id, resolution: p.sel.value, note: p.note.value.trim() || null }));
    if (!resolutions.length) { err.show(t('inv.resolve_none')); return; }
    try {
      await write('POST', `${BASE}/${tr.id}/resolve`, { json: { version: tr.version, resolutions } });
      toast(t('inv.resolved_done', { n: resolutions.length }));
      list.reload();
      ctx.rerender();
    } catch (e) { err.show(errText(e)); }
  };
  return h('section', { class: 'card', 'aria-label': t('inv.discrepancies'), 'data-testid': 'tr-discrepancies' },
    h('h3', {}, t('inv.discrepancies')), err.el,
    mayResolve ? h('p', { class: 'muted small' }, t('inv.resolve_help')) : null,
    table(cols, rows),
    picks.length ? h('div', { class: 'btn-row' }, h('button', { class: 'btn primary', type: 'button', 'data-testid': 'disc-resolve', onclick: resolve },
      t('inv.resolve'))) : null);
}
