/** Webhooks (system.admin): list, create, edit, delete; ping, delivery log, send a delivery again. */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { facts, listPane, write } from '../office/kit.js';
import { masterView, yesNo } from '../office/master.js';
import { errText, fmtTime, h, toast } from '../ui.js';

let events = null;
// per-row tables a receiver rarely wants on their own (their document's events carry them)
const QUIET = /(_line|^sync_device|^expense_attachment|^stocktake_count|^approval|^company_setting|^reorder_point)$/;

/** Choices: all events, then one "<record>.*" pattern per kind of record (the catalogue lists ~150 names),
 * plus whatever the webhook already has. */
async function eventOptions(rec) {
  events = events || api('GET', '/api/v1/webhooks/events').then((r) => r.items || []).catch(() => []);
  const kinds = [...new Set((await events).map((e) => e.split('.')[0]))].filter((k) => !QUIET.test(k)).sort();
  const opts = [['*', t('wh.all_events')], ...kinds.map((k) => [`${k}.*`, `${k}.*`])];
  for (const e of (rec && rec.events) || []) if (!opts.some(([v]) => v === e)) opts.push([e, e]);
  return opts;
}

/** The secret: shown to admins, selectable, with how receivers check it. */
function secretPanel(w) {
  if (!w.secret) return null;
  return h('section', { class: 'card' }, h('h3', {}, t('wh.secret')),
    h('p', { class: 'muted small' }, t('wh.secret_help')),
    h('input', { type: 'text', readonly: true, class: 'mono', value: w.secret, 'aria-label': t('wh.secret'),
      'data-testid': 'webhook-secret', onfocus: (e) => e.target.select() }));
}

function statusPill(s) {
  const cls = s === 'delivered' ? 'st-approved' : s === 'failed' ? 'err' : 'warn';
  return h('span', { class: `pill ${cls}` }, t(`wh.st.${s}`));
}

/** Ping, delete, and the delivery log with "send again". */
function deliveriesPanel(w, ctx) {
  let list = null;
  const ping = h('button', { class: 'btn', type: 'button', 'data-testid': 'webhook-ping', onclick: async () => {
    ping.disabled = true;
    try { await write('POST', `/api/v1/webhooks/${w.id}/ping`); toast(t('wh.pinged')); list.reload(); }
    catch (e) { toast(errText(e), 'err'); } finally { ping.disabled = false; }
  } }, t('wh.ping'));
  const del = h('button', { class: 'btn danger', type: 'button', 'data-testid': 'webhook-delete', onclick: async () => {
    if (!window.confirm(t('wh.delete_confirm', { url: w.url }))) return;
    try { await write('DELETE', `/api/v1/webhooks/${w.id}`, { query: { version: w.version } }); toast(t('wh.deleted')); ctx.nav('#/webhooks'); }
    catch (e) { toast(errText(e), 'err'); }
  } }, t('wh.delete'));
  const retry = (d) => h('button', { class: 'btn', type: 'button', 'data-testid': 'delivery-retry',
    'aria-label': t('wh.retry_one', { id: d.id }), onclick: async (e) => {
      e.stopPropagation();
      try { await write('POST', `/api/v1/webhooks/${w.id}/deliveries/${d.id}/retry`); toast(t('wh.retried')); list.reload(); }
      catch (err) { toast(errText(err), 'err'); }
    } }, t('wh.retry'));
  list = listPane({
    ctx, key: 'webhook-deliveries', testid: 'deliveries-list', path: `/api/v1/webhooks/${w.id}/deliveries`,
    columns: [
      { key: 'created_at', label: 'wh.queued_at', render: (d) => fmtTime(d.created_at) },
      { key: 'event', label: 'wh.event' },
      { key: 'status', label: 'doc.status', render: (d) => statusPill(d.status) },
      { key: 'attempts', label: 'wh.attempts', num: true, phone: false },
      { key: 'response_status', label: 'wh.response', render: (d) => (d.response_status ? `HTTP ${d.response_status}` : d.error || '') , wrap: true },
      { key: 'retry', label: 'wh.retry', render: (d) => (d.status === 'pending' ? '' : retry(d)) },
    ],
    filters: [{ name: 'status', type: 'select', label: 'doc.status', options: ['pending', 'delivered', 'failed'].map((s) => [s, t(`wh.st.${s}`)]) }],
    onOpen: (d) => toast(d.error || (d.response_body ? `HTTP ${d.response_status}: ${d.response_body}` : t(`wh.st.${d.status}`))),
  });
  return [secretPanel(w),
    h('section', { class: 'card' }, h('h3', {}, t('wh.deliveries')), facts([['wh.updated', fmtTime(w.updated_at)]]),
      h('div', { class: 'btn-row wrap' }, ping, del), list.el)];
}

export default masterView({
  id: 'webhooks', title: 'nav.webhooks', perm: 'system.admin', writePerm: 'system.admin',
  path: '/api/v1/webhooks', newKey: 'wh.new',
  columns: [
    { key: 'url', label: 'wh.url', wrap: true },
    { key: 'description', label: 'common.note', wrap: true, phone: false },
    { key: 'events', label: 'wh.events', wrap: true, render: (w) => (w.events || []).join(', ') },
    { key: 'is_active', label: 'office.active', render: (w) => yesNo(w.is_active) },
  ],
  name: (w) => w.description || w.url,
  fields: async (rec) => [
    { name: 'url', label: 'wh.url', required: true, help: 'wh.url_help', autocomplete: 'url' },
    { name: 'description', label: 'common.note' },
    { name: 'events', label: 'wh.events', type: 'checks', options: await eventOptions(rec), default: ['*'], help: 'wh.events_help' },
    { name: 'is_active', label: 'office.active', type: 'check', default: true },
    ...(rec ? [{ name: 'rotate_secret', label: 'wh.rotate', type: 'check', default: false, help: 'wh.rotate_help' }] : []),
  ],
  body: (b) => {
    const out = { ...b };
    if (!out.rotate_secret) delete out.rotate_secret;
    return out;
  },
  extras: (w, ctx) => deliveriesPanel(w, ctx),
});
