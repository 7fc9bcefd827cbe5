/**
 * JXC PWA entry: registers the service worker, restores the session (offline too), and routes
 * `#/<view>[/<id>]` to one module per screen in js/views/.
 */
import { t, onLangChange, applyDocumentLang } from './i18n.js';
import * as outbox from './outbox.js';
import { can, restore, session } from './session.js';
import { startAutoSync, requestBackgroundSync } from './sync.js';
import { h } from './ui.js';
import adjustment from './views/adjustment.js';
import approvals from './views/approvals.js';
import home from './views/home.js';
import login from './views/login.js';
import lookup from './views/lookup.js';
import outboxView from './views/outbox.js';
import receive from './views/receive.js';
import settings from './views/settings.js';
import ship from './views/ship.js';
import stocktake from './views/stocktake.js';
import transfer from './views/transfer.js';
import transferIn from './views/transfer_in.js';

const VIEWS = Object.fromEntries([login, home, lookup, receive, ship, stocktake, transfer, transferIn, adjustment, approvals,
  outboxView, settings].map((v) => [v.id, v]));

const $ = (id) => document.getElementById(id);
let cleanups = [];
let renderSeq = 0;

function parse() {
  const [, name = 'home', id = null] = (location.hash || '#/home').match(/^#\/?([\w-]*)\/?([\w-]*)?/) || [];
  return { name: name || 'home', params: { id } };
}

/** Navigate to a hash route. */
export function nav(hash) {
  if (location.hash === hash) render(); else location.hash = hash;
}

async function render() {
  const seq = ++renderSeq;
  for (const fn of cleanups.splice(0)) { try { fn(); } catch { /* ignore */ } }
  let { name, params } = parse();
  if (!session.me && name !== 'login') { name = 'login'; if (location.hash !== '#/login') history.replaceState(null, '', '#/login'); }
  if (session.me && name === 'login') name = 'home';
  let view = VIEWS[name] || VIEWS.home;
  if (view.perm && !can(view.perm)) view = VIEWS.home;
  const root = $('app');
  root.replaceChildren();
  root.dataset.view = view.id;
  $('title').textContent = t(view.title);
  $('topbar').hidden = view.id === 'login';
  $('nav-back').hidden = view.id === 'home';
  document.title = `${t(view.title)} · ${t('app.name')}`;
  const ctx = {
    params, nav,
    rerender: () => render(),
    cleanup: (fn) => cleanups.push(fn),
    on: (target, evt, fn) => { target.addEventListener(evt, fn); cleanups.push(() => target.removeEventListener(evt, fn)); },
  };
  try {
    await view.render(root, ctx);
  } catch (e) {
    if (seq === renderSeq) root.append(h('p', { class: 'err-text' }, String(e && e.message ? e.message : e)));
    console.error(e); // eslint-disable-line no-console
  }
  if (seq === renderSeq) root.dataset.ready = '1';
}

async function updateBadge() {
  const badge = $('sync-badge');
  try {
    const c = await outbox.counts();
    badge.textContent = c.rejected ? t('badge.conflicts', { n: c.rejected, q: c.pending }) : t('badge.queued', { n: c.pending });
    badge.classList.toggle('has-conflicts', c.rejected > 0);
    badge.dataset.pending = String(c.pending);
    badge.dataset.rejected = String(c.rejected);
  } catch { /* IndexedDB unavailable (private mode) */ }
}

function updateNet() {
  const b = $('net-banner');
  b.hidden = navigator.onLine;
  b.textContent = t('net.offline');
  document.body.classList.toggle('offline', !navigator.onLine);
}

async function registerSw() {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register('/service-worker.js', { scope: '/' });
  } catch (e) { console.warn('service worker not registered', e); } // eslint-disable-line no-console
}

async function boot() {
  applyDocumentLang();
  registerSw();
  $('nav-back').addEventListener('click', () => { if (history.length > 1) history.back(); else nav('#/home'); });
  $('sync-badge').addEventListener('click', () => nav('#/outbox'));
  window.addEventListener('hashchange', render);
  window.addEventListener('jxc:outbox', () => { updateBadge(); requestBackgroundSync(); });
  window.addEventListener('jxc:sync', updateBadge);
  window.addEventListener('online', updateNet);
  window.addEventListener('offline', updateNet);
  window.addEventListener('jxc:unauthorized', () => {
    // the server says we are not logged in (expired/revoked): ask again, keeping the outbox
    if (session.me && !session.offlineMe) { session.me = null; nav('#/login'); }
  });
  onLangChange(() => { updateNet(); updateBadge(); render(); });
  updateNet();
  await restore();
  await render();
  updateBadge();
  if (session.me) startAutoSync();
  window.addEventListener('hashchange', () => { if (session.me) startAutoSync(); });
  document.documentElement.dataset.booted = '1';
}

boot();
