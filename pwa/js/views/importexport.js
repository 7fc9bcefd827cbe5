/** Import / export of base data: preview a .xlsx/.csv (the server's dry run names each bad row), then apply
 * all rows or only the valid ones; export or download a template. Rules are the server's. */
import { t } from '../i18n.js';
import { offlineNote, store, write } from '../office/kit.js';
import { can } from '../session.js';
import { errText, h, mount, toast } from '../ui.js';

const ENTITIES = [
  { name: 'products', view: 'product.view', write: 'product.write' },
  { name: 'suppliers', view: 'partner.view', write: 'supplier.write' },
  { name: 'customers', view: 'partner.view', write: 'customer.write' },
  { name: 'warehouses', view: 'warehouse.view', write: 'warehouse.write' },
];

/** The field errors of a bad row as "field: message" text. */
function rowErrors(errs) {
  if (!errs || typeof errs !== 'object') return '';
  return Object.entries(errs).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : typeof v === 'object' ? JSON.stringify(v) : v}`).join('; ');
}

function errorTable(errors) {
  return h('div', { class: 'grid-wrap' }, h('table', { class: 'grid', 'data-testid': 'import-errors' },
    h('caption', { class: 'sr-only' }, t('imp.bad_rows')),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, t('imp.row')), h('th', { scope: 'col' }, t('imp.key')),
      h('th', { scope: 'col' }, t('imp.problem')))),
    h('tbody', {}, errors.map((e) => h('tr', { 'data-row': String(e.row) },
      h('td', { class: 'num', 'data-label': t('imp.row') }, String(e.row)),
      h('td', { 'data-label': t('imp.key') }, e.key || '—'),
      h('td', { class: 'wrap', 'data-label': t('imp.problem') }, `${e.message} ${rowErrors(e.errors)}`.trim()))))));
}

/** Counts of a report as a definition list. */
function counts(rep, applied) {
  const pairs = [['imp.rows', rep.rows], [applied ? 'imp.created' : 'imp.would_create', rep.created],
    [applied ? 'imp.updated' : 'imp.would_update', rep.updated], ['imp.unchanged', rep.unchanged],
    ['imp.bad', (rep.errors || []).length]];
  return h('dl', { class: 'facts', 'data-testid': applied ? 'import-result' : 'import-preview' },
    pairs.map(([k, v]) => [h('dt', {}, t(k)), h('dd', { 'data-count': k.split('.')[1] }, String(v ?? 0))]));
}

function importCard(entities) {
  const sel = h('select', { id: 'imp-entity', 'data-testid': 'import-entity' },
    entities.map((e) => h('option', { value: e.name }, t(`imp.entity.${e.name}`))));
  const file = h('input', { type: 'file', id: 'imp-file', accept: '.xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'data-testid': 'import-file' });
  const out = h('div', { 'aria-live': 'polite', 'data-testid': 'import-out' });
  const previewBtn = h('button', { class: 'btn primary', type: 'button', 'data-testid': 'import-preview-btn', onclick: preview }, t('imp.preview'));
  const tpl = h('a', { class: 'btn', 'data-testid': 'import-template' }, t('imp.template'));
  const setTpl = () => { tpl.href = `/api/v1/import/${sel.value}/template?format=xlsx`; };
  setTpl();
  sel.addEventListener('change', () => { setTpl(); mount(out); });
  file.addEventListener('change', () => mount(out));

  /** POST the chosen file (the same bytes for the preview and for applying it). */
  async function send(query) {
    const f = file.files && file.files[0];
    const form = new FormData();
    form.append('file', f, f.name);
    return write('POST', `/api/v1/import/${sel.value}`, { form, query, timeout: 120000 });
  }

  function busy(on) { previewBtn.disabled = on; out.setAttribute('aria-busy', on ? 'true' : 'false'); }

  async function preview() {
    if (!file.files || !file.files[0]) { mount(out, h('p', { class: 'note err', role: 'alert' }, t('imp.choose_file'))); return; }
    busy(true);
    mount(out, h('p', { class: 'muted' }, t('common.loading')));
    try {
      showPreview(await send({ dry_run: 'true' }));
    } catch (e) {
      mount(out, h('p', { class: 'note err', role: 'alert' }, e.isNetwork ? t('imp.offline') : errText(e)));
    } finally { busy(false); }
  }

  function showPreview(rep) {
    const bad = rep.errors || [];
    const good = rep.created + rep.updated + rep.unchanged;
    const apply = (skip) => h('button', { class: `btn${skip ? '' : ' primary'}`, type: 'button',
      'data-testid': skip ? 'import-apply-valid' : 'import-apply', onclick: (e) => doApply(e.currentTarget, skip) },
    skip ? t('imp.apply_valid', { n: good, bad: bad.length }) : t('imp.apply', { n: good }));
    mount(out,
      h('h3', { class: 'out-h' }, t('imp.preview_title')), counts(rep, false),
      bad.length ? [h('p', { class: 'note warn', role: 'status', 'data-testid': 'import-bad-note' }, t('imp.bad_note', { n: bad.length })), errorTable(bad)]
        : h('p', { class: 'note' }, t('imp.all_good')),
      h('div', { class: 'btn-row wrap' }, bad.length ? (good ? apply(true) : null) : apply(false)));
  }

  async function doApply(btn, skip) {
    btn.disabled = true;
    try {
      const rep = await send(skip ? { skip_invalid: 'true' } : {});
      toast(t('imp.done', { c: rep.created, u: rep.updated }));
      mount(out, h('h3', { class: 'out-h' }, t('imp.result_title')), counts(rep, true),
        (rep.errors || []).length ? [h('p', { class: 'note warn' }, t('imp.skipped_note', { n: rep.errors.length })), errorTable(rep.errors)] : null,
        can('audit.view') ? h('p', {}, h('a', { class: 'btn', href: '#/audit', 'data-testid': 'import-audit-link',
          onclick: () => store('list.audit', { q: '', f: { entity: 'import' }, sort: '' }) }, t('imp.in_audit'))) : null);
    } catch (e) {
      btn.disabled = false;
      const rep = e.body && e.body.report;
      toast(e.isNetwork ? t('imp.offline') : errText(e), 'err');
      if (rep && rep.errors) mount(out, h('p', { class: 'note err', role: 'alert' }, errText(e)), errorTable(rep.errors));
    }
  }

  return h('section', { class: 'card', 'aria-labelledby': 'imp-h' }, h('h2', { id: 'imp-h' }, t('imp.import')),
    h('p', { class: 'muted small' }, t('imp.help')),
    h('div', { class: 'fields' },
      h('div', { class: 'field' }, h('label', { for: 'imp-entity' }, t('imp.what')), sel),
      h('div', { class: 'field' }, h('label', { for: 'imp-file' }, t('imp.file')), file)),
    h('div', { class: 'btn-row wrap' }, previewBtn, tpl), out);
}

function exportCard(entities) {
  return h('section', { class: 'card', 'aria-labelledby': 'exp-h' }, h('h2', { id: 'exp-h' }, t('imp.export')),
    h('p', { class: 'muted small' }, t('imp.export_help')),
    h('div', { class: 'grid-wrap' }, h('table', { class: 'kv', 'data-testid': 'export-table' },
      h('caption', { class: 'sr-only' }, t('imp.export')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('imp.what')), h('th', { scope: 'col' }, t('imp.download')))),
      h('tbody', {}, entities.map((e) => h('tr', {}, h('th', { scope: 'row' }, t(`imp.entity.${e.name}`)),
        h('td', {}, h('span', { class: 'btn-pair' },
          h('a', { class: 'btn', href: `/api/v1/export/${e.name}?format=xlsx`, 'data-testid': `export-${e.name}-xlsx`,
            'aria-label': `${t(`imp.entity.${e.name}`)} XLSX` }, 'XLSX'),
          h('a', { class: 'btn', href: `/api/v1/export/${e.name}?format=csv`, 'data-testid': `export-${e.name}-csv`,
            'aria-label': `${t(`imp.entity.${e.name}`)} CSV` }, 'CSV')))))))));
}

export default {
  id: 'importexport', title: 'nav.importexport', wide: true,
  perm: ENTITIES.map((e) => e.write),
  render(root, ctx) {
    const writable = ENTITIES.filter((e) => can(e.write));
    const readable = ENTITIES.filter((e) => can(e.view));
    root.append(offlineNote(ctx), h('div', { class: 'admin-cols' },
      writable.length ? importCard(writable) : null, readable.length ? exportCard(readable) : null));
  },
};
