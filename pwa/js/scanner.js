/**
 * Barcode input, three ways (ARCHITECTURE.md §5):
 *  1. keyboard-wedge scanners: they "type" the code very fast and press Enter;
 *  2. the camera, scanning continuously: the browser's BarcodeDetector or the ZXing WebAssembly
 *     polyfill (js/detector.js);
 *  3. a photo (<input type=file accept=image/* capture=environment>): decoded on the phone first
 *     (js/photoscan.js), else by the server (POST /api/v1/scan/decode) — or,
 *     offline, kept as a Blob to travel with the op (multipart push).
 */
import { aimed, offThread } from './detector.js';

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

/** True if live camera scanning is possible here: a camera API (the detector is native or the polyfill). */
export function cameraSupported() {
  return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

/** The same code read again within this time is the same scan (the camera sees a code many times a second). */
export const REPEAT_MS = 1500;
const FRAME_MS = 120;

/**
 * Debounce of repeated reads: `seen(code, now)` is true when the code was seen less than REPEAT_MS ago.
 * Every sighting restarts its timer, so holding the camera over one code is one scan, however long;
 * the same product is scanned again after the code was out of sight for REPEAT_MS.
 */
export function repeatFilter(ms = REPEAT_MS) {
  const last = new Map();
  return (code, now) => {
    const prev = last.get(code);
    last.set(code, now);
    return prev !== undefined && now - prev < ms;
  };
}

/**
 * Scan continuously with the camera into `video` until `stop()`: every new code (the one nearest the
 * middle of the frame when several are in view) goes to `onScan(code, {source: 'camera', format})`.
 * @returns {Promise<{stop: () => void, kind: string, thread: string}>}
 */
export async function startCamera(video, onScan) {
  const det = await offThread();
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: 'environment', width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
  video.srcObject = stream;
  video.setAttribute('playsinline', '');
  video.muted = true;
  await video.play();
  let stopped = false;
  const stop = () => { stopped = true; stream.getTracks().forEach((tr) => tr.stop()); video.srcObject = null; };
  const repeated = repeatFilter();
  (async function loop() {
    while (!stopped) {
      const t0 = performance.now();
      try {
        const reads = video.videoWidth ? await det.detect(video) : [];
        const r = reads.length ? aimed(reads, video.videoWidth, video.videoHeight) : null;
        if (r && !stopped && !repeated(r.text, performance.now())) onScan(r.text, { source: 'camera', format: r.format });
      } catch { /* frame not ready */ }
      // wait at least FRAME_MS between frames, longer after a slow decode (keeps the page responsive)
      await new Promise((res) => setTimeout(res, Math.max(FRAME_MS, performance.now() - t0)));
    }
  })();
  return { stop, kind: det.kind, thread: det.thread || 'page' };
}
