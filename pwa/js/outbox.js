/**
 * The outbox: every warehouse action is recorded here first as an operation
 * `{op_id, device_id, seq, type, payload, client_time, base_version?}` and then pushed to
 * POST /api/v1/sync/push — online or offline, the same path (docs/pwa.md, docs/sync-protocol.md).
 *
 * Modelled on Workbox background-sync's Queue (FIFO in IndexedDB, stop at the first failed request and
 * keep order) but replaying *operations with an idempotency key* (op_id), not raw requests, so the
 * server can dedupe a batch that was sent twice (Stripe idempotency keys, Replicache lastMutationID).
 *
 * Op statuses: "pending" (not yet accepted by the server) and "rejected" (the server refused it; kept and
 * shown in Conflicts until the user resolves it — never dropped silently). Applied / duplicate ops are
 * removed from the outbox.
 */
import { api, ApiError, isMissingRoute } from './api.js';
import * as db from './db.js';

export const PUSH_URL = '/api/v1/sync/push';
const BATCH = 50;

/** RFC 4122 v4 UUID; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function uuid() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** This installation's device id (created once, kept in IndexedDB). */
export async function deviceId() {
  let id = await db.getMeta('device_id');
  if (!id) {
    id = await db.tx(['meta'], 'readwrite', async (s) => {
      const cur = await db.req(s.meta.get('device_id'));
      if (cur) return cur;
      const fresh = uuid();
      s.meta.put(fresh, 'device_id');
      return fresh;
    });
  }
  return id;
}

function notify() { window.dispatchEvent(new CustomEvent('jxc:outbox')); }

/**
 * Record an operation. The seq is taken from a counter in the same transaction as the insert, so two
 * tabs can never hand out the same seq and the outbox order is the order the user acted in.
 * @param {string} type    op type, e.g. "adjustment.create" (see js/ops.js)
 * @param {object} payload JSON-serialisable; may carry `photo` (data URL) to be decoded at push time
 * @param {{base_version?: number, label?: string}} [opts] label: human summary for the outbox screen
 * @returns {Promise<object>} the stored op
 */
export async function enqueue(type, payload, opts = {}) {
  const device_id = await deviceId();
  const op = await db.tx(['meta', 'outbox'], 'readwrite', async (s) => {
    const seq = ((await db.req(s.meta.get('next_seq'))) || 0) + 1;
    s.meta.put(seq, 'next_seq');
    const o = {
      op_id: uuid(), device_id, seq, type, payload, client_time: new Date().toISOString(),
      status: 'pending', label: opts.label || type, attempts: 0, user: opts.user || null,
    };
    if (opts.base_version !== undefined && opts.base_version !== null) o.base_version = opts.base_version;
    s.outbox.put(o);
    return o;
  });
  notify();
  return op;
}

/** Pending ops in FIFO (seq) order. */
export const pending = () => db.byIndex('outbox', 'status', 'pending').then((r) => r.sort((a, b) => a.seq - b.seq));
/** Rejected ops (the Conflicts screen). */
export const rejected = () => db.byIndex('outbox', 'status', 'rejected').then((r) => r.sort((a, b) => a.seq - b.seq));
/** `{pending, rejected}` counts for badges. */
export async function counts() {
  const [pc, rc] = await db.tx(['outbox'], 'readonly', (s) => Promise.all([
    db.req(s.outbox.index('status').count('pending')), db.req(s.outbox.index('status').count('rejected'))]));
  return { pending: pc, rejected: rc };
}

/** The wire form of an op (local bookkeeping fields stripped). */
export function wire(op) {
  const o = { op_id: op.op_id, device_id: op.device_id, seq: op.seq, type: op.type, payload: op.payload,
    client_time: op.client_time };
  if (op.base_version !== undefined) o.base_version = op.base_version;
  return o;
}

let flushing = null;

/**
 * Push pending ops in order until none are left or a request fails. Never runs twice at once.
 * @returns {Promise<{sent:number, applied:number, rejected:number, error?: ApiError, missing?: boolean}>}
 */
export function flush() {
  if (!flushing) flushing = doFlush().finally(() => { flushing = null; });
  return flushing;
}

async function doFlush() {
  const stats = { sent: 0, applied: 0, rejected: 0 };
  const device_id = await deviceId();
  for (let round = 0; round < 1000; round++) {
    const batch = (await pending()).slice(0, BATCH);
    if (!batch.length) break;
    let res;
    try {
      res = await api('POST', PUSH_URL, { json: { device_id, ops: batch.map(wire) }, timeout: 60000 });
    } catch (e) {
      // A failed *request*: keep every op, in order, and try again later (Workbox Queue semantics).
      const head = batch[0];
      await db.put('outbox', { ...head, attempts: (head.attempts || 0) + 1, last_error: e.message });
      stats.error = e instanceof ApiError ? e : new ApiError(0, { message: String(e) });
      stats.missing = isMissingRoute(e);
      break;
    }
    stats.sent += batch.length;
    const results = new Map(((res && (res.results || res.ops)) || []).map((r) => [r.op_id, r]));
    let progressed = 0;
    await db.tx(['outbox'], 'readwrite', (s) => {
      for (const op of batch) {
        const r = results.get(op.op_id);
        if (!r) continue; // not answered (e.g. the server stopped at a gap): stays pending, order kept
        const status = r.status || r.outcome;
        if (status === 'applied' || status === 'duplicate') {
          s.outbox.delete(op.seq); stats.applied++; progressed++;
        } else if (status === 'rejected') {
          const err = r.error || {};
          s.outbox.put({ ...op, status: 'rejected', rejected_at: new Date().toISOString(),
            error: { code: err.code || r.code || 'rejected', message: err.message || r.message || '',
              errors: err.errors || r.errors || {} } });
          stats.rejected++; progressed++;
        }
      }
    });
    notify();
    if (!progressed) break; // the server answered but took nothing: don't spin
  }
  return stats;
}

/** Mark a rejected op resolved by the user: it leaves the Conflicts list but is kept (status "dismissed"). */
export async function dismiss(seq) {
  await db.tx(['outbox'], 'readwrite', async (s) => {
    const op = await db.req(s.outbox.get(seq));
    if (op && op.status === 'rejected') s.outbox.put({ ...op, status: 'dismissed', dismissed_at: new Date().toISOString() });
  });
  notify();
}

/** Send a rejected op's payload again as a NEW op (new op_id and seq: the old id is spent). */
export async function retryAsNew(seq, payloadPatch = null) {
  const op = await db.get('outbox', seq);
  if (!op) return null;
  const fresh = await enqueue(op.type, payloadPatch ? { ...op.payload, ...payloadPatch } : op.payload,
    { label: op.label, user: op.user });
  await dismiss(seq);
  return fresh;
}
