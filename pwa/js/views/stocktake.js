/**
 * Stocktake counting (盘点): pick an open stocktake, scan and count. Each counted line becomes one
 * outbox op stamped with the time it was counted (the server computes variance at that moment).
 */
import { api } from '../api.js';
import { lineList, queuedMessage, scanBox } from '../components.js';
import * as db from '../db.js';
import { t } from '../i18n.js';
import * as ops from '../ops.js';
import { session } from '../session.js';
import { syncNow } from '../sync.js';
import { errText, h, mount, toast } from '../ui.js';
import { pulledDocs } from './docwork.js';

let photoSeq = 0;

export default {
  id: 'stocktake', title: 'nav.stocktake', perm: 'stocktake.count',
  async render(root, ctx) {
    if (ctx.params.id) return renderCount(root, ctx, Number(ctx.params.id));
    const list = h('ul', { class: 'list', 'data-testid': 'stocktake-docs' }, h('li', { class: 'empty' }, t('common.loading')));
    const note = h('p', { class: 'muted small' });
    root.append(note, list);
    let items;
    try {
      items = (await api('GET', '/api/v1/stocktakes', { query: { status: 'counting', per_page: 100 } })).items || [];
      await db.put('docs', { key: 'stocktake:list', items, at: Date.now() });
    } catch (e) {
      const cached = (await db.get('docs', 'stocktake:list')) || { items: await pulledDocs('stocktake', ['counting']) };
      if (!cached.items.length) { mount(list, h('li', { class: 'empty' }, e.isNetwork ? t('docs.offline_none') : errText(e))); return; }
      items = cached.items; note.textContent = t('docs.cached');
    }
    const whName = (id) => (session.warehouses.find((w) => w.id === id) || {}).name || `#${id}`;
    mount(list, items.length ? items.map((st) => h('li', { class: 'clickable', onclick: () => ctx.nav(`#/stocktake/${st.id}`) },
      h('div', { class: 'row' }, h('strong', { class: 'grow' }, st.number), h('span', { class: 'pill' }, t(`status.${st.status}`))),
      h('div', { class: 'muted small' }, [whName(st.warehouse_id), st.category].filter(Boolean).join(' · '))))
      : h('li', { class: 'empty' }, t('stocktake.none')));
  },
};

async function renderCount(root, ctx, id) {
  const cached = await db.get('docs', 'stocktake:list');
  const pulled = await db.get('docs', `doc:stocktake:${id}`);
  const st = (cached && cached.items.find((x) => x.id === id)) || (pulled && pulled.doc) || { id, number: `#${id}` };
  const lines = lineList({ emptyText: t('stocktake.scan_to_count') });
  const sb = scanBox({
    onResolved: (hit) => {
      const l = lines.add(hit.product, Number(hit.quantity));
      if (!l.counted_at) l.counted_at = new Date().toISOString();
    },
    onOfflinePhoto: (blob) => {
      const key = `photo-${++photoSeq}`;
      lines.add({ id: key, sku: '', name: t('stocktake.photo_item'), spec: t('scan.photo_queued') }, 1,
        { key, photo: blob, counted_at: new Date().toISOString() });
    },
  });
  ctx.cleanup(sb.destroy);
  const submit = h('button', { class: 'btn primary block', type: 'button', 'data-testid': 'stocktake-submit', onclick: async () => {
    const todo = lines.values().filter((l) => Number(l.qty) >= 0 && (Number(l.qty) > 0 || !l.photo));
    if (!todo.length) { toast(t('lines.none'), 'err'); return; }
    submit.disabled = true;
    try {
      for (const l of todo) {
        await ops.count({ stocktake_id: id, product_id: l.photo ? undefined : l.product.id, quantity: l.qty, counted_at: l.counted_at,
          photo: l.photo }, `${t('nav.stocktake')} · ${st.number} · ${l.product.sku || t('stocktake.photo_item')} = ${l.qty}`);
      }
      toast(queuedMessage());
      lines.clear();
      syncNow();
    } catch (e) { toast(errText(e), 'err'); } finally { submit.disabled = false; }
  } }, t('stocktake.submit'));
  root.append(h('div', { class: 'card' }, h('strong', {}, st.number), h('p', { class: 'muted small' }, t('stocktake.help'))),
    h('div', { class: 'card' }, h('label', {}, t('scan.title')), sb.el), lines.el, submit);
  lines.render();
}
