/** Suppliers and customers (master data): contact, tax id, payment terms; customers also a credit limit. */
import { t } from '../i18n.js';
import { masterView, yesNo } from '../office/master.js';
import { fmtMoney } from '../ui.js';

function partnerView(kind) {
  const customer = kind === 'customers';
  return masterView({
    id: kind, title: `nav.${kind}`, perm: 'partner.view', writePerm: customer ? 'customer.write' : 'supplier.write',
    path: `/api/v1/${kind}`, sort: 'code', newKey: customer ? 'partner.new_customer' : 'partner.new_supplier',
    columns: [
      { key: 'code', label: 'partner.code', sort: true },
      { key: 'name', label: 'partner.name', sort: true, wrap: true },
      { key: 'contact', label: 'partner.contact' },
      { key: 'phone', label: 'partner.phone' },
      { key: 'payment_terms_days', label: 'partner.terms', num: true },
      customer ? { key: 'credit_limit', label: 'partner.credit_limit', num: true, render: (r) => fmtMoney(r.credit_limit) } : null,
      { key: 'is_active', label: 'office.active', render: (r) => yesNo(r.is_active) },
    ].filter(Boolean),
    filters: [
      { name: 'q', type: 'search', label: 'partner.search' },
      { name: 'active', type: 'select', label: 'office.active', options: async () => [['true', t('office.yes')], ['false', t('office.no')]] },
    ],
    name: (r) => `${r.code} ${r.name}`,
    fields: async () => [
      { name: 'code', label: 'partner.code', required: true },
      { name: 'name', label: 'partner.name', required: true },
      { name: 'contact', label: 'partner.contact' },
      { name: 'phone', label: 'partner.phone', autocomplete: 'tel' },
      { name: 'email', label: 'partner.email', type: 'email' },
      { name: 'address', label: 'partner.address' },
      { name: 'tax_id', label: 'partner.tax_id' },
      { name: 'payment_terms_days', label: 'partner.terms', type: 'number' },
      customer ? { name: 'credit_limit', label: 'partner.credit_limit', type: 'decimal' } : null,
      { name: 'is_active', label: 'office.active', type: 'check', default: true },
      { name: 'notes', label: 'common.note', type: 'textarea' },
    ].filter(Boolean),
  });
}

export const suppliers = partnerView('suppliers');
export const customers = partnerView('customers');
export default suppliers;
