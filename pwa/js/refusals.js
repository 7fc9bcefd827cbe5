/**
 * A server refusal as a person reads it (issue 14 §5): per-line refusals (`over_receipt`, `over_ship` …)
 * carry `errors.lines = [{line_no, sku, name, ordered, done, requested, allowed}]`; each becomes one sentence
 * in the UI's language, so Conflicts never shows "[object Object]". Other field errors are flattened.
 */
import { t } from './i18n.js';

const num = (v) => { const n = Number(v); return Number.isFinite(n) ? String(Math.round(n * 10000) / 10000) : String(v ?? ''); };

/** One readable string per refused line, or [] when the error has no per-line refusal. */
export function refusalLines(err) {
  const lines = err && err.errors && Array.isArray(err.errors.lines) ? err.errors.lines : [];
  return lines.filter((l) => l && typeof l === 'object' && l.requested !== undefined).map((l) => t('floor.refused_line', {
    no: l.line_no ?? l.line_id ?? '', sku: l.sku || '', name: l.name || '', requested: num(l.requested),
    allowed: num(l.allowed), ordered: num(l.ordered), done: num(l.done ?? l.received ?? 0) }));
}

/** Any error value as text: strings as they are, objects as "key: value" (never "[object Object]"). */
export function flat(v) {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(flat).filter(Boolean).join(' ');
  if (typeof v === 'object') {
    if (typeof v.message === 'string') return v.message;
    return Object.entries(v).map(([k, x]) => `${k}: ${flat(x)}`).join(', ');
  }
  return String(v);
}
