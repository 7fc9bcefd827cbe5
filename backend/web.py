"""Serves the PWA (static files), Swagger UI's files for /api/docs, and the health check."""
from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from pathlib import Path

from flask import send_from_directory
from swagger_ui_bundle import swagger_ui_path

from backend.errors import NotFound

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"
# WebAssembly.instantiateStreaming needs this type; older mimetypes tables lack .wasm
mimetypes.add_type("application/wasm", ".wasm")

# /api/docs: Swagger UI from the swagger-ui-bundle package, so the docs work without internet.
DOCS_ASSETS_PREFIX = "/api/docs/static"
DOCS_ASSET_TYPES = (".js", ".css", ".png", ".map")
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def docs_csp(resp) -> str:
    """CSP for Swagger UI: its own files, the page's inline initialiser by hash (no 'unsafe-inline'
    scripts), inline styles (Swagger UI sets style attributes), data: images (its icons), and API calls
    to this origin only ("Try it out")."""
    hashes = ""
    if resp.mimetype == "text/html" and not resp.is_streamed:
        for body in _INLINE_SCRIPT.findall(resp.get_data()):
            digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
            hashes += f" 'sha256-{digest}'"
    return (f"default-src 'none'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def register_web(app) -> None:
    @app.get("/")
    def pwa_index():
        return send_from_directory(PWA_DIR, "index.html")

    @app.get("/<path:path>")
    def pwa_static(path: str):
        if path.startswith("api/"):
            raise NotFound("No such API endpoint.", zh="没有这个 API 接口。")
        resp = send_from_directory(PWA_DIR, path)
        if path == "service-worker.js":
            resp.headers["Cache-Control"] = "no-cache"
            resp.headers["Service-Worker-Allowed"] = "/"
        return resp

    @app.get(f"{DOCS_ASSETS_PREFIX}/<path:filename>")
    def swagger_ui_asset(filename: str):
        if not filename.endswith(DOCS_ASSET_TYPES):
            raise NotFound("No such file.", zh="没有这个文件。")
        return send_from_directory(str(swagger_ui_path), filename, max_age=86400)  # safe_join: no ../

    pwa_index._permission = pwa_static._permission = swagger_ui_asset._permission = "public"
