/** Products (master data): list with search / category / active / low-stock filters, create and edit,
 * barcodes (list, generate, add supplier or pack codes), labels PDF, stock per warehouse. */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { facts, optionsFrom, write } from '../office/kit.js';
import { masterView, yesNo } from '../office/master.js';
import { can } from '../session.js';
import { errText, fmtMoney, fmtQty, h, mount, toast } from '../ui.js';

/** The categories in use (asked each time: a product saved a moment ago may have added one). */
async function loadCategories() {
  try {
    const res = await api('GET', '/api/v1/products/categories'); // network first; the worker's copy offline
    return (Array.isArray(res) ? res : res.items || []).filter(Boolean);
  } catch { return []; }
}

export default masterView({
  id: 'products', title: 'nav.products', perm: 'product.view', writePerm: 'product.write',
  // low stock comes from /alerts/low-stock (one row per product and warehouse at or below its reorder point)
  path: '/api/v1/products',
  listPath: (st) => (st.f.low ? { path: '/api/v1/alerts/low-stock', skip: ['low', 'active'], map: (r) => ({ ...r, id: r.product_id, id2: r.warehouse_id }) }
    : { path: '/api/v1/products', skip: ['low'] }),
  sort: 'sku', newKey: 'product.new',
  columns: [
    { key: 'sku', label: 'product.sku', sort: true },
    { key: 'name', label: 'product.name', sort: true, wrap: true },
    { key: 'model', label: 'product.model' },
    { key: 'spec', label: 'product.spec' },
    { key: 'unit', label: 'product.unit', phone: false },
    { key: 'category', label: 'product.category' },
    { key: 'quantity', label: 'product.on_hand', num: true, when: (st) => !!st.f.low, render: (r) => (r.quantity !== undefined ? `${fmtQty(r.quantity)} / ${fmtQty(r.reorder_point)}` : '') },
    { key: 'sale_price', label: 'product.price', num: true, render: (r) => fmtMoney(r.sale_price) },
    { key: 'purchase_price', label: 'product.purchase_price', num: true, perm: 'cost.view', render: (r) => fmtMoney(r.purchase_price) },
    { key: 'is_active', label: 'office.active', phone: false, render: (r) => (r.is_active === undefined ? '' : yesNo(r.is_active)) },
  ],
  filters: [
    { name: 'q', type: 'search', label: 'lookup.search' },
    { name: 'category', type: 'select', label: 'product.category', options: async () => (await loadCategories()).map((c) => [c, c]) },
    { name: 'active', type: 'select', label: 'office.active', options: async () => [['true', t('office.yes')], ['false', t('office.no')]] },
    { name: 'low', type: 'check', label: 'product.low_stock', perm: 'stock.view' },
  ],
  name: (p) => `${p.sku} ${p.name}`,
  fields: async (rec) => [
    { name: 'sku', label: 'product.sku', required: true },
    { name: 'name', label: 'product.name', required: true },
    { name: 'name_en', label: 'product.name_en' },
    { name: 'model', label: 'product.model' },
    { name: 'spec', label: 'product.spec' },
    { name: 'unit', label: 'product.unit', required: true, default: '个', datalist: ['个', '件', '箱', '包', '米', '千克', '套', '台'] },
    { name: 'category', label: 'product.category', datalist: await loadCategories() },
    { name: 'purchase_price', label: 'product.purchase_price', type: 'decimal', perm: 'cost.view' },
    { name: 'sale_price', label: 'product.price', type: 'decimal' },
    { name: 'tax_rate', label: 'product.tax_rate', type: 'percent', default: rec ? undefined : '0.13' },
    { name: 'reorder_point', label: 'product.reorder_point', type: 'decimal' },
    { name: 'reorder_qty', label: 'product.reorder_qty', type: 'decimal' },
    { name: 'barcode', label: 'product.barcode', createOnly: true, help: 'product.barcode_help' },
    { name: 'generate_barcode', label: 'barcode.generate', type: 'check', createOnly: true, perm: 'barcode.write' },
    { name: 'is_active', label: 'office.active', type: 'check', default: true },
    { name: 'notes', label: 'common.note', type: 'textarea' },
  ],
  body: (b, rec) => {
    if (rec) return b;
    const { barcode, generate_barcode: gen, ...rest } = b;
    const codes = [];
    if (barcode) codes.push({ code: barcode });
    if (gen) codes.push({ generate: true });
    return codes.length ? { ...rest, barcodes: codes } : rest;
  },
  extras: (p, ctx, reload) => [barcodePanel(p, reload), labelPanel(p), stockPanel(p)],
  listTools: () => (can('label.print') ? chosenLabels() : null),
});

function barcodePanel(p, reload) {
  const rows = (p.barcodes || []).map((b) => h('tr', { dataset: { code: b.code } },
    h('td', { 'data-label': t('product.barcode') }, h('code', {}, b.code)),
    h('td', { 'data-label': t('barcode.kind') }, t(`barcode.kind.${b.kind || 'internal'}`)),
    h('td', { 'data-label': t('barcode.qty'), class: 'num' }, fmtQty(b.quantity || 1)),
    can('barcode.write') ? h('td', { class: 'act' }, h('button', { class: 'btn small-btn', type: 'button', 'aria-label': `${t('barcode.remove')} ${b.code}`,
      onclick: async () => {
        if (!window.confirm(t('barcode.remove_confirm', { code: b.code }))) return;
        try { await write('DELETE', `/api/v1/products/${p.id}/barcodes/${b.id}`); reload(); } catch (e) { toast(errText(e), 'err'); }
      } }, '×')) : null));
  const add = async (body) => {
    try { await write('POST', `/api/v1/products/${p.id}/barcodes`, { json: body }); toast(t('form.saved')); reload(); }
    catch (e) { mount(err, errText(e)); }
  };
  const err = h('div', { class: 'field-err', role: 'alert' });
  const code = h('input', { id: 'bc-code', 'data-testid': 'barcode-code', autocomplete: 'off' });
  const qty = h('input', { id: 'bc-qty', inputmode: 'decimal', value: '1', 'data-testid': 'barcode-qty' });
  const supplier = h('select', { id: 'bc-supplier', 'data-testid': 'barcode-supplier' }, h('option', { value: '' }, '—'));
  const supplierField = h('div', { class: 'field', hidden: true }, h('label', { for: 'bc-supplier' }, t('doc.supplier')), supplier);
  const kind = h('select', { id: 'bc-kind', 'data-testid': 'barcode-kind', onchange: async () => {
    supplierField.hidden = kind.value !== 'supplier';
    if (!supplierField.hidden && supplier.options.length === 1) {
      const opts = await optionsFrom('/api/v1/suppliers', (x) => `${x.code} ${x.name}`, { active: true }).catch(() => []);
      supplier.append(...opts.map(([v, label]) => h('option', { value: String(v) }, label)));
    }
  } }, ['manufacturer', 'supplier', 'pack'].map((k) => h('option', { value: k }, t(`barcode.kind.${k}`))));
  const writer = can('barcode.write') ? h('form', { class: 'fields', onsubmit: (e) => {
    e.preventDefault();
    if (!code.value.trim()) { code.focus(); return; }
    add({ code: code.value.trim(), quantity: qty.value.trim() || '1', kind: kind.value,
      supplier_id: kind.value === 'supplier' && supplier.value ? Number(supplier.value) : null });
  } },
  h('div', { class: 'field' }, h('label', { for: 'bc-code' }, t('product.barcode')), code),
  h('div', { class: 'field' }, h('label', { for: 'bc-qty' }, t('barcode.qty')), qty),
  h('div', { class: 'field' }, h('label', { for: 'bc-kind' }, t('barcode.kind')), kind), supplierField,
  h('div', { class: 'btn-row field-wide' },
    h('button', { class: 'btn', type: 'button', 'data-testid': 'barcode-generate', onclick: () => add({ generate: true }) }, t('barcode.generate')),
    h('button', { class: 'btn primary', type: 'submit', 'data-testid': 'barcode-add' }, t('barcode.add'))), err) : null;
  return h('section', { class: 'card', 'aria-labelledby': 'bc-h' }, h('h3', { id: 'bc-h' }, t('product.barcodes')),
    rows.length ? h('div', { class: 'grid-wrap' }, h('table', { class: 'grid', 'data-testid': 'barcodes' }, h('tbody', {}, rows)))
      : h('p', { class: 'muted' }, t('barcode.none')), writer);
}

/** Labels for the products ticked in the list (each `copies` times). */
function chosenLabels() {
  let ids = [];
  const copies = h('input', { type: 'number', min: 1, max: 100, value: '1', class: 'copies', 'aria-label': t('label.copies'), 'data-testid': 'labels-copies' });
  const link = h('a', { class: 'btn', target: '_blank', rel: 'noopener', 'data-testid': 'labels-chosen' });
  const el = h('div', { class: 'chosen-tools', hidden: true }, copies, link);
  const upd = () => {
    el.hidden = !ids.length;
    link.textContent = t('label.chosen', { n: ids.length });
    link.href = `/api/v1/labels?product_ids=${ids.join(',')}&copies=${Math.max(1, Math.min(100, Number(copies.value) || 1))}`;
  };
  copies.addEventListener('input', upd);
  return { el, onSelect: (set) => { ids = [...set]; upd(); } };
}

function labelPanel(p) {
  if (!can('label.print')) return null;
  const copies = h('input', { id: 'lbl-copies', type: 'number', min: 1, max: 100, value: '1', 'data-testid': 'label-copies' });
  const layout = h('select', { id: 'lbl-layout' }, h('option', { value: 'a4' }, t('label.a4')), h('option', { value: 'thermal_50x30' }, t('label.thermal')));
  const link = h('a', { class: 'btn', target: '_blank', rel: 'noopener', 'data-testid': 'label-pdf' }, t('label.pdf'));
  const upd = () => { link.href = `/api/v1/labels?product_ids=${p.id}&copies=${Math.max(1, Math.min(100, Number(copies.value) || 1))}&layout=${layout.value}`; };
  copies.addEventListener('input', upd); layout.addEventListener('change', upd); upd();
  return h('section', { class: 'card' }, h('h3', {}, t('label.title')), h('div', { class: 'fields' },
    h('div', { class: 'field' }, h('label', { for: 'lbl-copies' }, t('label.copies')), copies),
    h('div', { class: 'field' }, h('label', { for: 'lbl-layout' }, t('label.layout')), layout)), h('div', { class: 'btn-row' }, link));
}

function stockPanel(p) {
  const rows = p.stock || [];
  if (!rows.length) return h('section', { class: 'card' }, h('h3', {}, t('product.stock')), h('p', { class: 'muted' }, t('lookup.no_stock')));
  return h('section', { class: 'card' }, h('h3', {}, t('product.stock')),
    facts(rows.map((r) => [r.warehouse_code, fmtQty(r.quantity)])));
}
