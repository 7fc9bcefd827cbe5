#!/usr/bin/env python3
"""In-browser decoder benchmark: the PWA's photo decoder (js/detector.js + the photo scaling of
js/photoscan.js, i.e. the vendored ZXing WebAssembly polyfill) in headless Chromium on
../shared/scan-samples/, beside ``backend.scan.decode`` on the same images.

    .venv/bin/python bench/scan_browser_bench.py ../shared/scan-samples            # both decoders
    .venv/bin/python bench/scan_browser_bench.py --no-server                       # the browser only

Scoring: bench/scan_bench.py's rules (../shared/scan-samples/README.md): a different text is a WRONG
read, any read on falsepositives/ is wrong; the headline total covers the 1D + QR sets without ean13-5.
Browser time: wall-clock ms per image inside the page (blob → ImageBitmap → canvas ≤ 1920 px → detect),
one image after the other on the page's main thread — what a phone does, on this machine's CPU
(Chromium runs WebAssembly on one thread here). Server time: CPU ms per image (scan_bench.py's clock).
Pages and images are served from 127.0.0.1 only. Check ``uptime`` first: run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import json
import mimetypes
import os
import sys
import threading
import time
from collections import defaultdict
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from scan_bench import group, images, same  # noqa: E402
from scan_bench import table as scan_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("JXC_CHROMIUM", "/usr/bin/chromium")
PAGE = b"""<!doctype html><meta charset=utf-8><title>bench</title>
<script type=module>
import { detector } from '/pwa/js/detector.js';
import { MAX_SIDE } from '/pwa/js/photoscan.js';
window.bench = async (urls, polyfill) => {
  const det = await detector({ polyfill });
  const out = [];
  for (const u of urls) {
    const blob = await (await fetch(u)).blob();
    const t0 = performance.now();
    let texts = [];
    try {
      const bmp = await createImageBitmap(blob);
      const scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
      const c = document.createElement('canvas');
      c.width = Math.round(bmp.width * scale); c.height = Math.round(bmp.height * scale);
      c.getContext('2d').drawImage(bmp, 0, 0, c.width, c.height);
      texts = (await det.detect(c)).map((r) => r.text);
    } catch (e) { texts = []; }
    out.push({ u, texts, ms: performance.now() - t0 });
  }
  return { kind: det.kind, out };
};
window.benchReady = true;
</script>"""


class Handler(SimpleHTTPRequestHandler):
    """/pwa/… from the project, /samples/… from the samples folder, /bench.html the page above."""

    samples = ""

    def translate_path(self, path):
        p = path.split("?", 1)[0]
        if p.startswith("/samples/"):
            return os.path.join(self.samples, *p[len("/samples/"):].split("/"))
        return os.path.join(str(ROOT), *p.lstrip("/").split("/"))

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/bench.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)
            return
        super().do_GET()

    def log_message(self, *_):
        pass


def browser_run(root: str, items, polyfill: bool) -> tuple[str, dict]:
    from playwright.sync_api import sync_playwright

    mimetypes.add_type("application/wasm", ".wasm")
    Handler.samples = os.path.abspath(root)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}"
    urls = [f"{base}/samples/{os.path.relpath(p, root)}" for _, p, _ in items]
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                               args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        page = b.new_page()
        outside: list[str] = []
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
                   else (outside.append(r.request.url), r.abort()))
        page.goto(f"{base}/bench.html")
        page.wait_for_function("() => window.benchReady === true")
        page.evaluate("(u) => window.bench(u, true)", urls[:3])  # warm up: compile the .wasm
        res = page.evaluate("([u, p]) => window.bench(u, p)", [urls, polyfill])
        b.close()
    srv.shutdown()
    assert not outside, outside
    return res["kind"], {u: (r["texts"], r["ms"]) for u, r in zip(urls, res["out"], strict=True)}


def server_run(items) -> dict:
    from backend.scan import decode

    out = {}
    for _, p, _ in items:
        data = Path(p).read_bytes()
        t0 = time.process_time()
        try:
            texts = [d.text for d in decode(data, clock=time.process_time)]
        except Exception:  # noqa: BLE001
            texts = []
        out[p] = (texts, (time.process_time() - t0) * 1000)
    return out


def score(items, got) -> tuple[dict, list[float], list[tuple[str, str, list[str]]]]:
    """Per group `{n, ok, wrong}`, the ms of the timed images, and the wrong reads."""
    per: dict = defaultdict(lambda: {"n": 0, "ok": 0, "wrong": 0})
    ms_all, wrongs = [], []
    for (s, _p, exp), (texts, ms) in zip(items, got, strict=True):
        g = group(s)
        if not g.startswith("datamatrix"):
            ms_all.append(ms)
        c = per[g]
        c["n"] += 1
        hit = exp is not None and any(same(exp, x) for x in texts)
        c["ok"] += hit
        if texts and not hit:
            c["wrong"] += 1
            wrongs.append((s, os.path.basename(_p), texts))
    return per, ms_all, wrongs


def table(results: dict) -> str:
    return scan_table(results, list(results), time_label="all but Data Matrix")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", nargs="?", default="../shared/scan-samples")
    ap.add_argument("--no-server", action="store_true", help="the browser decoder only")
    ap.add_argument("--native", action="store_true", help="the browser's own BarcodeDetector if it has one")
    ap.add_argument("--limit", type=int, default=0, help="first N images only (a quick look)")
    ap.add_argument("--sets", default=None, help="comma-separated set-name prefixes (a quick look)")
    ap.add_argument("--json", help="write per-image results here")
    a = ap.parse_args()
    items = list(images(a.dir))
    if a.sets:
        items = [it for it in items if it[0].startswith(tuple(a.sets.split(",")))]
    if a.limit:
        items = items[:a.limit]
    kind, got = browser_run(a.dir, items, polyfill=not a.native)
    results = {f"browser ({kind})": score(items, [got[u] for u in got])}
    if not a.no_server:
        srv = server_run(items)
        results["backend.scan.decode"] = score(items, [srv[p] for _, p, _ in items])
    print(f"<!-- {len(items)} images; load average before: {os.getloadavg()[0]:.1f} -->")
    print(table(results))
    for name, (_, _, wrongs) in results.items():
        for s, f, texts in wrongs:
            print(f"<!-- wrong ({name}): {s}/{f} → {texts} -->")
    if a.json:
        Path(a.json).write_text(json.dumps({n: r[0] for n, r in results.items()}, indent=1))


if __name__ == "__main__":
    main()
