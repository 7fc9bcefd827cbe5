/**
 * Product categories. In the API a category is a product's `category` text (no table of its own), so this
 * screen lists the categories in use with their number of products and opens the product list filtered
 * by one; a new category is made by typing it on a product (the field suggests the existing ones).
 */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { offlineNote, store, stored } from '../office/kit.js';
import { errText, h, mount } from '../ui.js';

export default {
  id: 'categories', title: 'nav.categories', perm: 'product.view', wide: true,
  async render(root, ctx) {
    const body = h('tbody', {}, h('tr', {}, h('td', { colspan: 2, class: 'empty' }, t('common.loading'))));
    const table = h('table', { class: 'grid', 'data-testid': 'categories-list' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('product.category')), h('th', { scope: 'col', class: 'num' }, t('category.products')))), body);
    root.append(offlineNote(ctx), h('p', { class: 'note' }, t('category.help')), h('div', { class: 'grid-wrap' }, table));
    let names;
    try {
      const res = await api('GET', '/api/v1/products/categories');
      names = Array.isArray(res) ? res : res.items || [];
    } catch (e) {
      mount(body, h('tr', {}, h('td', { colspan: 2, class: 'empty' }, e.isNetwork ? t('list.offline') : errText(e))));
      return;
    }
    const open = (name) => {
      const saved = stored('list.products') || {};
      store('list.products', { ...saved, f: { ...(saved.f || {}), category: name } }); // the product list remembers its filters
      ctx.nav('#/products');
    };
    const counts = await Promise.all(names.map((n) => api('GET', '/api/v1/products', { query: { category: n, per_page: 1 } })
      .then((r) => r.total).catch(() => '')));
    mount(body, names.length ? names.map((n, i) => h('tr', { class: 'clickable', tabindex: '0', dataset: { category: n },
      onclick: () => open(n), onkeydown: (e) => { if (e.key === 'Enter') open(n); } },
    h('td', { 'data-label': t('product.category') }, n), h('td', { class: 'num', 'data-label': t('category.products') }, String(counts[i]))))
      : h('tr', {}, h('td', { colspan: 2, class: 'empty' }, t('common.none'))));
  },
};
