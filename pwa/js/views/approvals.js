/**
 * The manager's inbox: everything this user may decide now — purchase and sales orders, adjustments
 * over the threshold, submitted stocktakes, transfer discrepancies — with the detail to decide it
 * (lines, prices, margin, credit, variance, stock impact, who submitted when, earlier steps).
 *
 * Works offline: the last list is kept in IndexedDB, and a decision is an outbox op carrying the version
 * shown (ops.js `decide`); if the document changed meanwhile the server refuses it as `stale_version`
 * and it appears under Conflicts with the new figures (views/outbox.js).
 */
import { api } from '../api.js';
import * as db from '../db.js';
import { getLang, t } from '../i18n.js';
import * as outbox from '../outbox.js';
import { DECISIONS, decide } from '../ops.js';
import { session } from '../session.js';
import { syncNow } from '../sync.js';
import { errText, fmtMoney, fmtQty, fmtTime, h, mount, productName, toast } from '../ui.js';

const CACHE = () => `inbox:${session.me ? session.me.id : 'anon'}`;
const whName = (id) => { const w = session.warehouses.find((x) => x.id === id); return w ? (w.name || w.code) : (id ? `#${id}` : ''); };
const has = (v) => v !== undefined && v !== null;

/** "doc_type:doc_id" of the decisions still waiting in the outbox. */
async function queuedKeys() {
  const types = new Map();
  for (const [dt, d] of Object.entries(DECISIONS)) for (const a of ['approve', 'reject']) if (d[a]) types.set(d[a], [dt, d.id]);
  const out = new Set();
  for (const op of await outbox.pending()) {
    const hit = types.get(op.type);
    if (hit) out.add(`${hit[0]}:${op.payload[hit[1]]}`);
  }
  return out;
}

function linesTable(it) {
  const lines = it.lines || [];
  if (!lines.length) return null;
  const st = it.doc_type === 'stocktake';
  const tr = it.doc_type === 'transfer';
  // [label, cell] per column; phones show each row as a card labelled from data-label (css table.grid)
  const cols = [
    [t('inbox.col.item'), (l) => `${l.sku} ${productName(l, getLang())}${tr ? ` · ${t(`inbox.kind.${l.kind}`)}` : ''}${l.flagged ? ` ⚑ ${t('inbox.flagged')}` : ''}`],
    st ? [t('inbox.col.counted'), (l) => `${fmtQty(l.counted_qty)} / ${fmtQty(l.book_qty)}`, 'num'] : null,
    [st ? t('inbox.col.variance') : t('inbox.col.qty'), (l) => `${fmtQty(l.quantity)} ${l.unit || ''}`, 'num'],
    lines.some((l) => has(l.unit_price)) ? [t('inbox.col.price'), (l) => (has(l.unit_price) ? fmtMoney(l.unit_price) : ''), 'num'] : null,
    lines.some((l) => has(l.amount)) ? [t('inbox.col.amount'), (l) => (has(l.amount) ? fmtMoney(l.amount) : ''), 'num'] : null,
  ].filter(Boolean);
  return h('div', { class: 'grid-wrap' }, h('table', { class: 'grid small', 'data-testid': 'inbox-lines' },
    h('thead', {}, h('tr', {}, cols.map(([label]) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, lines.map((l) => h('tr', { class: l.flagged ? 'warn' : '' },
      cols.map(([label, cell, cls]) => h('td', { class: cls || '', 'data-label': label }, cell(l))))))));
}

/** Margin, credit and stocktake variance lines of a card. */
function figures(it) {
  const out = [];
  if (it.margin) out.push(h('div', { 'data-testid': 'inbox-margin' }, t('inbox.margin', { margin: fmtMoney(it.margin.margin),
    pct: has(it.margin.pct) ? `${it.margin.pct}%` : '—', cost: fmtMoney(it.margin.cost) })));
  if (it.credit) {
    const c = it.credit;
    out.push(h('div', { class: c.over ? 'err-text' : '', 'data-testid': 'inbox-credit' }, t(Number(c.limit) ? 'inbox.credit' : 'inbox.credit_nolimit', {
      balance: fmtMoney(c.balance), after: fmtMoney(c.after), limit: fmtMoney(c.limit) }) + (c.over ? ` · ${t('inbox.credit_over')}` : '')));
  }
  if (it.variance) {
    const v = it.variance;
    out.push(h('div', { 'data-testid': 'inbox-variance' }, t('inbox.variance', { n: v.with_variance, counted: v.counted, lines: v.lines,
      up: fmtQty(v.up_qty), down: fmtQty(v.down_qty), flagged: v.flagged }) + (has(v.value) ? ` · ${fmtMoney(v.value)}` : '')));
  }
  return out;
}

/** What the document is about, its stock impact and earlier approval steps. */
function facts(it) {
  const out = figures(it);
  if (it.reason) out.push(h('div', {}, `${t('inbox.reason')}: ${t(`reason.${it.reason}`) === `reason.${it.reason}` ? it.reason : t(`reason.${it.reason}`)}`));
  if (it.doc_type === 'transfer') out.push(h('div', {}, `${whName(it.from_warehouse_id)} → ${whName(it.to_warehouse_id)}`));
  if (it.category || it.payee) out.push(h('div', {}, [it.category, it.payee].filter(Boolean).join(' · ')));
  if (it.note) out.push(h('div', { class: 'muted' }, `${t('inbox.note')}: ${it.note}`));
  const impact = (it.stock_impact || []).filter((s) => Number(s.quantity));
  if (impact.length) {
    out.push(h('div', { class: 'muted small' }, t('inbox.stock_impact')), h('ul', { class: 'muted small', 'data-testid': 'inbox-impact' },
      impact.slice(0, 8).map((s) => h('li', {}, `${s.sku}: ${Number(s.quantity) > 0 ? '+' : ''}${fmtQty(s.quantity)} (${fmtQty(s.on_hand)} → ${fmtQty(s.on_hand_after)})`))));
  }
  if ((it.history || []).length) {
    out.push(h('div', { class: 'muted small' }, t('inbox.history')), h('ul', { class: 'muted small', 'data-testid': 'inbox-history' },
      it.history.map((s) => h('li', {}, `${fmtTime(s.at)} · ${s.user || ''} · ${t(`inbox.decision.${s.decision}`)} (L${s.level})${s.comment ? ` — ${s.comment}` : ''}`))));
  }
  return out;
}

export default {
  id: 'approvals', title: 'nav.approvals',
  perm: ['purchase.approve', 'sales.approve', 'stock.adjust.approve', 'stocktake.approve', 'transfer.resolve', 'expense.approve'],
  async render(root, ctx) {
    const banner = h('p', { class: 'muted small', 'data-testid': 'inbox-banner' });
    const list = h('ul', { class: 'list', 'data-testid': 'approvals' }, h('li', { class: 'empty' }, t('common.loading')));
    root.append(banner, list);
    let items = [];
    async function load() {
      try {
        const res = await api('GET', '/api/v1/approvals/pending');
        items = res.items || [];
        await db.put('docs', { key: CACHE(), items, at: Date.now() });
        banner.textContent = '';
      } catch (e) {
        const cached = await db.get('docs', CACHE());
        if (!e.isNetwork || !cached) { mount(list, h('li', { class: 'empty' }, e.isNetwork ? t('approvals.offline') : errText(e))); return; }
        items = cached.items;
        banner.textContent = t('inbox.offline_list', { at: fmtTime(new Date(cached.at).toISOString()) });
      }
      await paint();
    }
    async function paint() {
      const queued = await queuedKeys();
      mount(list, items.length ? items.map((it) => card(it, queued.has(`${it.doc_type}:${it.doc_id}`)))
        : h('li', { class: 'empty' }, t('approvals.none')));
    }
    function card(it, queued) {
      const comment = h('textarea', { rows: 2, maxlength: 2000, placeholder: t('approvals.comment'), 'aria-label': t('approvals.comment') });
      const transfer = it.doc_type === 'transfer';
      const resolution = transfer ? h('select', { 'aria-label': t('inbox.resolution'), 'data-testid': 'inbox-resolution' },
        ['write_off', 'return_to_source', 'accept'].map((r) => h('option', { value: r }, t(`inbox.resolution.${r}`)))) : null;
      const go = (action) => async () => {
        const text = comment.value.trim();
        if (action === 'reject' && !text) { toast(t('approvals.reason_needed'), 'err'); comment.focus(); return; }
        try {
          await decide(it, action, text || null, transfer ? { resolution: resolution.value } : {},
            `${t(`inbox.action.${transfer ? 'resolve' : action}`)} ${it.number}`);
        } catch (e) { toast(errText(e), 'err'); return; }
        toast(navigator.onLine ? t('inbox.sending') : t('inbox.queued'));
        await paint();
        if (navigator.onLine) { await syncNow(); await load(); }
      };
      const who = [it.submitted_by, fmtTime(it.submitted_at)].filter(Boolean).join(' · ');
      return h('li', { class: 'card inbox-card', dataset: { doc: `${it.doc_type}:${it.doc_id}` } },
        h('div', { class: 'row' }, h('strong', { class: 'grow' }, it.number), h('span', { class: 'pill' }, t(`doc.${it.doc_type}`))),
        h('div', { class: 'muted small' }, [it.partner, it.warehouse_id && !transfer ? whName(it.warehouse_id) : '',
          has(it.amount) ? fmtMoney(it.amount) : '',
          it.levels_required > 1 ? t('approvals.level', { level: it.level, of: it.levels_required }) : ''].filter(Boolean).join(' · ')),
        who ? h('div', { class: 'muted small' }, t('inbox.submitted', { who })) : null,
        ...facts(it),
        (it.lines || []).length ? h('details', { class: 'inbox-detail', open: it.lines.length <= 3 },
          h('summary', {}, t('inbox.lines', { n: it.lines.length })), linesTable(it)) : null,
        queued ? h('div', { class: 'pill warn', 'data-testid': 'inbox-queued' }, t('inbox.queued_item')) : [
          resolution, comment,
          h('div', { class: 'btn-row' },
            transfer ? null : h('button', { class: 'btn danger', type: 'button', onclick: go('reject') },
              t(it.doc_type === 'stocktake' ? 'inbox.action.recount' : 'approvals.reject')),
            h('button', { class: 'btn primary', type: 'button', onclick: go('approve') },
              t(transfer ? 'inbox.action.resolve' : 'approvals.approve')))]);
    }
    ctx.on(window, 'jxc:outbox', paint);
    await load();
  },
};
