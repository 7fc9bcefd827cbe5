/** Shared parts of the finance screens (docs/pwa.md "Finance"). Figures are the API's; the server checks every amount. */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { optionsFrom } from '../office/kit.js';
import { errText, fmtMoney, h, mount } from '../ui.js';

export const API = '/api/v1';
export const METHODS = ['bank', 'cash', 'wechat', 'alipay', 'card', 'other'];
export const methodOptions = () => METHODS.map((m) => [m, t(`fin.method.${m}`)]);

/** Today / the first and last day of a month as YYYY-MM-DD (local calendar). */
const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
export const today = () => iso(new Date());
export function monthOf(offset = 0) {
  const n = new Date();
  return [iso(new Date(n.getFullYear(), n.getMonth() + offset, 1)), iso(new Date(n.getFullYear(), n.getMonth() + offset + 1, 0))];
}

/** The part of the hash after "?" as an object (`#/payments/new?partner=customer:3`). */
export function hashQuery() {
  const i = location.hash.indexOf('?');
  return i < 0 ? {} : Object.fromEntries(new URLSearchParams(location.hash.slice(i + 1)));
}

/** Customers and suppliers in one choice list: values "customer:3" / "supplier:5". */
export async function partnerOptions(types = ['customer', 'supplier']) {
  const out = [];
  for (const type of types) {
    try {
      const opts = await optionsFrom(`${API}/${type}s`, (p) => `${p.code} ${p.name}`);
      out.push(...opts.map(([id, label]) => [`${type}:${id}`, `${t(`fin.${type}`)} · ${label}`]));
    } catch { /* offline with nothing kept, or not allowed */ }
  }
  return out;
}
export const splitPartner = (v) => { const [type, id] = String(v || '').split(':'); return { type, id: Number(id) || null }; };
export const partnerLabel = (opts, type, id) => ((opts.find(([v]) => v === `${type}:${id}`) || [])[1] || `#${id}`).replace(/^[^·]*· /, '');

/**
 * A table in the office grid style: `cols` = [{label, key?, render?, num?}]; rows are objects.
 * At < 1024 px it becomes labelled cards (app.css). `o.inputs`: the rows hold inputs (the lines-editor style).
 */
export function table(cols, rows, o = {}) {
  const cell = (c, r) => {
    const v = c.render ? c.render(r) : r[c.key];
    return h('td', { class: [c.num ? 'num' : '', v === '' || v === null || v === undefined ? 'blank' : ''].join(' ').trim(), 'data-label': t(c.label) }, v ?? '');
  };
  // focusable: a table wider than the screen scrolls, and a keyboard must reach it (axe scrollable-region-focusable)
  return h('div', { class: 'grid-wrap', tabindex: '0', role: 'region', 'aria-label': t(o.label || 'office.list') }, h('table', { class: o.inputs ? 'grid lines' : 'grid', 'data-testid': o.testid },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : '' }, t(c.label))))),
    h('tbody', {}, rows.length ? rows.map((r) => {
      const tr = h('tr', { dataset: o.data ? o.data(r) : {} }, cols.map((c) => cell(c, r)));
      if (o.onOpen) { tr.className = 'clickable'; tr.tabIndex = 0; tr.onclick = () => o.onOpen(r); tr.onkeydown = (e) => { if (e.key === 'Enter') o.onOpen(r); }; }
      if (o.selected && o.selected(r)) { tr.classList.add('selected'); tr.setAttribute('aria-current', 'true'); }
      return tr;
    }) : h('tr', {}, h('td', { class: 'empty', colspan: String(cols.length) }, t('common.none'))))));
}

export const money = (v) => fmtMoney(v);
export const docLabel = (type) => t(`fin.doc.${type}`);

/**
 * The partner's open documents (receivables for a customer, payables for a supplier) that a payment in this
 * direction can settle, each with an amount box; `allocations()` returns what was typed. A payment that
 * settles (customer in / supplier out) takes the documents owed (open > 0); a refund the credits (open < 0).
 * `prefill` = {doc: "invoice:7", amount} fills one box.
 */
export function openItems(o) {
  const box = h('div', { 'data-testid': 'open-items' });
  let inputs = [];
  async function load(partner, direction, prefill) {
    inputs = [];
    if (!partner.id) { mount(box); return; }
    mount(box, h('p', { class: 'muted' }, t('common.loading')));
    let items;
    try {
      items = await api('GET', `${API}/finance/${partner.type === 'customer' ? 'receivables' : 'payables'}`, { query: { partner_id: partner.id } });
    } catch (e) { mount(box, h('p', { class: 'err-text' }, errText(e))); return; }
    const settles = (partner.type === 'customer') === (direction === 'in');
    const mine = items.filter((i) => (settles ? Number(i.open) > 0 : Number(i.open) < 0));
    const owed = items.reduce((s, i) => s + Number(i.open), 0);
    inputs = mine.map((i) => {
      const key = `${i.doc_type}:${i.doc_id}`;
      const open = Math.abs(Number(i.open));
      const inp = h('input', { type: 'text', inputmode: 'decimal', class: 'num', 'aria-label': `${t('fin.allocate')} ${i.number}`,
        'data-testid': 'alloc-amount', value: prefill && prefill.doc === key ? String(Math.min(open, Number(prefill.amount) || open)) : '' });
      inp.addEventListener('input', () => o.onChange && o.onChange());
      return { i, inp, open };
    });
    mount(box, h('p', { class: 'muted small', 'data-testid': 'open-total' }, t(partner.type === 'customer' ? 'fin.open_receivable' : 'fin.open_payable', { v: money(owed) })),
      table([
        { label: 'doc.number', render: (x) => `${docLabel(x.i.doc_type)} ${x.i.number}` },
        { label: 'doc.date', render: (x) => x.i.date },
        { label: 'fin.due', render: (x) => x.i.due_date || '' },
        { label: 'fin.open', num: true, render: (x) => money(x.open) },
        { label: 'fin.allocate', num: true, render: (x) => h('span', { class: 'btn-pair' }, x.inp,
          h('button', { class: 'btn small-btn', type: 'button', 'data-testid': 'alloc-fill', 'aria-label': `${t('fin.fill')} ${x.i.number}`,
            onclick: () => { x.inp.value = x.open.toFixed(2); if (o.onChange) o.onChange(); } }, t('fin.fill'))) },
      ], inputs, { inputs: true, testid: 'open-items-table', data: (x) => ({ doc: `${x.i.doc_type}:${x.i.doc_id}` }) }));
    if (o.onChange) o.onChange();
  }
  const allocations = () => inputs.filter((x) => x.inp.value.trim() !== '' && Number(x.inp.value) !== 0)
    .map((x) => ({ doc_type: x.i.doc_type, doc_id: x.i.doc_id, amount: x.inp.value.trim() }));
  const sum = () => inputs.reduce((s, x) => s + (Number(x.inp.value) || 0), 0);
  return { el: box, load, allocations, sum };
}
