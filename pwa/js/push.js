/**
 * Web Push on this device: subscribe with the server's VAPID key, register the subscription
 * (/api/v1/notifications/subscriptions), and the settings card with the kinds a user wants
 * (/api/v1/notifications/preferences). The service worker shows what arrives (`push`) and opens the
 * document on tap (`notificationclick`). docs/pwa.md "Notifications".
 */
import { api } from './api.js';
import { t } from './i18n.js';
import { errText, h, mount, toast } from './ui.js';

export const KINDS = ['approval_pending', 'decided', 'ready', 'sync_rejected', 'low_stock'];

const supported = () => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

function b64urlBytes(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}
const sameKey = (a, b) => a && b && a.byteLength === b.byteLength && new Uint8Array(a).every((x, i) => x === b[i]);

async function current() {
  const reg = await navigator.serviceWorker.ready;
  return { reg, sub: await reg.pushManager.getSubscription() };
}

/** Ask permission, subscribe (again if the server key changed) and register this device. */
export async function enablePush() {
  if (!supported()) throw new Error(t('push.unsupported'));
  if ((await Notification.requestPermission()) !== 'granted') throw new Error(t('push.denied'));
  const { public_key: key } = await api('GET', '/api/v1/notifications/push-key');
  const serverKey = b64urlBytes(key);
  let { reg, sub } = await current();
  if (sub && !sameKey(sub.options && sub.options.applicationServerKey, serverKey)) { await sub.unsubscribe(); sub = null; }
  if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: serverKey });
  await api('POST', '/api/v1/notifications/subscriptions', { json: { ...sub.toJSON(), device_label: navigator.userAgent.slice(0, 200) } });
}

/** Stop notifications on this device (server first, then the browser). */
export async function disablePush() {
  const { sub } = await current();
  if (!sub) return;
  await api('POST', '/api/v1/notifications/subscriptions/remove', { json: { endpoint: sub.endpoint } });
  await sub.unsubscribe();
}

/** Settings card: this device on/off and the kinds this user wants. */
export function notificationsCard() {
  const status = h('div', { class: 'muted small', 'data-testid': 'push-status' });
  const kinds = h('div', { 'data-testid': 'push-kinds' });
  const toggle = h('button', { class: 'btn block', type: 'button', 'data-testid': 'push-toggle' });
  const card = h('div', { class: 'card' }, h('label', {}, t('push.title')), status, toggle, kinds);
  async function refresh() {
    const on = supported() && Notification.permission === 'granted' && !!(await current()).sub;
    status.textContent = !supported() ? t('push.unsupported') : on ? t('push.on') : t('push.off');
    toggle.textContent = t(on ? 'push.disable' : 'push.enable');
    toggle.disabled = !supported();
    toggle.onclick = async () => {
      toggle.disabled = true;
      try { await (on ? disablePush() : enablePush()); toast(t(on ? 'push.off' : 'push.on')); }
      catch (e) { toast(errText(e), 'err'); } finally { toggle.disabled = false; refresh(); }
    };
    let prefs = null;
    try { prefs = await api('GET', '/api/v1/notifications/preferences'); } catch { /* offline: the choices show next time */ }
    mount(kinds, prefs ? KINDS.map((k) => {
      const box = h('input', { type: 'checkbox', checked: !!prefs.kinds[k], 'data-kind': k, onchange: async () => {
        try { await api('PUT', '/api/v1/notifications/preferences', { json: { kinds: { [k]: box.checked } } }); }
        catch (e) { box.checked = !box.checked; toast(errText(e), 'err'); }
      } });
      return h('label', { class: 'check' }, box, ` ${t(`push.kind.${k}`)}`);
    }) : null);
  }
  refresh();
  return card;
}
