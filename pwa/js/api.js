/**
 * Fetch wrapper for the JXC JSON API: same-origin session cookie, X-CSRF-Token on unsafe methods,
 * JSON errors `{code, status, message, errors}` turned into {@link ApiError}.
 */

import { getLang } from './i18n.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
let csrfToken = null;

/** Remember the CSRF token returned by /auth/login and /auth/me. */
export function setCsrf(token) { csrfToken = token || null; }
export function hasCsrf() { return !!csrfToken; }

/** An API failure. `status` 0 means the request never got an answer (offline, DNS, server down). */
export class ApiError extends Error {
  constructor(status, body = {}) {
    super(body.message || (status ? `HTTP ${status}` : 'Network error'));
    this.status = status;
    this.code = body.code || (status ? `http_${status}` : 'network');
    this.errors = body.errors || {};
    this.body = body;
  }
  /** True when the request did not reach the server: queue, don't report as refused. */
  get isNetwork() { return this.status === 0; }
}

/**
 * Call the API.
 * @param {string} method
 * @param {string} path  e.g. "/api/v1/products"
 * @param {{json?: any, form?: FormData, query?: object, signal?: AbortSignal, timeout?: number, swr?: boolean}} [opts]
 *   swr: reference data that may be served stale by the service worker while it revalidates
 * @returns {Promise<any>} parsed JSON (null for 204)
 * @throws {ApiError}
 */
export async function api(method, path, opts = {}) {
  const { json, form, query, signal, timeout = 20000, swr = false, headers: extra } = opts;
  let url = path;
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.append(k, v);
    const s = qs.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  // The server answers error messages in the UI's language.
  const headers = { Accept: 'application/json', 'Accept-Language': getLang(), ...(extra || {}) };
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let body;
  if (json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
  else if (form) body = form; // the browser sets the multipart boundary
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeout);
  if (signal) signal.addEventListener('abort', () => ctl.abort(), { once: true });
  let resp;
  try {
    resp = await fetch(url, { method, headers, body, credentials: 'same-origin', signal: ctl.signal,
      cache: swr ? 'default' : 'no-store' });
  } catch (e) {
    throw new ApiError(0, { message: e && e.name === 'AbortError' ? 'Timeout' : 'Network error' });
  } finally {
    clearTimeout(timer);
  }
  if (resp.status === 204) return null;
  let data = null;
  const ct = resp.headers.get('Content-Type') || '';
  if (ct.includes('json')) { try { data = await resp.json(); } catch { data = null; } }
  if (!resp.ok) {
    const err = new ApiError(resp.status, data || {});
    // The service worker answers 503 {code:"offline"} when it has no network: same as a network error.
    if (resp.status === 503 && data && data.code === 'offline') err.status = 0;
    if (resp.status === 401) window.dispatchEvent(new CustomEvent('jxc:unauthorized'));
    throw err;
  }
  return data;
}

export const get = (path, query, opts = {}) => api('GET', path, { ...opts, query });
export const post = (path, json, opts = {}) => api('POST', path, { ...opts, json });
export const patch = (path, json, opts = {}) => api('PATCH', path, { ...opts, json });
export const del = (path, opts = {}) => api('DELETE', path, opts);

/** True when the server does not have this route (yet): the catch-all answers 404/405. */
export const isMissingRoute = (e) => e instanceof ApiError && (e.status === 405 || (e.status === 404 && /No such API endpoint|not found/i.test(e.message) && e.code !== 'unknown_barcode'));
