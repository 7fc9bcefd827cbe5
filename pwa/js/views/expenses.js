/** Expenses on masterView, with the receipt photo (shrunk to 2000 px before upload) or PDF; the server checks the file's bytes. */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { optionsFrom, write } from '../office/kit.js';
import { masterView } from '../office/master.js';
import { can, session } from '../session.js';
import { errText, h, mount, toast } from '../ui.js';
import { API, methodOptions, money, today } from './fin.js';

/** A receipt photo at most 2000 px on its long side, as JPEG (phone photos are 3–12 MB; the server takes ≤ 5 MB). */
async function shrink(file) {
  try {
    const bmp = await createImageBitmap(file);
    const scale = Math.min(1, 2000 / Math.max(bmp.width, bmp.height));
    if (scale === 1 && file.size < 1.5e6) return file;
    const c = document.createElement('canvas');
    c.width = Math.round(bmp.width * scale); c.height = Math.round(bmp.height * scale);
    c.getContext('2d').drawImage(bmp, 0, 0, c.width, c.height);
    return await new Promise((res) => c.toBlob((b) => res(b || file), 'image/jpeg', 0.9));
  } catch { return file; } // not an image the browser opens: the server says why
}

const categories = async () => {
  try { return (await api('GET', `${API}/expenses/categories`)).items || []; } catch { return []; }
};

/** The receipt panel: what is attached (image preview / PDF link) and an upload. */
function receipt(rec, ctx, reload) {
  const src = `${API}/expenses/${rec.id}/attachment?v=${rec.version}`;
  const err = h('div', { class: 'form-banner err', role: 'alert', hidden: true });
  const file = h('input', { type: 'file', id: 'exp-file', accept: 'image/*,application/pdf', 'data-testid': 'expense-file', class: 'sr-only', disabled: !can('finance.write'),
    onchange: async () => {
      const f = file.files && file.files[0];
      if (!f) return;
      err.hidden = true;
      const blob = f.type.startsWith('image/') ? await shrink(f) : f;
      const form = new FormData();
      form.append('file', blob, f.type.startsWith('image/') && blob !== f ? 'receipt.jpg' : f.name);
      try {
        await write('PUT', `${API}/expenses/${rec.id}/attachment`, { query: { version: rec.version }, form, timeout: 60000 });
        toast(t('fin.receipt_saved'));
        reload();
      } catch (e) { mount(err, errText(e)); err.hidden = false; }
    } });
  const shown = !rec.attachment_type ? h('p', { class: 'muted', 'data-testid': 'expense-no-receipt' }, t('fin.no_receipt'))
    : rec.attachment_type.startsWith('image/')
      ? h('a', { href: src, target: '_blank', rel: 'noopener' }, h('img', { src, alt: t('fin.receipt_of', { n: rec.number }), class: 'receipt-img', 'data-testid': 'expense-receipt' }))
      : h('a', { class: 'btn', href: src, 'data-testid': 'expense-receipt' }, `${t('fin.receipt')} (PDF)`);
  return h('section', { class: 'card', 'data-testid': 'expense-receipt-panel' }, h('h3', {}, t('fin.receipt')), err, shown,
    can('finance.write') ? h('label', { class: 'btn', for: 'exp-file' }, t(rec.attachment_type ? 'fin.receipt_replace' : 'fin.receipt_add')) : null, file,
    can('finance.write') ? h('div', { class: 'btn-row' }, h('button', { class: 'btn danger', type: 'button', 'data-testid': 'expense-delete', onclick: async () => {
      if (!confirm(t('fin.delete_confirm', { n: rec.number }))) return;
      try { await write('DELETE', `${API}/expenses/${rec.id}`, { query: { version: rec.version } }); toast(t('fin.deleted')); ctx.nav('#/expenses'); }
      catch (e) { mount(err, errText(e)); err.hidden = false; }
    } }, t('fin.delete'))) : null);
}

export default masterView({
  id: 'expenses', title: 'fin.expenses', perm: 'finance.view', writePerm: 'finance.write', path: `${API}/expenses`,
  sort: '-id', newKey: 'fin.expense_new',
  columns: [
    { key: 'number', label: 'doc.number', sort: true },
    { key: 'expense_date', label: 'doc.date', sort: true },
    { key: 'category', label: 'fin.category', sort: true },
    { key: 'payee', label: 'fin.payee', wrap: true },
    { key: 'amount', label: 'fin.amount', num: true, sort: true, render: (r) => money(r.amount) },
    { key: 'attachment_type', label: 'fin.receipt', render: (r) => (r.attachment_type ? t('office.yes') : t('office.no')) },
  ],
  filters: [
    { name: 'q', type: 'search', label: 'fin.expense_search' },
    { name: 'category', type: 'select', label: 'fin.category', options: async () => (await categories()).map((c) => [c, c]) },
  ],
  name: (r) => `${r.number} ${r.category}`,
  fields: async () => {
    let suppliers = [];
    try { suppliers = await optionsFrom(`${API}/suppliers`, (p) => `${p.code} ${p.name}`); } catch { /* offline */ }
    return [
      { name: 'category', label: 'fin.category', required: true, datalist: await categories(), help: 'fin.category_help' },
      { name: 'amount', label: 'fin.amount', type: 'decimal', required: true },
      { name: 'expense_date', label: 'doc.date', type: 'date', default: today() },
      { name: 'payee', label: 'fin.payee' },
      { name: 'method', label: 'fin.method', type: 'select', options: methodOptions(), default: 'bank' },
      { name: 'supplier_id', label: 'doc.supplier', type: 'select', numeric: true, options: suppliers },
      { name: 'warehouse_id', label: 'common.warehouse', type: 'select', numeric: true, options: session.warehouses.map((w) => [w.id, `${w.code} ${w.name}`]) },
      { name: 'description', label: 'fin.description', type: 'textarea' },
    ];
  },
  extras: (rec, ctx, reload) => receipt(rec, ctx, reload),
});
