/**
 * The outbox: every warehouse action is recorded here first as an operation
 * `{op_id, device_id, seq, type, payload, client_time, base_version?}` and then pushed to
 * POST /api/v1/sync/push — online or offline, the same path (docs/pwa.md, docs/sync-protocol.md).
 *
 * Modelled on Workbox background-sync's Queue (FIFO in IndexedDB, stop at the first failed request and
 * keep order) but replaying *operations with an idempotency key* (op_id), not raw requests, so the
 * server dedupes a batch that was sent twice (Stripe idempotency keys; Replicache's lastMutationID is
 * our per-device `seq`).
 *
 * A device id belongs to ONE user on the server (403 device_forbidden otherwise), so this installation
 * keeps one device id per user id, each with its own seq counter.
 *
 * Local statuses: "pending" (not yet accepted by the server), "rejected" (refused; kept and shown in
 * Conflicts until resolved — never dropped), "resolved" / "dismissed" (closed by the user, kept for
 * the record). Applied and duplicate ops are removed.
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

let currentUser = null;
/** Set the signed-in user (id) whose device id and ops are used. */
export function setUser(userId) { currentUser = userId ?? null; }

/** This installation's device id for the user (created once, kept in IndexedDB). */
export async function deviceId(userId = currentUser) {
  const key = `device:${userId ?? 'anon'}`;
  return db.tx(['meta'], 'readwrite', async (s) => {
    const cur = await db.req(s.meta.get(key));
    if (cur) return cur;
    const fresh = uuid();
    s.meta.put(fresh, key);
    return fresh;
  });
}

function notify() { window.dispatchEvent(new CustomEvent('jxc:outbox')); }

/**
 * Record an operation. The seq is taken from the device's counter in the same transaction as the
 * insert, so two tabs never hand out the same seq and the outbox order is the order the user acted in.
 * @param {string} type    op type, e.g. "stock.adjust" (see js/ops.js)
 * @param {object} payload JSON-serialisable; `photo: "<part>"` refers to a Blob in opts.photos
 * @param {{base_version?: number, label?: string, photos?: Record<string, Blob>}} [opts]
 * @returns {Promise<object>} the stored op
 */
export async function enqueue(type, payload, opts = {}) {
  const device_id = await deviceId();
  const op = await db.tx(['meta', 'outbox'], 'readwrite', async (s) => {
    const seqKey = `seq:${device_id}`;
    const seq = ((await db.req(s.meta.get(seqKey))) || 0) + 1;
    s.meta.put(seq, seqKey);
    const o = {
      op_id: uuid(), device_id, seq, type, payload, client_time: new Date().toISOString(),
      status: 'pending', label: opts.label || type, attempts: 0, user_id: currentUser,
    };
    if (opts.photos && Object.keys(opts.photos).length) o.photos = opts.photos;
    if (opts.base_version !== undefined && opts.base_version !== null) o.base_version = opts.base_version;
    o.id = await db.req(s.outbox.add(o));
    return o;
  });
  notify();
  return op;
}

const sorted = (rows) => rows.sort((a, b) => a.id - b.id);
/** Pending ops of the current user's device, FIFO. */
export async function pending() {
  const dev = await deviceId();
  return sorted(await db.byIndex('outbox', 'device_status', [dev, 'pending']));
}
/** Rejected ops of the current user's device (the Conflicts screen). */
export async function rejected() {
  const dev = await deviceId();
  return sorted(await db.byIndex('outbox', 'device_status', [dev, 'rejected']));
}
/** `{pending, rejected}` counts for badges (current user's device). */
export async function counts() {
  const dev = await deviceId();
  return db.tx(['outbox'], 'readonly', async (s) => {
    const ix = s.outbox.index('device_status');
    const [p, r] = await Promise.all([db.req(ix.count([dev, 'pending'])), db.req(ix.count([dev, 'rejected']))]);
    return { pending: p, rejected: r };
  });
}

/** The wire form of an op (local bookkeeping fields stripped). */
export function wire(op) {
  const o = { op_id: op.op_id, device_id: op.device_id, seq: op.seq, type: op.type, payload: op.payload,
    client_time: op.client_time };
  if (op.base_version !== undefined) o.base_version = op.base_version;
  return o;
}

/** JSON body, or multipart (`batch` + one part per photo) when ops carry photos taken offline. */
function body(device_id, batch) {
  const json = { device_id, ops: batch.map(wire) };
  const photos = batch.flatMap((op) => Object.entries(op.photos || {}));
  if (!photos.length) return { json };
  const form = new FormData();
  form.append('batch', JSON.stringify(json));
  for (const [name, blob] of photos) form.append(name, blob, `${name}.jpg`);
  return { form };
}

let flushing = null;

/**
 * Push pending ops in order until none are left or a request fails. Never runs twice at once.
 * @returns {Promise<{sent:number, applied:number, rejected:number, error?: ApiError, missing?: boolean}>}
 */
export function flush() {
  // one flush per tab; the Web Lock also keeps two tabs from pushing the same batch at once
  // (harmless — the server answers "duplicate" — but wasteful)
  const run = () => (navigator.locks ? navigator.locks.request('jxc-outbox-flush', doFlush) : doFlush());
  if (!flushing) flushing = run().finally(() => { flushing = null; });
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
      res = await api('POST', PUSH_URL, { ...body(device_id, batch), timeout: 60000 });
    } catch (e) {
      // A failed *request*: keep every op, in order, and try the whole batch again later (Workbox Queue).
      const head = batch[0];
      await db.put('outbox', { ...head, attempts: (head.attempts || 0) + 1, last_error: e.message });
      stats.error = e instanceof ApiError ? e : new ApiError(0, { message: String(e) });
      stats.missing = isMissingRoute(e);
      notify();
      break;
    }
    stats.sent += batch.length;
    const results = new Map(((res && res.results) || []).map((r) => [r.op_id, r]));
    let progressed = 0;
    let gap = null;
    await db.tx(['outbox'], 'readwrite', (s) => {
      for (const op of batch) {
        const r = results.get(op.op_id);
        if (!r) continue; // not answered (the server stopped at a gap): stays pending, order kept
        const closed = r.status === 'duplicate' && r.original_status === 'rejected' && r.record_status !== 'rejected';
        if (r.status === 'applied' || (r.status === 'duplicate' && r.original_status !== 'rejected') || closed) {
          s.outbox.delete(op.id); stats.applied++; progressed++;
        } else if (r.code === 'sequence_gap') {
          gap = r.expected_seq ?? (r.errors && r.errors.expected_seq);
        } else if (r.status === 'rejected' || r.status === 'duplicate') {
          s.outbox.put({ ...op, status: 'rejected', rejected_at: new Date().toISOString(),
            error: { code: r.code || 'rejected', message: r.message || '', errors: r.errors || {} } });
          stats.rejected++; progressed++;
        }
      }
    });
    notify();
    if (gap) { if (await renumber(device_id, gap)) continue; break; }
    if (!progressed) break; // the server answered but took nothing: don't spin
  }
  return stats;
}

/**
 * The server expects seq `expected` but our first pending op is later: the ops in between were lost on
 * this device (storage cleared). They never reached the server, so renumbering the pending ops (never
 * sent successfully) from `expected` is safe and keeps their order.
 */
async function renumber(device_id, expected) {
  return db.tx(['meta', 'outbox'], 'readwrite', async (s) => {
    const rows = sorted(await db.req(s.outbox.index('device_status').getAll([device_id, 'pending'])));
    if (!rows.length || rows[0].seq <= expected) return false;
    let seq = expected;
    for (const op of rows) s.outbox.put({ ...op, seq: seq++, renumbered_from: op.renumbered_from ?? op.seq });
    s.meta.put(seq - 1, `seq:${device_id}`);
    return true;
  });
}

async function serverRecord(op) {
  const res = await api('GET', '/api/v1/sync/ops', { query: { op_id: op.op_id, device_id: op.device_id } });
  const rec = (res.items || [])[0];
  if (!rec) throw new ApiError(404, { message: 'Op record not found on the server.' });
  return rec;
}

async function close(id, status, extra = {}) {
  await db.tx(['outbox'], 'readwrite', async (s) => {
    const op = await db.req(s.outbox.get(id));
    if (op && op.status === 'rejected') s.outbox.put({ ...op, status, closed_at: new Date().toISOString(), ...extra });
  });
  notify();
}

/**
 * Dismiss a rejected op: closed on the server with the reason (POST /sync/ops/{id}/dismiss), then
 * locally (kept with status "dismissed"). Needs a connection.
 */
export async function dismiss(id, reason) {
  const op = await db.get('outbox', id);
  if (!op) return;
  const rec = await serverRecord(op);
  if (rec.status === 'rejected') await api('POST', `/api/v1/sync/ops/${rec.id}/dismiss`, { json: { reason } });
  await close(id, 'dismissed', { dismiss_reason: reason });
}

/**
 * Resolve a rejected op by applying a corrected op on the server (POST /sync/ops/{id}/resolve, a new
 * op_id linked to the rejected one). Default: the same payload again (e.g. after stock arrived).
 * @returns {Promise<object>} the server's `{rejected, corrected}`; throws ApiError if refused again
 */
export async function resolve(id, payloadPatch = null) {
  const op = await db.get('outbox', id);
  if (!op) return null;
  const rec = await serverRecord(op);
  const payload = payloadPatch ? { ...op.payload, ...payloadPatch } : op.payload;
  const res = await api('POST', `/api/v1/sync/ops/${rec.id}/resolve`, { json: { type: op.type, payload } });
  const corrected = res && res.corrected;
  if (corrected && corrected.status !== 'applied') {
    throw new ApiError(409, { code: corrected.error_code, message: corrected.error_message, errors: corrected.error_details });
  }
  await close(id, 'resolved');
  return res;
}
