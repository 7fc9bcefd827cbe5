"""Event names: every audit record becomes ``<entity>.<past tense of action>`` (``products``/``create`` →
``product.created``), every stock move ``stock.moved``; subscriptions match them by name or pattern."""
from __future__ import annotations

import fnmatch
import re

from backend.models.base import Base

SILENT_ENTITIES = {"webhooks", "webhook_deliveries", "user_sessions", "api_tokens", "audit_log", "counters",
                   "idempotency_keys", "users"}
INSERT_EVENTS = {"stock_moves": "stock.moved"}
STOCK_MOVE_FIELDS = ("id", "product_id", "warehouse_id", "location_id", "quantity", "unit_cost", "value",
                     "balance_after", "kind", "reason", "doc_type", "doc_id", "doc_line_id", "op_id", "user_id",
                     "created_at")
EVENT_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*\.(\*|[a-z][a-z0-9_]*))$")
_PAST = {"ship": "shipped", "submit": "submitted", "cancel": "cancelled", "send": "sent", "pay": "paid",
         "stop": "stopped", "plan": "planned", "write_off": "written_off", "set": "set", "put": "put"}


def singular(table: str) -> str:
    """``purchase_orders`` → ``purchase_order``; ``addresses`` → ``address``; ``categories`` → ``category``."""
    if table.endswith("ies"):
        return table[:-3] + "y"
    if table.endswith(("sses", "shes", "ches", "xes")):
        return table[:-2]
    if table.endswith("s") and not table.endswith("ss"):
        return table[:-1]
    return table


def past_tense(action: str) -> str:
    """``create`` → ``created``, ``approve`` → ``approved``, ``ship`` → ``shipped``."""
    head, _, last = action.rpartition("_")
    if action in _PAST:
        return _PAST[action]
    if last in _PAST:
        word = _PAST[last]
    elif last.endswith("ed"):
        word = last
    elif last.endswith("e"):
        word = last + "d"
    elif len(last) > 1 and last.endswith("y") and last[-2] not in "aeiou":
        word = last[:-1] + "ied"
    else:
        word = last + "ed"
    return f"{head}_{word}" if head else word


def event_name(entity: str, action: str) -> str:
    return f"{singular(entity)}.{past_tense(action)}"


def matches(patterns: list[str], name: str) -> bool:
    return any(p == "*" or fnmatch.fnmatchcase(name, p) for p in patterns or ())


def event_catalogue() -> list[str]:
    """Event names every audited table emits (documents add their own actions, e.g. ``.approved``)."""
    names = {"webhook.ping", *INSERT_EVENTS.values()}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        table = getattr(cls, "__tablename__", None)
        if not table or table in SILENT_ENTITIES or not getattr(cls, "__audit__", True):
            continue
        names.update(event_name(table, a) for a in ("create", "update", "delete"))
    return sorted(names)
