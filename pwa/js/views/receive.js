/** Receive goods against an approved purchase order (入库). */
import * as ops from '../ops.js';
import { t } from '../i18n.js';
import { docWorkView } from './docwork.js';

export default docWorkView({
  id: 'receive', title: 'nav.receive', perm: 'purchase.receive', base: '/api/v1/purchase-orders', entity: 'purchase_order',
  statuses: ['approved', 'partially_received'], doneKey: 'received_qty', partnerField: 'supplier_name',
  submitKey: 'receive.submit', expectedKey: 'lines.to_receive',
  enqueue: (po, lines) => ops.receivePo({ order_id: po.id, lines },
    `${t('nav.receive')} · ${po.number} · ${lines.length} ${t('lines.count')}`),
});
