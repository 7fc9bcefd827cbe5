/**
 * Operation types the PWA records in the outbox and their payload builders — the ONE place that knows
 * the wire format of the op registry (backend/sync/ops/, docs/sync-protocol.md).
 * Payload schemas there are strict (unknown or null ids are refused), so empty fields are left out.
 */
import { enqueue, uuid } from './outbox.js';

export const OP = {
  ADJUST: 'stock.adjust',
  RECEIVE_PO: 'po.receive',
  SHIP_SO: 'so.ship',
  COUNT: 'stocktake.count',
  TRANSFER_CREATE: 'transfer.create',
  TRANSFER_SHIP: 'transfer.ship',
  TRANSFER_RECEIVE: 'transfer.receive',
};

/**
 * Inbox decisions by document type: the op type of approve / reject and the payload's id key. Every
 * decision carries the version the manager saw (`base_version`): a document changed since is refused
 * as `stale_version` (shown under Conflicts with the document's new figures) and stays as it is.
 * A stocktake's "reject" sends it back to counting (its flagged lines); a transfer's discrepancies are
 * settled with one resolution (write_off | return_to_source | accept), there is no reject.
 */
export const DECISIONS = {
  purchase_order: { approve: 'po.approve', reject: 'po.reject', id: 'order_id' },
  sales_order: { approve: 'so.approve', reject: 'so.reject', id: 'order_id' },
  adjustment: { approve: 'adjustment.approve', reject: 'adjustment.reject', id: 'adjustment_id' },
  stocktake: { approve: 'stocktake.approve', reject: 'stocktake.recount', id: 'stocktake_id' },
  transfer: { approve: 'transfer.resolve', id: 'transfer_id' },
  expense: { approve: 'expense.approve', reject: 'expense.reject', id: 'expense_id' },
};

const q = (n) => String(n); // quantities travel as decimal strings (no float rounding on the server)
/** Drop undefined/null/'' values (strict schemas). */
const clean = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ''));
const orderLines = (lines) => lines.map((l) => clean({ line_id: l.line_id, product_id: l.product_id, photo: l.photo,
  quantity: q(l.quantity) }));

/**
 * Photos the phone could not read travel with their op: a line's `photo` Blob becomes a multipart part
 * and the line names it (`"photo": "<part>"`); the server decodes it at push time (docs/sync-protocol.md §4).
 * @returns {{payload: object, photos: Record<string, Blob>}}
 */
function withPhotos(payload) {
  const photos = {};
  const lines = (payload.lines || []).map((l) => {
    if (!(l.photo instanceof Blob)) return l;
    const ref = `photo-${uuid().slice(0, 8)}`;
    photos[ref] = l.photo;
    return { ...l, photo: ref };
  });
  return { payload: payload.lines ? { ...payload, lines } : payload, photos };
}
const put = (type, payload, label, opts = {}) => { const w = withPhotos(payload); return enqueue(type, w.payload, { ...opts, label, photos: w.photos }); };
const ref = (l) => clean({ product_id: l.product_id, photo: l.photo });

/** Stock adjustment (其他出入库): `lines: [{product_id, quantity (signed)}]`. */
export const adjust = ({ warehouse_id, reason, note, lines }, label) =>
  put(OP.ADJUST, clean({ warehouse_id, reason, note,
    lines: lines.map((l) => ({ ...ref(l), quantity: q(l.quantity) })) }), label);

/** Receive against a purchase order — a physical fact, applied against the order as it is at push time. */
export const receivePo = ({ order_id, lines, note }, label) =>
  put(OP.RECEIVE_PO, clean({ order_id, note, lines: orderLines(lines) }), label);

/** Ship (pick) a sales order. */
export const shipSo = ({ order_id, lines, notes }, label) =>
  put(OP.SHIP_SO, clean({ order_id, notes, lines: orderLines(lines) }), label);

/** Create a transfer (works offline); `ship` takes the goods out in the same op. */
export const createTransfer = ({ from_warehouse_id, to_warehouse_id, note, lines, ship = false }, label) =>
  put(OP.TRANSFER_CREATE, clean({ from_warehouse_id, to_warehouse_id, note, ship,
    lines: lines.map((l) => ({ ...ref(l), quantity: q(l.quantity) })) }), label);

/** Ship a draft transfer. */
export const shipTransfer = ({ transfer_id }, label) => enqueue(OP.TRANSFER_SHIP, { transfer_id }, { label });

/** Receive (part of) a transfer at the destination. */
export const receiveTransfer = ({ transfer_id, lines, complete = false }, label) =>
  put(OP.TRANSFER_RECEIVE, { transfer_id, complete,
    lines: lines.map((l) => clean({ line_id: l.line_id, photo: l.photo, quantity: q(l.quantity) })) }, label);

/**
 * One stocktake count: what the counter saw and WHEN (the server computes the variance at counted_at,
 * so stock moving after the count is not counted twice). Give `product_id`, or `photo` (a Blob taken
 * offline: sent as a multipart part and decoded on the server at push time).
 */
export function count({ stocktake_id, product_id, quantity, counted_at, photo, location_id, note }, label) {
  const photos = {};
  let photoRef;
  if (photo && !product_id) { photoRef = `photo-${uuid().slice(0, 8)}`; photos[photoRef] = photo; }
  return enqueue(OP.COUNT, clean({ stocktake_id, product_id, photo: photoRef, location_id, note,
    quantity: q(quantity), counted_at: counted_at || new Date().toISOString() }), { label, photos });
}

/**
 * Decide an inbox item (works offline): `action` approve | reject; `extra` e.g. {resolution} for a
 * transfer. Purchase orders take the rejection text as `reason`.
 */
export function decide(item, action, comment, extra = {}, label) {
  const d = DECISIONS[item.doc_type];
  const payload = clean({ [d.id]: item.doc_id, comment, ...extra });
  if (action === 'reject' && item.doc_type === 'purchase_order') payload.reason = comment;
  return enqueue(d[action], payload, { base_version: item.version, label });
}
