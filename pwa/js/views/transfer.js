/**
 * Transfers (调拨): create a transfer from my warehouse — an outbox op (`transfer.create`, shipped in the
 * same op when "ship now" is ticked), so it works offline and is applied exactly once —, ship drafts (an
 * outbox op too), and a link to receiving incoming transfers.
 */
import { api } from '../api.js';
import { lineList, queuedMessage, scanBox } from '../components.js';
import * as db from '../db.js';
import { t } from '../i18n.js';
import { lineRef, photoProduct } from '../photoscan.js';
import * as ops from '../ops.js';
import { can, session } from '../session.js';
import { syncNow } from '../sync.js';
import { errText, h, mount, toast, warehouseSelect } from '../ui.js';

export default {
  id: 'transfer', title: 'nav.transfer', perm: 'transfer.create',
  async render(root, ctx) {
    const all = (await db.getAll('warehouses')).filter((w) => w.is_active !== false);
    const dests = all.length ? all : session.warehouses;
    const from = warehouseSelect(session.warehouses, session.warehouseId, { 'data-testid': 'tr-from' });
    const other = dests.find((w) => w.id !== session.warehouseId);
    const to = warehouseSelect(dests, other ? other.id : null, { 'data-testid': 'tr-to' });
    const note = h('input', { type: 'text', maxlength: 500, placeholder: t('common.note_optional') });
    const shipNow = h('input', { type: 'checkbox', checked: can('transfer.ship') });
    const lines = lineList();
    const sb = scanBox({ onResolved: (hit) => lines.add(hit.product, Number(hit.quantity)),
      onOfflinePhoto: (blob) => { const p = photoProduct(blob); lines.add(p.product, 1, p.extra); } });
    ctx.cleanup(sb.destroy);
    const drafts = h('ul', { class: 'list' });
    const submit = h('button', { class: 'btn primary block', type: 'button', 'data-testid': 'tr-submit', onclick: async () => {
      const rows = lines.nonZero().filter((l) => Number(l.qty) > 0);
      if (!rows.length) { toast(t('lines.none'), 'err'); return; }
      if (from.value === to.value) { toast(t('transfer.same'), 'err'); return; }
      submit.disabled = true;
      try {
        const dest = dests.find((w) => String(w.id) === to.value);
        await ops.createTransfer({ from_warehouse_id: Number(from.value), to_warehouse_id: Number(to.value),
          note: note.value, ship: shipNow.checked && can('transfer.ship'),
          lines: rows.map((l) => ({ ...lineRef(l), quantity: l.qty })) },
        `${t('nav.transfer')} → ${dest ? dest.name || dest.code : to.value} · ${rows.length} ${t('lines.count')}`);
        toast(queuedMessage());
        lines.clear(); note.value = '';
        syncNow().then(() => loadDrafts());
      } catch (e) { toast(errText(e), 'err'); } finally { submit.disabled = false; }
    } }, t('transfer.create'));

    async function loadDrafts() {
      try {
        const res = await api('GET', '/api/v1/transfers', { query: { status: 'draft', from_warehouse_id: session.warehouseId || undefined, per_page: 50 } });
        mount(drafts, (res.items || []).map((tr) => h('li', { class: 'row' },
          h('div', { class: 'grow' }, h('strong', {}, tr.number), h('div', { class: 'muted small' }, `→ #${tr.to_warehouse_id} · ${(tr.lines || []).length} ${t('lines.count')}`)),
          can('transfer.ship') ? h('button', { class: 'btn', type: 'button', onclick: async (e) => {
            e.target.disabled = true;
            await ops.shipTransfer({ transfer_id: tr.id }, `${t('transfer.ship')} · ${tr.number}`);
            toast(queuedMessage()); syncNow();
          } }, t('transfer.ship')) : null)));
      } catch { mount(drafts); }
    }
    root.append(
      can('transfer.receive') ? h('a', { class: 'btn block', href: '#/transfer-in', 'data-testid': 'tr-incoming' }, t('nav.transfer_in')) : null,
      h('h2', {}, t('transfer.new')),
      h('div', { class: 'card' }, h('label', {}, t('transfer.from'), from), h('label', {}, t('transfer.to'), to),
        h('label', {}, t('common.note'), note),
        can('transfer.ship') ? h('label', { class: 'row' }, shipNow, t('transfer.ship_now')) : null),
      h('div', { class: 'card' }, h('label', {}, t('scan.title')), sb.el), lines.el, submit,
      h('h2', {}, t('transfer.drafts')), drafts);
    lines.render();
    loadDrafts();
  },
};
