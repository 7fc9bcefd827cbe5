/**
 * A photo of a barcode becomes a scan (ARCHITECTURE.md §5, issue 14 §2, issue 16 §5), the same on
 * every screen:
 *  1. decoded on the phone by the camera's detector (js/detector.js) — offline too — and a read that
 *     names a product is a scan at once;
 *  2. else (nothing read, or only codes no product has), online, by the server (POST /api/v1/scan/decode);
 *  3. else (offline) the photo is queued: the screen adds a photo line whose Blob travels
 *     with its op (multipart push) and the server decodes it at push time (docs/sync-protocol.md §4).
 * A photo holding several codes of different products shows the photo with the codes outlined and the
 * user taps the one meant (`choose`).
 */
import { api } from './api.js';
import { offThread } from './detector.js';
import { getLang, t } from './i18n.js';
import { h, productName } from './ui.js';

/** Long side of the photo we decode and send: enough for a 1-D code, and the outbox stays small. */
export const MAX_SIDE = 1920;

/**
 * Read a photo.
 * @param {Blob} file the photo as taken
 * @param {{resolve: (code: string) => Promise<object|null>, onCode: (code: string, meta: object) => void,
 *          onQueued?: (blob: Blob) => void}} o  `resolve`: code → catalog hit (js/catalog.js resolveCode)
 * @returns {Promise<'phone'|'server'|'queued'|'offline'|'none'|'cancelled'>} where it was read, or why not
 */
export async function scanPhoto(file, o) {
  const pic = await picture(file);
  let reads = [];
  try { reads = pic.canvas ? await (await offThread()).detect(pic.canvas) : []; } catch { reads = []; }
  const hits = await Promise.all(reads.map((r) => o.resolve(r.text).catch(() => null)));
  const mine = reads.map((r, i) => ({ text: r.text, points: r.points, product: hits[i] && hits[i].product,
    unknown: !hits[i] }));
  if (mine.some((x) => !x.unknown)) return pick(pic, mine, 'phone', o);
  // Nothing read, or only codes no product has: ask the server, whose cascade reads more and refuses
  // doubtful reads (ZXing alone misreads 2 of 405 sample photos, docs/benchmarks.md) — a misread that
  // names no product must not end as "unknown code" when the server can read the photo right.
  let res;
  try {
    res = await api('POST', '/api/v1/scan/decode', { form: formOf(pic.blob), timeout: 30000 });
  } catch (e) {
    if (!e.isNetwork) throw e;
    if (o.onQueued) { o.onQueued(pic.blob); return 'queued'; } // the server reads it at push time
    return mine.length ? pick(pic, mine, 'phone', o) : 'offline';
  }
  const items = ((res && res.results) || []).map((r) => ({ text: r.text, points: r.points || [],
    product: r.product, unknown: !!r.unknown }));
  if (items.length) return pick(pic, items, 'server', o, !!res.choose);
  return mine.length ? pick(pic, mine, 'phone', o) : 'none';
}

async function pick(pic, items, where, o, serverSaysChoose = null) {
  const distinct = new Set(items.map((x) => (x.product ? `p${x.product.id}` : `c${x.text}`)));
  const several = serverSaysChoose === null ? distinct.size > 1 : serverSaysChoose;
  const chosen = several ? await choose(pic, items) : items[0];
  if (!chosen) return 'cancelled';
  o.onCode(chosen.text, { source: 'photo', decoded: where });
  return where;
}

function formOf(blob) {
  const form = new FormData();
  form.append('image', blob, 'scan.jpg');
  return form;
}

/**
 * The photo at most MAX_SIDE px (EXIF orientation applied by createImageBitmap): a canvas to decode
 * and the JPEG sent or queued — one image, so the server's code outlines fit the picture we show.
 */
async function picture(file) {
  try {
    const bmp = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bmp.width * scale); canvas.height = Math.round(bmp.height * scale);
    canvas.getContext('2d').drawImage(bmp, 0, 0, canvas.width, canvas.height);
    if (bmp.close) bmp.close();
    const small = scale === 1 && file.size < 1.5e6;
    const blob = small ? file : await new Promise((res) => canvas.toBlob((b) => res(b || file), 'image/jpeg', 0.9));
    return { canvas, blob, width: canvas.width, height: canvas.height };
  } catch {
    return { canvas: null, blob: file, width: 0, height: 0 }; // not an image the browser can open: the server says why
  }
}

/**
 * Tap-to-choose: the photo with each code outlined (a tappable polygon) and the same choices as buttons
 * below it (keyboard and screen readers). Resolves with the chosen item, or null on cancel.
 */
export function choose(pic, items) {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(pic.blob);
    const w = pic.width || 1;
    const hgt = pic.height || 1;
    const done = (item) => { URL.revokeObjectURL(url); dlg.close(); dlg.remove(); resolve(item); };
    const label = (x) => `${x.product ? productName(x.product, getLang()) : t('camera.unknown_code')} · ${x.text}`;
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
    svg.setAttribute('class', 'choose-marks');
    items.forEach((x, i) => {
      if (!x.points || x.points.length < 2) return;
      const poly = document.createElementNS('http://www.w3.org/2000/svg', 'polygon');
      poly.setAttribute('points', outline(x.points, w).map((p) => p.join(',')).join(' '));
      poly.setAttribute('data-testid', `choose-mark-${i}`);
      poly.setAttribute('aria-hidden', 'true'); // the buttons below carry the same choices for assistive tech
      poly.addEventListener('click', () => done(x));
      svg.append(poly);
      const [cx, cy] = centre(x.points);
      const tag = document.createElementNS('http://www.w3.org/2000/svg', 'text');
      tag.setAttribute('x', cx); tag.setAttribute('y', cy);
      tag.setAttribute('font-size', String(Math.round(w / 18)));
      tag.textContent = String(i + 1);
      svg.append(tag);
    });
    const dlg = h('dialog', { class: 'choose', 'data-testid': 'choose-code', 'aria-labelledby': 'choose-title',
      oncancel: (e) => { e.preventDefault(); done(null); } },
    h('h2', { id: 'choose-title' }, t('camera.choose_title')),
    h('p', { class: 'muted small' }, t('camera.choose_help')),
    h('div', { class: 'choose-photo' }, h('img', { src: url, alt: t('camera.choose_photo') }), svg),
    h('div', { class: 'choose-list' }, items.map((x, i) => h('button', { class: 'btn block', type: 'button',
      'data-testid': `choose-item-${i}`, onclick: () => done(x) }, `${i + 1}. ${label(x)}`))),
    h('button', { class: 'btn block', type: 'button', 'data-testid': 'choose-cancel', onclick: () => done(null) },
      t('camera.cancel')));
    const busy = document.getElementById('toast'); // "decoding…" is over
    if (busy) busy.hidden = true;
    document.body.append(dlg);
    dlg.showModal();
  });
}

function centre(pts) {
  return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
}

/** A 1-D read's outline can be a thin line (two points or a flat box): widen it to a tappable band. */
function outline(pts, w) {
  const ys = pts.map((p) => p[1]);
  const xs = pts.map((p) => p[0]);
  const min = Math.max(8, w / 40);
  if (Math.max(...ys) - Math.min(...ys) >= min && Math.max(...xs) - Math.min(...xs) >= min && pts.length >= 3) return pts;
  const [cx, cy] = centre(pts);
  const hw = Math.max(min, (Math.max(...xs) - Math.min(...xs)) / 2);
  const hh = Math.max(min, (Math.max(...ys) - Math.min(...ys)) / 2);
  return [[cx - hw, cy - hh], [cx + hw, cy - hh], [cx + hw, cy + hh], [cx - hw, cy + hh]];
}

/**
 * A line for a photo nobody could read yet (offline): the screen adds it like a product line; its Blob
 * goes with the op (`lineRef`) and the server decodes it at push time.
 */
let photoSeq = 0;
export function photoProduct(blob) {
  const key = `photo-${Date.now().toString(36)}-${++photoSeq}`;
  return { product: { id: key, sku: '', name: t('camera.photo_item'), spec: t('scan.photo_queued') }, extra: { key, photo: blob } };
}

/** The product reference of a line for an op: `{photo: Blob}` for a photo line, else `{product_id}`. */
export function lineRef(line) {
  return line.photo ? { photo: line.photo } : { product_id: line.product.id };
}
