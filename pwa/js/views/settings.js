/** Settings: language, default warehouse, device info, catalog refresh, logout. */
import * as db from '../db.js';
import { getLang, setLang, t } from '../i18n.js';
import * as outbox from '../outbox.js';
import { notificationsCard } from '../push.js';
import { logout, session, setWarehouse } from '../session.js';
import { fullRefresh } from '../sync.js';
import { errText, fmtTime, h, toast, warehouseSelect } from '../ui.js';

export default {
  id: 'settings', title: 'nav.settings',
  async render(root, ctx) {
    const me = session.me;
    const lang = h('div', { class: 'seg', role: 'group' }, ['zh-CN', 'en'].map((l) => h('button', {
      type: 'button', class: getLang() === l ? 'on' : '', 'data-lang': l, onclick: () => setLang(l),
    }, l === 'en' ? 'English' : '中文')));
    const [dev, n, catAt, counts] = await Promise.all([outbox.deviceId(), db.count('products'), db.getMeta('catalog_at'), outbox.counts()]);
    const refreshBtn = h('button', { class: 'btn block', type: 'button', onclick: async () => {
      refreshBtn.disabled = true;
      try { const r = await fullRefresh(); toast(t('settings.catalog_done', { n: r.total })); ctx.rerender(); }
      catch (e) { toast(errText(e), 'err'); } finally { refreshBtn.disabled = false; }
    } }, t('settings.refresh_catalog'));
    root.append(
      h('div', { class: 'card' }, h('label', {}, t('settings.language')), lang),
      session.warehouses.length ? h('div', { class: 'card' }, h('label', {}, t('settings.default_warehouse'),
        warehouseSelect(session.warehouses, session.warehouseId, { onchange: (e) => setWarehouse(e.target.value) }))) : null,
      h('div', { class: 'card' },
        h('div', {}, `${t('settings.user')}: ${me.display_name || me.username} (${(me.roles || []).join(', ')})`),
        h('div', { class: 'muted small' }, `${t('settings.device')}: ${dev}`),
        h('div', { class: 'muted small' }, t('settings.catalog', { n, at: catAt ? fmtTime(new Date(catAt).toISOString()) : '—' })),
        refreshBtn),
      notificationsCard(),
      h('button', { class: 'btn danger block', type: 'button', 'data-testid': 'logout', onclick: async () => {
        if (counts.pending && !window.confirm(t('settings.logout_pending', { n: counts.pending }))) return;
        await logout();
        ctx.nav('#/login');
      } }, t('settings.logout')));
  },
};
