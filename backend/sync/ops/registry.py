"""The shape of an op type: one declaration names its payload schema, its permission, its command (the
service call of the one-by-one path) and, optionally, its planner (the batch path)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import marshmallow as ma

from backend.domain.input_rules import harden
from backend.errors import DomainError
from backend.sync.batch import Batch, Needs


class UnsupportedOp(DomainError):
    status, code, default_message = 422, "unsupported_op_type", "This operation type is not supported."
    default_message_zh = "不支持此操作类型。"


@dataclass
class OpContext:
    op_id: str
    user: Any
    device_id: str | None
    seq: int | None
    base_version: int | None
    client_time: datetime | None
    decoded: dict[str, str] = field(default_factory=dict)  # photo part name -> decoded text


Command = Callable[[OpContext, dict], dict]


@dataclass(frozen=True)
class Planner:
    """The batch path of an op type: ``needs(payload, op_id)`` names what a run must load and lock up
    front; ``plan(batch, ctx, payload)`` applies the command's rules to the batch's state and queues its
    rows, returning the same result as the command (or raises ``Fallback``: the op goes one by one)."""

    needs: Callable[[dict, str], Needs]
    plan: Callable[[Batch, OpContext, dict], dict]


@dataclass(frozen=True)
class OpType:
    name: str
    schema: type[ma.Schema]
    permission: str
    command: Command
    planner: Planner | None = None
    version: int = 1
    requires_base_version: bool = False
    photo_target: str = "barcode"  # the field a decoded photo fills in
    _loader: list[ma.Schema] = field(default_factory=list, repr=False, compare=False)

    def loader(self) -> ma.Schema:
        """One schema instance per op type (building one per op deep-copies every field)."""
        if not self._loader:
            self._loader.append(harden(self.schema()))  # strict ints, bounded dates
        return self._loader[0]


def registry(*groups: Iterable[OpType]) -> dict[tuple[str, int], OpType]:
    """The op types of every domain, by (name, version); a name declared twice is a programming error."""
    out: dict[tuple[str, int], OpType] = {}
    for group in groups:
        for t in group:
            key = (t.name, t.version)
            if key in out:
                raise ValueError(f"op type {t.name}@{t.version} is declared twice")
            out[key] = t
    return out
