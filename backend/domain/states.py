"""Documents are small state machines: a declared transition table, ``can()`` and ``apply()``.

Usage::

    PO_FLOW = StateMachine("purchase_order", {
        "submit": ({"draft"}, "submitted"),
        "approve": ({"submitted"}, "approved"),
    })
    PO_FLOW.can(po.status, "submit")          # -> bool
    po.status = PO_FLOW.next(po.status, "submit")   # raises InvalidTransition (409) when illegal
"""
from __future__ import annotations

from dataclasses import dataclass, field

from backend.errors import InvalidTransition

# zh-CN names of the documents, for the message of a refused transition
_DOC_ZH = {"purchase_order": "采购订单", "sales_order": "销售订单", "adjustment": "调整单", "transfer": "调拨单",
           "stocktake": "盘点单"}


@dataclass(frozen=True)
class StateMachine:
    name: str
    transitions: dict[str, tuple[frozenset[str] | set[str], str | None]]
    states: tuple[str, ...] = field(default=())

    def can(self, status: str, action: str) -> bool:
        t = self.transitions.get(action)
        return t is not None and status in t[0]

    def next(self, status: str, action: str) -> str:
        """The state after ``action`` from ``status``; ``None`` target means 'stays' (e.g. partial receipt)."""
        if not self.can(status, action):
            allowed = sorted(a for a in self.transitions if self.can(status, a))
            raise InvalidTransition(
                f"Cannot {action} a {self.name.replace('_', ' ')} that is {status}.",
                zh=f"{_DOC_ZH.get(self.name, self.name)}当前状态为 {status}，不能执行 {action}。",
                errors={"status": status, "action": action, "allowed": allowed})
        target = self.transitions[action][1]
        return status if target is None else target

    def allowed(self, status: str) -> list[str]:
        return sorted(a for a in self.transitions if self.can(status, a))
