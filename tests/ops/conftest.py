"""Ops fixtures: a local HTTP receiver for webhooks, table snapshots for backup round trips."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver:
    """Records every POST; answers with ``status``, ``body``, ``content_type`` and ``headers`` after ``delay``
    seconds (all settable)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        self.body: bytes | None = None
        self.content_type = "text/plain"
        self.headers: dict = {}
        self.delay = 0.0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                              "json": json.loads(body or b"null")})
                time.sleep(receiver.delay)
                answer = receiver.body if receiver.body is not None else (b"ok" if receiver.status < 300 else b"nope")
                self.send_response(receiver.status)
                self.send_header("Content-Type", receiver.content_type)
                self.send_header("Content-Length", str(len(answer)))
                for k, v in receiver.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[str]:
        return [r["json"]["event"] for r in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def allow_loopback(app, monkeypatch):
    """Webhooks to 127.0.0.1 are refused (SSRF) unless allow-listed, as an on-premises target would be."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1/32")


@pytest.fixture
def receiver(allow_loopback):
    r = Receiver()
    yield r
    r.close()
