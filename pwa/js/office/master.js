/**
 * One screen per master-data collection, from a config: list (left / first) and detail form
 * (right / second) on the office kit. Used by products, suppliers, customers, warehouses, users.
 */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { can } from '../session.js';
import { errText, h } from '../ui.js';
import { formPane, listPane, offlineNote, splitView, write } from './kit.js';

/**
 * @param {object} cfg
 * @param {string} cfg.id            route and list key ("products")
 * @param {string} cfg.title         i18n key of the screen title
 * @param {string|string[]} cfg.perm view permission
 * @param {string} cfg.writePerm     create/edit permission
 * @param {string} cfg.path          API collection
 * @param {string|function} [cfg.listPath]  list source when it differs (see listPane `path`)
 * @param {Array} cfg.columns        listPane columns
 * @param {Array} [cfg.filters]      listPane filters
 * @param {string} [cfg.sort]
 * @param {(rec: object|null) => Array|Promise<Array>} cfg.fields  formPane fields
 * @param {(rec: object) => string} cfg.name   record title
 * @param {(body: object, rec: object|null) => object} [cfg.body]  adjust the request body
 * @param {(rec: object, ctx: object, reload: () => void) => any} [cfg.extras]  more panels under the form
 * @param {string} [cfg.newKey]      i18n key of the "New" button
 * @param {() => {el: HTMLElement, onSelect: (ids: Set) => void}} [cfg.listTools]  tools for chosen rows (rows get checkboxes)
 */
export function masterView(cfg) {
  return {
    id: cfg.id, title: cfg.title, perm: cfg.perm, wide: true,
    async render(root, ctx) {
      const id = ctx.params.id;
      const split = splitView(!!id);
      const newBtn = can(cfg.writePerm) ? h('a', { class: 'btn primary', href: `#/${cfg.id}/new`, 'data-testid': `${cfg.id}-new` },
        `+ ${t(cfg.newKey || 'office.new')}`) : null;
      const tools = cfg.listTools ? cfg.listTools() : null; // e.g. labels for the chosen products
      const list = listPane({ ctx, onSelect: tools ? tools.onSelect : null, key: cfg.id, path: cfg.listPath || cfg.path, columns: cfg.columns, filters: (cfg.filters || []).filter((f) => !f.perm || can(f.perm)),
        sort: cfg.sort, selectedId: id, actions: [newBtn, tools ? tools.el : null], testid: `${cfg.id}-list`,
        onOpen: (r) => ctx.nav(`#/${cfg.id}/${r.id}`) });
      split.list.append(list.el);
      root.append(offlineNote(ctx), split.el);
      if (!id) {
        split.detail.append(h('p', { class: 'empty' }, t('office.pick')));
        return;
      }
      await detail(split.detail, ctx, id, list);
    },
  };

  async function detail(pane, ctx, id, list) {
    let rec = null;
    if (id !== 'new') {
      try { rec = await api('GET', `${cfg.path}/${id}`); } catch (e) {
        pane.append(h('p', { class: 'empty err-text' }, e.isNetwork ? t('list.offline') : errText(e)));
        return;
      }
    } else if (!can(cfg.writePerm)) { ctx.nav(`#/${cfg.id}`); return; }
    const readonly = !can(cfg.writePerm);
    const fields = await cfg.fields(rec);
    const form = formPane({
      fields, record: rec, readonly, draftKey: `${cfg.id}.${rec ? rec.id : 'new'}`, testid: `${cfg.id}-form`,
      submitLabel: rec ? 'form.save' : 'form.create',
      reload: () => ctx.rerender(),
      save: (body) => {
        const b = cfg.body ? cfg.body(body, rec) : body;
        return rec ? write('PATCH', `${cfg.path}/${rec.id}`, { json: b }) : write('POST', cfg.path, { json: b });
      },
      onSaved: (saved) => {
        if (cfg.onSaved) cfg.onSaved(saved, rec);
        if (rec && String(saved.id) === String(rec.id)) { ctx.rerender(); list.reload(); } else ctx.nav(`#/${cfg.id}/${saved.id}`);
      },
    });
    pane.append(h('div', { class: 'detail-head' },
      h('a', { class: 'btn back-to-list', href: `#/${cfg.id}` }, `‹ ${t('office.back_to_list')}`),
      h('h2', { 'data-testid': 'detail-title' }, rec ? cfg.name(rec) : t(cfg.newKey || 'office.new')),
      rec && rec.is_active === false ? h('span', { class: 'pill err' }, t('office.inactive')) : null), form.el);
    if (rec && cfg.extras) pane.append(...[].concat(await cfg.extras(rec, ctx, () => ctx.rerender())).filter(Boolean));
  }
}

/** "是/否" for booleans in a list cell. */
export const yesNo = (v) => (v ? t('office.yes') : t('office.no'));
