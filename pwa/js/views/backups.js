/** Backups (system.admin): make one, list them, download one (restore is a server command). */
import { t } from '../i18n.js';
import { listPane, offlineNote, write } from '../office/kit.js';
import { errText, fmtTime, h, toast } from '../ui.js';

/** 1234567 → "1.2 MB". */
export function fmtSize(n) {
  if (n === null || n === undefined) return '';
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = Number(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}

function makeCard(onMade) {
  const fmt = h('select', { id: 'bk-format', 'data-testid': 'backup-format' },
    h('option', { value: 'portable' }, t('bk.portable')), h('option', { value: 'native' }, t('bk.native')));
  const note = h('input', { id: 'bk-note', type: 'text', maxlength: '200', 'data-testid': 'backup-note', autocomplete: 'off' });
  const status = h('p', { class: 'muted small', role: 'status', 'aria-live': 'polite', 'data-testid': 'backup-status' });
  const btn = h('button', { class: 'btn primary', type: 'button', 'data-testid': 'backup-make', onclick: async () => {
    btn.disabled = true;
    status.textContent = t('bk.working');
    try {
      const b = await write('POST', '/api/v1/admin/backups', { json: { format: fmt.value, note: note.value.trim() || null }, timeout: 300000 });
      status.textContent = t('bk.made', { name: b.name, size: fmtSize(b.size) });
      toast(t('bk.made', { name: b.name, size: fmtSize(b.size) }));
      note.value = '';
      onMade();
    } catch (e) {
      status.textContent = '';
      toast(e.isNetwork ? t('list.offline') : errText(e), 'err');
    } finally { btn.disabled = false; }
  } }, t('bk.make'));
  return h('section', { class: 'card', 'aria-labelledby': 'bk-h' }, h('h2', { id: 'bk-h' }, t('bk.make_title')),
    h('p', { class: 'muted small' }, t('bk.help')),
    h('div', { class: 'fields' },
      h('div', { class: 'field' }, h('label', { for: 'bk-format' }, t('bk.format')), fmt),
      h('div', { class: 'field' }, h('label', { for: 'bk-note' }, t('common.note')), note)),
    h('div', { class: 'btn-row' }, btn), status);
}

export default {
  id: 'backups', title: 'nav.backups', perm: 'system.admin', wide: true,
  render(root, ctx) {
    const dl = (r) => h('a', { class: 'btn', href: `/api/v1/admin/backups/${encodeURIComponent(r.name)}`, download: r.name,
      'data-testid': 'backup-download', 'aria-label': t('bk.download_name', { name: r.name }), onclick: (e) => e.stopPropagation() }, t('bk.download'));
    const list = listPane({
      ctx, key: 'backups', testid: 'backups-list',
      path: () => ({ path: '/api/v1/admin/backups', map: (r) => ({ ...r, id: r.name }) }),
      columns: [
        { key: 'created_at', label: 'bk.created', render: (r) => fmtTime(r.created_at) },
        { key: 'name', label: 'bk.name', wrap: true },
        { key: 'format', label: 'bk.format', render: (r) => t(`bk.fmt.${r.format}`) === `bk.fmt.${r.format}` ? r.format : t(`bk.fmt.${r.format}`) },
        { key: 'size', label: 'bk.size', num: true, render: (r) => fmtSize(r.size) },
        { key: 'rows', label: 'bk.rows', num: true, phone: false },
        { key: 'note', label: 'common.note', wrap: true, phone: false },
        { key: 'dl', label: 'bk.download', render: dl },
      ],
      onOpen: () => {},
    });
    root.append(offlineNote(ctx), h('div', { class: 'admin-cols' }, makeCard(() => list.reload()),
      h('section', { class: 'card', 'aria-labelledby': 'bkl-h' }, h('h2', { id: 'bkl-h' }, t('bk.list')), list.el)));
  },
};
