/**
 * Adjustments in the office (#/adjustments[/<id>]): the list (warehouse, status, reason filters), the detail
 * with its lines and value, and the decision on a large one — an adjustment above the server's threshold
 * waits as "pending approval"; a user with stock.adjust.approve approves (posts it) or rejects it; its
 * author may cancel it. New adjustments are made on the warehouse screen #/adjustment (scan-first).
 */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { facts, listPane, offlineNote, splitView, write } from '../office/kit.js';
import { can } from '../session.js';
import { errText, fmtMoney, fmtQty, h, toast } from '../ui.js';
import { banner, pill, pname, productsById, table, whName, whOptions, when } from './inv_common.js';

const BASE = '/api/v1/adjustments';
const STATUSES = ['pending_approval', 'posted', 'rejected', 'cancelled'];
const REASONS = ['damage', 'loss', 'found', 'sample', 'opening_balance', 'other'];

export default {
  id: 'adjustments', title: 'inv.nav.adjustments', perm: 'stock.view', wide: true,
  async render(root, ctx) {
    const id = ctx.params.id;
    const split = splitView(!!id);
    const costs = can('cost.view');
    const list = listPane({
      ctx, key: 'adjustments', path: BASE, selectedId: id, testid: 'adjustments-list',
      actions: can('stock.adjust') ? h('a', { class: 'btn primary', href: '#/adjustment', 'data-testid': 'adjustments-new' },
        `+ ${t('inv.adj_new')}`) : null,
      columns: [
        { key: 'number', label: 'doc.number' },
        { key: 'warehouse_id', label: 'common.warehouse', render: (r) => whName(r.warehouse_id) },
        { key: 'reason', label: 'inv.reason', render: (r) => t(`reason.${r.reason}`) },
        { key: 'status', label: 'doc.status', render: (r) => pill(r.status) },
        costs ? { key: 'total_value', label: 'inv.value', num: true, render: (r) => fmtMoney(r.total_value) } : null,
        { key: 'created_at', label: 'doc.date', phone: false, render: (r) => when(r.created_at) },
      ].filter(Boolean),
      filters: [
        { name: 'status', type: 'select', label: 'doc.status', options: async () => STATUSES.map((s) => [s, t(`inv.st.${s}`)]) },
        { name: 'reason', type: 'select', label: 'inv.reason', options: async () => REASONS.map((s) => [s, t(`reason.${s}`)]) },
        { name: 'warehouse_id', type: 'select', label: 'common.warehouse', options: whOptions },
      ],
      onOpen: (r) => ctx.nav(`#/adjustments/${r.id}`),
    });
    split.list.append(list.el);
    root.append(offlineNote(ctx), split.el);
    if (!id) { split.detail.append(h('p', { class: 'empty' }, t('office.pick'))); return; }
    await detail(split.detail, ctx, id, list);
  },
};

async function detail(pane, ctx, id, list) {
  let adj;
  try { adj = await api('GET', `${BASE}/${id}`); } catch (e) {
    pane.append(h('p', { class: 'empty err-text' }, e.isNetwork ? t('list.offline') : errText(e)));
    return;
  }
  const costs = can('cost.view');
  const products = await productsById((adj.lines || []).map((l) => l.product_id));
  const err = banner();
  const comment = h('input', { id: `adj-comment-${adj.id}`, 'data-testid': 'adj-comment' });
  const act = async (action, done) => {
    err.hide();
    try {
      await write('POST', `${BASE}/${adj.id}/${action}`, { json: { version: adj.version, comment: comment.value.trim() || null } });
      toast(t(done));
      list.reload();
      ctx.rerender();
    } catch (e) { err.show(errText(e)); }
  };
  const actions = adj.allowed_actions || [];
  const cols = [{ label: 'lines.product' }, { label: 'lines.qty', num: true }, ...(costs ? [{ label: 'inv.unit_cost', num: true }, { label: 'inv.value', num: true }] : [])];
  const rows = (adj.lines || []).map((l) => {
    const p = products[l.product_id];
    return { attrs: { dataset: { product: String(l.product_id) } },
      cells: [h('div', {}, h('div', { class: 'nm' }, pname(p) || `#${l.product_id}`), h('div', { class: 'muted small' }, p ? p.sku : '')),
        fmtQty(l.quantity), ...(costs ? [fmtMoney(l.unit_cost), adj.status === 'posted' ? fmtMoney(l.value) : ''] : [])] }; // a line's value is set when it posts
  });
  pane.append(h('div', { class: 'doc' },
    h('div', { class: 'detail-head' },
      h('a', { class: 'btn back-to-list', href: '#/adjustments' }, `‹ ${t('office.back_to_list')}`),
      h('h2', { 'data-testid': 'detail-title' }, adj.number), pill(adj.status, 'doc-status')),
    err.el,
    adj.status === 'pending_approval' ? h('p', { class: 'note warn' }, t('inv.adj_pending_help')) : null,
    facts([['common.warehouse', whName(adj.warehouse_id)], ['inv.reason', t(`reason.${adj.reason}`)], ['common.note', adj.note],
      ['doc.date', when(adj.created_at)], ['inv.posted_at', when(adj.posted_at)],
      ...(costs ? [['inv.value', fmtMoney(adj.total_value)]] : [])]),
    h('section', { class: 'card', 'aria-label': t('lines.title') }, table(cols, rows, { 'data-testid': 'adj-lines' })),
    decisions(actions, comment, act)));
}

/** Approve / reject (stock.adjust.approve, pending), withdraw (the author's side), with a comment. */
function decisions(actions, comment, act) {
  const decide = can('stock.adjust.approve') && actions.includes('approve');
  const withdraw = actions.includes('cancel') && can('stock.adjust');
  if (!decide && !withdraw) return null;
  return [h('div', { class: 'field field-wide' }, h('label', { for: comment.id }, t('inv.comment')), comment),
    h('div', { class: 'btn-row wrap doc-actions' },
      decide ? h('button', { class: 'btn primary', type: 'button', 'data-testid': 'adj-approve', onclick: () => act('approve', 'inv.adj_approved') },
        t('inv.approve')) : null,
      decide ? h('button', { class: 'btn danger', type: 'button', 'data-testid': 'adj-reject', onclick: () => act('reject', 'inv.adj_rejected') },
        t('inv.reject')) : null,
      withdraw ? h('button', { class: 'btn', type: 'button', 'data-testid': 'adj-cancel', onclick: () => act('cancel', 'inv.adj_cancelled') },
        t('inv.adj_cancel')) : null)];
}
