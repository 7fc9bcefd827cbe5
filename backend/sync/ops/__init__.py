"""The typed, versioned registry of offline operations: one module per domain, one declaration per op type.

Each op type (``registry.OpType``) names its payload schema, the permission it needs, whether it must
carry ``base_version``, its *command* — the same service function as the online API, called inside the
op's transaction (the services' ``@command`` joins it) — and optionally its *planner* for the batch path
(``backend.sync.batch_path``). Both return the same small JSON-able result, stored with the op record.

Where a payload names a product, it may instead give ``barcode`` (resolved on the server; the quantity is
then counted in scans, i.e. multiplied by the barcode's pack quantity) or ``photo`` (the name of a
multipart part holding a photo of the barcode; decoded at push time, see ``backend.sync.photos``).

How to add an op type: docs/sync-protocol.md, "Adding an op type".
"""
from __future__ import annotations

from backend.sync.ops import (
    catalog,
    decisions,
    inventory,
    purchasing,
    sales,
    stocktakes,
    transfers,
)
from backend.sync.ops.common import COST_RESULT_KEYS
from backend.sync.ops.registry import (
    OpContext,
    OpType,
    Planner,
    UnsupportedOp,
    registry,
)

__all__ = ["COST_RESULT_KEYS", "REGISTRY", "OpContext", "OpType", "Planner", "describe", "get", "plannable"]

REGISTRY = registry(catalog.OPS, inventory.OPS, transfers.OPS, sales.OPS, purchasing.OPS, stocktakes.OPS,
                    decisions.OPS)


def plannable(name: str, version: int = 1) -> bool:
    t = REGISTRY.get((name, version))
    return t is not None and t.planner is not None


def get(name: str, version: int = 1) -> OpType:
    t = REGISTRY.get((name, version))
    if t is None:
        raise UnsupportedOp(f"Unknown operation type {name!r} (version {version}).",
                            zh=f"未知的操作类型 {name!r}（版本 {version}）。",
                            errors={"type": name, "type_version": version,
                                    "supported": sorted(f"{n}@{v}" for n, v in REGISTRY)})
    return t


def describe() -> list[dict]:
    """Supported op types (for clients and docs)."""
    return [{"type": t.name, "type_version": t.version, "permission": t.permission,
             "requires_base_version": t.requires_base_version, "fields": sorted(t.schema().fields)}
            for t in sorted(REGISTRY.values(), key=lambda t: (t.name, t.version))]
