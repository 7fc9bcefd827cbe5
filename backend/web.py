"""Serves the PWA (static files) and the health check."""
from __future__ import annotations

from pathlib import Path

from flask import send_from_directory

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"


def register_web(app) -> None:
    @app.get("/")
    def pwa_index():
        return send_from_directory(PWA_DIR, "index.html")

    @app.get("/<path:path>")
    def pwa_static(path: str):
        if path.startswith("api/"):
            from backend.errors import NotFound

            raise NotFound("No such API endpoint.", zh="没有这个 API 接口。")
        resp = send_from_directory(PWA_DIR, path)
        if path == "service-worker.js":
            resp.headers["Cache-Control"] = "no-cache"
            resp.headers["Service-Worker-Allowed"] = "/"
        return resp

    pwa_index._permission = pwa_static._permission = "public"
