/**
 * Replays the outbox and refreshes the offline catalog.
 *
 * When: on `online`, when the page becomes visible, at start-up, and from the "Sync now" button —
 * Background Sync would be nicer but is Chromium-only (Offline Cookbook, "Background sync"), so the page
 * drives replay itself. The server dedupes by op_id, so an overlap between triggers is harmless.
 */
import { api, hasCsrf, isMissingRoute } from './api.js';
import * as db from './db.js';
import * as outbox from './outbox.js';
import { restore, session } from './session.js';

const PULL_URL = '/api/v1/sync/pull';
const FULL_REFRESH_MS = 10 * 60 * 1000;
let running = null;
let again = false; // asked for while a run was going on
let started = false;

/** Current sync state for the UI. */
export const state = { running: false, lastSync: null, lastError: null, pushMissing: false };

function emit() { window.dispatchEvent(new CustomEvent('jxc:sync', { detail: { ...state } })); }

/**
 * Push the outbox, then pull changes. Safe to call any time; a call during a run gets that run's promise
 * and one more run after it (so an op queued meanwhile is pushed at once).
 * @param {{force?: boolean}} [opts] force: refresh the catalog even if it is fresh
 */
export function syncNow(opts = {}) {
  if (running) {
    // a run already past its push would not see an op queued now: run once more when it ends
    again = true;
    return running;
  }
  again = false;
  running = run(opts).then((res) => { scheduleRetry(res && res.netError); return res; })
    .finally(() => {
      running = null; state.running = false; emit();
      if (again) syncNow();
    });
  return running;
}

// A network failure while the browser says "online" (flaky Wi-Fi, captive portal, the first request
// right after reconnecting) is retried with exponential backoff: 2 s, 4 s … 5 min. Any success resets it.
let retryTimer = null;
let retryDelay = 0;
function scheduleRetry(netError) {
  clearTimeout(retryTimer);
  if (!netError || !navigator.onLine || !session.me) { retryDelay = 0; return; }
  retryDelay = Math.min(retryDelay ? retryDelay * 2 : 2000, 300000);
  retryTimer = setTimeout(() => syncNow(), retryDelay);
}

async function run({ force = false } = {}) {
  if (!navigator.onLine || !session.me) return { offline: !navigator.onLine };
  state.running = true; state.lastError = null; emit();
  // started offline from the cached user: fetch /auth/me first for a CSRF token (and to learn
  // whether the session is still valid — a 401 sends the user to the login screen, outbox kept)
  if (!hasCsrf()) {
    await restore();
    if (!session.me || !hasCsrf()) return { netError: !!session.me };
  }
  const push = await outbox.flush();
  if (push.error && push.error.isNetwork) return { push, netError: true };
  state.pushMissing = !!push.missing;
  if (push.error && !push.missing) state.lastError = push.error.message;
  let pulled = null;
  if (!push.error || push.missing) {
    try { pulled = await pullCatalog({ force }); } catch (e) { if (!e.isNetwork) state.lastError = e.message; }
  }
  if (!state.lastError && !(push.error && !push.missing)) {
    state.lastSync = new Date().toISOString();
    await db.setMeta('last_sync', state.lastSync);
  }
  return { push, pulled };
}

/** Put products (with their barcodes) into the offline catalog. */
async function storeProducts(products) {
  await db.tx(['products', 'barcodes'], 'readwrite', (s) => {
    for (const p of products) {
      if (p.deleted || p.is_active === false) { s.products.delete(p.id); continue; }
      s.products.put(slim(p));
      for (const b of p.barcodes || []) s.barcodes.put({ code: b.code, product_id: p.id, quantity: b.quantity || '1' });
    }
  });
}

function slim(p) {
  const { id, sku, name, name_en, model, spec, unit, category, sale_price, purchase_price, version, barcodes } = p;
  return { id, sku, name, name_en, model, spec, unit, category, sale_price, purchase_price, version,
    barcodes: (barcodes || []).map((b) => ({ code: b.code, quantity: b.quantity })) };
}

/**
 * Incremental pull: GET /api/v1/sync/pull?cursor=… pages `{cursor, has_more, reset, changes:[{entity,
 * id, op: upsert|delete, data}]}` — a snapshot first, then changes in commit order. Falls back to paging
 * the product list on a server without the pull endpoint.
 */
export async function pullCatalog({ force = false } = {}) {
  let cursor = await db.getMeta('pull_cursor');
  try {
    let total = 0;
    for (let i = 0; i < 500; i++) {
      const res = await api('GET', PULL_URL, { query: { cursor: cursor || undefined, limit: 1000 } });
      if (res.reset) await resetLocal();
      total += await applyPull(res.changes || []);
      cursor = res.cursor;
      await db.setMeta('pull_cursor', cursor); // after the page is stored: a crash re-pulls, never skips
      if (!res.has_more) break;
    }
    await db.setMeta('catalog_at', Date.now());
    return { mode: 'pull', total };
  } catch (e) {
    if (e.code === 'invalid_cursor') { await db.setMeta('pull_cursor', null); throw e; }
    if (!isMissingRoute(e)) throw e;
  }
  const at = await db.getMeta('catalog_at', 0);
  if (!force && Date.now() - at < FULL_REFRESH_MS) return { mode: 'fresh', total: 0 };
  return fullRefresh();
}

/** A snapshot starts: drop what was pulled before (another user, or the user's warehouses changed). */
async function resetLocal() {
  await db.tx(['products', 'barcodes', 'warehouses', 'docs'], 'readwrite', async (s) => {
    s.products.clear(); s.barcodes.clear(); s.warehouses.clear();
    const keys = await db.req(s.docs.getAllKeys());
    for (const k of keys) if (String(k).startsWith('doc:')) s.docs.delete(k);
  });
}

const DOC_ENTITIES = new Set(['purchase_order', 'sales_order', 'transfer', 'stocktake']);

/** Store one page of pulled changes in one transaction. */
async function applyPull(changes) {
  if (!changes.length) return 0;
  await db.tx(['products', 'barcodes', 'warehouses', 'docs'], 'readwrite', async (s) => {
    for (const c of changes) {
      const del = c.op === 'delete' || !c.data;
      if (c.entity === 'product') {
        if (del || c.data.is_active === false) s.products.delete(c.id); else s.products.put(slim(c.data));
      } else if (c.entity === 'barcode') {
        const old = await db.req(s.barcodes.index('id').getAll(c.id));
        for (const b of old) s.barcodes.delete(b.code);
        if (!del) s.barcodes.put({ id: c.id, code: c.data.code, product_id: c.data.product_id, quantity: c.data.quantity || '1' });
      } else if (c.entity === 'warehouse') {
        if (del) s.warehouses.delete(c.id); else s.warehouses.put(c.data);
      } else if (DOC_ENTITIES.has(c.entity)) {
        const key = `doc:${c.entity}:${c.id}`;
        if (del) s.docs.delete(key); else s.docs.put({ key, entity: c.entity, doc: c.data, at: Date.now() });
      }
    }
  });
  return changes.length;
}

/** Page through GET /api/v1/products (500 a page) and replace the offline catalog. */
export async function fullRefresh() {
  const all = [];
  for (let page = 1; page < 1000; page++) {
    const res = await api('GET', '/api/v1/products', { query: { page, per_page: 500, sort: 'id' } });
    all.push(...res.items);
    if (!res.items.length || page * res.per_page >= res.total) break;
  }
  await db.tx(['products', 'barcodes'], 'readwrite', (s) => { s.products.clear(); s.barcodes.clear(); });
  await storeProducts(all);
  await db.setMeta('catalog_at', Date.now());
  return { mode: 'full', total: all.length };
}

/** Install the replay triggers (idempotent). */
export function startAutoSync() {
  if (started) return;
  started = true;
  db.getMeta('last_sync').then((v) => { state.lastSync = v; emit(); });
  window.addEventListener('online', () => syncNow());
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') syncNow(); });
  // A message from the service worker's `sync` event (Chromium Background Sync) also triggers a replay.
  if (navigator.serviceWorker) navigator.serviceWorker.addEventListener('message', (e) => {
    if (e.data && e.data.type === 'replay-outbox') syncNow();
  });
  syncNow();
}

/** Ask Chromium to wake us when connectivity returns (best effort; other browsers use the triggers above). */
export async function requestBackgroundSync() {
  try {
    const reg = await navigator.serviceWorker?.ready;
    if (reg && reg.sync) await reg.sync.register('jxc-outbox');
  } catch { /* not supported or not permitted */ }
}
