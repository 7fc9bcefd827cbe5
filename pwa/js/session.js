/**
 * The signed-in user (from /auth/me), cached in IndexedDB so the app can start offline, plus the
 * warehouse list and the user's current warehouse.
 */
import { api, ApiError, setCsrf } from './api.js';
import * as db from './db.js';
import { setUser } from './outbox.js';

export const session = { me: null, warehouses: [], warehouseId: null, offlineMe: false };

/** True if the user has `perm` (or any of an array of perms). */
export function can(perm) {
  const perms = session.me ? session.me.permissions || [] : [];
  return [].concat(perm).some((p) => perms.includes(p));
}

function remember(me) {
  session.me = me;
  setUser(me.id);
  setCsrf(me.csrf_token);
  const { csrf_token: _omit, ...rest } = me; // the CSRF token stays in memory only
  return db.setMeta('me', rest);
}

/** Log in; returns the user. */
export async function login(username, password) {
  const me = await api('POST', '/api/v1/auth/login', { json: { username, password } });
  const prev = await db.getMeta('me');
  if (prev && prev.id !== me.id) { await forgetCaches(); forgetOfficeDrafts(); } // another user on this device: drop their cached docs
  await remember(me);
  session.offlineMe = false;
  await loadWarehouses();
  return me;
}

/**
 * Who is signed in: asks /auth/me; offline, falls back to the cached user (their outbox ops still
 * belong to them and sync later). Returns null when not signed in.
 */
export async function restore() {
  try {
    // known offline: start from the cached user at once (the first sync asks /auth/me later)
    if (!navigator.onLine) throw new ApiError(0, { message: 'offline' });
    const me = await api('GET', '/api/v1/auth/me', { timeout: 6000 });
    await remember(me);
    session.offlineMe = false;
  } catch (e) {
    if (!e.isNetwork) { session.me = null; return null; }
    session.me = await db.getMeta('me');
    if (session.me) setUser(session.me.id);
    session.offlineMe = !!session.me;
  }
  if (session.me) await loadWarehouses();
  return session.me;
}

/** Log out on the server (if reachable) and forget the cached user. Queued ops stay in the outbox. */
export async function logout() {
  try { await api('POST', '/api/v1/auth/logout'); } catch { /* offline: the cookie expires on its own */ }
  session.me = null;
  setUser(null);
  setCsrf(null);
  await db.setMeta('me', null);
  await forgetCaches();
  forgetOfficeDrafts();
  if (navigator.serviceWorker && navigator.serviceWorker.controller) {
    navigator.serviceWorker.controller.postMessage({ type: 'clear-api-cache' });
  }
}

/** Office form drafts and cached choice lists (js/office/kit.js) may hold prices and partners: not for the next user. */
function forgetOfficeDrafts() {
  try {
    for (const k of Object.keys(localStorage)) if (/^jxc\.(draft|opts)\./.test(k)) localStorage.removeItem(k);
  } catch { /* private mode */ }
}

async function forgetCaches() {
  await db.clear('docs');
  // the pulled documents were just dropped: the next pull must start again from a snapshot
  await db.setMeta('pull_cursor', null);
}

/** Warehouses the user may use (network, else the IndexedDB copy) and the current one. */
export async function loadWarehouses() {
  let list = null;
  try {
    const res = await api('GET', '/api/v1/warehouses', { query: { per_page: 500, active: true }, swr: true });
    list = res.items || [];
    await db.tx(['warehouses'], 'readwrite', (s) => { s.warehouses.clear(); for (const w of list) s.warehouses.put(w); });
  } catch {
    list = await db.getAll('warehouses');
  }
  const allowed = (session.me && session.me.warehouses) || [];
  if (allowed.length) {
    const ids = new Set(allowed.map((w) => w.id));
    list = list.filter((w) => ids.has(w.id));
    if (!list.length) list = allowed;
  }
  session.warehouses = list.sort((a, b) => String(a.code).localeCompare(String(b.code)));
  const saved = await db.getMeta('warehouse_id');
  session.warehouseId = list.some((w) => w.id === saved) ? saved : (list[0] ? list[0].id : null);
  return list;
}

/** Choose the current warehouse. */
export async function setWarehouse(id) {
  session.warehouseId = Number(id);
  await db.setMeta('warehouse_id', session.warehouseId);
}
