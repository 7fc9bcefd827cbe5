/**
 * The document-lines editor of the office kit: purchase and sales orders now, transfers and adjustments
 * next (prices off). Lines come from scanning (keyboard wedge, camera, photo: each scan adds 1 or the pack
 * quantity), from search-to-add (type, Enter picks the first hit) and keyboard entry (quantity, price,
 * tax are plain inputs in tab order). Totals with tax are computed here for display; the server's figures
 * are the truth once saved.
 */
import { search } from '../catalog.js';
import { scanBox } from '../components.js';
import { getLang, t } from '../i18n.js';
import { fmtMoney, fmtQty, h, mount, productName, toast } from '../ui.js';

const round = (n, p = 4) => Math.round(Number(n) * 10 ** p) / 10 ** p;
const pct = (rate) => (rate === null || rate === undefined || rate === '' ? '' : String(round(Number(rate) * 100, 4)));

/**
 * @param {object} o
 * @param {boolean} [o.prices]       show price/tax/amount columns (false: quantities only, or no price permission)
 * @param {boolean} [o.editable]
 * @param {(product) => string|{price: string, note: string}|Promise<…>} [o.defaultPrice]  unit price for a newly
 *   added product (with a note shown on the line, e.g. "last price, PO-…")
 * @param {(product) => object|Promise<object>} [o.complete]  the full product record for a scanned/searched one
 * @param {(line) => any} [o.extra]  read-only extra cell (e.g. received 5 / 10)
 * @param {() => void} [o.onChange]
 * @param {string} [o.extraLabel]
 * @returns {{el: HTMLElement, lines: () => Array, set: (lines: Array) => void, totals: () => object, destroy: () => void, add: Function}}
 */
export function linesEditor(o = {}) {
  const prices = o.prices !== false;
  const editable = o.editable !== false;
  let lines = [];
  const tbody = h('tbody');
  const foot = h('div', { class: 'totals', 'data-testid': 'doc-totals', 'aria-live': 'polite' });

  function totals() {
    let sub = 0; let tax = 0; let qty = 0;
    for (const l of lines) {
      const amt = round(Number(l.quantity || 0) * Number(l.unit_price || 0), 2);
      sub += amt; tax += round(amt * Number(l.tax_rate || 0), 2); qty += Number(l.quantity || 0);
    }
    return { subtotal: round(sub, 2), tax: round(tax, 2), total: round(sub + tax, 2), quantity: round(qty), count: lines.length };
  }

  function changed() {
    const x = totals();
    mount(foot,
      h('span', {}, t('lines.summary', { n: x.count, q: fmtQty(x.quantity) })),
      prices ? [h('span', {}, `${t('doc.subtotal')} ${fmtMoney(x.subtotal)}`), h('span', {}, `${t('doc.tax')} ${fmtMoney(x.tax)}`),
        h('strong', { 'data-testid': 'doc-total' }, `${t('doc.total')} ${fmtMoney(x.total)}`)] : null);
    if (o.onChange) o.onChange();
  }

  function render() {
    mount(tbody, lines.length ? lines.map(row) : h('tr', {}, h('td', { class: 'empty', colspan: 8 }, t('lines.empty'))));
    changed();
  }

  function num(line, key, label, { percent = false, testid, after } = {}) {
    if (!editable) return h('span', { 'data-testid': testid }, percent ? `${pct(line[key])}%` : key === 'unit_price' ? fmtMoney(line[key]) : fmtQty(line[key]));
    const inp = h('input', { type: 'text', inputmode: 'decimal', value: percent ? pct(line[key]) : fmtQty(line[key]),
      'aria-label': `${t(label)} ${line.sku}`, class: 'num', 'data-testid': testid, disabled: !editable,
      onchange: () => {
        const s = inp.value.trim().replace(',', '.');
        if (s !== '' && !Number.isFinite(Number(s))) { inp.setAttribute('aria-invalid', 'true'); return; }
        inp.removeAttribute('aria-invalid');
        line[key] = s === '' ? (key === 'quantity' ? '0' : null) : percent ? String(round(Number(s) / 100, 6)) : s;
        changed();
        if (after) after();
      } });
    return inp;
  }
  const amount = (l) => round(Number(l.quantity || 0) * Number(l.unit_price || 0) * (1 + Number(l.tax_rate || 0)), 2);

  function row(line) {
    const amt = prices ? h('td', { 'data-label': t('lines.amount'), class: 'num amt' }, fmtMoney(amount(line))) : null;
    const after = () => { if (amt) amt.textContent = fmtMoney(amount(line)); };
    const name = h('div', {}, h('div', { class: 'nm' }, line.name), h('div', { class: 'muted small' },
      [line.sku, line.spec, line.unit].filter(Boolean).join(' · ')),
    line.note ? h('div', { class: 'muted small', 'data-testid': 'line-note' }, line.note) : null);
    return h('tr', { dataset: { product: String(line.product_id) } },
      h('td', { 'data-label': t('lines.product'), class: 'prod' }, name),
      h('td', { 'data-label': t('lines.qty'), class: 'num' }, num(line, 'quantity', 'lines.qty', { testid: 'line-qty', after })),
      prices ? h('td', { 'data-label': t('lines.price'), class: 'num' }, num(line, 'unit_price', 'lines.price', { testid: 'line-price', after })) : null,
      prices ? h('td', { 'data-label': t('lines.tax_pct'), class: 'num' }, num(line, 'tax_rate', 'lines.tax_pct', { percent: true, testid: 'line-tax', after })) : null,
      amt,
      o.extra ? h('td', { 'data-label': t(o.extraLabel || 'lines.done'), class: 'num' }, o.extra(line)) : null,
      editable ? h('td', { class: 'act' }, h('button', { type: 'button', class: 'btn small-btn', 'aria-label': `${t('lines.remove')} ${line.sku}`,
        'data-testid': 'line-remove', onclick: () => { lines = lines.filter((l) => l !== line); render(); } }, '×')) : null);
  }

  // Adds run one after the other: a new line waits for its price (network), and a second scan of the same
  // product arriving meanwhile must add to that line, not open another one.
  let queue = Promise.resolve();
  /** Add `qty` of `product` (merging into its line); resolves to the line. */
  function add(product, qty = 1) {
    const next = queue.then(() => addNow(product, qty));
    queue = next.catch(() => {});
    return next;
  }

  async function addNow(product, qty) {
    let line = lines.find((l) => l.product_id === product.id);
    if (line) line.quantity = String(round(Number(line.quantity) + Number(qty)));
    else {
      // a product from a barcode lookup is a brief record: the full one has the prices and the tax rate
      if (o.complete) product = await o.complete(product);
      const dp = o.defaultPrice ? await o.defaultPrice(product) : null;
      const price = dp && typeof dp === 'object' ? dp.price : dp;
      line = { product_id: product.id, sku: product.sku, name: productName(product, getLang()), unit: product.unit,
        spec: product.spec, quantity: String(round(qty)), unit_price: price ?? null, tax_rate: product.tax_rate ?? null,
        note: dp && typeof dp === 'object' ? dp.note : null };
      lines.push(line);
    }
    render();
    const r = tbody.querySelector(`tr[data-product="${product.id}"]`);
    if (r) { r.classList.add('flash'); setTimeout(() => r.classList.remove('flash'), 600); }
    return line;
  }

  const parts = [];
  let sb = null;
  if (editable) {
    sb = scanBox({ onResolved: (hit) => add(hit.product, Number(hit.quantity || 1)), autofocus: o.autofocus !== false });
    const q = h('input', { type: 'search', placeholder: t('lines.search'), 'aria-label': t('lines.search'), enterkeyhint: 'search',
      'data-testid': 'line-search' });
    const results = h('ul', { class: 'picklist', role: 'listbox', 'aria-label': t('lines.search'), hidden: true });
    let found = [];
    const pick = (p) => { add(p, 1); q.value = ''; results.hidden = true; q.focus(); };
    let timer = null;
    const find = async () => {
      const s = q.value.trim();
      if (!s) { results.hidden = true; return []; }
      try { found = (await search(s, { limit: 10 })).items.filter((p) => p.is_active !== false); } catch { found = []; }
      mount(results, found.length ? found.map((p) => h('li', { role: 'option', tabindex: '-1', onclick: () => pick(p),
        onkeydown: (e) => { if (e.key === 'Enter') { e.preventDefault(); pick(p); } } },
      h('strong', {}, productName(p, getLang())), h('span', { class: 'muted small' }, ` ${p.sku}${p.spec ? ` · ${p.spec}` : ''}`)))
        : h('li', { class: 'muted' }, t('common.none')));
      results.hidden = false;
      return found;
    };
    q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(find, 250); });
    q.addEventListener('keydown', async (e) => {
      if (e.key === 'Enter') {
        e.preventDefault(); clearTimeout(timer);
        const hits = await find();
        if (hits.length) pick(hits[0]); else toast(t('common.none'), 'err');
      } else if (e.key === 'ArrowDown' && !results.hidden) { const li = results.querySelector('li[role=option]'); if (li) li.focus(); }
    });
    parts.push(h('div', { class: 'line-add' }, h('div', { class: 'line-scan' }, h('label', {}, t('lines.scan_add')), sb.el),
      h('div', { class: 'line-search' }, h('label', {}, t('lines.search_add')), q, results)));
  }
  const head = h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('lines.product')), h('th', { scope: 'col', class: 'num' }, t('lines.qty')),
    prices ? [h('th', { scope: 'col', class: 'num' }, t('lines.price')), h('th', { scope: 'col', class: 'num' }, t('lines.tax_pct')),
      h('th', { scope: 'col', class: 'num' }, t('lines.amount'))] : null,
    o.extra ? h('th', { scope: 'col', class: 'num' }, t(o.extraLabel || 'lines.done')) : null,
    editable ? h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, t('lines.remove'))) : null));
  const el = h('div', { class: 'lines-editor' }, parts,
    h('div', { class: 'grid-wrap' }, h('table', { class: 'grid lines', 'data-testid': 'doc-lines' }, head, tbody)), foot);
  render();
  return {
    el, add, totals,
    lines: () => lines.map((l) => ({ ...l })),
    set(rows) { lines = rows.map((r) => ({ ...r })); render(); },
    destroy() { if (sb) sb.destroy(); },
  };
}
