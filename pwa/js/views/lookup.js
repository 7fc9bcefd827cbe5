/** Product lookup: scan (wedge / camera / photo) or search; shows the product and its stock. */
import { api } from '../api.js';
import { search } from '../catalog.js';
import { scanBox } from '../components.js';
import { getLang, t } from '../i18n.js';
import { errText, fmtMoney, fmtQty, h, mount, productName, toast } from '../ui.js';

export default {
  id: 'lookup', title: 'nav.lookup', perm: 'product.view',
  render(root, ctx) {
    const out = h('div', { 'data-testid': 'lookup-result' });
    const sb = scanBox({
      onResolved: (hit) => show(hit.product, hit),
      onUnknown: (code) => mount(out, h('div', { class: 'card err-text', 'data-testid': 'unknown-code' }, t('scan.unknown', { code }))),
    });
    ctx.cleanup(sb.destroy);
    const q = h('input', { type: 'search', placeholder: t('lookup.search'), enterkeyhint: 'search', 'data-testid': 'search-input' });
    const results = h('ul', { class: 'list' });
    const form = h('form', { onsubmit: async (e) => {
      e.preventDefault();
      if (!q.value.trim()) return;
      try {
        const res = await search(q.value);
        mount(results, res.items.length ? res.items.map((p) => h('li', { class: 'clickable', onclick: () => show(p) },
          h('div', { class: 'nm' }, productName(p, getLang())), h('div', { class: 'muted small' }, `${p.sku} · ${p.spec || ''}`)))
          : h('li', { class: 'empty' }, t('common.none')),
        res.source === 'local' ? h('li', { class: 'muted small' }, t('common.offline_results')) : null);
      } catch (err) { toast(errText(err), 'err'); }
    } }, q);

    async function show(p, hit) {
      mount(results);
      const stock = h('div', { class: 'muted small' });
      mount(out, h('div', { class: 'card product', 'data-testid': 'product-card', dataset: { sku: p.sku } },
        h('div', { class: 'name' }, productName(p, getLang())),
        h('dl', {},
          h('dt', {}, t('product.sku')), h('dd', {}, p.sku),
          p.model ? [h('dt', {}, t('product.model')), h('dd', {}, p.model)] : null,
          p.spec ? [h('dt', {}, t('product.spec')), h('dd', {}, p.spec)] : null,
          h('dt', {}, t('product.unit')), h('dd', {}, p.unit || ''),
          p.sale_price !== undefined ? [h('dt', {}, t('product.price')), h('dd', {}, fmtMoney(p.sale_price))] : null,
          hit ? [h('dt', {}, t('product.barcode')), h('dd', {}, `${hit.code}${Number(hit.quantity) !== 1 ? ` ×${fmtQty(hit.quantity)}` : ''}`)] : null),
        stock));
      try {
        const full = await api('GET', `/api/v1/products/${p.id}`);
        const rows = full.stock || [];
        mount(stock, rows.length ? h('dl', {}, rows.map((r) => [h('dt', {}, r.warehouse_code), h('dd', {}, fmtQty(r.quantity))]))
          : t('lookup.no_stock'));
      } catch (e) { stock.textContent = e.isNetwork ? t('lookup.stock_offline') : ''; }
    }
    root.append(h('div', { class: 'card' }, h('label', {}, t('scan.title')), sb.el), out,
      h('div', { class: 'card' }, form, results));
  },
};
