/** Product lookup: the offline catalog in IndexedDB first (fast, works offline), then the server. */
import { api } from './api.js';
import * as db from './db.js';

/** GTIN variants a scanner may produce for the same item (UPC-A read as EAN-13 with a leading 0 and back). */
function variants(code) {
  const c = String(code).trim();
  const out = [c];
  if (/^0\d{12}$/.test(c)) out.push(c.slice(1));
  if (/^\d{12}$/.test(c)) out.push('0' + c);
  return out;
}

/**
 * Resolve a scanned code to `{product, quantity, code, source}`; null if unknown.
 * @param {string} code
 * @returns {Promise<{product: object, quantity: string, code: string, source: 'local'|'server'}|null>}
 */
export async function resolveCode(code) {
  for (const c of variants(code)) {
    const bc = await db.get('barcodes', c);
    if (bc) {
      const product = await db.get('products', bc.product_id);
      if (product) return { product, quantity: bc.quantity || '1', code: c, source: 'local' };
    }
  }
  // SKU typed or scanned from an internal label
  const bySku = await db.byIndex('products', 'sku', String(code).trim());
  if (bySku.length) return { product: bySku[0], quantity: '1', code, source: 'local' };
  try {
    const res = await api('GET', `/api/v1/barcodes/${encodeURIComponent(String(code).trim())}`);
    await db.put('products', res.product);
    await db.put('barcodes', { code: res.code, product_id: res.product.id, quantity: res.quantity || '1' });
    return { product: res.product, quantity: res.quantity || '1', code: res.code, source: 'server' };
  } catch (e) {
    if (e.isNetwork || e.status === 404) return null;
    throw e;
  }
}

/** Search products by name/SKU/model: server when online, else the offline catalog. */
export async function search(q, { limit = 30 } = {}) {
  try {
    const res = await api('GET', '/api/v1/products', { query: { q, per_page: limit }, swr: true });
    return { items: res.items, source: 'server' };
  } catch (e) {
    if (!e.isNetwork) throw e;
  }
  const needle = q.trim().toLowerCase();
  const all = await db.getAll('products');
  const items = all.filter((p) => [p.name, p.name_en, p.sku, p.model, p.spec].some((f) => f && String(f).toLowerCase().includes(needle)))
    .slice(0, limit);
  return { items, source: 'local' };
}

/** A product from the offline catalog (or the server). */
export async function product(id) {
  const local = await db.get('products', id);
  if (local) return local;
  try { return await api('GET', `/api/v1/products/${id}`); } catch { return null; }
}
