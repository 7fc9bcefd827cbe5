/** Receivables / payables per partner with ageing (GET /finance/ageing) and a partner's open documents (#/balances[/customer-3]). */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { facts, offlineNote, splitView, store, stored } from '../office/kit.js';
import { can } from '../session.js';
import { errText, h } from '../ui.js';
import { API, docLabel, money, table } from './fin.js';

const BUCKETS = [['not_due', 'fin.age.not_due'], ['d1_30', 'fin.age.d1_30'], ['d31_60', 'fin.age.d31_60'], ['d61_90', 'fin.age.d61_90'], ['d90_plus', 'fin.age.d90_plus']];

export default {
  id: 'balances', title: 'fin.balances', perm: 'finance.view', wide: true,
  async render(root, ctx) {
    const [ptype, pid] = (ctx.params.id || '').split('-');
    const side = ptype || stored('fin.side') || 'customer';
    const split = splitView(!!pid);
    const seg = h('div', { class: 'seg', role: 'group', 'aria-label': t('fin.partner_type') }, ['customer', 'supplier'].map((s) =>
      h('button', { type: 'button', class: s === side ? 'on' : '', 'aria-pressed': String(s === side), 'data-testid': `side-${s}`,
        onclick: () => { store('fin.side', s); ctx.nav(`#/balances/${s}`); } }, t(s === 'customer' ? 'fin.receivables' : 'fin.payables'))));
    split.list.append(seg);
    root.append(offlineNote(ctx), split.el);
    let rep;
    try { rep = await api('GET', `${API}/finance/ageing`, { query: { partner_type: side } }); } catch (e) {
      split.list.append(h('p', { class: 'err-text' }, e.isNetwork ? t('list.offline') : errText(e)));
      return;
    }
    const rows = [...rep.items, { total: true, code: '', name: t('fin.total'), ...rep.totals }];
    split.list.append(h('p', { class: 'muted small' }, t('fin.as_of', { d: rep.as_of })), table([
      { label: 'fin.partner', render: (r) => (r.total ? r.name : `${r.code} ${r.name}`) },
      { label: 'fin.balance', num: true, render: (r) => money(r.balance) },
      ...BUCKETS.map(([k, label]) => ({ label, num: true, render: (r) => (Number(r[k]) ? money(r[k]) : '') })),
      { label: 'fin.credits', num: true, render: (r) => (Number(r.credits) ? money(r.credits) : '') },
      { label: 'fin.unallocated', num: true, render: (r) => (Number(r.unallocated) ? money(r.unallocated) : '') },
    ], rows, { testid: 'ageing', onOpen: (r) => { if (!r.total) ctx.nav(`#/balances/${side}-${r.partner_id}`); },
      selected: (r) => String(r.partner_id) === pid, data: (r) => (r.total ? { total: '1' } : { partner: String(r.partner_id) }) }));
    const totalRow = split.list.querySelector('tr[data-total]');
    if (totalRow) { totalRow.classList.remove('clickable'); totalRow.classList.add('total'); totalRow.removeAttribute('tabindex'); }
    if (!pid) { split.detail.append(h('p', { class: 'empty' }, t('office.pick'))); return; }
    const row = rep.items.find((r) => String(r.partner_id) === pid) || { partner_id: pid, code: '', name: '', balance: '0' };
    await partnerDetail(split.detail, side, row);
  },
};

async function partnerDetail(pane, side, row) {
  let items = [];
  try { items = await api('GET', `${API}/finance/${side === 'customer' ? 'receivables' : 'payables'}`, { query: { partner_id: row.partner_id } }); }
  catch (e) { pane.append(h('p', { class: 'err-text' }, errText(e))); }
  const today = new Date().toISOString().slice(0, 10);
  pane.append(h('div', { class: 'detail-head' }, h('a', { class: 'btn back-to-list', href: `#/balances/${side}` }, `‹ ${t('office.back_to_list')}`),
    h('h2', { 'data-testid': 'detail-title' }, `${row.code} ${row.name}`)),
  h('section', { class: 'card' }, facts([['fin.balance', money(row.balance)], ['fin.unallocated', money(row.unallocated || 0)],
    ...BUCKETS.map(([k, label]) => [label, Number(row[k]) ? money(row[k]) : ''])])),
  h('h3', {}, t('fin.open_docs')),
  table([
    { label: 'doc.number', render: (i) => `${docLabel(i.doc_type)} ${i.number}` },
    { label: 'doc.date', render: (i) => i.date },
    { label: 'fin.due', render: (i) => (i.due_date ? h('span', { class: i.due_date < today ? 'err-text' : '' }, i.due_date) : '') },
    { label: 'doc.total', num: true, render: (i) => money(i.total) },
    { label: 'fin.open', num: true, render: (i) => money(i.open) },
  ], items, { testid: 'partner-open-items' }),
  h('div', { class: 'btn-row wrap' },
    can('finance.write') ? h('a', { class: 'btn primary', 'data-testid': 'balance-pay',
      href: `#/payments/new?partner=${side}:${row.partner_id}&direction=${side === 'customer' ? 'in' : 'out'}` }, t('fin.record_payment')) : null,
    h('a', { class: 'btn', href: `#/statements/${side}-${row.partner_id}`, 'data-testid': 'balance-statement' }, t('fin.statement'))));
}
