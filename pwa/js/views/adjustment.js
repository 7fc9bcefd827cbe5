/** Stock adjustment: warehouse, reason, scanned lines with signed quantities → outbox op. */
import { lineList, queuedMessage, scanBox } from '../components.js';
import { t } from '../i18n.js';
import { lineRef, photoProduct } from '../photoscan.js';
import * as ops from '../ops.js';
import { session, setWarehouse } from '../session.js';
import { syncNow } from '../sync.js';
import { errText, h, toast, warehouseSelect } from '../ui.js';

// backend/models/inventory.py ADJUSTMENT_REASONS; sign: +1 only increases, -1 only decreases, 0 either
export const REASONS = [
  ['damage', -1], ['loss', -1], ['found', 1], ['sample', -1], ['opening_balance', 1], ['other', 0],
];

export default {
  id: 'adjustment', title: 'nav.adjustment', perm: 'stock.adjust',
  render(root, ctx) {
    const wh = warehouseSelect(session.warehouses, session.warehouseId, { 'data-testid': 'adj-warehouse',
      onchange: () => setWarehouse(wh.value) });
    const reason = h('select', { 'data-testid': 'adj-reason' }, REASONS.map(([r]) => h('option', { value: r }, t(`reason.${r}`))));
    const note = h('input', { type: 'text', maxlength: 500, placeholder: t('common.note_optional') });
    const lines = lineList({ signed: true });
    const sign = () => (REASONS.find(([r]) => r === reason.value) || [0, 0])[1];
    const sb = scanBox({ onResolved: (hit) => lines.add(hit.product, Number(hit.quantity) * (sign() < 0 ? -1 : 1)),
      onOfflinePhoto: (blob) => { const p = photoProduct(blob); lines.add(p.product, sign() < 0 ? -1 : 1, p.extra); } });
    ctx.cleanup(sb.destroy);
    reason.addEventListener('change', () => { // keep the signs the reason allows
      const sg = sign();
      if (sg) { for (const l of lines.values()) l.qty = sg * Math.abs(Number(l.qty)); lines.render(); }
    });
    const submit = h('button', { class: 'btn primary block', type: 'button', 'data-testid': 'adj-submit', onclick: async () => {
      const rows = lines.nonZero();
      if (!rows.length) { toast(t('lines.none'), 'err'); return; }
      submit.disabled = true;
      try {
        await ops.adjust({ warehouse_id: Number(wh.value), reason: reason.value, note: note.value,
          lines: rows.map((l) => ({ ...lineRef(l), quantity: l.qty })) },
        `${t('nav.adjustment')} · ${t(`reason.${reason.value}`)} · ${rows.length} ${t('lines.count')}`);
        toast(queuedMessage());
        lines.clear(); note.value = '';
        syncNow();
      } catch (e) { toast(errText(e), 'err'); } finally { submit.disabled = false; }
    } }, t('common.submit'));
    root.append(h('div', { class: 'card' },
      h('label', {}, t('common.warehouse'), wh), h('label', {}, t('adj.reason'), reason), h('label', {}, t('common.note'), note)),
    h('div', { class: 'card' }, h('label', {}, t('scan.title')), sb.el), lines.el, submit);
    lines.render();
  },
};
