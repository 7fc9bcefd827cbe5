/** Pick and ship an approved sales order (出库). */
import * as ops from '../ops.js';
import { t } from '../i18n.js';
import { docWorkView } from './docwork.js';

export default docWorkView({
  id: 'ship', title: 'nav.ship', perm: 'sales.ship', base: '/api/v1/sales-orders', entity: 'sales_order',
  statuses: ['approved', 'partially_shipped'], doneKey: 'shipped_qty', partnerField: 'customer_name',
  submitKey: 'ship.submit', expectedKey: 'lines.to_ship',
  enqueue: (so, lines) => ops.shipSo({ order_id: so.id, lines },
    `${t('nav.ship')} · ${so.number} · ${lines.length} ${t('lines.count')}`),
});
