/** Small shared pieces of the inventory office screens (stocktakes, adjustments, transfers, low stock). */
import { product } from '../catalog.js';
import { getLang, t } from '../i18n.js';
import { session } from '../session.js';
import { h, productName } from '../ui.js';

/** A status pill ("inv.st.<status>" strings). */
export const pill = (s, testid) => h('span', { class: `pill st-${s}`, 'data-testid': testid || null }, t(`inv.st.${s}`));

/** "WH1 仓库 WH1" for a warehouse id of the user's list (the server filtered it). */
export function whName(id) {
  const w = session.warehouses.find((x) => x.id === id);
  return w ? `${w.code} ${w.name}` : `#${id}`;
}
export const whOptions = async () => session.warehouses.map((w) => [w.id, `${w.code} ${w.name}`]);

/** Local date-time of a timestamp, short. */
export function when(iso) {
  const d = iso ? new Date(iso) : null;
  return d && !Number.isNaN(d.getTime()) ? d.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' }) : '';
}

/** `{id: product}` for ids (offline catalog first, else the server), for lines that carry only product_id. */
export async function productsById(ids) {
  const out = {};
  await Promise.all([...new Set(ids)].map(async (id) => { out[id] = await product(id); }));
  return out;
}
export const pname = (p) => (p ? productName(p, getLang()) : '');

/** A plain table: `cols` = [{label, num?}], `rows` = [[cells]] (labelled cards on a phone). */
export function table(cols, rows, attrs = {}) {
  return h('div', { class: 'grid-wrap' }, h('table', { class: 'grid lines', ...attrs },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : '' }, t(c.label))))),
    h('tbody', {}, rows.length ? rows.map((r) => h('tr', r.attrs || {}, (r.cells || r).map((v, i) => h('td', {
      class: cols[i].num ? 'num' : '', 'data-label': t(cols[i].label) }, v ?? ''))))
      : h('tr', {}, h('td', { class: 'empty', colspan: cols.length }, t('common.none'))))));
}

/** An error/notice banner that can be filled later. */
export function banner() {
  const el = h('div', { class: 'form-banner err', role: 'alert', hidden: true });
  return {
    el,
    show(msg) { el.textContent = msg; el.hidden = false; el.scrollIntoView({ block: 'nearest' }); },
    hide() { el.hidden = true; },
  };
}
