/** Invoices: list, detail, PDF; "invoice an order" (#/invoices/new) → POST /sales-orders/{id}/invoice (the server decides what may be invoiced). */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { facts, fileLink, formPane, listPane, offlineNote, optionsFrom, splitView, write } from '../office/kit.js';
import { can } from '../session.js';
import { errText, fmtQty, h, mount } from '../ui.js';
import { API, money, table, today } from './fin.js';

const openPill = (r) => (Number(r.open_amount) === 0 ? h('span', { class: 'pill' }, t('fin.paid'))
  : h('span', { class: 'pill warn' }, money(r.open_amount)));

export default {
  id: 'invoices', title: 'fin.invoices', perm: 'sales.view', wide: true,
  async render(root, ctx) {
    const id = ctx.params.id;
    const split = splitView(!!id);
    split.el.classList.add('wide-detail');
    const list = listPane({
      ctx, key: 'invoices', path: `${API}/invoices`, selectedId: id, testid: 'invoices-list',
      actions: can('sales.invoice') ? h('a', { class: 'btn primary', href: '#/invoices/new', 'data-testid': 'invoices-new' }, `+ ${t('fin.invoice_order')}`) : null,
      columns: [
        { key: 'number', label: 'doc.number' },
        { key: 'customer_name', label: 'doc.customer', wrap: true },
        { key: 'order_number', label: 'fin.order', phone: false },
        { key: 'invoice_date', label: 'doc.date' },
        { key: 'due_date', label: 'fin.due', phone: false },
        { key: 'total', label: 'doc.total', num: true, render: (r) => money(r.total) },
        { key: 'open_amount', label: 'fin.open', num: true, render: openPill },
      ],
      filters: [
        { name: 'q', type: 'search', label: 'doc.search' },
        { name: 'customer_id', type: 'select', label: 'doc.customer', options: () => optionsFrom(`${API}/customers`, (p) => `${p.code} ${p.name}`) },
      ],
      onOpen: (r) => ctx.nav(`#/invoices/${r.id}`),
    });
    split.list.append(list.el);
    root.append(offlineNote(ctx), split.el);
    if (!id) split.detail.append(h('p', { class: 'empty' }, t('office.pick')));
    else if (id === 'new') await invoiceOrder(split.detail, ctx, list);
    else await detail(split.detail, ctx, id);
  },
};

function head(title, extra) {
  return h('div', { class: 'detail-head' }, h('a', { class: 'btn back-to-list', href: '#/invoices' }, `‹ ${t('office.back_to_list')}`),
    h('h2', { 'data-testid': 'detail-title' }, title), extra || null);
}

async function detail(pane, ctx, id) {
  let inv;
  try { inv = await api('GET', `${API}/invoices/${id}`); } catch (e) {
    pane.append(h('p', { class: 'empty err-text' }, e.isNetwork ? t('list.offline') : errText(e)));
    return;
  }
  const open = Number(inv.open_amount);
  const month = inv.invoice_date.slice(0, 7);
  pane.append(head(inv.number, h('span', { class: `pill${open ? ' warn' : ''}`, 'data-testid': 'invoice-open' }, open ? `${t('fin.open')} ${money(open)}` : t('fin.paid'))),
    h('section', { class: 'card' }, facts([
      ['doc.customer', inv.customer_name], ['fin.order', inv.order_number], ['doc.date', inv.invoice_date], ['fin.due', inv.due_date],
      ['doc.subtotal', money(inv.net_total)], ['doc.tax', money(inv.tax_total)], ['doc.total', money(inv.total)], ['fin.open', money(open)],
      ['common.note', inv.notes]])),
    table([
      { label: 'lines.product', render: (l) => `${l.sku} ${l.product_name}` },
      { label: 'lines.qty', num: true, render: (l) => fmtQty(l.quantity) },
      { label: 'lines.price', num: true, render: (l) => money(l.unit_price) },
      { label: 'lines.tax_pct', num: true, render: (l) => `${fmtQty(Number(l.tax_rate) * 100)}%` },
      { label: 'doc.total', num: true, render: (l) => money(l.total_amount) },
    ], inv.lines, { testid: 'invoice-lines' }),
    h('div', { class: 'btn-row wrap' },
      fileLink(`${API}/invoices/${inv.id}/pdf`, 'doc.pdf', 'invoice-pdf'),
      open > 0 && can('finance.write') ? h('a', { class: 'btn primary', 'data-testid': 'invoice-pay',
        href: `#/payments/new?partner=customer:${inv.customer_id}&doc=invoice:${inv.id}&amount=${open}` }, t('fin.record_payment')) : null,
      can('finance.view') ? h('a', { class: 'btn', 'data-testid': 'invoice-statement',
        href: `#/statements/customer-${inv.customer_id}?from=${month}-01` }, t('fin.statement')) : null));
}

/** Sales orders with goods shipped and not invoiced yet (the server's `actions` say whether it may be invoiced). */
async function invoiceable() {
  const seen = [];
  for (const status of ['partially_shipped', 'shipped', 'closed']) {
    const res = await api('GET', `${API}/sales-orders`, { query: { status, per_page: 200, sort: '-id' } });
    seen.push(...(res.items || []).filter((so) => (so.lines || []).some((l) => Number(l.shipped_qty) > Number(l.invoiced_qty))));
  }
  return seen;
}

async function invoiceOrder(pane, ctx, list) {
  if (!can('sales.invoice')) { ctx.nav('#/invoices'); return; }
  let orders = [];
  try { orders = await invoiceable(); } catch (e) { pane.append(h('p', { class: 'err-text' }, errText(e))); }
  const linesBox = h('div', { 'data-testid': 'invoice-lines-new' });
  let so = null; let qtys = [];
  async function loadOrder(orderId) {
    so = null; qtys = [];
    if (!orderId) { mount(linesBox); return; }
    mount(linesBox, h('p', { class: 'muted' }, t('common.loading')));
    try { so = await api('GET', `${API}/sales-orders/${orderId}`); } catch (e) { mount(linesBox, h('p', { class: 'err-text' }, errText(e))); return; }
    qtys = so.lines.map((l) => {
      const left = Math.max(0, Number(l.shipped_qty) - Number(l.invoiced_qty));
      return { l, left, inp: h('input', { type: 'text', inputmode: 'decimal', class: 'num', value: left ? fmtQty(left) : '', disabled: !left,
        'aria-label': `${t('fin.to_invoice')} ${l.sku}`, 'data-testid': 'invoice-qty' }) };
    });
    mount(linesBox, table([
      { label: 'lines.product', render: (x) => `${x.l.sku} ${x.l.product_name}` },
      { label: 'lines.shipped', num: true, render: (x) => fmtQty(x.l.shipped_qty) },
      { label: 'fin.invoiced', num: true, render: (x) => fmtQty(x.l.invoiced_qty) },
      { label: 'lines.price', num: true, render: (x) => money(x.l.unit_price) },
      { label: 'fin.to_invoice', num: true, render: (x) => x.inp },
    ], qtys, { inputs: true, testid: 'invoice-order-lines', data: (x) => ({ line: String(x.l.id) }) }));
  }
  const form = formPane({
    record: null, draftKey: 'invoices.new', testid: 'invoice-form', submitLabel: 'fin.invoice_create', allowEmpty: true,
    fields: [
      { name: 'order_id', label: 'fin.order', type: 'select', numeric: true, required: true,
        options: orders.map((o) => [o.id, `${o.number} · ${o.customer_name} · ${money(o.total)}`]) },
      { name: 'invoice_date', label: 'fin.invoice_date', type: 'date', default: today() },
      { name: 'due_date', label: 'fin.due', type: 'date', help: 'fin.due_help' },
      { name: 'notes', label: 'common.note', type: 'textarea' },
    ],
    after: linesBox,
    save: (body) => {
      const lines = qtys.filter((x) => x.inp.value.trim() && Number(x.inp.value) > 0).map((x) => ({ line_id: x.l.id, quantity: x.inp.value.trim() }));
      if (qtys.length && !lines.length) return Promise.reject(new Error(t('lines.none')));
      const { order_id: orderId, ...rest } = body;
      return write('POST', `${API}/sales-orders/${orderId || 0}/invoice`, { json: { ...rest, version: so ? so.version : 1, lines } });
    },
    onSaved: (inv) => { list.reload(); ctx.nav(`#/invoices/${inv.id}`); },
  });
  form.inputs.order_id.addEventListener('change', () => loadOrder(form.values().order_id));
  if (form.values().order_id) loadOrder(form.values().order_id);
  pane.append(head(t('fin.invoice_order')), orders.length ? '' : h('p', { class: 'note', 'data-testid': 'nothing-to-invoice' }, t('fin.nothing_to_invoice')), form.el);
}
