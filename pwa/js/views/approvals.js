/** Approvals inbox: what this user may approve now, across document types (online only). */
import { api } from '../api.js';
import { t } from '../i18n.js';
import { errText, fmtMoney, fmtQty, fmtTime, h, mount, toast } from '../ui.js';

// doc_type → API collection; approve/reject are POST {version, comment} on /<id>/approve|reject
export const DOC_PATHS = {
  purchase_order: '/api/v1/purchase-orders',
  sales_order: '/api/v1/sales-orders',
  adjustment: '/api/v1/adjustments',
  stocktake: '/api/v1/stocktakes',
  transfer: '/api/v1/transfers',
};

export default {
  id: 'approvals', title: 'nav.approvals',
  perm: ['purchase.approve', 'sales.approve', 'stock.adjust.approve', 'stocktake.approve'],
  async render(root) {
    const list = h('ul', { class: 'list', 'data-testid': 'approvals' }, h('li', { class: 'empty' }, t('common.loading')));
    root.append(list);
    async function load() {
      let items;
      try {
        const res = await api('GET', '/api/v1/approvals/pending');
        items = Array.isArray(res) ? res : res.items || [];
      } catch (e) {
        mount(list, h('li', { class: 'empty' }, e.isNetwork ? t('approvals.offline') : errText(e)));
        return;
      }
      mount(list, items.length ? items.map(row) : h('li', { class: 'empty' }, t('approvals.none')));
    }
    function row(it) {
      const comment = h('textarea', { rows: 2, maxlength: 2000, placeholder: t('approvals.comment') });
      const base = (it.url && it.url.startsWith('/api/')) ? it.url : `${DOC_PATHS[it.doc_type] || ''}/${it.doc_id}`;
      const decide = (action) => async () => {
        if (action === 'reject' && !comment.value.trim()) { toast(t('approvals.reason_needed'), 'err'); comment.focus(); return; }
        try {
          const text = comment.value.trim() || null;
          // purchase orders take the rejection text as `reason`; the other documents as `comment`
          const body = action === 'reject' && it.doc_type === 'purchase_order' ? { version: it.version, reason: text }
            : { version: it.version, comment: text };
          await api('POST', `${base}/${action}`, { json: body });
          toast(t(action === 'approve' ? 'approvals.approved' : 'approvals.rejected'));
          load();
        } catch (e) { toast(errText(e), 'err'); if (e.status === 409) load(); }
      };
      return h('li', { dataset: { doc: `${it.doc_type}:${it.doc_id}` } },
        h('div', { class: 'row' }, h('strong', { class: 'grow' }, it.number), h('span', { class: 'pill' }, t(`doc.${it.doc_type}`))),
        h('div', { class: 'muted small' }, [it.partner, it.amount !== undefined ? fmtMoney(it.amount) : '',
          it.levels_required > 1 ? t('approvals.level', { level: it.level, of: it.levels_required }) : '',
          fmtTime(it.submitted_at)].filter(Boolean).join(' · ')),
        (it.stock_impact || []).length ? h('ul', { class: 'muted small' }, it.stock_impact.slice(0, 8).map((s) =>
          h('li', {}, `${s.sku} ${s.name || ''}: ${fmtQty(s.quantity)} (${fmtQty(s.on_hand)} → ${fmtQty(s.on_hand_after)})`))) : null,
        comment,
        h('div', { class: 'btn-row' },
          h('button', { class: 'btn danger', type: 'button', onclick: decide('reject') }, t('approvals.reject')),
          h('button', { class: 'btn primary', type: 'button', onclick: decide('approve') }, t('approvals.approve'))));
    }
    await load();
  },
};
