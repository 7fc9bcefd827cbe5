"""Ops fixtures: a local HTTP receiver for webhooks, table snapshots for backup round trips."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models.base import Base


class Receiver:
    """Records every POST; answers with ``status`` (settable)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                          "json": json.loads(body or b"null")})
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 300 else b"nope")

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
def receiver():
    r = Receiver()
    yield r
    r.close()


def snapshot(exclude_audit_of: tuple[str, ...] = ("database",)) -> dict[str, list[tuple]]:
    """Every row of every table (audit rows about backups/restores left out)."""
    db.session.commit()
    out = {}
    with db.engine.connect() as conn:
        for t in Base.metadata.sorted_tables:
            rows = conn.execute(select(t).order_by(*(t.primary_key.columns or t.columns))).all()
            if t.name == "audit_log":
                rows = [r for r in rows if r._mapping["entity"] not in exclude_audit_of]
            out[t.name] = [tuple(r) for r in rows]
    return out


def wipe() -> None:
    """Empty every table (as between tests)."""
    from sqlalchemy import text

    db.session.remove()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for t in tables:
            db.session.execute(text(f'DELETE FROM "{t}"'))
    db.session.commit()
    db.session.remove()
