/** Receive an incoming transfer at my warehouse (调拨入库): scan against the lines still in transit. */
import { t } from '../i18n.js';
import * as ops from '../ops.js';
import { session } from '../session.js';
import { docWorkView } from './docwork.js';

const whName = (id) => { const w = session.warehouses.find((x) => x.id === id); return w ? `${w.code} ${w.name}` : `#${id}`; };

export default docWorkView({
  id: 'transfer-in', title: 'nav.transfer_in', perm: 'transfer.receive', base: '/api/v1/transfers', entity: 'transfer',
  statuses: ['in_transit', 'partially_received'], doneKey: 'received_qty', submitKey: 'receive.submit', expectedKey: 'lines.to_receive',
  listQuery: () => (session.warehouseId ? { to_warehouse_id: session.warehouseId } : {}),
  remaining: (ln) => Number(ln.in_transit ?? (Number(ln.shipped_qty || ln.quantity) - Number(ln.received_qty || 0) - Number(ln.reported_qty || 0))),
  partner: (tr) => `${whName(tr.from_warehouse_id)} → ${whName(tr.to_warehouse_id)}`,
  enqueue: (tr, lines) => ops.receiveTransfer({ transfer_id: tr.id, lines },
    `${t('nav.transfer_in')} · ${tr.number} · ${lines.length} ${t('lines.count')}`),
});
