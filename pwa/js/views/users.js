/** Users (admin): create, roles, warehouse scope, deactivate, reset password, revoke API tokens. A password
 * reset or a deactivation ends the user's sessions and revokes their API tokens (the server says how many). */
import { t } from '../i18n.js';
import { optionsFrom, write } from '../office/kit.js';
import { masterView, yesNo } from '../office/master.js';
import { errText, fmtTime, h, toast } from '../ui.js';

const ROLES = ['admin', 'manager', 'purchaser', 'warehouse', 'sales', 'finance'];

export default masterView({
  id: 'users', title: 'nav.users', perm: 'user.admin', writePerm: 'user.admin',
  path: '/api/v1/users', sort: 'username', newKey: 'user.new',
  columns: [
    { key: 'username', label: 'login.username', sort: true },
    { key: 'display_name', label: 'user.display_name', sort: true },
    { key: 'roles', label: 'user.roles', render: (r) => (r.roles || []).map((x) => t(`role.${x}`)).join(', ') },
    { key: 'warehouse_ids', label: 'user.warehouses', render: (r) => ((r.warehouse_ids || []).length ? String(r.warehouse_ids.length) : t('user.all_warehouses')) },
    { key: 'is_active', label: 'office.active', render: (r) => yesNo(r.is_active) },
    { key: 'last_login_at', label: 'user.last_login', render: (r) => fmtTime(r.last_login_at) },
  ],
  filters: [{ name: 'q', type: 'search', label: 'user.search' }],
  name: (u) => `${u.username}${u.display_name ? ` · ${u.display_name}` : ''}`,
  fields: async (rec) => [
    { name: 'username', label: 'login.username', required: true, createOnly: true, autocomplete: 'off' },
    { name: 'password', label: rec ? 'user.reset_password' : 'login.password', type: 'password', required: !rec,
      autocomplete: 'new-password', help: rec ? 'user.reset_help' : 'user.password_help' },
    { name: 'display_name', label: 'user.display_name' },
    { name: 'email', label: 'partner.email', type: 'email' },
    { name: 'roles', label: 'user.roles', type: 'checks', options: ROLES.map((r) => [r, t(`role.${r}`)]) },
    { name: 'warehouse_ids', label: 'user.warehouses', type: 'checks', numeric: true, help: 'user.warehouses_help',
      options: await optionsFrom('/api/v1/warehouses', (w) => `${w.code} ${w.name}`).catch(() => []) },
    { name: 'locale', label: 'settings.language', type: 'select', required: true, default: 'zh-CN', options: [['zh-CN', '中文'], ['en', 'English']] },
    { name: 'is_active', label: 'office.active', type: 'check', default: true, help: 'user.deactivate_help' },
  ].filter((f) => !(f.name === 'is_active' && !rec)),
  extras: (u) => [tokensPanel(u)],
  onSaved: (saved) => {
    if (saved.sessions_ended || saved.tokens_revoked) toast(t('user.revoked', { s: saved.sessions_ended || 0, k: saved.tokens_revoked || 0 }));
  },
});

/** Revoke the user's API tokens (a lost phone, a leaked script); their login sessions stay. */
function tokensPanel(u) {
  const btn = h('button', { class: 'btn', type: 'button', 'data-testid': 'revoke-tokens', onclick: async () => {
    if (!window.confirm(t('user.revoke_confirm', { u: u.username }))) return;
    btn.disabled = true;
    try {
      const r = await write('POST', `/api/v1/users/${u.id}/revoke-tokens`);
      toast(t('user.tokens_revoked', { k: r.tokens_revoked }));
    } catch (e) { toast(errText(e), 'err'); }
    finally { btn.disabled = false; }
  } }, t('user.revoke_tokens'));
  return h('section', { class: 'card' }, h('h3', {}, t('user.api_tokens')),
    h('p', { class: 'muted' }, t('user.revoke_help')), h('div', { class: 'btn-row' }, btn));
}
