/** Home: one tile per thing this user may do (from /auth/me permissions), plus sync status. */
import { t } from '../i18n.js';
import { icon } from '../icons.js';
import * as outbox from '../outbox.js';
import { can, session } from '../session.js';
import { syncNow, state as syncState } from '../sync.js';
import { fmtTime, h, warehouseSelect } from '../ui.js';
import { setWarehouse } from '../session.js';

export const TILES = [
  { route: '#/lookup', ico: 'search', key: 'nav.lookup', perm: 'product.view' },
  { route: '#/receive', ico: 'receive', key: 'nav.receive', perm: 'purchase.receive' },
  { route: '#/ship', ico: 'ship', key: 'nav.ship', perm: 'sales.ship' },
  { route: '#/stocktake', ico: 'count', key: 'nav.stocktake', perm: 'stocktake.count' },
  { route: '#/transfer', ico: 'transfer', key: 'nav.transfer', perm: 'transfer.create' },
  { route: '#/transfer-in', ico: 'truck', key: 'nav.transfer_in', perm: 'transfer.receive' },
  { route: '#/adjustment', ico: 'adjust', key: 'nav.adjustment', perm: 'stock.adjust' },
  { route: '#/approvals', ico: 'approve', key: 'nav.approvals',
    perm: ['purchase.approve', 'sales.approve', 'stock.adjust.approve', 'stocktake.approve', 'transfer.resolve', 'expense.approve'] },
  { route: '#/reports', ico: 'chart', key: 'nav.reports', perm: ['report.view', 'stock.view'] },
  { route: '#/lowstock', ico: 'chart', key: 'inv.nav.lowstock', perm: 'stock.view' },
  { route: '#/po', ico: 'doc', key: 'nav.po', perm: 'purchase.view', office: true },
  { route: '#/so', ico: 'cart', key: 'nav.so', perm: 'sales.view', office: true },
  { route: '#/stocktakes', ico: 'count', key: 'inv.nav.stocktakes', perm: ['stocktake.approve', 'stocktake.create'], office: true },
  { route: '#/adjustments', ico: 'adjust', key: 'inv.nav.adjustments', perm: ['stock.adjust.approve', 'stock.adjust'], office: true },
  { route: '#/transfers', ico: 'transfer', key: 'inv.nav.transfers', perm: 'transfer.view', office: true },
  { route: '#/invoices', ico: 'doc', key: 'fin.invoices', perm: 'sales.invoice', office: true },
  { route: '#/payments', ico: 'sync', key: 'fin.payments', perm: 'finance.view', office: true },
  { route: '#/balances', ico: 'chart', key: 'fin.balances', perm: 'finance.view', office: true },
  { route: '#/statements', ico: 'doc', key: 'fin.statements', perm: 'finance.view', office: true },
  { route: '#/expenses', ico: 'tag', key: 'fin.expenses', perm: 'finance.view', office: true },
  { route: '#/products', ico: 'tag', key: 'nav.products', perm: 'product.view', office: true },
  { route: '#/categories', ico: 'tag', key: 'nav.categories', perm: 'product.view', office: true },
  { route: '#/suppliers', ico: 'people', key: 'nav.suppliers', perm: 'partner.view', office: true },
  { route: '#/customers', ico: 'people', key: 'nav.customers', perm: 'partner.view', office: true },
  { route: '#/warehouses', ico: 'store', key: 'nav.warehouses', perm: 'warehouse.view', office: true },
  { route: '#/users', ico: 'user', key: 'nav.users', perm: 'user.admin', office: true },
  { route: '#/audit', ico: 'search', key: 'nav.audit', perm: 'audit.view', admin: true },
  { route: '#/importexport', ico: 'doc', key: 'nav.importexport',
    perm: ['product.write', 'supplier.write', 'customer.write', 'warehouse.write'], admin: true },
  { route: '#/backups', ico: 'store', key: 'nav.backups', perm: 'system.admin', admin: true },
  { route: '#/webhooks', ico: 'sync', key: 'nav.webhooks', perm: 'system.admin', admin: true },
  { route: '#/company', ico: 'settings', key: 'nav.company', perm: 'system.admin', admin: true },
  { route: '#/tokens', ico: 'user', key: 'nav.tokens', perm: 'token.manage', office: true },
  { route: '#/outbox', ico: 'sync', key: 'nav.outbox', perm: 'sync.push' },
  { route: '#/settings', ico: 'settings', key: 'nav.settings' },
];

export default {
  id: 'home', title: 'app.name',
  render(root, ctx) {
    const me = session.me;
    const status = h('div', { class: 'muted small', 'data-testid': 'sync-status' });
    async function refresh() {
      const c = await outbox.counts();
      status.textContent = [t('home.queued', { n: c.pending }), c.rejected ? t('home.conflicts', { n: c.rejected }) : '',
        syncState.lastSync ? t('home.last_sync', { at: fmtTime(syncState.lastSync) }) : ''].filter(Boolean).join(' · ');
    }
    refresh();
    ctx.on(window, 'jxc:outbox', refresh);
    ctx.on(window, 'jxc:sync', refresh);
    const tile = (x) => h('a', { class: 'tile', href: x.route, 'data-testid': `tile-${x.route.slice(2)}` },
      h('span', { class: 'ico' }, icon(x.ico)), h('span', { class: 'lbl' }, t(x.key)));
    const mine = TILES.filter((x) => !x.perm || can(x.perm));
    const tiles = mine.filter((x) => !x.office && !x.admin).map(tile);
    const office = mine.filter((x) => x.office).map(tile);
    const admin = mine.filter((x) => x.admin).map(tile);
    const wh = session.warehouses.length > 1
      ? h('label', {}, t('common.warehouse'), warehouseSelect(session.warehouses, session.warehouseId,
        { onchange: (e) => setWarehouse(e.target.value), 'data-testid': 'home-warehouse' }))
      : null;
    root.append(
      h('div', { class: 'card' },
        h('div', { class: 'row' },
          h('div', { class: 'grow' }, h('div', {}, t('home.hello', { name: me.display_name || me.username })), status),
          h('button', { class: 'btn', type: 'button', 'data-testid': 'sync-now', onclick: () => syncNow({ force: true }) }, t('sync.now'))),
        wh),
      h('nav', { class: 'tiles', 'aria-label': t('home.warehouse_work') }, tiles),
      ...(office.length ? [h('h2', {}, t('home.office')), h('nav', { class: 'tiles', 'aria-label': t('home.office'), 'data-testid': 'office-tiles' }, office)] : []),
      ...(admin.length ? [h('h2', {}, t('home.admin')), h('nav', { class: 'tiles', 'aria-label': t('home.admin'), 'data-testid': 'admin-tiles' }, admin)] : []));
  },
};
