/**
 * Shared screen for working a document line by line with the scanner: receive against a purchase
 * order, pick/ship a sales order. Lists and details are cached in IndexedDB ("docs") so the work can
 * be done offline; the result is ONE outbox op carrying the version the user saw.
 */
import { api } from '../api.js';
import { product as lookupProduct } from '../catalog.js';
import { lineList, queuedMessage, scanBox } from '../components.js';
import { photoProduct } from '../photoscan.js';
import * as db from '../db.js';
import * as drafts from '../drafts.js';
import { feedback } from '../feedback.js';
import { t } from '../i18n.js';
import { syncNow } from '../sync.js';
import { errText, fmtMoney, fmtQty, h, mount, toast } from '../ui.js';

/**
 * @param {object} cfg
 * @param {string} cfg.id           view id ("receive" | "ship")
 * @param {string} cfg.base         API collection, e.g. "/api/v1/purchase-orders"
 * @param {string[]} cfg.statuses   workable statuses
 * @param {string} cfg.doneKey      field with the quantity already done on a line (received_qty / shipped_qty)
 * @param {(doc, lines) => Promise} cfg.enqueue  records the op
 * @param {string} cfg.partnerField e.g. "supplier_name"
 * @param {(line) => number} [cfg.remaining] open quantity of a line
 * @param {() => object} [cfg.listQuery] extra list filters
 */
/** Documents delivered by /sync/pull (raw rows with lines), for offline use. */
export async function pulledDocs(entity, statuses) {
  if (!entity) return [];
  const rows = await db.getAll('docs', IDBKeyRange.bound(`doc:${entity}:`, `doc:${entity}:\uffff`));
  return rows.map((r) => r.doc).filter((d) => !statuses || statuses.includes(d.status));
}

export function docWorkView(cfg) {
  return {
    id: cfg.id, title: cfg.title, perm: cfg.perm,
    async render(root, ctx) {
      if (ctx.params.id) return renderDoc(root, ctx, Number(ctx.params.id));
      const list = h('ul', { class: 'list', 'data-testid': `${cfg.id}-docs` }, h('li', { class: 'empty' }, t('common.loading')));
      const note = h('p', { class: 'muted small' });
      root.append(note, list);
      let items = null;
      try {
        const pages = await Promise.all(cfg.statuses.map((s) => api('GET', cfg.base, { query: { status: s, per_page: 100, ...(cfg.listQuery ? cfg.listQuery() : {}) } })));
        items = pages.flatMap((p) => p.items || []);
        await db.put('docs', { key: `${cfg.id}:list`, items, at: Date.now() });
      } catch (e) {
        const cached = await db.get('docs', `${cfg.id}:list`);
        const pulled = cached ? [] : await pulledDocs(cfg.entity, cfg.statuses);
        if (cached || pulled.length) { items = cached ? cached.items : pulled; note.textContent = t('docs.cached'); }
        else { mount(list, h('li', { class: 'empty' }, e.isNetwork ? t('docs.offline_none') : errText(e))); return; }
      }
      mount(list, items.length ? items.map((d) => h('li', { class: 'clickable', onclick: () => ctx.nav(`#/${cfg.id}/${d.id}`) },
        h('div', { class: 'row' }, h('strong', { class: 'grow' }, d.number), h('span', { class: 'pill' }, t(`status.${d.status}`))),
        h('div', { class: 'muted small' }, [cfg.partner ? cfg.partner(d) : d[cfg.partnerField], d.expected_date, d.total !== undefined ? fmtMoney(d.total) : ''].filter(Boolean).join(' · '))))
        : h('li', { class: 'empty' }, t('docs.none')));
    },
  };

  async function renderDoc(root, ctx, id) {
    let doc;
    const key = `${cfg.id}:${id}`;
    try {
      doc = await api('GET', `${cfg.base}/${id}`);
      await db.put('docs', { key, doc, at: Date.now() });
    } catch (e) {
      const cached = (await db.get('docs', key)) || (await db.get('docs', `doc:${cfg.entity}:${id}`));
      if (!cached) { root.append(h('p', { class: 'empty' }, e.isNetwork ? t('docs.offline_none') : errText(e))); return; }
      doc = cached.doc;
      root.append(h('p', { class: 'muted small' }, t('docs.cached')));
    }
    // Every change of a quantity is saved at once (drafts.js): a reload, leaving or a killed app resumes here.
    const saveDraft = () => drafts.save(cfg.id, id, { lines: lines.values().filter((l) => Number(l.qty))
      .map((l) => ({ line_id: l.line_id, qty: l.qty })) });
    let restoring = true;
    const lines = lineList({ showExpected: true, expectedLabel: t(cfg.expectedKey || 'lines.expected'),
      onChange: () => { if (!restoring) saveDraft(); } });
    const rows = [];
    for (const ln of doc.lines || []) {
      const remaining = cfg.remaining ? cfg.remaining(ln) : ln.remaining_qty !== undefined ? Number(ln.remaining_qty) : Number(ln.quantity) - Number(ln[cfg.doneKey] || 0);
      if (remaining <= 0) continue;
      const p = (await lookupProduct(ln.product_id)) || { id: ln.product_id, sku: ln.sku, name: ln.product_name || ln.sku };
      rows.push({ key: ln.id, product: p, qty: 0, expected: remaining, line_id: ln.id });
    }
    const saved = await drafts.load(cfg.id, id);
    const kept = new Map(((saved && saved.lines) || []).map((l) => [l.line_id, Number(l.qty)]));
    for (const r of rows) if (kept.has(r.line_id)) r.qty = kept.get(r.line_id);
    lines.set(rows);
    restoring = false;
    const restored = rows.filter((r) => r.qty).length;
    if (restored) toast(t('floor.draft_restored', { n: restored }));
    // What a line may take: the open quantity (plus the order's receiving tolerance, which the server applies).
    const tol = Number(doc.receive_tolerance_pct || 0);
    // a queued photo line has no order line yet: the server matches and checks it at push time
    const allowed = (l) => (l.line_id ? Math.floor(Number(l.expected) * (1 + tol / 100) * 10000) / 10000 : Infinity);
    const sb = scanBox({ onResolved: (hit) => {
      const ln = lines.find((l) => l.product.id === hit.product.id && Number(l.qty) < Number(l.expected))
        || lines.find((l) => l.product.id === hit.product.id);
      if (!ln) { toast(t('docs.not_on_doc', { sku: hit.product.sku }), 'err'); return 'warning'; }
      const row = lines.add(ln.product, Number(hit.quantity), { key: ln.key });
      if (Number(row.qty) > allowed(row)) {
        toast(t('floor.over_scan', { sku: row.product.sku, qty: fmtQty(row.qty), expected: fmtQty(row.expected) }), 'warn');
        return 'warning';
      }
      return 'success';
    },
    // a photo unread offline: its own line, matched to the order's line by the server at push time
    onOfflinePhoto: (blob) => { const p = photoProduct(blob); lines.add(p.product, 1, p.extra); } });
    ctx.cleanup(sb.destroy);
    const fillAll = h('button', { class: 'btn', type: 'button', onclick: () => {
      for (const l of lines.values()) if (l.line_id) l.qty = l.expected;
      lines.render();
    } }, t('docs.fill_all'));
    const discard = h('button', { class: 'btn danger', type: 'button', 'data-testid': `${cfg.id}-discard`, onclick: async () => {
      if (!window.confirm(t('floor.discard_confirm'))) return;
      await drafts.drop(cfg.id, id);
      restoring = true;
      for (const l of lines.values()) l.qty = 0;
      lines.render();
      restoring = false;
      toast(t('floor.discarded'));
    } }, t('floor.discard'));
    const overPanel = h('div', { class: 'card over-panel', hidden: true, role: 'alertdialog', 'aria-live': 'assertive',
      'data-testid': 'over-panel' });
    async function send(todo) {
      submit.disabled = true;
      try {
        await cfg.enqueue(doc, todo.map((l) => (l.photo ? { photo: l.photo, quantity: l.qty } : { line_id: l.line_id, quantity: l.qty })));
        await drafts.drop(cfg.id, id);
        toast(queuedMessage());
        syncNow();
        ctx.nav(`#/${cfg.id}`);
      } catch (e) { toast(errText(e), 'err'); submit.disabled = false; }
    }
    // More than allowed on some line: the server would refuse the whole op, so offer to send what is
    // allowed (the rest of the order stays open) or to go back and fix it (issue 14 §5).
    function offerAllowed(todo, over) {
      mount(overPanel, h('strong', {}, t('floor.over_title')),
        h('ul', { 'data-testid': 'over-lines' }, over.map((l) => h('li', {}, t('floor.over_row', {
          sku: l.product.sku, name: l.product.name || '', qty: fmtQty(l.qty), allowed: fmtQty(allowed(l)) })))),
        h('div', { class: 'btn-row' },
          h('button', { class: 'btn primary', type: 'button', 'data-testid': 'submit-allowed', onclick: () => {
            overPanel.hidden = true;
            send(todo.map((l) => ({ ...l, qty: Math.min(Number(l.qty), allowed(l)) })).filter((l) => l.qty > 0));
          } }, t('floor.submit_allowed')),
          h('button', { class: 'btn', type: 'button', 'data-testid': 'submit-cancel', onclick: () => { overPanel.hidden = true; } },
            t('floor.cancel'))));
      overPanel.hidden = false;
      overPanel.scrollIntoView({ block: 'center' });
      feedback('warning');
    }
    const submit = h('button', { class: 'btn primary', type: 'button', 'data-testid': `${cfg.id}-submit`, onclick: () => {
      const todo = lines.nonZero();
      if (!todo.length) { toast(t('lines.none'), 'err'); return; }
      const over = todo.filter((l) => Number(l.qty) > allowed(l));
      if (over.length) { offerAllowed(todo, over); return; }
      send(todo);
    } }, t(cfg.submitKey));
    root.append(
      h('div', { class: 'card' }, h('div', { class: 'row' }, h('strong', { class: 'grow' }, doc.number),
        h('span', { class: 'pill' }, t(`status.${doc.status}`))),
      h('div', { class: 'muted small' }, [cfg.partner ? cfg.partner(doc) : doc[cfg.partnerField], doc.warehouse_code].filter(Boolean).join(' · '))),
      h('div', { class: 'card' }, h('label', {}, t('scan.title')), sb.el,
        h('p', { class: 'muted small' }, t('floor.saved_here'))),
      lines.el, overPanel, h('div', { class: 'btn-row' }, fillAll, discard, submit));
    if (!rows.length) root.append(h('p', { class: 'empty' }, t('docs.nothing_open')));
  }
}
