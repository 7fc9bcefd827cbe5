/**
 * 扫码开单: purchase orders (#/po) and sales orders (#/so) on the office kit. Pick the partner, scan
 * (each scan adds 1 or the pack quantity) or search-to-add, edit quantities and prices, see totals with
 * tax, save a draft, submit; cancel, close, reopen; the PDF; the order's receipts / shipments.
 */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { fileLink, formPane, listPane, offlineNote, optionsFrom, splitView, store, stored, write } from '../office/kit.js';
import { linesEditor } from '../office/lines.js';
import { can, session } from '../session.js';
import { errText, fmtMoney, fmtQty, h, mount, toast } from '../ui.js';

const KINDS = {
  po: {
    base: '/api/v1/purchase-orders', title: 'nav.po', view: 'purchase.view', create: 'purchase.create',
    partnerPath: '/api/v1/suppliers', partnerKey: 'supplier_id', partnerName: 'supplier_name', partnerLabel: 'doc.supplier',
    price: 'purchase_price', pricePerm: 'cost.view', reasonKey: 'reason', newKey: 'po.new', pdfKey: 'po.pdf',
    statuses: ['draft', 'submitted', 'approved', 'rejected', 'partially_received', 'received', 'closed', 'cancelled'],
    done: 'received_qty', doneLabel: 'lines.received',
    returnAction: 'return_goods', returnPerm: 'purchase.return', sourcePath: '/api/v1/purchase-receipts', sourceLine: 'receipt_line_id',
  },
  so: {
    base: '/api/v1/sales-orders', title: 'nav.so', view: 'sales.view', create: 'sales.create',
    partnerPath: '/api/v1/customers', partnerKey: 'customer_id', partnerName: 'customer_name', partnerLabel: 'doc.customer',
    price: 'sale_price', pricePerm: null, reasonKey: 'comment', newKey: 'so.new', pdfKey: 'so.pdf',
    statuses: ['draft', 'submitted', 'approved', 'rejected', 'partially_shipped', 'shipped', 'invoiced', 'closed', 'cancelled'],
    done: 'shipped_qty', doneLabel: 'lines.shipped',
    returnAction: 'return', returnPerm: 'sales.return', sourcePath: '/api/v1/shipments', sourceLine: 'shipment_line_id',
  },
};

function orderView(kind) {
  const K = KINDS[kind];
  return {
    id: kind, title: K.title, perm: K.view, wide: true,
    async render(root, ctx) {
      const id = ctx.params.id;
      const split = splitView(!!id);
      split.el.classList.add('wide-detail'); // the lines editor needs the room
      const showTotal = !K.pricePerm || can(K.pricePerm);
      const list = listPane({
        ctx, key: kind, path: K.base, sort: '-id', selectedId: id, testid: `${kind}-list`,
        actions: can(K.create) ? h('a', { class: 'btn primary', href: `#/${kind}/new`, 'data-testid': `${kind}-new` }, `+ ${t(K.newKey)}`) : null,
        columns: [
          { key: 'number', label: 'doc.number', sort: true },
          { key: K.partnerName, label: K.partnerLabel, wrap: true },
          { key: 'warehouse_code', label: 'common.warehouse', render: (r) => r.warehouse_code || whCode(r.warehouse_id) },
          { key: 'status', label: 'doc.status', render: (r) => h('span', { class: `pill st-${r.status}` }, t(`status.${r.status}`)) },
          showTotal ? { key: 'total', label: 'doc.total', num: true, render: (r) => fmtMoney(r.total) } : null,
          { key: 'created_at', label: 'doc.date', sort: true, render: (r) => fmtDate(r.created_at) },
        ].filter(Boolean),
        filters: [
          { name: 'q', type: 'search', label: 'doc.search' },
          { name: 'status', type: 'select', label: 'doc.status', options: async () => K.statuses.map((s) => [s, t(`status.${s}`)]) },
          { name: K.partnerKey, type: 'select', label: K.partnerLabel, options: () => optionsFrom(K.partnerPath, (p) => `${p.code} ${p.name}`) },
        ],
        onOpen: (r) => ctx.nav(`#/${kind}/${r.id}`),
      });
      split.list.append(list.el);
      root.append(offlineNote(ctx), split.el);
      if (!id) { split.detail.append(h('p', { class: 'empty' }, t('office.pick'))); return; }
      await renderDoc(split.detail, ctx, id, list);
    },
  };

  async function renderDoc(pane, ctx, id, list) {
    let doc = null;
    if (id !== 'new') {
      try { doc = await api('GET', `${K.base}/${id}`); } catch (e) {
        pane.append(h('p', { class: 'empty err-text' }, e.isNetwork ? t('list.offline') : errText(e)));
        return;
      }
    } else if (!can(K.create)) { ctx.nav(`#/${kind}`); return; }
    const d = {
      doc, ctx, list,
      editable: can(K.create) && (!doc || doc.status === 'draft'),
      prices: !K.pricePerm || can(K.pricePerm),
      draftKey: `${kind}.${doc ? doc.id : 'new'}`,
    };
    d.lines = editor(d);
    d.form = await header(d);
    const credit = kind === 'so' ? creditBox(d) : null;
    pane.append(h('div', { class: 'doc' },
      h('div', { class: 'detail-head' },
        h('a', { class: 'btn back-to-list', href: `#/${kind}` }, `‹ ${t('office.back_to_list')}`),
        h('h2', { 'data-testid': 'detail-title' }, doc ? doc.number : t(K.newKey)),
        doc ? h('span', { class: `pill st-${doc.status}`, 'data-testid': 'doc-status' }, t(`status.${doc.status}`)) : null),
      rejection(doc),
      d.form.el,
      credit,
      h('section', { class: 'card', 'aria-label': t('lines.title') }, d.lines.el),
      serverTotal(d),
      h('div', { class: 'btn-row wrap doc-actions' }, buttons(d)),
      doc ? related(doc) : null,
      returnPanel(d)));
  }

  /**
   * Make a return: pick a receipt (PO) or delivery note (SO), type the quantities going back per line,
   * a reason; POST …/returns. The server checks the quantities against what can still be returned.
   */
  function returnPanel(d) {
    if (!d.doc || !can(K.returnPerm) || !(d.doc.actions || []).includes(K.returnAction)) return null;
    const sources = kind === 'po' ? d.doc.receipts || [] : (d.doc.documents || {}).shipments || [];
    if (!sources.length) return null;
    const err = h('div', { class: 'form-banner err', role: 'alert', hidden: true });
    const body = h('div', {});
    const reason = h('input', { id: `ret-reason-${kind}`, 'data-testid': 'return-reason' });
    const pickSrc = h('select', { id: `ret-src-${kind}`, 'data-testid': 'return-source', onchange: () => loadSource() },
      sources.map((x) => h('option', { value: String(x.id) }, x.number)));
    let qtys = [];
    async function loadSource() {
      mount(body, h('p', { class: 'muted' }, t('common.loading')));
      try {
        const src = await api('GET', `${K.sourcePath}/${pickSrc.value}`);
        qtys = (src.lines || []).map((l) => ({ id: l.id, open: Number(l.quantity) - Number(l.returned_qty || 0),
          input: h('input', { type: 'text', inputmode: 'decimal', class: 'num', value: '', 'aria-label': `${t('lines.qty')} ${l.sku}`,
            'data-testid': 'return-qty', dataset: { product: String(l.product_id) } }), l }));
        mount(body, h('table', { class: 'grid lines' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('lines.product')),
          h('th', { scope: 'col', class: 'num' }, t('ret.open')), h('th', { scope: 'col', class: 'num' }, t('ret.qty')))), h('tbody', {}, qtys.map((q) => h('tr', { dataset: { product: String(q.l.product_id) } },
          h('td', { class: 'prod', 'data-label': t('lines.product') }, h('div', { class: 'nm' }, q.l.name || q.l.product_name), h('div', { class: 'muted small' }, q.l.sku)),
          h('td', { class: 'num', 'data-label': t('ret.open') }, fmtQty(q.open)),
          h('td', { class: 'num', 'data-label': t('ret.qty') }, q.input))))));
      } catch (e) { mount(body, h('p', { class: 'err-text' }, errText(e))); }
    }
    const submit = h('button', { class: 'btn danger', type: 'button', 'data-testid': 'return-submit', onclick: async () => {
      const lines = qtys.filter((q) => Number(q.input.value) > 0).map((q) => ({ [K.sourceLine]: q.id, quantity: q.input.value.trim() }));
      err.hidden = true;
      if (!lines.length) { mount(err, t('lines.none')); err.hidden = false; return; }
      submit.disabled = true;
      try {
        const r = await write('POST', `${K.base}/${d.doc.id}/returns`, { json: { version: d.doc.version, lines, reason: reason.value.trim() || null } });
        toast(t('ret.done', { number: r.number || '' }));
        d.list.reload();
        d.ctx.rerender();
      } catch (e) { mount(err, errText(e)); err.hidden = false; if (e.status === 409) d.ctx.rerender(); } finally { submit.disabled = false; }
    } }, t('ret.submit'));
    loadSource();
    return h('details', { class: 'card', 'data-testid': 'return-panel' }, h('summary', {}, t('ret.title')), err,
      h('label', { for: pickSrc.id }, t(kind === 'po' ? 'doc.receipts' : 'doc.shipments')), pickSrc, body,
      h('label', { for: reason.id }, t('ret.reason')), reason, h('div', { class: 'btn-row' }, submit));
  }

  /** The totals the server computed for the saved order. */
  function serverTotal({ doc, prices }) {
    if (!doc || !prices || doc.total === undefined) return null;
    return h('p', { class: 'server-total', 'data-testid': 'server-total' },
      `${t('doc.saved_total')}: ${fmtMoney(doc.subtotal)} + ${t('doc.tax')} ${fmtMoney(doc.tax_total)} = `, h('strong', {}, fmtMoney(doc.total)));
  }

  function rejection(doc) {
    const why = doc && doc.status === 'rejected' ? doc.reject_reason || doc.rejected_reason : null;
    return why ? h('p', { class: 'note err' }, `${t('status.rejected')}: ${why}`) : null;
  }

  /** The lines editor, filled from the draft kept on this device or from the order. */
  function editor(d) {
    let ready = false; // no draft writes while the editor is being filled
    const lines = linesEditor({
      prices: d.prices, editable: d.editable, autofocus: false, extraLabel: K.doneLabel,
      extra: d.doc && !d.editable ? (l) => fmtQty(l[K.done] || 0) : null,
      complete: async (p) => {
        if (p.tax_rate !== undefined && (!d.prices || p[K.price] !== undefined)) return p;
        try { return { ...p, ...(await api('GET', `/api/v1/products/${p.id}`)) }; } catch { return p; }
      },
      defaultPrice: (p) => defaultPrice(d, p),
      onChange: () => {
        if (!ready) return; // still being built and filled
        if (d.editable) store(`draft.${d.draftKey}.lines`, lines.lines());
        if (lines.onTotals) lines.onTotals();
      },
    });
    d.ctx.cleanup(lines.destroy);
    const docLines = (d.doc ? d.doc.lines || [] : []).map((l) => ({
      id: l.id, product_id: l.product_id, sku: l.sku, name: l.name || l.product_name, unit: l.unit,
      quantity: fmtQty(l.quantity), unit_price: l.unit_price ?? null, tax_rate: l.tax_rate ?? null,
      discount_rate: l.discount_rate, [K.done]: l[K.done] }));
    const draftLines = d.editable ? stored(`draft.${d.draftKey}.lines`) : null;
    lines.set(draftLines || docLines);
    ready = true;
    return lines;
  }

  /**
   * A sales order's customer: credit limit and payment terms; with finance.view also the receivable balance
   * and what it comes to with this order (the server-side credit rule comes with the money-side work).
   */
  function creditBox(d) {
    const box = h('p', { class: 'note', 'data-testid': 'credit', hidden: true });
    let cust = null; let balance = null;
    const show = () => {
      if (!cust) { box.hidden = true; return; }
      const limit = Number(cust.credit_limit || 0);
      const order = d.lines.totals().total;
      const parts = [t('credit.limit', { v: fmtMoney(limit) }), t('credit.terms', { n: cust.payment_terms_days || 0 })];
      if (balance !== null) parts.push(t('credit.balance', { b: fmtMoney(balance), o: fmtMoney(order), s: fmtMoney(balance + order) }));
      const over = limit > 0 && (balance ?? 0) + order > limit;
      box.className = over ? 'note warn' : 'note';
      box.textContent = parts.join(' · ') + (over ? ` — ${t('credit.over')}` : '');
      box.hidden = false;
    };
    const load = async () => {
      const id = d.form.values()[K.partnerKey];
      cust = null; balance = null;
      if (id) {
        try { cust = await api('GET', `/api/v1/customers/${id}`); } catch { /* offline */ }
        if (can('finance.view')) {
          try { const [b] = await api('GET', '/api/v1/finance/balances', { query: { partner_type: 'customer', partner_id: id } }); balance = b ? Number(b.balance) : 0; }
          catch { /* offline */ }
        }
      }
      show();
    };
    const sel = d.form.inputs[K.partnerKey];
    if (sel) sel.addEventListener('change', load);
    d.lines.onTotals = show;
    load();
    return box;
  }

  /** The partner's last price for the product (GET …/last-prices), else the product's own price. */
  async function defaultPrice(d, p) {
    const partner = d.form ? d.form.values()[K.partnerKey] : null;
    if (partner && d.prices) {
      try {
        const [last] = await api('GET', `${K.base}/last-prices`, { query: { [K.partnerKey]: partner, product_ids: p.id } });
        if (last) return { price: String(Number(last.unit_price)), note: t('lines.last_price', { number: last.number }) };
      } catch { /* offline or not allowed: the product's price */ }
    }
    return p[K.price] !== undefined && p[K.price] !== null ? String(p[K.price]) : null;
  }

  /** What the API takes for a line (prices only when the user may see them; else the server's default). */
  function lineBody(l, prices) {
    const out = { product_id: l.product_id, quantity: String(l.quantity) };
    const given = (v) => v !== null && v !== undefined && v !== '';
    if (prices && given(l.unit_price)) out.unit_price = String(l.unit_price);
    if (given(l.tax_rate)) out.tax_rate = String(l.tax_rate);
    if (kind === 'so' && given(l.discount_rate)) out.discount_rate = String(l.discount_rate);
    return out;
  }

  /** The header form (partner, warehouse, date, notes); its save sends the lines too. */
  async function header(d) {
    let partners = [];
    try { partners = await optionsFrom(K.partnerPath, (p) => `${p.code} ${p.name}`, d.doc ? {} : { active: true }); } catch { /* offline */ }
    return formPane({
      record: d.doc, readonly: !d.editable, draftKey: d.draftKey, testid: `${kind}-form`, noSubmit: true, allowEmpty: true,
      reload: () => { store(`draft.${d.draftKey}.lines`, null); d.ctx.rerender(); },
      fields: [
        { name: K.partnerKey, label: K.partnerLabel, type: 'select', numeric: true, required: true, options: partners },
        { name: 'warehouse_id', label: 'common.warehouse', type: 'select', numeric: true, required: true,
          options: session.warehouses.map((w) => [w.id, `${w.code} ${w.name}`]), default: session.warehouseId },
        { name: 'expected_date', label: 'doc.expected_date', type: 'date' },
        { name: 'notes', label: 'common.note', type: 'textarea' },
      ],
      save: (body) => {
        const json = { ...body, lines: d.lines.lines().map((l) => lineBody(l, d.prices)) };
        return d.doc ? write('PATCH', `${K.base}/${d.doc.id}`, { json }) : write('POST', K.base, { json });
      },
      onSaved: () => {},
    });
  }

  /** Save draft / submit / reopen / close / cancel as the server's `actions` and the user's permissions allow; the PDF. */
  function buttons(d) {
    const { doc } = d;
    const goto = (x) => { d.list.reload(); if (doc && x.id === doc.id) d.ctx.rerender(); else d.ctx.nav(`#/${kind}/${x.id}`); };
    const run = async (name, needReason) => {
      let reason = null;
      if (needReason) { reason = window.prompt(t('doc.reason_prompt')); if (reason === null) return; }
      let x = doc;
      if (name === 'save' || (name === 'submit' && d.editable)) {
        x = await d.form.save({ silent: true });
        if (!x) return;
        store(`draft.${d.draftKey}.lines`, null);
        if (name === 'save') { toast(t('doc.saved', { number: x.number })); goto(x); return; }
      }
      const body = { version: x.version };
      if (reason) body[K.reasonKey] = reason;
      x = await write('POST', `${K.base}/${x.id}/${name}`, { json: body });
      toast(t(`doc.done.${name}`, { number: x.number }));
      goto(x);
    };
    const act = (name, label, cls = '', needReason = false) => h('button', { class: `btn ${cls}`, type: 'button', 'data-testid': `doc-${name}`,
      onclick: async (e) => {
        const btn = e.currentTarget;
        btn.disabled = true;
        try { await run(name, needReason); } catch (err) { d.form.showError(err); } finally { btn.disabled = false; }
      } }, t(label));
    // [action, label, class, asks a reason, shown]: the server's `actions` say what the status allows
    const allowed = new Set(doc ? doc.actions || [] : ['submit']);
    const may = (a) => can(K.create) && allowed.has(a) && (a === 'submit' ? d.editable : !!doc);
    return [
      ['save', 'doc.save_draft', '', false, d.editable],
      ['submit', 'doc.submit', 'primary', false, may('submit')],
      ['reopen', 'doc.reopen', '', false, may('reopen')],
      ['close', 'doc.close', '', true, may('close')],
      ['cancel', 'doc.cancel', 'danger', true, may('cancel')],
    ].filter((b) => b[4]).map(([a, label, cls, why]) => act(a, label, cls, why))
      .concat(doc ? [fileLink(`${K.base}/${doc.id}/pdf`, K.pdfKey, 'doc-pdf')] : []);
  }

  function related(doc) {
    const groups = kind === 'po'
      ? [['doc.receipts', doc.receipts || [], '/api/v1/purchase-receipts'], ['doc.returns', doc.returns || [], '/api/v1/purchase-returns']]
      : [['doc.shipments', (doc.documents || {}).shipments || [], '/api/v1/shipments'], ['doc.invoices', (doc.documents || {}).invoices || [], '/api/v1/invoices'],
        ['doc.returns', (doc.documents || {}).returns || [], null]];
    const shown = groups.filter(([, items]) => items.length);
    if (!shown.length) return null;
    return h('section', { class: 'card', 'data-testid': 'doc-related' }, shown.map(([label, items, path]) => [h('h3', {}, t(label)),
      h('ul', { class: 'plain' }, items.map((d) => h('li', {}, h('span', {}, d.number), ' ',
        d.total !== undefined ? h('span', { class: 'muted small' }, fmtMoney(d.total)) : null, ' ',
        path ? h('a', { href: `${path}/${d.id}/pdf`, target: '_blank', rel: 'noopener', 'data-testid': `pdf-${d.number}` }, t('doc.pdf')) : null)))]));
  }
}

/** The local date of a timestamp (lists stay narrow). */
function fmtDate(iso) {
  const d = iso ? new Date(iso) : null;
  return d && !Number.isNaN(d.getTime()) ? d.toLocaleDateString() : '';
}

function whCode(id) {
  const w = session.warehouses.find((x) => x.id === id);
  return w ? w.code : '';
}

export const po = orderView('po');
export const so = orderView('so');
export default po;
