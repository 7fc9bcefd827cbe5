/**
 * Barcode input, three ways (ARCHITECTURE.md §5):
 *  1. keyboard-wedge scanners: they "type" the code very fast and press Enter;
 *  2. the camera with BarcodeDetector (Shape Detection API) where the browser has it;
 *  3. a photo (<input type=file accept=image/* capture=environment>) decoded by the server
 *     (POST /api/v1/scan/decode) — or, offline, kept as a Blob to travel with the op (multipart push).
 */
import { api } from './api.js';

/** Max gap between keystrokes of one wedge burst; humans type ≳ 80 ms apart, scanners ≲ 30 ms. */
export const WEDGE_GAP_MS = 50;
const MIN_LEN = 3;
/** A burst into a text field must be this long to be a scan: a person typing a quantity fast (under
 * 2 × WEDGE_GAP_MS a key) rarely types six characters and Enter that fast; barcodes are longer. */
const FIELD_MIN_LEN = 6;

/**
 * Watch an input: Enter submits its value. `onScan(code, {source})` gets source "wedge" when the
 * characters arrived as a scanner burst, "manual" when typed.
 * @returns {() => void} detach
 */
export function attachInput(input, onScan) {
  input.dataset.scanInput = '1'; // listenGlobal leaves this field's keys to us
  let times = [];
  const onKey = (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      const code = input.value.trim();
      const gaps = times.slice(1).map((t, i) => t - times[i]);
      const fast = gaps.length >= MIN_LEN - 1 && gaps.every((g) => g < WEDGE_GAP_MS);
      times = [];
      if (code) { input.value = ''; onScan(code, { source: fast ? 'wedge' : 'manual' }); }
      return;
    }
    if (e.key.length === 1) times.push(e.timeStamp || performance.now());
  };
  input.addEventListener('keydown', onKey);
  return () => input.removeEventListener('keydown', onKey);
}

/**
 * Catch scanner bursts anywhere on the page (a wedge scanner types into whatever is focused; the user
 * should not have to tap the scan field first). A burst that lands in another text or number field —
 * a quantity box, a note — is a scan too, never typed: the field gets back the value it had before the
 * burst. There a burst needs FIELD_MIN_LEN characters, so a person typing a quantity stays a person
 * typing. The scan field itself (attachInput) handles its own keys.
 * @returns {() => void} detach
 */
export function listenGlobal(onScan) {
  // the current burst: its characters, its last key time, and the text field it lands in with the
  // field's value before the burst
  const burst = { buf: '', last: 0, field: null, before: '' };
  const start = (tgt) => Object.assign(burst, { buf: '', field: tgt, before: tgt ? tgt.value : '' });
  const finish = (e) => {
    if (burst.buf.length >= (burst.field ? FIELD_MIN_LEN : MIN_LEN)) {
      e.preventDefault();
      e.stopPropagation();
      restore(burst.field, burst.before);
      onScan(burst.buf, { source: 'wedge' });
    }
    start(null);
  };
  const onKey = (e) => {
    if (ownKeys(e.target)) return;
    const field = isTextField(e.target) ? e.target : null;
    const now = e.timeStamp || performance.now();
    if (now - burst.last > WEDGE_GAP_MS * 2 || field !== burst.field) start(field);
    burst.last = now;
    if (e.key === 'Enter') finish(e);
    else if (e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) burst.buf += e.key;
  };
  document.addEventListener('keydown', onKey, true);
  return () => document.removeEventListener('keydown', onKey, true);
}

/** Targets whose keys are never a page-level scan: the scan field itself, selects, rich text. */
const ownKeys = (t) => !!t && (!!(t.dataset && t.dataset.scanInput) || t.isContentEditable || t.tagName === 'SELECT');
const isTextField = (t) => !!t && /^(INPUT|TEXTAREA)$/.test(t.tagName);

/** Give a field back the value it had before a burst typed into it (and tell its listeners). */
function restore(field, value) {
  if (!field) return;
  field.value = value;
  field.dispatchEvent(new Event('input', { bubbles: true }));
}

/** True if live camera scanning is possible here. */
export function cameraSupported() {
  return 'BarcodeDetector' in window && !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

/**
 * Scan with the camera into `video` until a code is found or `stop()` is called.
 * @returns {Promise<{stop: () => void}>}
 */
export async function startCamera(video, onScan) {
  const formats = await BarcodeDetector.getSupportedFormats().catch(() => []);
  const detector = new BarcodeDetector(formats.length ? { formats } : undefined);
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  video.srcObject = stream;
  video.setAttribute('playsinline', '');
  await video.play();
  let stopped = false;
  const stop = () => { stopped = true; stream.getTracks().forEach((tr) => tr.stop()); video.srcObject = null; };
  (async function loop() {
    while (!stopped) {
      try {
        const codes = await detector.detect(video);
        if (codes.length && !stopped) { const c = codes[0]; stop(); onScan(c.rawValue, { source: 'camera', format: c.format }); return; }
      } catch { /* frame not ready */ }
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  return { stop };
}

/** Read a File as a data URL (for an offline op). */
export function fileToDataUrl(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

/**
 * Shrink a photo before upload/queueing: phone photos are 3–12 MB; 1600 px on the long side is plenty
 * for a 1-D barcode and keeps the outbox small. Falls back to the original file.
 */
export async function downscale(file, maxSide = 1600) {
  try {
    const bmp = await createImageBitmap(file);
    const scale = Math.min(1, maxSide / Math.max(bmp.width, bmp.height));
    if (scale === 1 && file.size < 1.5e6) return file;
    const c = document.createElement('canvas');
    c.width = Math.round(bmp.width * scale); c.height = Math.round(bmp.height * scale);
    c.getContext('2d').drawImage(bmp, 0, 0, c.width, c.height);
    return await new Promise((res) => c.toBlob((b) => res(b || file), 'image/jpeg', 0.9));
  } catch { return file; }
}

/**
 * Decode a photo on the server.
 * @returns {Promise<{codes: Array<{text: string, symbology?: string}>}|{offline: true, blob: Blob}>}
 */
export async function decodePhoto(file) {
  const img = await downscale(file);
  const form = new FormData();
  form.append('image', img, 'scan.jpg');
  try {
    const res = await api('POST', '/api/v1/scan/decode', { form, timeout: 30000 });
    const codes = (res && (res.codes || res.results || res.items)) || [];
    return { codes: codes.map((c) => (typeof c === 'string' ? { text: c } : { ...c, text: c.text || c.code || c.data })) };
  } catch (e) {
    if (e.isNetwork) return { offline: true, blob: img }; // kept in IndexedDB with the op
    throw e;
  }
}
