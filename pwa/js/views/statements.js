/** A partner's statement 对账单 for a period (#/statements[/customer-3][?from=&to=]) on screen and as a PDF. */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { facts, fileLink, offlineNote, store, stored } from '../office/kit.js';
import { errText, h, mount } from '../ui.js';
import { API, docLabel, hashQuery, monthOf, money, partnerOptions, splitPartner, table } from './fin.js';

export default {
  id: 'statements', title: 'fin.statements', perm: 'finance.view', wide: true,
  async render(root, ctx) {
    const q = hashQuery();
    const [ptype, pid] = (ctx.params.id || '').split('-');
    const kept = stored('fin.statement') || {};
    const [m0, m1] = monthOf(0);
    const partners = await partnerOptions();
    const pick = h('select', { id: 'st-partner', 'data-testid': 'st-partner' }, h('option', { value: '' }, t('form.choose')),
      partners.map(([v, label]) => h('option', { value: v, selected: v === (pid ? `${ptype}:${pid}` : kept.partner) }, label)));
    const from = h('input', { type: 'date', id: 'st-from', 'data-testid': 'st-from', value: q.from || m0 });
    const to = h('input', { type: 'date', id: 'st-to', 'data-testid': 'st-to', value: q.to || (q.from ? '' : m1) });
    const out = h('div', { 'data-testid': 'statement', 'aria-live': 'polite' });
    const month = (off) => h('button', { class: 'btn', type: 'button', 'data-testid': `st-month${off}`, onclick: () => {
      [from.value, to.value] = monthOf(off); show();
    } }, t(off ? 'fin.last_month' : 'fin.this_month'));
    const field = (el, label) => h('div', {}, h('label', { for: el.id }, t(label)), el);
    async function show() {
      const p = splitPartner(pick.value);
      store('fin.statement', { partner: pick.value });
      if (!p.id) { mount(out, h('p', { class: 'empty' }, t('fin.pick_partner'))); return; }
      const query = { date_from: from.value || undefined, date_to: to.value || undefined };
      mount(out, h('p', { class: 'muted' }, t('common.loading')));
      let s;
      try { s = await api('GET', `${API}/finance/statements/${p.type}/${p.id}`, { query }); } catch (e) {
        mount(out, h('p', { class: 'err-text', role: 'alert', 'data-testid': 'st-error' }, e.isNetwork ? t('list.offline') : errText(e)));
        return;
      }
      const qs = new URLSearchParams({ date_from: s.date_from, date_to: s.date_to });
      mount(out, h('div', { class: 'detail-head' }, h('h2', { 'data-testid': 'detail-title' }, `${t('fin.statement')} · ${s.code} ${s.name}`)),
        h('section', { class: 'card' }, facts([
          ['fin.period', `${s.date_from} ~ ${s.date_to}`],
          ['fin.opening', h('span', { 'data-testid': 'st-opening' }, money(s.opening))],
          ['fin.documents', money(s.documents)], ['fin.payments_net', money(s.payments)],
          ['fin.closing', h('strong', { 'data-testid': 'st-closing' }, money(s.closing))]])),
        table([
          { label: 'doc.date', render: (l) => l.date },
          { label: 'doc.number', render: (l) => l.number },
          { label: 'fin.description', render: (l) => `${docLabel(l.doc_type)}${l.reference ? ` ${l.reference}` : ''}` },
          { label: 'fin.debit', num: true, render: (l) => (Number(l.debit) ? money(l.debit) : '') },
          { label: 'fin.credit', num: true, render: (l) => (Number(l.credit) ? money(l.credit) : '') },
          { label: 'fin.balance', num: true, render: (l) => money(l.balance) },
        ], s.lines, { testid: 'statement-lines' }),
        h('div', { class: 'btn-row wrap' }, fileLink(`${API}/finance/statements/${p.type}/${p.id}/pdf?${qs}`, 'fin.statement_pdf', 'statement-pdf')));
    }
    pick.addEventListener('change', show);
    from.addEventListener('change', show);
    to.addEventListener('change', show);
    root.append(offlineNote(ctx), h('section', { class: 'card' },
      h('div', { class: 'fin-period' }, field(pick, 'fin.partner'), field(from, 'fin.date_from'), field(to, 'fin.date_to'), month(0), month(-1))), out);
    await show();
  },
};
