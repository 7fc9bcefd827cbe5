/**
 * JXC PWA entry: registers the service worker, restores the session (offline too), and routes
 * `#/<view>[/<id>]` to one module per screen in js/views/.
 */
import { t, onLangChange, applyDocumentLang } from './i18n.js';
import * as outbox from './outbox.js';
import { can, restore, session } from './session.js';
import { startAutoSync, requestBackgroundSync } from './sync.js';
import { h } from './ui.js';
import home from './views/home.js';
import login from './views/login.js';

// Screens load on first use: a fast boot, and one screen that fails to load (e.g. a file missing from
// the offline cache) cannot take the whole app down. The service worker precaches them all.
const LAZY = {
  lookup: () => import('./views/lookup.js'),
  receive: () => import('./views/receive.js'),
  ship: () => import('./views/ship.js'),
  stocktake: () => import('./views/stocktake.js'),
  transfer: () => import('./views/transfer.js'),
  'transfer-in': () => import('./views/transfer_in.js'),
  adjustment: () => import('./views/adjustment.js'),
  approvals: () => import('./views/approvals.js'),
  outbox: () => import('./views/outbox.js'),
  settings: () => import('./views/settings.js'),
  reports: () => import('./views/reports.js'),
  // office screens (js/office/ kit; docs/pwa.md "Office")
  products: () => import('./views/products.js'),
  categories: () => import('./views/categories.js'),
  suppliers: () => import('./views/partners.js').then((m) => ({ default: m.suppliers })),
  customers: () => import('./views/partners.js').then((m) => ({ default: m.customers })),
  warehouses: () => import('./views/warehouses.js'),
  users: () => import('./views/users.js'),
  po: () => import('./views/orders.js').then((m) => ({ default: m.po })),
  so: () => import('./views/orders.js').then((m) => ({ default: m.so })),
  // inventory office work (issue 13 §2)
  stocktakes: () => import('./views/stocktakes_office.js'),
  adjustments: () => import('./views/adjustments_office.js'),
  transfers: () => import('./views/transfers_office.js'),
  lowstock: () => import('./views/lowstock.js'),
  // finance (js/views/fin.js …; docs/pwa.md "Finance")
  invoices: () => import('./views/invoices.js'),
  payments: () => import('./views/payments.js'),
  expenses: () => import('./views/expenses.js'),
  balances: () => import('./views/balances.js'),
  statements: () => import('./views/statements.js'),
  // admin screens
  audit: () => import('./views/audit.js'),
  importexport: () => import('./views/importexport.js'),
  backups: () => import('./views/backups.js'),
  tokens: () => import('./views/tokens.js'),
  webhooks: () => import('./views/webhooks.js'),
  company: () => import('./views/company.js'),
};

/** The view module for a route name (home for unknown names); null when it cannot be loaded. */
async function loadView(name) {
  if (name === 'login') return login;
  if (!LAZY[name]) return home;
  try { return (await LAZY[name]()).default; } catch (e) { console.error(e); return null; } // eslint-disable-line no-console
}

const $ = (id) => document.getElementById(id);
const cleanups = [];
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
  delete $('app').dataset.ready;
  let view = await loadView(name);
  if (seq !== renderSeq) return; // another navigation started meanwhile
  const root = $('app');
  if (!view) {
    root.replaceChildren(h('p', { class: 'empty' }, t('app.view_unavailable')), h('a', { class: 'btn block', href: '#/home' }, t('app.name')));
    root.dataset.view = 'unavailable';
    root.dataset.ready = '1';
    return;
  }
  if (view.perm && !can(view.perm)) view = home;
  root.replaceChildren();
  root.dataset.view = view.id;
  document.body.classList.toggle('wide', !!view.wide); // office screens use the width of a desk screen
  $('title').textContent = t(view.title);
  $('topbar').hidden = view.id === 'login';
  $('nav-back').hidden = view.id === 'home';
  $('nav-back').setAttribute('aria-label', t('common.back'));
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

let updateReady = false;

async function registerSw() {
  if (!('serviceWorker' in navigator)) return;
  // A new version took over (skipWaiting + clients.claim). Modules already in memory are the old ones,
  // so reload — but never in the middle of a form: at once on home/login, else on the next way home.
  const hadController = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!hadController) return; // first install, nothing old is running
    updateReady = true;
    if (['home', 'login'].includes($('app').dataset.view)) location.reload();
  });
  window.addEventListener('hashchange', () => { if (updateReady && /^#\/(home)?$/.test(location.hash)) location.reload(); });
  // a tapped notification (service worker `notificationclick`) opens its document in this window
  navigator.serviceWorker.addEventListener('message', (e) => {
    const url = e.data && e.data.type === 'open' && String(e.data.url || '');
    if (url && url.startsWith('/#/')) nav(url.slice(1));
  });
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
    if (session.me) { session.me = null; nav('#/login'); }
  });
  onLangChange(() => { updateNet(); updateBadge(); render(); });
  updateNet();
  await restore();
  await render();
  updateBadge();
  if (session.me) startAutoSync();
  // ask the browser not to evict IndexedDB under storage pressure: the outbox may hold unsynced work
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  window.addEventListener('hashchange', () => { if (session.me) startAutoSync(); });
  document.documentElement.dataset.booted = '1';
}

boot();
