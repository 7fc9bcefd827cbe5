/** Company details (system.admin): the letterhead on every PDF — name, address, tax id, phone, e-mail, logo. */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { formPane, offlineNote, write } from '../office/kit.js';
import { errText, h, mount, toast } from '../ui.js';

const PATH = '/api/v1/settings/company';

function logoCard(rec, ctx) {
  const status = h('p', { class: 'muted small', role: 'status', 'aria-live': 'polite', 'data-testid': 'logo-status' });
  const preview = h('div', { class: 'logo-preview' }, rec.has_logo
    ? h('img', { src: `${PATH}/logo?v=${rec.version}`, alt: t('co.logo_alt', { name: rec.name || '' }), 'data-testid': 'logo-img' })
    : h('p', { class: 'muted' }, t('co.no_logo')));
  const file = h('input', { type: 'file', id: 'co-logo', accept: 'image/png,image/jpeg', 'data-testid': 'logo-file' });
  const upload = h('button', { class: 'btn primary', type: 'button', 'data-testid': 'logo-upload', onclick: async () => {
    const f = file.files && file.files[0];
    if (!f) { status.textContent = t('co.choose_logo'); return; }
    const form = new FormData();
    form.append('file', f, f.name);
    upload.disabled = true;
    try {
      await write('PUT', `${PATH}/logo`, { form, query: { version: rec.version } });
      toast(t('co.logo_saved'));
      ctx.rerender();
    } catch (e) {
      status.textContent = e.isNetwork ? t('list.offline') : errText(e);
      status.className = 'note err';
    } finally { upload.disabled = false; }
  } }, t('co.upload'));
  const remove = rec.has_logo ? h('button', { class: 'btn', type: 'button', 'data-testid': 'logo-remove', onclick: async () => {
    if (!window.confirm(t('co.remove_confirm'))) return;
    try { await write('DELETE', `${PATH}/logo`, { query: { version: rec.version } }); toast(t('co.logo_removed')); ctx.rerender(); }
    catch (e) { status.textContent = errText(e); status.className = 'note err'; }
  } }, t('co.remove')) : null;
  return h('section', { class: 'card', 'aria-labelledby': 'co-logo-h' }, h('h2', { id: 'co-logo-h' }, t('co.logo')),
    preview, h('div', { class: 'field' }, h('label', { for: 'co-logo' }, t('co.logo_file')), file,
      h('div', { class: 'muted small' }, t('co.logo_help'))),
    h('div', { class: 'btn-row wrap' }, upload, remove), status);
}

export default {
  id: 'company', title: 'nav.company', perm: 'system.admin', wide: true,
  async render(root, ctx) {
    let rec;
    try { rec = await api('GET', PATH); } catch (e) {
      root.append(h('p', { class: 'empty err-text' }, e.isNetwork ? t('list.offline') : errText(e)));
      return;
    }
    const form = formPane({
      fields: [
        { name: 'name', label: 'co.name', help: 'co.name_help' },
        { name: 'address', label: 'co.address', type: 'textarea' },
        { name: 'tax_id', label: 'co.tax_id', help: 'co.tax_id_help' },
        { name: 'phone', label: 'co.phone', autocomplete: 'tel' },
        { name: 'email', label: 'co.email', type: 'email', autocomplete: 'email' },
      ],
      record: rec, draftKey: 'company', testid: 'company-form',
      reload: () => ctx.rerender(),
      save: (body) => write('PUT', PATH, { json: body }), // an emptied field goes as null: the server empties it
      onSaved: () => ctx.rerender(),
    });
    const head = h('div', { class: 'detail-head' }, h('h2', { 'data-testid': 'detail-title' }, rec.name || t('co.unnamed')),
      rec.version ? null : h('span', { class: 'pill warn' }, t('co.not_saved')));
    const out = h('div', {});
    mount(out, offlineNote(ctx), head, h('p', { class: 'muted' }, t('co.help')),
      h('div', { class: 'admin-cols' }, form.el, logoCard(rec, ctx)));
    root.append(out);
  },
};
