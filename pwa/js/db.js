/**
 * IndexedDB storage: the outbox of operations, the catalog cache (products, barcodes, warehouses),
 * cached documents and small key/value metadata (device id, next seq, sync cursor, last user).
 * A tiny promise layer over the raw API (no idb dependency).
 */

const DB_NAME = 'jxc';
const DB_VERSION = 1;
export const STORES = ['meta', 'outbox', 'products', 'barcodes', 'warehouses', 'docs'];
let dbp = null;

/** Open (and create/upgrade) the database once per page. */
export function openDb() {
  if (dbp) return dbp;
  dbp = new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const d = req.result;
      if (!d.objectStoreNames.contains('meta')) d.createObjectStore('meta');
      if (!d.objectStoreNames.contains('outbox')) {
        // auto-increment key = FIFO order across users/devices (Workbox QueueDb does the same); seq is per device
        const s = d.createObjectStore('outbox', { keyPath: 'id', autoIncrement: true });
        s.createIndex('status', 'status');
        s.createIndex('op_id', 'op_id', { unique: true });
        s.createIndex('device_status', ['device_id', 'status']);
      }
      if (!d.objectStoreNames.contains('products')) {
        const s = d.createObjectStore('products', { keyPath: 'id' });
        s.createIndex('sku', 'sku');
      }
      if (!d.objectStoreNames.contains('barcodes')) {
        const s = d.createObjectStore('barcodes', { keyPath: 'code' });
        s.createIndex('id', 'id'); // pull deletes name the barcode row id
      }
      if (!d.objectStoreNames.contains('warehouses')) d.createObjectStore('warehouses', { keyPath: 'id' });
      if (!d.objectStoreNames.contains('docs')) d.createObjectStore('docs', { keyPath: 'key' });
    };
    req.onsuccess = () => {
      const d = req.result;
      d.onversionchange = () => { d.close(); dbp = null; };
      resolve(d);
    };
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('IndexedDB blocked'));
  });
  return dbp;
}

function done(req) {
  return new Promise((resolve, reject) => { req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });
}

/**
 * Run `fn(stores)` in one transaction over `names`; resolves with fn's result once the transaction commits.
 * @param {string[]} names
 * @param {'readonly'|'readwrite'} mode
 * @param {(s: Record<string, IDBObjectStore>, tx: IDBTransaction) => any} fn
 */
export async function tx(names, mode, fn) {
  const d = await openDb();
  return new Promise((resolve, reject) => {
    const t = d.transaction(names, mode);
    const stores = Object.fromEntries(names.map((n) => [n, t.objectStore(n)]));
    let result;
    Promise.resolve(fn(stores, t)).then((r) => { result = r; }, (e) => { try { t.abort(); } catch { /* already done */ } reject(e); });
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('transaction aborted'));
  });
}

/** Promise for one IDBRequest (use inside {@link tx}). */
export const req = done;

export const get = (store, key) => tx([store], 'readonly', (s) => done(s[store].get(key)));
export const getAll = (store, query, count) => tx([store], 'readonly', (s) => done(s[store].getAll(query, count)));
export const count = (store, query) => tx([store], 'readonly', (s) => done(s[store].count(query)));
export const put = (store, value, key) => tx([store], 'readwrite', (s) => done(key === undefined ? s[store].put(value) : s[store].put(value, key)));
export const del = (store, key) => tx([store], 'readwrite', (s) => done(s[store].delete(key)));
export const clear = (store) => tx([store], 'readwrite', (s) => done(s[store].clear()));

/** Put many rows in one transaction. */
export const putMany = (store, rows) => tx([store], 'readwrite', (s) => { for (const r of rows) s[store].put(r); });

export const getMeta = (key, dflt = null) => get('meta', key).then((v) => (v === undefined ? dflt : v));
export const setMeta = (key, value) => put('meta', value, key);

/** All rows of `store` whose index `index` equals `value`. */
export const byIndex = (store, index, value) =>
  tx([store], 'readonly', (s) => done(s[store].index(index).getAll(value)));
