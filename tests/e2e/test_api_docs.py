"""/api/docs in a real browser: Swagger UI renders from the app's own files under its CSP, offline."""
from __future__ import annotations

from urllib.parse import urlparse


def test_swagger_ui_renders_offline_under_its_csp(browser, live_server):
    ctx = browser.new_context(base_url=live_server.url)
    page = ctx.new_page()
    host = urlparse(live_server.url).netloc
    elsewhere, problems = [], []

    def route(r):  # the browser may reach only the app (no CDN, no validator badge)
        if urlparse(r.request.url).netloc != host and not r.request.url.startswith("data:"):
            elsewhere.append(r.request.url)
            return r.abort()
        return r.continue_()

    page.route("**/*", route)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    resp = page.goto("/api/docs")
    assert "default-src 'none'" in resp.headers["content-security-policy"]
    page.locator(".opblock").first.wait_for(timeout=30000)  # operations rendered from /api/openapi.json
    assert page.locator(".opblock").count() > 50
    page.locator(".opblock-summary").first.click()  # expanding an operation works (scripts run)
    page.locator(".opblock-body").first.wait_for()
    assert not elsewhere, elsewhere
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    ctx.close()
