/**
 * The barcode detector off the page's main thread (a module worker): a camera frame or photo arrives as
 * an ImageBitmap (transferred, not copied) and the reads go back. The polyfill draws it on an
 * OffscreenCanvas; the native BarcodeDetector exists in workers too. js/detector.js `offThread()`.
 */
import { detector } from './detector.js';

self.onmessage = async (e) => {
  const { id, image } = e.data;
  try {
    const det = await detector();
    const reads = await det.detect(image);
    self.postMessage({ id, reads, kind: det.kind });
  } catch (err) {
    self.postMessage({ id, error: String(err && err.message ? err.message : err) });
  } finally {
    if (image && image.close) image.close();
  }
};
