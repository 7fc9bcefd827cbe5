/** Small DOM helpers: build elements without innerHTML (no injection; CSP-friendly), toasts, formatting. */
import { t } from './i18n.js';
import { flat, refusalLines } from './refusals.js';

/**
 * Create an element. `attrs`: props/attributes; `on*` functions become listeners; `class`, `dataset`, `hidden`.
 * Children: nodes, strings (text), arrays, null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace the children of `el`. */
export function mount(el, ...children) { el.replaceChildren(); append(el, children); return el; }

let toastTimer = null;
/** Show a short message at the bottom of the screen. */
export function toast(msg, kind = '') {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = msg;
  el.className = `toast ${kind}`;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, kind === 'err' || kind === 'warn' ? 5000 : 2500);
}

/** "12.5000" → "12.5"; quantities travel as decimal strings. */
export function fmtQty(q) {
  if (q === null || q === undefined || q === '') return '';
  const n = Number(q);
  return Number.isFinite(n) ? String(Math.round(n * 10000) / 10000) : String(q);
}

/** Money for display (2 decimals). */
export function fmtMoney(m) {
  const n = Number(m);
  return Number.isFinite(n) ? n.toFixed(2) : '';
}

/** Human error text for an ApiError or Error. */
export function errText(e) {
  if (!e) return '';
  if (e.isNetwork) return t('err.network');
  const perLine = refusalLines(e);
  if (perLine.length) return `${e.message || ''} ${perLine.join('；')}`.trim();
  const fields = e.errors && typeof e.errors === 'object' ? Object.entries(e.errors) : [];
  const detail = fields.length ? ` (${fields.map(([k, v]) => `${k}: ${flat(v)}`).join('; ')})` : '';
  return (e.message || String(e)) + detail;
}

/** Localised date-time. */
export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

/** A <select> of warehouses. */
export function warehouseSelect(warehouses, value, attrs = {}) {
  return h('select', attrs, warehouses.map((w) => h('option', { value: String(w.id), selected: String(w.id) === String(value) },
    `${w.code} ${w.name}`)));
}

/** Product display name in the current language. */
export function productName(p, lang) {
  if (!p) return '';
  return (lang === 'en' && p.name_en) ? p.name_en : p.name;
}
