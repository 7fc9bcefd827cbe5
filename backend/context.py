"""Who is acting and for which request: read by the audit log and the services."""
from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str | None
    source: str = "web"  # web, api_token, sync, cli


_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("jxc_actor", default=None)
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("jxc_request_id", default=None)


def current_actor() -> Actor | None:
    return _actor.get()


def current_request_id() -> str | None:
    return _request_id.get()


def set_actor(actor: Actor | None) -> contextvars.Token[Actor | None]:
    return _actor.set(actor)


def set_request_id(rid: str | None) -> contextvars.Token[str | None]:
    return _request_id.set(rid)


@contextmanager
def acting_as(actor: Actor | None, request_id: str | None = None) -> Iterator[None]:
    """Run a block as ``actor`` (CLI, background jobs, tests)."""
    t1, t2 = _actor.set(actor), _request_id.set(request_id)
    try:
        yield
    finally:
        _actor.reset(t1)
        _request_id.reset(t2)
