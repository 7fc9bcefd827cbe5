/**
 * Tiny dependency-free SVG charts (bar and line) for the reports screens.
 *
 * The SVG uses a fixed 360-unit-wide viewBox and `width: 100%`, so it scales uniformly: on a 390-px phone one
 * unit is about one CSS pixel and 11-unit labels stay readable; on a desktop it grows with its container (capped
 * by `maxWidth`). Values may be negative (a bar grows down from the zero line). Every bar and point carries a
 * <title> (tooltip, screen readers) and the chart has role="img" with an aria-label.
 */

const NS = 'http://www.w3.org/2000/svg';
export const PALETTE = ['#1f6feb', '#2da44e', '#d4a72c', '#cf222e', '#8250df', '#0a7e8c'];
const W = 360;

function el(tag, attrs = {}, ...children) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) e.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function title(text) { return el('title', {}, document.createTextNode(text)); }

/** "Nice" axis ticks covering [min, max] (1-2-5 steps), always including 0. */
export function ticks(min, max, count = 5) {
  let lo = Math.min(0, min), hi = Math.max(0, max);
  if (lo === hi) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const out = [];
  for (let v = lo; v <= hi + step / 2; v += step) out.push(Math.round(v / step) * step);
  return out;
}

/** Short number for axis labels: 1234567 → "1.2M", 12500 → "12.5k" (zh-CN: 万). */
export function shortNum(v, lang = 'en') {
  const a = Math.abs(v);
  if (lang === 'zh-CN' && a >= 10000) return `${+(v / 10000).toFixed(1)}万`;
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return String(+v.toFixed(2));
}

/**
 * Draw a chart.
 * @param {{type?: 'bar'|'line', labels: string[], series: {name: string, values: (number|string|null)[], color?: string}[],
 *          height?: number, lang?: string, format?: (v:number)=>string, ariaLabel?: string, maxWidth?: number}} spec
 * @returns {SVGSVGElement}
 */
export function chart(spec) {
  const { type = 'bar', labels = [], height = 200, lang = 'en', maxWidth = 720 } = spec;
  const fmt = spec.format || ((v) => v.toFixed(2));
  const series = (spec.series || []).map((s, i) => ({ ...s, color: s.color || PALETTE[i % PALETTE.length],
    values: s.values.map((v) => (v === null || v === undefined || v === '' ? null : Number(v))) }));
  const legendH = series.length > 1 ? 18 : 0;
  const pad = { l: 44, r: 8, t: 8 + legendH, b: 30 };
  const svg = el('svg', { viewBox: `0 0 ${W} ${height}`, width: '100%', role: 'img', class: `chart chart-${type}`,
    'aria-label': spec.ariaLabel || series.map((s) => s.name).join(', '),
    style: `max-width:${maxWidth}px;height:auto;display:block;font:11px system-ui,sans-serif` });
  const all = series.flatMap((s) => s.values.filter((v) => v !== null && Number.isFinite(v)));
  const n = labels.length;
  if (!n || !all.length) {
    svg.append(el('text', { x: W / 2, y: height / 2, 'text-anchor': 'middle', fill: '#777' }, document.createTextNode('—')));
    return svg;
  }
  const tk = ticks(Math.min(...all), Math.max(...all));
  const lo = tk[0], hi = tk[tk.length - 1];
  const plotW = W - pad.l - pad.r, plotH = height - pad.t - pad.b;
  const y = (v) => pad.t + plotH - ((v - lo) / (hi - lo)) * plotH;
  // grid and y axis labels
  for (const v of tk) {
    svg.append(el('line', { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), stroke: v === 0 ? '#888' : '#e3e3e3',
      'stroke-width': v === 0 ? 1 : 0.6 }));
    svg.append(el('text', { x: pad.l - 4, y: y(v) + 3.5, 'text-anchor': 'end', fill: '#666' },
      document.createTextNode(shortNum(v, lang))));
  }
  const band = plotW / n;
  const cx = (i) => pad.l + band * i + band / 2;
  // x labels: at most ~7, evenly thinned, so they never overlap on a phone
  const every = Math.max(1, Math.ceil(n / 7));
  labels.forEach((lab, i) => {
    if (i % every !== 0) return;
    const text = String(lab).length > 10 ? `${String(lab).slice(0, 9)}…` : String(lab);
    svg.append(el('text', { x: cx(i), y: height - pad.b + 14, 'text-anchor': 'middle', fill: '#555' },
      document.createTextNode(text)));
  });
  if (type === 'bar') {
    const gap = Math.min(band * 0.2, 6);
    const bw = Math.max(1, (band - gap) / series.length);
    series.forEach((s, si) => s.values.forEach((v, i) => {
      if (v === null) return;
      const top = y(Math.max(v, 0)), bottom = y(Math.min(v, 0));
      svg.append(el('rect', { x: pad.l + band * i + gap / 2 + bw * si, y: top, width: bw, height: Math.max(bottom - top, 0.5),
        fill: s.color, rx: bw > 6 ? 1.5 : 0 }, title(`${labels[i]} · ${s.name}: ${fmt(v)}`)));
    }));
  } else {
    series.forEach((s) => {
      let d = '';
      s.values.forEach((v, i) => { if (v !== null) d += `${d && s.values[i - 1] !== null ? 'L' : 'M'}${cx(i).toFixed(1)},${y(v).toFixed(1)}`; });
      svg.append(el('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
      s.values.forEach((v, i) => {
        if (v === null) return;
        svg.append(el('circle', { cx: cx(i), cy: y(v), r: n > 40 ? 1.5 : 2.5, fill: s.color },
          title(`${labels[i]} · ${s.name}: ${fmt(v)}`)));
      });
    });
  }
  if (series.length > 1) {
    let x = pad.l;
    series.forEach((s) => {
      svg.append(el('rect', { x, y: 4, width: 10, height: 10, fill: s.color, rx: 2 }));
      svg.append(el('text', { x: x + 14, y: 13, fill: '#333' }, document.createTextNode(s.name)));
      x += 24 + s.name.length * (/[\u3000-\u9fff]/.test(s.name) ? 11 : 6.5);
    });
  }
  return svg;
}

/** A bar chart (see {@link chart}). */
export const barChart = (spec) => chart({ ...spec, type: 'bar' });
/** A line chart (see {@link chart}). */
export const lineChart = (spec) => chart({ ...spec, type: 'line' });
