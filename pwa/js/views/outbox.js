/** Outbox & Conflicts: what is queued, what the server refused (kept until the user resolves it). */
import { api } from '../api.js';
import { t } from '../i18n.js';
import * as outbox from '../outbox.js';
import { refusalLines } from '../refusals.js';
import { state as syncState, syncNow } from '../sync.js';
import { errText, fmtMoney, fmtQty, fmtTime, h, mount, toast } from '../ui.js';

/** The document as it is now, from a refused (stale) decision: number, status, version, amount, lines. */
function nowFigures(cur) {
  if (!cur || typeof cur !== 'object' || !cur.number) return null;
  return h('div', { class: 'small', 'data-testid': 'conflict-current' },
    h('div', {}, t('inbox.conflict_now', { number: cur.number, status: cur.status, version: cur.version,
      amount: cur.amount !== undefined ? ` · ${fmtMoney(cur.amount)}` : '' })),
    (cur.lines || []).length ? h('ul', { class: 'muted' }, cur.lines.map((l) => h('li', {},
      [`${l.sku} ${l.name || ''}`, fmtQty(l.quantity), l.unit_price !== undefined ? fmtMoney(l.unit_price) : ''].filter(Boolean).join(' · ')))) : null);
}

export default {
  id: 'outbox', title: 'nav.outbox', perm: 'sync.push',
  render(root, ctx) {
    const pend = h('ul', { class: 'list', 'data-testid': 'pending-list' });
    const conf = h('ul', { class: 'list', 'data-testid': 'conflict-list' });
    const info = h('p', { class: 'muted small', 'data-testid': 'outbox-info' });
    const remote = h('ul', { class: 'list', 'data-testid': 'remote-conflicts' });
    const btn = h('button', { class: 'btn primary block', type: 'button', 'data-testid': 'outbox-sync',
      onclick: async () => {
        if (!navigator.onLine) { toast(t('sync.offline'), 'err'); return; }
        btn.disabled = true;
        try { await syncNow({ force: true }); } finally { btn.disabled = false; }
        if (syncState.lastError) toast(syncState.lastError, 'err');
      } }, t('sync.now'));

    const opRow = (op, extra) => h('li', { dataset: { opId: op.op_id, seq: String(op.seq), type: op.type }, class: 'op' },
      h('div', { class: 'row' }, h('div', { class: 'grow' }, h('strong', {}, op.label || op.type)),
        h('span', { class: `pill ${op.status === 'rejected' ? 'err' : 'warn'}` }, t(`op.status.${op.status}`))),
      h('div', { class: 'muted small' }, `#${op.seq} · ${fmtTime(op.client_time)} · ${op.type}`),
      op.last_error && op.status === 'pending' ? h('div', { class: 'muted small' }, t('op.last_error', { msg: op.last_error })) : null,
      extra);

    async function refresh() {
      const [p, r] = await Promise.all([outbox.pending(), outbox.rejected()]);
      mount(pend, p.length ? p.map((op) => opRow(op)) : h('li', { class: 'empty' }, t('outbox.empty')));
      mount(conf, r.length ? r.map((op) => opRow(op, [
        h('div', { class: 'err-text', 'data-testid': 'conflict-error' },
          `${op.error && op.error.code ? `[${op.error.code}] ` : ''}${(op.error && op.error.message) || ''}`),
        nowFigures(op.error && op.error.errors && op.error.errors.current),
        refusalLines(op.error).length ? h('ul', { class: 'err-text small', 'data-testid': 'conflict-lines' },
          refusalLines(op.error).map((s) => h('li', {}, s))) : null,
        h('div', { class: 'btn-row' },
          h('button', { class: 'btn', type: 'button', 'data-testid': 'conflict-retry', onclick: async () => {
            try { await outbox.resolve(op.id); toast(t('conflict.retried')); } catch (e) { toast(errText(e), 'err'); }
          } }, t('conflict.retry')),
          h('button', { class: 'btn danger', type: 'button', 'data-testid': 'conflict-dismiss', onclick: async () => {
            const reason = window.prompt(t('conflict.dismiss_confirm'));
            if (!reason || !reason.trim()) return;
            try { await outbox.dismiss(op.id, reason.trim()); } catch (e) { toast(errText(e), 'err'); }
          } }, t('conflict.dismiss'))),
      ])) : h('li', { class: 'empty' }, t('conflict.none')));
      loadRemote(new Set(r.map((op) => op.op_id)));
      info.textContent = [syncState.lastSync ? t('home.last_sync', { at: fmtTime(syncState.lastSync) }) : '',
        syncState.pushMissing ? t('sync.no_endpoint') : '', syncState.lastError || ''].filter(Boolean).join(' · ');
    }
    // Rejections the server still holds for this user but this phone does not (another device, or
    // local storage cleared): listed so nothing refused is ever invisible; dismiss works from here.
    async function loadRemote(local) {
      let items = [];
      try { items = ((await api('GET', '/api/v1/sync/ops', { query: { status: 'rejected', per_page: 50 } })).items || []); } catch { /* offline */ }
      items = items.filter((rec) => !local.has(rec.op_id));
      mount(remote, items.map((rec) => h('li', { class: 'op', dataset: { opId: rec.op_id } },
        h('div', { class: 'row' }, h('strong', { class: 'grow' }, rec.type), h('span', { class: 'pill err' }, t('op.status.rejected'))),
        h('div', { class: 'muted small' }, `${t('conflict.other_device')} · ${fmtTime(rec.client_time || rec.synced_at)}`),
        h('div', { class: 'err-text' }, `[${rec.error_code}] ${rec.error_message || ''}`),
        h('button', { class: 'btn danger block', type: 'button', onclick: async () => {
          const reason = window.prompt(t('conflict.dismiss_confirm'));
          if (!reason || !reason.trim()) return;
          try { await api('POST', `/api/v1/sync/ops/${rec.id}/dismiss`, { json: { reason: reason.trim() } }); refresh(); }
          catch (e) { toast(errText(e), 'err'); }
        } }, t('conflict.dismiss')))));
    }
    ctx.on(window, 'jxc:outbox', refresh);
    ctx.on(window, 'jxc:sync', refresh);
    refresh();
    root.append(btn, info, h('h2', {}, t('outbox.pending')), pend, h('h2', { id: 'conflicts' }, t('conflict.title')),
      h('p', { class: 'muted small' }, t('conflict.help')), conf, remote);
  },
};
