/**
 * Reports: the dashboard and the sales, purchase, inventory and finance reports, with date-range pickers,
 * a chart, the table, and CSV/XLSX downloads (the same URL with `format=`). Online only: figures come from
 * the server (`/api/v1/dashboard`, `/api/v1/reports/<name>`); the view only draws them.
 */
import { api } from '../api.js';
import { barChart, lineChart } from '../charts.js';
import { getLang, t } from '../i18n.js';
import { can } from '../session.js';
import { errText, fmtMoney, h, mount } from '../ui.js';

const PERIODS = ['day', 'week', 'month'];
// report → its group_by choices, view choices, and the figures charted (the first is the main one)
export const REPORTS = {
  sales: { perm: 'report.view', groups: [...PERIODS, 'product', 'customer', 'category', 'warehouse'],
    chart: ['revenue', 'margin'] },
  purchases: { perm: 'report.view', groups: ['supplier', 'product', 'category', 'warehouse', ...PERIODS],
    chart: ['received_amount', 'returned_amount'] },
  inventory: { perm: ['report.view', 'stock.view'], groups: ['product', 'warehouse', 'category'],
    views: ['stock', 'slow_movers'], chart: ['value'] },
  finance: { perm: 'report.view', views: ['receivables', 'payables', 'payments', 'expenses'], groups: PERIODS,
    chart: { receivables: ['d0_30', 'd31_60', 'd61_90', 'd90_plus'], payables: ['d0_30', 'd31_60', 'd61_90', 'd90_plus'],
      payments: ['money_in', 'money_out', 'expenses'], expenses: ['amount'] } },
};
const TABS = ['dashboard', ...Object.keys(REPORTS)];
const CHART_ROWS = 20; // dimension charts show the top rows; the table has them all

const zone = () => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'Asia/Shanghai'; } catch { return 'Asia/Shanghai'; } };
const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
function daysAgo(n) { const d = new Date(); d.setDate(d.getDate() - n); return iso(d); }

// what the user picked, kept while they move between tabs
const state = { date_from: daysAgo(29), date_to: iso(new Date()), group_by: {}, view: {} };

/** The query of a report (also used for the download links). */
export function reportQuery(name, extra = {}) {
  const r = REPORTS[name];
  const q = { date_from: state.date_from, date_to: state.date_to, tz: zone(), lang: getLang() };
  if (r.views) q.view = state.view[name] || r.views[0];
  if (r.groups && !(name === 'finance' && q.view !== 'payments')) q.group_by = state.group_by[name] || r.groups[0];
  return { ...q, ...extra };
}

export function reportUrl(name, extra) {
  return `/api/v1/reports/${name}?${new URLSearchParams(reportQuery(name, extra)).toString()}`;
}

function fmtCell(v, kind) {
  if (v === null || v === undefined || v === '') return '';
  if (kind === 'money') return Number(v).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  if (kind === 'qty') return String(+Number(v).toFixed(4));
  if (kind === 'pct') return `${v}%`;
  if (kind === 'datetime') return new Date(v).toLocaleDateString();
  return String(v);
}

function kpi(label, value, testid, sub) {
  return h('div', { class: 'card', 'data-testid': testid, style: 'margin:0;padding:10px 12px' },
    h('div', { class: 'muted small' }, label), h('div', { style: 'font-size:1.25rem;font-weight:600' }, value ?? '—'),
    sub ? h('div', { class: 'muted small' }, sub) : null);
}

async function renderDashboard(box) {
  const d = await api('GET', '/api/v1/dashboard', { query: { tz: zone() } });
  // costs (margin, stock value) are absent for roles without cost.view: show nothing for them
  const has = (v) => v !== null && v !== undefined;
  const pct = (x) => (x && has(x.margin_pct) ? `${t('rep.margin_pct')} ${x.margin_pct}%` : '');
  const margin = (x) => (has(x.margin) ? `${t('rep.margin')} ${fmtMoney(x.margin)} ${pct(x)}` : null);
  const cards = [
    d.today && kpi(t('rep.today_sales'), fmtMoney(d.today.revenue), 'kpi-today', margin(d.today)),
    d.month && kpi(t('rep.month_sales'), fmtMoney(d.month.revenue), 'kpi-month', margin(d.month)),
    has(d.stock_value) && kpi(t('rep.stock_value'), fmtMoney(d.stock_value), 'kpi-stock'),
    d.low_stock !== null && kpi(t('rep.low_stock'), String(d.low_stock), 'kpi-low'),
    d.open_purchase_orders !== null && kpi(t('rep.open_pos'), String(d.open_purchase_orders), 'kpi-pos'),
    d.open_sales_orders !== null && kpi(t('rep.open_sos'), String(d.open_sales_orders), 'kpi-sos'),
    kpi(t('rep.pending_approvals'), String(d.pending_approvals), 'kpi-approvals'),
  ];
  mount(box,
    h('div', { style: 'display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px' }, cards),
    d.trend ? h('div', { class: 'card' }, h('div', { class: 'muted small' }, t('rep.trend_30')),
      lineChart({ labels: d.trend.map((p) => p.date.slice(5)), lang: getLang(), ariaLabel: t('rep.trend_30'),
        series: [{ name: t('rep.revenue'), values: d.trend.map((p) => p.revenue) },
          ...(d.trend.some((p) => has(p.margin)) ? [{ name: t('rep.margin'), values: d.trend.map((p) => p.margin) }] : [])],
      })) : null);
}

function table(rep) {
  const cols = rep.columns || [];
  const num = (c) => !['text', 'datetime'].includes(c.kind);
  const cell = (c, v, tag = 'td') => h(tag, { style: `padding:6px 8px;white-space:nowrap;${num(c) ? 'text-align:right' : ''}` },
    fmtCell(v, c.kind));
  const totals = rep.totals || {};
  return h('div', { style: 'overflow-x:auto;-webkit-overflow-scrolling:touch', class: 'card' },
    h('table', { 'data-testid': 'report-table', style: 'border-collapse:collapse;font-size:.85rem;min-width:100%' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { style: `padding:6px 8px;border-bottom:1px solid #ddd;white-space:nowrap;${num(c) ? 'text-align:right' : 'text-align:left'}` }, c.label)))),
      h('tbody', {}, rep.rows.length ? rep.rows.map((r) => h('tr', { style: 'border-bottom:1px solid #f0f0f0' }, cols.map((c) => cell(c, r[c.key]))))
        : h('tr', {}, h('td', { colspan: cols.length, class: 'muted' }, t('common.none')))),
      h('tfoot', {}, h('tr', { style: 'font-weight:600;border-top:2px solid #ccc' }, cols.map((c, i) =>
        cell(c, i === 0 && c.kind === 'text' ? t('rep.total') : (c.kind === 'text' ? '' : totals[c.key])))))));
}

function reportChart(name, rep) {
  const r = REPORTS[name];
  const cols = Object.fromEntries((rep.columns || []).map((c) => [c.key, c.label]));
  // only figures the server sent (cost columns are left out without cost.view)
  const keys = (Array.isArray(r.chart) ? r.chart : r.chart[rep.view] || []).filter((k) => k in cols);
  const byPeriod = PERIODS.includes(rep.group_by) && !(name === 'finance' && rep.view !== 'payments');
  const rows = byPeriod ? rep.rows : rep.rows.slice(0, CHART_ROWS);
  if (!rows.length || !keys.length) return null;
  const labels = rows.map((x) => x.name || x.code || x.key);
  const series = keys.map((k) => ({ name: cols[k] || k, values: rows.map((x) => x[k]) }));
  const spec = { labels, series, lang: getLang(), ariaLabel: t(`rep.tab.${name}`), format: (v) => fmtMoney(v) };
  return h('div', { class: 'card', 'data-testid': 'report-chart' },
    byPeriod && rows.length > 12 ? lineChart(spec) : barChart(spec));
}

function controls(name, reload) {
  const r = REPORTS[name];
  const date = (key) => h('input', { type: 'date', value: state[key], 'data-testid': `rep-${key}`,
    onchange: (e) => { if (e.target.value) { state[key] = e.target.value; reload(); } } });
  const select = (key, options, label) => h('label', { class: 'grow' }, label,
    h('select', { 'data-testid': `rep-${key}`, onchange: (e) => { state[key][name] = e.target.value; reload(); } },
      options.map((o) => h('option', { value: o, selected: (state[key][name] || options[0]) === o }, t(`rep.${key}.${o}`)))));
  const quick = (label, from) => h('button', { class: 'btn', type: 'button', onclick: () => {
    state.date_from = from; state.date_to = iso(new Date()); reload(true);
  } }, label);
  const first = new Date(); first.setDate(1);
  const view = state.view[name] || (r.views ? r.views[0] : null);
  const showGroups = r.groups && !(name === 'finance' && view !== 'payments') && !(name === 'inventory' && view === 'slow_movers');
  return h('div', { class: 'card' },
    h('div', { class: 'row' }, h('label', { class: 'grow' }, t('rep.from'), date('date_from')),
      h('label', { class: 'grow' }, t(name === 'finance' && view !== 'payments' && view !== 'expenses' ? 'rep.as_of' : 'rep.to'), date('date_to'))),
    h('div', { class: 'row', style: 'margin-top:6px;flex-wrap:wrap' }, quick(t('rep.last_7'), daysAgo(6)),
      quick(t('rep.last_30'), daysAgo(29)), quick(t('rep.this_month'), iso(first))),
    h('div', { class: 'row', style: 'margin-top:6px' },
      r.views ? select('view', r.views, t('rep.view')) : null,
      showGroups ? select('group_by', r.groups, t('rep.group_by')) : null),
    h('div', { class: 'btn-row' },
      h('a', { class: 'btn', href: reportUrl(name, { format: 'csv' }), download: '', 'data-testid': 'rep-csv' }, t('rep.download_csv')),
      h('a', { class: 'btn', href: reportUrl(name, { format: 'xlsx' }), download: '', 'data-testid': 'rep-xlsx' }, t('rep.download_xlsx'))));
}

async function renderReport(name, box) {
  const head = h('div');
  const body = h('div', {}, h('p', { class: 'muted' }, t('common.loading')));
  let seq = 0; // a slower earlier answer must not overwrite the one the user asked for last
  async function reload(redraw) {
    const mine = ++seq;
    if (redraw !== false) mount(head, controls(name, reload));
    mount(body, h('p', { class: 'muted' }, t('common.loading')));
    try {
      const rep = await api('GET', `/api/v1/reports/${name}`, { query: reportQuery(name) });
      if (mine === seq) mount(body, reportChart(name, rep), table(rep));
    } catch (e) {
      if (mine === seq) mount(body, h('p', { class: 'err-text' }, e.isNetwork ? t('rep.offline') : errText(e)));
    }
  }
  mount(box, head, body);
  await reload(true);
}

export default {
  id: 'reports', title: 'nav.reports', perm: ['report.view', 'stock.view'],
  async render(root, ctx) {
    const allowed = TABS.filter((x) => x === 'dashboard' || can(REPORTS[x].perm));
    const tab = allowed.includes(ctx.params.id) ? ctx.params.id : allowed[0];
    const nav = h('div', { class: 'row', role: 'tablist', style: 'overflow-x:auto;gap:6px;padding-bottom:4px' },
      allowed.map((x) => h('a', { class: `btn${x === tab ? ' primary' : ''}`, role: 'tab', 'aria-selected': x === tab ? 'true' : 'false',
        href: `#/reports/${x}`, 'data-testid': `rep-tab-${x}`, style: 'flex:none' }, t(`rep.tab.${x}`))));
    const box = h('div', { 'data-testid': `rep-${tab}` }, h('p', { class: 'muted' }, t('common.loading')));
    root.append(nav, box);
    try {
      if (tab === 'dashboard') await renderDashboard(box); else await renderReport(tab, box);
    } catch (e) {
      mount(box, h('p', { class: 'err-text' }, e.isNetwork ? t('rep.offline') : errText(e)));
    }
  },
};
