"""Shared constants and page helpers for the e2e tests."""
from __future__ import annotations

import os

CHROMIUM = os.environ.get("JXC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 390, "height": 844}
PASSWORD = "password123"

def chromium_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return os.path.exists(CHROMIUM)


def login(page, username, password=PASSWORD):
    """Open the app and log in through the form; waits for the home screen."""
    page.goto("/")
    page.get_by_test_id("username").fill(username)
    page.get_by_test_id("password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.locator('#app[data-view="home"][data-ready="1"]').wait_for()


def wait_sw_ready(page):
    """Wait until the service worker is active and controls the page (app shell precached)."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.wait_for_function("() => !!navigator.serviceWorker.controller")


def outbox_rows(page):
    """Rows of the IndexedDB outbox, read straight from IndexedDB."""
    return page.evaluate("""() => new Promise((resolve, reject) => {
      const r = indexedDB.open('jxc');
      r.onsuccess = () => {
        const tx = r.result.transaction('outbox', 'readonly');
        const q = tx.objectStore('outbox').getAll();
        q.onsuccess = () => { r.result.close(); resolve(q.result); };
        q.onerror = () => reject(q.error);
      };
      r.onerror = () => reject(r.error);
    })""")
