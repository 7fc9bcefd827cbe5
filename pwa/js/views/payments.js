/** Payments in/out: list, detail, record (#/payments/new[?partner=customer:3&doc=invoice:7&amount=…]) and allocate; the allocation rules are the server's. */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { facts, formPane, listPane, offlineNote, splitView, write } from '../office/kit.js';
import { can } from '../session.js';
import { errText, h, mount, toast } from '../ui.js';
import { API, docLabel, hashQuery, methodOptions, money, openItems, partnerLabel, partnerOptions, splitPartner, table, today } from './fin.js';

const dirPill = (d) => h('span', { class: `pill${d === 'out' ? ' warn' : ''}` }, t(`fin.dir.${d}`));

export default {
  id: 'payments', title: 'fin.payments', perm: 'finance.view', wide: true,
  async render(root, ctx) {
    const id = ctx.params.id;
    const partners = await partnerOptions();
    const split = splitView(!!id);
    split.el.classList.add('wide-detail');
    const list = listPane({
      ctx, key: 'payments', path: `${API}/payments`, sort: '-id', selectedId: id, testid: 'payments-list',
      actions: can('finance.write') ? h('a', { class: 'btn primary', href: '#/payments/new', 'data-testid': 'payments-new' }, `+ ${t('fin.record_payment')}`) : null,
      columns: [
        { key: 'number', label: 'doc.number', sort: true },
        { key: 'direction', label: 'fin.direction', render: (r) => dirPill(r.direction) },
        { key: 'partner_id', label: 'fin.partner', wrap: true, render: (r) => partnerLabel(partners, r.partner_type, r.partner_id) },
        { key: 'paid_on', label: 'doc.date', sort: true },
        { key: 'amount', label: 'fin.amount', num: true, sort: true, render: (r) => money(r.amount) },
        { key: 'unallocated', label: 'fin.unallocated', num: true, phone: false, render: (r) => money(r.unallocated) },
      ],
      filters: [
        { name: 'q', type: 'search', label: 'doc.search' },
        { name: 'direction', type: 'select', label: 'fin.direction', options: async () => [['in', t('fin.dir.in')], ['out', t('fin.dir.out')]] },
        { name: 'partner_type', type: 'select', label: 'fin.partner_type', options: async () => [['customer', t('fin.customer')], ['supplier', t('fin.supplier')]] },
      ],
      onOpen: (r) => ctx.nav(`#/payments/${r.id}`),
    });
    split.list.append(list.el);
    root.append(offlineNote(ctx), split.el);
    if (!id) split.detail.append(h('p', { class: 'empty' }, t('office.pick')));
    else if (id === 'new') newPayment(split.detail, ctx, list, partners);
    else await detail(split.detail, ctx, id, partners, list);
  },
};

function head(title, extra) {
  return h('div', { class: 'detail-head' }, h('a', { class: 'btn back-to-list', href: '#/payments' }, `‹ ${t('office.back_to_list')}`),
    h('h2', { 'data-testid': 'detail-title' }, title), extra || null);
}

/** The running sum of the allocation boxes against the amount (the server refuses more). */
function allocSum(items, amount) {
  const el = h('p', { class: 'muted small', 'data-testid': 'alloc-sum', 'aria-live': 'polite' });
  const upd = () => {
    const a = amount();
    el.textContent = t('fin.alloc_sum', { s: money(items.sum()), a: money(a) });
    el.className = items.sum() > a + 0.0001 ? 'note err' : 'muted small';
  };
  return { el, upd };
}

function newPayment(pane, ctx, list, partners) {
  if (!can('finance.write')) { ctx.nav('#/payments'); return; }
  const q = hashQuery();
  let sum = null;
  const items = openItems({ onChange: () => sum && sum.upd() });
  const form = formPane({
    record: null, draftKey: 'payments.new', testid: 'payment-form', submitLabel: 'fin.record_payment',
    fields: [
      { name: 'partner', label: 'fin.partner', type: 'select', required: true, options: partners, default: q.partner },
      { name: 'direction', label: 'fin.direction', type: 'select', required: true, default: q.direction || 'in',
        options: [['in', t('fin.dir.in')], ['out', t('fin.dir.out')]] },
      { name: 'amount', label: 'fin.amount', type: 'decimal', required: true, default: q.amount },
      { name: 'method', label: 'fin.method', type: 'select', options: methodOptions(), default: 'bank' },
      { name: 'paid_on', label: 'fin.paid_on', type: 'date', default: today() },
      { name: 'reference', label: 'fin.reference' },
      { name: 'notes', label: 'common.note', type: 'textarea' },
    ],
    after: h('section', { 'aria-label': t('fin.allocate') }, h('h3', {}, t('fin.allocate_to')), items.el),
    save: (body) => {
      const { partner, ...rest } = body;
      const p = splitPartner(partner);
      return write('POST', `${API}/payments`, { json: { ...rest, partner_type: p.type, partner_id: p.id, allocations: items.allocations() } });
    },
    onSaved: (pay) => { toast(t('fin.payment_saved', { number: pay.number })); list.reload(); ctx.nav(`#/payments/${pay.id}`); },
  });
  sum = allocSum(items, () => Number(form.values().amount) || 0);
  const reload = (prefill) => { const v = form.values(); items.load(splitPartner(v.partner), v.direction, prefill); };
  form.inputs.partner.addEventListener('change', () => reload());
  form.inputs.direction.addEventListener('change', () => reload());
  form.inputs.amount.addEventListener('input', () => sum.upd());
  reload(q.doc ? { doc: q.doc, amount: q.amount } : null);
  form.el.querySelector('.btn-row').before(sum.el);
  pane.append(head(t('fin.record_payment')), form.el);
}

async function detail(pane, ctx, id, partners, list) {
  let pay;
  try { pay = await api('GET', `${API}/payments/${id}`); } catch (e) {
    pane.append(h('p', { class: 'empty err-text' }, e.isNetwork ? t('list.offline') : errText(e)));
    return;
  }
  // the numbers of the documents it settles: the partner's documents, settled ones included
  let docs = [];
  try { docs = await api('GET', `${API}/finance/${pay.partner_type === 'customer' ? 'receivables' : 'payables'}`, { query: { partner_id: pay.partner_id, include_settled: true } }); } catch { /* numbers stay ids */ }
  const num = (a) => (docs.find((d) => d.doc_type === a.doc_type && d.doc_id === a.doc_id) || {}).number || `#${a.doc_id}`;
  pane.append(head(pay.number, dirPill(pay.direction)),
    h('section', { class: 'card' }, facts([
      ['fin.partner', partnerLabel(partners, pay.partner_type, pay.partner_id)], ['fin.amount', money(pay.amount)],
      ['fin.allocated', money(pay.allocated)], ['fin.unallocated', money(pay.unallocated)], ['fin.method', t(`fin.method.${pay.method}`)],
      ['fin.paid_on', pay.paid_on], ['fin.reference', pay.reference], ['common.note', pay.notes]])),
    h('h3', {}, t('fin.allocations')),
    table([
      { label: 'doc.number', render: (a) => `${docLabel(a.doc_type)} ${num(a)}` },
      { label: 'fin.amount', num: true, render: (a) => money(a.amount) },
      { label: 'doc.date', render: (a) => (a.created_at || '').slice(0, 10) },
    ], pay.allocations || [], { testid: 'payment-allocations' }));
  if (Number(pay.unallocated) > 0 && can('finance.write')) pane.append(allocatePanel(pay, ctx, list));
}

/** Allocate what is left of a payment to the partner's open documents. */
function allocatePanel(pay, ctx, list) {
  const err = h('div', { class: 'form-banner err', role: 'alert', hidden: true });
  let sum = null;
  const items = openItems({ onChange: () => sum && sum.upd() });
  sum = allocSum(items, () => Number(pay.unallocated));
  items.load({ type: pay.partner_type, id: pay.partner_id }, pay.direction);
  const btn = h('button', { class: 'btn primary', type: 'button', 'data-testid': 'allocate-submit', onclick: async () => {
    err.hidden = true;
    const allocations = items.allocations();
    if (!allocations.length) { mount(err, t('lines.none')); err.hidden = false; return; }
    btn.disabled = true;
    try {
      await write('POST', `${API}/payments/${pay.id}/allocations`, { json: { version: pay.version, allocations } });
      toast(t('form.saved')); list.reload(); ctx.rerender();
    } catch (e) { mount(err, errText(e)); err.hidden = false; } finally { btn.disabled = false; }
  } }, t('fin.allocate'));
  return h('section', { class: 'card', 'data-testid': 'allocate-panel' }, h('h3', {}, t('fin.allocate_rest', { v: money(pay.unallocated) })), err, items.el, sum.el, h('div', { class: 'btn-row' }, btn));
}
