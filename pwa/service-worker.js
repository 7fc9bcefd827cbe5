/**
 * JXC service worker (plain, no Workbox runtime; the strategies follow "The Offline Cookbook" and
 * workbox-strategies / workbox-recipes offlineFallback):
 *  - app shell: versioned precache, cache-first; old caches deleted on activate;
 *  - navigations: network-first, falling back to the cached shell (the SPA renders offline), then offline.html;
 *  - reference GETs (products, barcodes, warehouses, categories): stale-while-revalidate (network-first
 *    when the page sends `cache: 'no-store'`, e.g. the full catalog refresh);
 *  - every other /api request (all writes, /auth, /sync, documents): network-only. Writes are never
 *    queued here — the page's outbox does that with idempotency keys (op_id), so nothing is replayed twice.
 * Bump VERSION whenever a shell file changes (tests/e2e checks the list matches pwa/).
 */
const VERSION = 'v31';
const SHELL_CACHE = `jxc-shell-${VERSION}`;
const REF_CACHE = 'jxc-ref-v1';
// The barcode decoder for phones without BarcodeDetector (~1.1 MB, mostly WebAssembly): its own cache,
// named after the vendored version, so a new app VERSION does not download it again (docs/pwa.md).
const DECODER_VERSION = 'zxing-wasm-3.1.3';
const DECODER_CACHE = `jxc-decoder-${DECODER_VERSION}`;
const DECODER = [
  '/vendor/barcode-detector/ponyfill.js',
  '/vendor/barcode-detector/zxing-exported.js',
  '/vendor/barcode-detector/zxing_reader.wasm',
];
const KEEP = new Set([SHELL_CACHE, REF_CACHE, DECODER_CACHE]);

const SHELL = [
  '/',
  '/index.html',
  '/offline.html',
  '/manifest.webmanifest',
  '/css/app.css',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/icon-maskable-512.png',
  '/js/api.js',
  '/js/app.js',
  '/js/catalog.js',
  '/js/charts.js',
  '/js/components.js',
  '/js/db.js',
  '/js/detect-worker.js',
  '/js/detector.js',
  '/js/i18n.js',
  '/js/strings/admin.js',
  '/js/strings/camera.js',
  '/js/strings/finance.js',
  '/js/strings/floor.js',
  '/js/strings/inbox.js',
  '/js/strings/inventory.js',
  '/js/icons.js',
  '/js/office/kit.js',
  '/js/office/lines.js',
  '/js/office/master.js',
  '/js/ops.js',
  '/js/outbox.js',
  '/js/drafts.js',
  '/js/feedback.js',
  '/js/photoscan.js',
  '/js/push.js',
  '/js/refusals.js',
  '/js/scanner.js',
  '/js/session.js',
  '/js/sync.js',
  '/js/ui.js',
  '/js/views/adjustment.js',
  '/js/views/adjustments_office.js',
  '/js/views/approvals.js',
  '/js/views/balances.js',
  '/js/views/audit.js',
  '/js/views/backups.js',
  '/js/views/categories.js',
  '/js/views/company.js',
  '/js/views/docwork.js',
  '/js/views/expenses.js',
  '/js/views/fin.js',
  '/js/views/home.js',
  '/js/views/inv_common.js',
  '/js/views/invoices.js',
  '/js/views/importexport.js',
  '/js/views/login.js',
  '/js/views/lowstock.js',
  '/js/views/lookup.js',
  '/js/views/orders.js',
  '/js/views/outbox.js',
  '/js/views/partners.js',
  '/js/views/payments.js',
  '/js/views/products.js',
  '/js/views/receive.js',
  '/js/views/reports.js',
  '/js/views/settings.js',
  '/js/views/ship.js',
  '/js/views/statements.js',
  '/js/views/stocktake.js',
  '/js/views/stocktakes_office.js',
  '/js/views/tokens.js',
  '/js/views/transfer.js',
  '/js/views/transfer_in.js',
  '/js/views/transfers_office.js',
  '/js/views/users.js',
  '/js/views/warehouses.js',
  '/js/views/webhooks.js',
];

// Reference data worth showing stale while offline (read-only, rarely changing).
const REF_GET = [/^\/api\/v1\/products(\/\d+)?$/, /^\/api\/v1\/products\/categories$/, /^\/api\/v1\/barcodes\/[^/]+$/,
  /^\/api\/v1\/warehouses(\/\d+)?$/];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // cache: 'reload' bypasses the HTTP cache so a new VERSION really fetches fresh files
    await cache.addAll(SHELL.map((u) => new Request(u, { cache: 'reload' })));
    await precacheDecoder();
    await self.skipWaiting();
  })());
});

/** The decoder files not cached yet (a failure leaves the app working: cacheFirst fetches them on first use). */
async function precacheDecoder() {
  try {
    const cache = await caches.open(DECODER_CACHE);
    const missing = [];
    for (const u of DECODER) if (!(await cache.match(u))) missing.push(u);
    if (missing.length) await cache.addAll(missing);
  } catch { /* e.g. storage quota: scanning falls back to the server until the next install */ }
}

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('jxc-') && !KEEP.has(n)).map((n) => caches.delete(n)));
    if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  const type = event.data && event.data.type;
  if (type === 'clear-api-cache') event.waitUntil(caches.delete(REF_CACHE)); // logout: no user data stays behind
  if (type === 'skip-waiting') self.skipWaiting();
});

// Chromium Background Sync: wake a page to replay the outbox (the page owns the queue and the CSRF token).
self.addEventListener('sync', (event) => {
  if (event.tag !== 'jxc-outbox') return;
  event.waitUntil(self.clients.matchAll({ type: 'window' }).then((cs) => cs.forEach((c) => c.postMessage({ type: 'replay-outbox' }))));
});

// Web Push (backend/services/notifications/push.py): the payload is {title, body, url, tag, kind, id}.
// Show it (one per document: same tag replaces); a push without a readable payload still shows something.
self.addEventListener('push', (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data ? event.data.text() : '' }; }
  const title = data.title || 'JXC';
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || '', tag: data.tag || undefined, renotify: !!data.tag, icon: '/icons/icon-192.png',
    badge: '/icons/icon-192.png', data: { url: data.url || '/#/', kind: data.kind || '', id: data.id || null },
  }));
});

// A tap opens the document: focus an open app window and route it there, else open a new one.
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || '/#/', self.location.origin);
  if (target.origin !== self.location.origin) return; // only our own routes
  event.waitUntil((async () => {
    const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const win = wins.find((c) => new URL(c.url).origin === self.location.origin);
    if (win) {
      await win.focus();
      win.postMessage({ type: 'open', url: target.pathname + target.hash });
      return;
    }
    await self.clients.openWindow(target.href);
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) {
    if (req.method === 'GET' && REF_GET.some((re) => re.test(url.pathname))) {
      // the page asks for no-store when it needs the truth now (catalog refresh): network first
      event.respondWith(req.cache === 'no-store' ? networkFirst(req) : staleWhileRevalidate(event, req));
    }
    else event.respondWith(networkOnly(req));
    return;
  }
  if (req.method !== 'GET') return;
  if (req.mode === 'navigate') { event.respondWith(navigation(event)); return; }
  event.respondWith(cacheFirst(req));
});

/** Network only; without network a JSON 503 in the API's error shape (the page treats it as offline). */
async function networkOnly(req) {
  try { return await fetch(req); } catch {
    return new Response(JSON.stringify({ code: 'offline', status: 503, message: 'Offline', errors: {} }),
      { status: 503, headers: { 'Content-Type': 'application/json' } });
  }
}

async function navigation(event) {
  try {
    const preload = await event.preloadResponse;
    if (preload) return preload;
    return await fetch(event.request);
  } catch {
    const cache = await caches.open(SHELL_CACHE);
    // every route is the SPA shell (hash routing), so the cached index serves any navigation
    return (await cache.match('/index.html')) || (await cache.match('/offline.html')) || Response.error();
  }
}

async function cacheFirst(req) {
  const decoder = DECODER.includes(new URL(req.url).pathname);
  const cache = await caches.open(decoder ? DECODER_CACHE : SHELL_CACHE);
  const hit = await cache.match(req, { ignoreSearch: true });
  if (hit) return hit;
  try {
    const resp = await fetch(req);
    // safety net for a file missing from SHELL: once fetched online it is there offline too
    if (resp.ok && resp.type === 'basic') cache.put(req, resp.clone());
    return resp;
  } catch { return Response.error(); }
}

async function networkFirst(req) {
  const cache = await caches.open(REF_CACHE);
  try {
    const resp = await fetch(req);
    if (resp.ok) cache.put(req, resp.clone());
    return resp;
  } catch {
    return (await cache.match(req)) || networkOnly(req);
  }
}

async function staleWhileRevalidate(event, req) {
  const cache = await caches.open(REF_CACHE);
  const cached = await cache.match(req);
  const network = fetch(req).then((resp) => {
    if (resp.ok) cache.put(req, resp.clone());
    return resp;
  }).catch(() => null);
  if (cached) {
    event.waitUntil(network);
    return cached;
  }
  return (await network) || networkOnly(req);
}
