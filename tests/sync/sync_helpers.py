"""Helpers for the sync tests: build ops, push batches (no conftest.py here: it would shadow tests/conftest.py)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest


def op(seq: int, type_: str, payload: dict, **kw) -> dict:
    return {"op_id": kw.pop("op_id", None) or str(uuid.uuid4()), "seq": seq, "type": type_, "payload": payload,
            "client_time": kw.pop("client_time", datetime.now(UTC).isoformat()), **kw}


class Device:
    """A phone: numbers its ops and pushes them through an ApiClient."""

    def __init__(self, api, device_id: str | None = None):
        self.api = api
        self.id = device_id or f"dev-{uuid.uuid4()}"
        self.seq = 0
        self.outbox: list[dict] = []

    def queue(self, type_: str, payload: dict, **kw) -> dict:
        self.seq += 1
        o = op(self.seq, type_, payload, **kw)
        self.outbox.append(o)
        return o

    def push(self, ops=None, expect=200):
        r = self.api.post("/api/v1/sync/push", json={"device_id": self.id, "ops": self.outbox if ops is None else ops})
        assert r.status_code == expect, r.get_json()
        return r.get_json()


@pytest.fixture
def device():
    return Device


class ApiClientFor:
    """A second HTTP client with the same login (same session cookie and CSRF token), e.g. a retry."""

    def __init__(self, api):
        self.http = api.http.application.test_client()
        for cookie in api.http._cookies.values():
            self.http.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
        self.csrf, self.token = api.csrf, api.token
        self._headers, self.request = api.__class__._headers.__get__(self), api.__class__.request.__get__(self)

    def post(self, url, **kw):
        return self.request("POST", url, **kw)

    def get(self, url, **kw):
        return self.request("GET", url, **kw)
