"""Inbox and notification fixtures: ``device`` (a phone with an outbox), a local push service / bot receiver."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.sync.sync_helpers import device  # noqa: F401 (fixture registered for this folder)


class PushService:
    """A stand-in push service (or group bot) on 127.0.0.1: records every POST (raw body, headers) and
    answers ``status`` (201 like a real push service)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 201
        self.answer = b""
        svc = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                svc.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                     "body": body})
                self.send_response(svc.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(svc.answer)))
                self.end_headers()
                self.wfile.write(svc.answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service(app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1/32")  # on-premises exception (SSRF rule)
    s = PushService()
    yield s
    s.close()
