/**
 * Low stock per warehouse (#/lowstock), on a phone and at a desk: the products at or below their reorder
 * point (GET /alerts/low-stock: on hand, in transit, reorder point, the server's suggested quantity).
 * A user who may create purchase orders ticks products (or none: all of the warehouse) and makes draft
 * purchase orders from them — one per supplier (POST /alerts/low-stock/purchase-orders); the answer lists
 * the orders (links to #/po/<id>) and the products with no known supplier. Warehouse staff see the list only.
 */
import { t } from '../i18n.js';
import { listPane, offlineNote, store, stored, write } from '../office/kit.js';
import { can, session } from '../session.js';
import { errText, fmtMoney, fmtQty, h, mount } from '../ui.js';
import { banner, pname, whName } from './inv_common.js';

export default {
  id: 'lowstock', title: 'inv.nav.lowstock', perm: 'stock.view', wide: true,
  async render(root, ctx) {
    const buyer = can('purchase.create');
    const err = banner();
    const result = h('section', { class: 'card', 'aria-live': 'polite', 'data-testid': 'ls-result', hidden: true });
    let chosen = new Set();
    const btn = buyer ? h('button', { class: 'btn primary', type: 'button', 'data-testid': 'ls-make-po', onclick: () => make() }) : null;
    const label = () => { if (btn) btn.textContent = chosen.size ? t('inv.ls_make_chosen', { n: chosen.size }) : t('inv.ls_make_all'); };
    label();
    const whSel = h('select', { id: 'ls-wh', 'data-testid': 'ls-warehouse', 'aria-label': t('common.warehouse'),
      onchange: () => { store('lowstock.wh', Number(whSel.value)); chosen = new Set(); label(); ctx.rerender(); } },
    session.warehouses.map((w) => h('option', { value: String(w.id), selected: w.id === (stored('lowstock.wh') || session.warehouseId) }, `${w.code} ${w.name}`)));
    const wh = () => Number(whSel.value);
    const list = listPane({
      ctx, key: 'lowstock', testid: 'lowstock-list', sort: 'sku',
      path: () => ({ path: '/api/v1/alerts/low-stock', query: { warehouse_id: wh() }, map: (r) => ({ ...r, id: r.product_id }) }),
      onSelect: buyer ? (ids) => { chosen = ids; label(); } : null,
      columns: [
        { key: 'sku', label: 'inv.sku', sort: true },
        { key: 'name', label: 'lines.product', sort: true, wrap: true, render: (r) => pname(r) },
        { key: 'category', label: 'inv.category', phone: false },
        { key: 'quantity', label: 'inv.on_hand', num: true, sort: true, render: (r) => fmtQty(r.quantity) },
        { key: 'in_transit', label: 'inv.in_transit', num: true, render: (r) => fmtQty(r.in_transit) },
        { key: 'reorder_point', label: 'inv.reorder_point', num: true, render: (r) => fmtQty(r.reorder_point) },
        { key: 'suggested_qty', label: 'inv.suggested', num: true, render: (r) => h('strong', { 'data-testid': 'ls-suggested' }, fmtQty(r.suggested_qty)) },
        { key: 'unit', label: 'inv.unit', phone: false },
      ],
      filters: [{ name: 'q', type: 'search', label: 'inv.ls_search' }],
      onOpen: (r) => ctx.nav(`#/products/${r.product_id}`),
    });

    async function make() {
      err.hide();
      btn.disabled = true;
      try {
        const lines = [...chosen].map((id) => ({ product_id: Number(id) }));
        const res = await write('POST', '/api/v1/alerts/low-stock/purchase-orders', { json: { warehouse_id: wh(), lines } });
        show(res);
      } catch (e) { err.show(errText(e)); } finally { btn.disabled = false; }
    }
    function show(res) {
      const prices = can('cost.view');
      mount(result, h('h3', {}, t('inv.ls_made', { n: res.orders.length })),
        h('ul', { class: 'plain', 'data-testid': 'ls-orders' }, res.orders.map((o) => h('li', {},
          h('a', { href: `#/po/${o.id}`, 'data-testid': 'ls-order' }, o.number), ` · ${o.supplier_name} · ${t('inv.ls_lines', { n: o.line_count })}`,
          prices && o.total !== undefined ? ` · ${fmtMoney(o.total)}` : ''))),
        res.without_supplier.length ? [h('p', { class: 'note warn' }, t('inv.ls_no_supplier', { n: res.without_supplier.length })),
          h('ul', { class: 'plain', 'data-testid': 'ls-no-supplier' }, res.without_supplier.map((p) => h('li', {},
            `${p.sku} ${pname(p)} · ${t('inv.suggested')} ${fmtQty(p.suggested_qty)}`)))] : null,
        res.skipped.length ? h('p', { class: 'muted small' }, t('inv.ls_skipped', { n: res.skipped.length })) : null);
      result.hidden = false;
      result.scrollIntoView({ block: 'nearest' });
    }

    root.append(...[offlineNote(ctx),
      h('div', { class: 'row wrap ls-head' }, h('label', { for: 'ls-wh' }, t('common.warehouse')), whSel,
        h('span', { class: 'muted small' }, t('inv.ls_help', { wh: whName(wh()) }))),
      buyer ? h('p', { class: 'muted small' }, t('inv.ls_buyer_help')) : null,
      err.el, result, buyer ? h('div', { class: 'btn-row' }, btn) : null, list.el].filter(Boolean)); // DOM append writes null as text
  },
};
