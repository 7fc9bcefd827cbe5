/**
 * One barcode detector for the camera and for photos: the browser's own `BarcodeDetector` (Shape
 * Detection API: Chrome on Android, macOS) where it exists and reads our formats, else the vendored
 * polyfill (ZXing-C++ in WebAssembly, pwa/vendor/barcode-detector/) — iOS Safari, Firefox, desktop
 * Chrome on Linux/Windows. The polyfill's .wasm comes from our own origin (precached by the service
 * worker), never from the CDN the library would use by default.
 */
const VENDOR = new URL('../vendor/barcode-detector/', import.meta.url);
export const WASM_URL = new URL('zxing_reader.wasm', VENDOR).href;

/** Web formats we read → the server's symbology names (backend/scan, docs/api.md). */
export const FORMATS = {
  ean_13: 'ean13', ean_8: 'ean8', upc_a: 'upca', upc_e: 'upce', code_128: 'code128', code_39: 'code39',
  code_93: 'code93', itf: 'itf', codabar: 'codabar', qr_code: 'qrcode', data_matrix: 'datamatrix',
};

let ready = null;

/**
 * The detector, made once: `{detect(source) → Promise<Read[]>, kind: 'native'|'polyfill'}`.
 * `source`: a video, canvas, ImageBitmap, ImageData or Blob. A Read is
 * `{text, format (server symbology), points: [[x, y] ×4] in the source's pixels}`.
 * @param {{polyfill?: boolean}} [o] force the polyfill (the benchmark compares both)
 */
export function detector(o = {}) {
  if (o.polyfill) return make(true);
  if (!ready) ready = make(false).catch((e) => { ready = null; throw e; });
  return ready;
}

async function make(forcePolyfill) {
  let impl = null;
  let kind = 'native';
  if (!forcePolyfill && 'BarcodeDetector' in globalThis) {
    // Chrome exposes the API on platforms whose system has no detector: it then supports no format
    const have = await globalThis.BarcodeDetector.getSupportedFormats().catch(() => []);
    const formats = Object.keys(FORMATS).filter((f) => have.includes(f));
    if (formats.length) impl = new globalThis.BarcodeDetector({ formats });
  }
  if (!impl) {
    kind = 'polyfill';
    const lib = await import('../vendor/barcode-detector/ponyfill.js');
    // must come before the first detector: later ones reuse the module prepared here
    await lib.prepareZXingModule({
      overrides: { locateFile: (path, prefix) => (path.endsWith('.wasm') ? WASM_URL : prefix + path) },
      fireImmediately: true,
    });
    impl = new lib.BarcodeDetector({ formats: Object.keys(FORMATS) });
  }
  return {
    kind,
    async detect(source) {
      const found = await impl.detect(source);
      return found.map(toRead).filter(valid);
    },
  };
}

let worker = null;

/**
 * The same detector in a module worker, so decoding a frame or a photo never freezes the page:
 * `{detect(source), kind}` with the page's `detect` signature. A browser that cannot run it (no module
 * workers, no OffscreenCanvas) gets the main-thread detector instead — once the worker failed, for good.
 */
export async function offThread() {
  if (worker === null && typeof Worker !== 'undefined' && typeof OffscreenCanvas !== 'undefined') {
    // one worker, even when the camera and a photo ask at the same moment
    worker = startWorker().catch(() => false);
  }
  return (await worker) || detector();
}

async function startWorker() {
  const w = new Worker(new URL('./detect-worker.js', import.meta.url), { type: 'module' });
  const waiting = new Map();
  let seq = 0;
  let failed = false;
  const fail = (msg) => { for (const p of waiting.values()) p.reject(new Error(msg)); waiting.clear(); };
  w.onmessage = (e) => {
    const p = waiting.get(e.data.id);
    waiting.delete(e.data.id);
    if (p) { if (e.data.error) p.reject(new Error(e.data.error)); else p.resolve(e.data); }
  };
  w.onerror = (e) => { e.preventDefault(); failed = true; worker = Promise.resolve(false); w.terminate(); fail('detector worker failed'); };
  const call = async (source) => {
    const image = await createImageBitmap(source);
    const id = ++seq;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      w.postMessage({ id, image }, [image]);
    });
  };
  // one empty frame proves the worker loads its modules and the decoder (else: main thread)
  const probe = document.createElement('canvas');
  probe.width = probe.height = 8;
  const first = await Promise.race([call(probe),
    new Promise((_, reject) => setTimeout(() => reject(new Error('detector worker timeout')), 15000))]);
  return { kind: first.kind, thread: 'worker',
    detect: async (source) => (failed ? (await detector()).detect(source) : (await call(source)).reads) };
}

function toRead(c) {
  const pts = (c.cornerPoints || []).map((p) => [Math.round(p.x), Math.round(p.y)]);
  return { text: c.rawValue, format: FORMATS[c.format] || c.format, points: pts };
}

/**
 * Zero wrong reads comes first (issue 16): an EAN/UPC whose check digit is wrong is dropped, as the
 * server does (backend/scan/checksum.py); an empty text is no read.
 */
export function valid(r) {
  if (!r.text) return false;
  if (['ean13', 'ean8', 'upca'].includes(r.format)) return /^\d+$/.test(r.text) && gtinOk(r.text);
  return true;
}

/** GS1 mod-10 check digit (EAN-8, UPC-A, EAN-13, GTIN-14). */
export function gtinOk(code) {
  const d = [...code].map(Number);
  const check = d.pop();
  const sum = d.reverse().reduce((s, x, i) => s + x * (i % 2 === 0 ? 3 : 1), 0);
  return (10 - (sum % 10)) % 10 === check;
}

/** The read nearest the middle of a `w`×`h` frame: the one the camera is aimed at. */
export function aimed(reads, w, h) {
  const dist = (r) => {
    const n = r.points.length || 1;
    const cx = r.points.reduce((s, p) => s + p[0], 0) / n;
    const cy = r.points.reduce((s, p) => s + p[1], 0) / n;
    return (cx - w / 2) ** 2 + (cy - h / 2) ** 2;
  };
  return reads.slice().sort((a, b) => dist(a) - dist(b))[0];
}
