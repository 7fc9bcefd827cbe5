/** Reusable screen parts: the scan box and the editable list of product lines. */
import { resolveCode } from './catalog.js';
import { getLang, t } from './i18n.js';
import { icon } from './icons.js';
import { feedback } from './feedback.js';
import { scanPhoto } from './photoscan.js';
import * as scanner from './scanner.js';
import { errText, fmtQty, h, productName, toast } from './ui.js';

/**
 * A scan field with camera and photo buttons.
 * @param {{onResolved: (hit: object, code: string) => void, onUnknown?: (code: string) => void,
 *          onOfflinePhoto?: (blob: Blob) => void, placeholder?: string, autofocus?: boolean}} o
 * @returns {{el: HTMLElement, destroy: () => void, focus: () => void}}
 */
export function scanBox(o) {
  const input = h('input', { type: 'text', inputmode: 'text', autocomplete: 'off', autocapitalize: 'off',
    spellcheck: 'false', enterkeyhint: 'search', placeholder: o.placeholder || t('scan.placeholder'),
    'aria-label': t('scan.placeholder'), 'data-testid': 'scan-input' });
  const fileInput = h('input', { type: 'file', accept: 'image/*', capture: 'environment', class: 'file-input',
    'aria-hidden': 'true', tabindex: '-1' });
  const camWrap = h('div', { class: 'camera', hidden: true });
  const video = h('video', { muted: true, playsinline: true });
  let cam = null;
  const stopCam = () => { if (cam) cam.stop(); cam = null; camWrap.hidden = true; };
  camWrap.append(video, h('button', { class: 'btn', type: 'button', onclick: stopCam }, t('common.close')));

  async function handle(code, meta = {}) {
    try {
      const hit = await resolveCode(code);
      // onResolved may answer 'warning' (over, not on this document) or 'error'; the sound tells which
      if (hit) feedback((await o.onResolved(hit, code, meta)) || 'success');
      else { feedback('error'); if (o.onUnknown) o.onUnknown(code); else toast(t('scan.unknown', { code }), 'err'); }
    } catch (e) { feedback('error'); toast(errText(e), 'err'); }
  }

  const detachInput = scanner.attachInput(input, handle);
  const detachGlobal = scanner.listenGlobal(handle);
  const camBtn = scanner.cameraSupported() ? h('button', { class: 'btn', type: 'button', title: t('scan.camera'),
    'aria-label': t('scan.camera'), 'data-testid': 'scan-camera', onclick: async () => {
      if (cam) return stopCam();
      camWrap.hidden = false;
      // continuous: every new code is a scan until the user closes the camera (js/scanner.js)
      try { cam = await scanner.startCamera(video, (code, m) => handle(code, m)); Object.assign(camWrap.dataset, { detector: cam.kind, thread: cam.thread }); }
      catch (e) { camWrap.hidden = true; toast(t('scan.camera_failed') + ' ' + (e.message || ''), 'err'); }
    } }, icon('camera', 24)) : null;
  const photoBtn = h('button', { class: 'btn', type: 'button', title: t('scan.photo'), 'aria-label': t('scan.photo'),
    onclick: () => fileInput.click() }, icon('photo', 24));
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = '';
    if (!file) return;
    toast(t('scan.decoding'));
    try {
      const got = await scanPhoto(file, { resolve: resolveCode, onCode: handle,
        onQueued: o.onOfflinePhoto ? (blob) => { o.onOfflinePhoto(blob); toast(t('scan.photo_queued')); } : null });
      if (got === 'offline') toast(t('scan.photo_offline'), 'err');
      else if (got === 'none') toast(t('scan.no_code'), 'err');
    } catch (e) { toast(errText(e), 'err'); }
  });

  const el = h('div', {}, h('div', { class: 'scanbox' }, input, camBtn, photoBtn, fileInput), camWrap);
  if (o.autofocus !== false) setTimeout(() => input.focus({ preventScroll: true }), 0);
  return {
    el, focus: () => input.focus(),
    destroy() { detachInput(); detachGlobal(); stopCam(); },
  };
}

/**
 * Editable product lines (scan adds pack quantity; +/− and typed quantities).
 * Each line: `{key, product, qty, expected?, meta?}`; `key` defaults to the product id.
 * @param {{signed?: boolean, showExpected?: boolean, expectedLabel?: string, onChange?: () => void, emptyText?: string}} o
 */
export function lineList(o = {}) {
  const lines = new Map();
  const ul = h('ul', { class: 'list', 'data-testid': 'lines' });
  let lastKey = null; // the line the last scan went to: highlighted and scrolled into view

  function render() {
    if (!lines.size) { ul.replaceChildren(h('li', { class: 'empty' }, o.emptyText || t('lines.empty'))); return; }
    ul.replaceChildren(...[...lines.values()].map(row));
    const last = ul.querySelector('li.last');
    if (last && last.scrollIntoView) last.scrollIntoView({ block: 'nearest' });
    if (o.onChange) o.onChange();
  }

  function row(line) {
    const qtyIn = h('input', { type: 'number', inputmode: 'decimal', step: 'any', value: fmtQty(line.qty),
      'aria-label': t('lines.qty'), onchange: () => { line.qty = qtyIn.value === '' ? 0 : Number(qtyIn.value); render(); } });
    if (!o.signed) qtyIn.min = '0';
    const step = (d) => () => { line.qty = Math.round((Number(line.qty) + d) * 10000) / 10000; if (!o.signed && line.qty < 0) line.qty = 0; render(); };
    const exp = line.expected !== undefined && line.expected !== null ? Number(line.expected) : null;
    const cls = (exp === null ? 'line' : Number(line.qty) === exp ? 'line done' : Number(line.qty) > exp ? 'line over' : 'line')
      + (line.key === lastKey ? ' last' : '');
    return h('li', { class: cls, dataset: { product: String(line.product.id) } },
      h('div', { class: 'info' },
        h('div', { class: 'nm' }, productName(line.product, getLang())),
        h('div', { class: 'muted small' }, [line.product.sku, line.product.spec, line.product.unit].filter(Boolean).join(' · '),
          exp !== null && o.showExpected !== false ? ` · ${o.expectedLabel || t('lines.expected')} ${fmtQty(exp)}` : '')),
      h('div', { class: 'qty' },
        h('button', { type: 'button', 'aria-label': '−', onclick: step(-1) }, '−'), qtyIn,
        h('button', { type: 'button', 'aria-label': '+', onclick: step(1) }, '+')));
  }

  return {
    el: ul,
    /** Add `qty` to the product's line (creating it). */
    add(product, qty = 1, extra = {}) {
      const key = extra.key || product.id;
      const cur = lines.get(key);
      if (cur) cur.qty = Math.round((Number(cur.qty) + Number(qty)) * 10000) / 10000;
      else lines.set(key, { key, product, qty: Number(qty), ...extra });
      lastKey = key;
      render();
      return lines.get(key);
    },
    /** Set lines (e.g. from a document) without quantities. */
    set(rows) { lines.clear(); for (const r of rows) lines.set(r.key || r.product.id, { qty: 0, ...r }); render(); },
    find(pred) { return [...lines.values()].find(pred); },
    values: () => [...lines.values()],
    nonZero: () => [...lines.values()].filter((l) => Number(l.qty) !== 0),
    clear() { lines.clear(); render(); },
    render,
  };
}

/** "{n} queued — will sync when online" or "saved" after an enqueue, depending on connectivity. */
export function queuedMessage() {
  return navigator.onLine ? t('op.sent') : t('op.queued_offline');
}
