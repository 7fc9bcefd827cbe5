/** Users (admin): create, roles, warehouse scope, deactivate, reset password. A password reset or a
 * deactivation ends the user's sessions and revokes their API tokens (the server says how many). */
import { t } from '../i18n.js';
import { optionsFrom } from '../office/kit.js';
import { masterView, yesNo } from '../office/master.js';
import { fmtTime, toast } from '../ui.js';

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
  onSaved: (saved) => {
    if (saved.sessions_ended || saved.tokens_revoked) toast(t('user.revoked', { s: saved.sessions_ended || 0, k: saved.tokens_revoked || 0 }));
  },
});
