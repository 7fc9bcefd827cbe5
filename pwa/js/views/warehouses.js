/** Warehouses and their locations (master data). */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { write } from '../office/kit.js';
import { masterView, yesNo } from '../office/master.js';
import { can } from '../session.js';
import { errText, h, mount, toast } from '../ui.js';

export default masterView({
  id: 'warehouses', title: 'nav.warehouses', perm: 'warehouse.view', writePerm: 'warehouse.write',
  path: '/api/v1/warehouses', sort: 'code', newKey: 'warehouse.new',
  columns: [
    { key: 'code', label: 'partner.code', sort: true },
    { key: 'name', label: 'partner.name', sort: true },
    { key: 'address', label: 'partner.address' },
    { key: 'is_active', label: 'office.active', render: (r) => yesNo(r.is_active) },
  ],
  filters: [{ name: 'q', type: 'search', label: 'warehouse.search' }],
  name: (r) => `${r.code} ${r.name}`,
  fields: async () => [
    { name: 'code', label: 'partner.code', required: true },
    { name: 'name', label: 'partner.name', required: true },
    { name: 'address', label: 'partner.address' },
    { name: 'is_active', label: 'office.active', type: 'check', default: true },
    { name: 'notes', label: 'common.note', type: 'textarea' },
  ],
  extras: (w, ctx, reload) => locations(w, reload),
});

async function locations(w, reload) {
  const box = h('section', { class: 'card' }, h('h3', {}, t('warehouse.locations')));
  let rows = [];
  try { const res = await api('GET', `/api/v1/warehouses/${w.id}/locations`); rows = Array.isArray(res) ? res : res.items || []; }
  catch (e) { box.append(h('p', { class: 'err-text' }, errText(e))); return box; }
  const canWrite = can('warehouse.write');
  box.append(rows.length ? h('div', { class: 'grid-wrap' }, h('table', { class: 'grid', 'data-testid': 'locations' }, h('tbody', {}, rows.map((l) => h('tr', {},
    h('td', { 'data-label': t('partner.code') }, h('code', {}, l.code)),
    h('td', { 'data-label': t('partner.name') }, l.name || ''),
    h('td', { 'data-label': t('office.active') }, yesNo(l.is_active)),
    canWrite ? h('td', { class: 'act' }, h('button', { class: 'btn small-btn', type: 'button', onclick: async () => {
      try { await write('PATCH', `/api/v1/warehouses/${w.id}/locations/${l.id}`, { json: { version: l.version, is_active: !l.is_active } }); reload(); }
      catch (e) { toast(errText(e), 'err'); }
    } }, l.is_active ? t('office.deactivate') : t('office.activate'))) : null))))) : h('p', { class: 'muted' }, t('common.none')));
  if (canWrite) {
    const err = h('div', { class: 'field-err', role: 'alert' });
    const code = h('input', { id: 'loc-code', required: true, 'data-testid': 'location-code' });
    const name = h('input', { id: 'loc-name', 'data-testid': 'location-name' });
    box.append(h('form', { class: 'fields', onsubmit: async (e) => {
      e.preventDefault();
      try { await write('POST', `/api/v1/warehouses/${w.id}/locations`, { json: { code: code.value.trim(), name: name.value.trim() || null } }); reload(); }
      catch (ex) { mount(err, errText(ex)); }
    } }, h('div', { class: 'field' }, h('label', { for: 'loc-code' }, t('warehouse.location_code')), code),
    h('div', { class: 'field' }, h('label', { for: 'loc-name' }, t('partner.name')), name),
    h('div', { class: 'btn-row field-wide' }, h('button', { class: 'btn primary', type: 'submit' }, t('warehouse.add_location'))), err));
  }
  return box;
}
