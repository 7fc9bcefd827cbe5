/** My API tokens (token.manage): create (the secret is shown once), list, revoke. */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { formPane, offlineNote, write } from '../office/kit.js';
import { errText, fmtTime, h, mount, toast } from '../ui.js';

function secretCard(tok) {
  const box = h('input', { id: 'tok-secret', type: 'text', readonly: true, value: tok.token, 'data-testid': 'token-secret',
    class: 'mono', onfocus: (e) => e.target.select() });
  const copy = h('button', { class: 'btn', type: 'button', onclick: async () => {
    try { await navigator.clipboard.writeText(tok.token); toast(t('tok.copied')); } catch { box.select(); }
  } }, t('tok.copy'));
  return h('section', { class: 'card', role: 'status', 'data-testid': 'token-created' },
    h('h3', {}, t('tok.created', { name: tok.name })),
    h('p', { class: 'note warn' }, t('tok.once')),
    h('div', { class: 'field' }, h('label', { for: 'tok-secret' }, t('tok.secret')), box),
    h('p', { class: 'muted small' }, t('tok.usage')), h('div', { class: 'btn-row' }, copy));
}

function state(tok) {
  if (tok.revoked_at) return h('span', { class: 'pill err' }, t('tok.revoked'));
  if (tok.expires_at && new Date(tok.expires_at) < new Date()) return h('span', { class: 'pill warn' }, t('tok.expired'));
  return h('span', { class: 'pill st-approved' }, t('tok.active'));
}

function table(items, onRevoke) {
  if (!items.length) return h('p', { class: 'empty' }, t('tok.none'));
  const col = (k) => h('th', { scope: 'col' }, t(k));
  return h('div', { class: 'grid-wrap' }, h('table', { class: 'grid', 'data-testid': 'tokens-list' },
    h('caption', { class: 'sr-only' }, t('tok.list')),
    h('thead', {}, h('tr', {}, col('tok.name'), col('tok.prefix'), col('tok.created_at'), col('tok.last_used'),
      col('tok.expires'), col('doc.status'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, t('tok.revoke'))))),
    h('tbody', {}, items.map((k) => h('tr', { 'data-id': String(k.id) },
      h('td', { 'data-label': t('tok.name') }, k.name),
      h('td', { 'data-label': t('tok.prefix'), class: 'mono' }, `${k.prefix}…`),
      h('td', { 'data-label': t('tok.created_at') }, fmtTime(k.created_at)),
      h('td', { 'data-label': t('tok.last_used') }, k.last_used_at ? fmtTime(k.last_used_at) : t('tok.never')),
      h('td', { 'data-label': t('tok.expires') }, k.expires_at ? fmtTime(k.expires_at) : t('tok.no_expiry')),
      h('td', { 'data-label': t('doc.status') }, state(k)),
      h('td', {}, k.revoked_at ? '' : h('button', { class: 'btn', type: 'button', 'data-testid': 'token-revoke',
        'aria-label': t('tok.revoke_name', { name: k.name }), onclick: (e) => onRevoke(k, e.currentTarget) }, t('tok.revoke'))))))));
}

export default {
  id: 'tokens', title: 'nav.tokens', perm: 'token.manage', wide: true,
  async render(root, ctx) {
    const listBox = h('div', { 'aria-live': 'polite' });
    const created = h('div');
    async function load() {
      try {
        const items = await api('GET', '/api/v1/auth/tokens');
        mount(listBox, table(items.slice().reverse(), revoke));
      } catch (e) { mount(listBox, h('p', { class: 'empty err-text' }, e.isNetwork ? t('list.offline') : errText(e))); }
    }
    async function revoke(k, btn) {
      if (!window.confirm(t('tok.revoke_confirm', { name: k.name }))) return;
      btn.disabled = true;
      try { await write('DELETE', `/api/v1/auth/tokens/${k.id}`); toast(t('tok.revoked_done', { name: k.name })); load(); }
      catch (e) { btn.disabled = false; toast(errText(e), 'err'); }
    }
    const form = formPane({
      fields: [
        { name: 'name', label: 'tok.name', required: true, help: 'tok.name_help' },
        { name: 'expires_at', label: 'tok.expires', type: 'date', help: 'tok.expires_help' },
      ],
      record: null, draftKey: 'tokens.new', testid: 'token-form', submitLabel: 'tok.create',
      save: (body) => write('POST', '/api/v1/auth/tokens', { json: {
        name: body.name, expires_at: body.expires_at ? new Date(`${body.expires_at}T23:59:59`).toISOString() : null } }),
      onSaved: (tok) => {
        mount(created, secretCard(tok));
        for (const inp of form.el.querySelectorAll('input')) inp.value = '';
        load();
      },
    });
    root.append(offlineNote(ctx), h('div', { class: 'admin-cols' },
      h('div', {}, h('section', { class: 'card', 'aria-labelledby': 'tok-new-h' }, h('h2', { id: 'tok-new-h' }, t('tok.new')),
        h('p', { class: 'muted small' }, t('tok.help')), form.el), created),
      h('section', { class: 'card', 'aria-labelledby': 'tok-list-h' }, h('h2', { id: 'tok-list-h' }, t('tok.list')), listBox)));
    await load();
  },
};
