"""Helpers for the sync tests: build ops, push batches."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest


def op(seq: int, type_: str, payload: dict, **kw) -> dict:
    return {"op_id": kw.pop("op_id", None) or str(uuid.uuid4()), "seq": seq, "type": type_, "payload": payload,
            "client_time": kw.pop("client_time", datetime.now(timezone.utc).isoformat()), **kw}


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
