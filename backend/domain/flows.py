"""Every document's state machine: a declared transition table, its statuses and named status groups.

Usage::

    PO_FLOW.can(po.status, "submit")                 # -> bool
    po.status = PO_FLOW.next(po.status, "submit")    # raises InvalidTransition (409) when illegal
    PO_FLOW.allowed(po.status)                       # the actions possible now (the ``actions`` field)
    PO_FLOW.group("open")                            # ("submitted", "approved", "partially_received")

Consumers (reports, sync pull, stock queries) use the named groups instead of spelling statuses out.
Pure: no Flask, no session (unit-tested in ``tests/unit/test_flows.py``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from backend.errors import InvalidTransition

# zh-CN names of the documents, for the message of a refused transition
_DOC_ZH = {"purchase_order": "采购订单", "sales_order": "销售订单", "adjustment": "调整单", "transfer": "调拨单",
           "stocktake": "盘点单"}


@dataclass(frozen=True)
class StateMachine:
    """``transitions``: action → (statuses it is allowed from, target status or None = the service decides)."""

    name: str
    transitions: dict[str, tuple[frozenset[str] | set[str], str | None]]
    states: tuple[str, ...] = field(default=())
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def can(self, status: str, action: str) -> bool:
        t = self.transitions.get(action)
        return t is not None and status in t[0]

    def next(self, status: str, action: str) -> str:
        """The state after ``action`` from ``status``; ``None`` target means 'stays' (e.g. partial receipt)."""
        if not self.can(status, action):
            allowed = self.allowed(status)
            raise InvalidTransition(
                f"Cannot {action} a {self.name.replace('_', ' ')} that is {status}.",
                zh=f"{_DOC_ZH.get(self.name, self.name)}当前状态为 {status}，不能执行 {action}。",
                errors={"status": status, "action": action, "allowed": allowed})
        target = self.transitions[action][1]
        return status if target is None else target

    def allowed(self, status: str) -> list[str]:
        return sorted(a for a in self.transitions if self.can(status, a))

    def group(self, name: str) -> tuple[str, ...]:
        """A named status group (KeyError for an unknown name: a typo must not select nothing)."""
        return self.groups[name]


# ---------------------------------------------------------------- purchasing

PO_STATUSES = ("draft", "submitted", "approved", "rejected", "partially_received", "received", "closed",
               "cancelled")
_PO_UNRECEIVED = {"draft", "submitted", "approved", "rejected"}  # nothing received yet
PO_FLOW = StateMachine("purchase_order", {
    "edit": (_PO_UNRECEIVED, "draft"),
    "submit": ({"draft"}, "submitted"),
    "approve": ({"submitted"}, "approved"),  # stays submitted until the last level is granted
    "reject": ({"submitted"}, "rejected"),
    "reopen": ({"rejected"}, "draft"),
    "receive": ({"approved", "partially_received"}, None),  # → partially_received | received
    "close": ({"partially_received", "received"}, "closed"),
    "cancel": (_PO_UNRECEIVED, "cancelled"),
    "return_goods": ({"partially_received", "received", "closed"}, None),
}, PO_STATUSES, {
    "open": ("submitted", "approved", "partially_received"),  # waiting for a decision or for goods
    "ordered": ("approved", "partially_received", "received", "closed"),  # a commitment to the supplier
    "priced": tuple(s for s in PO_STATUSES if s not in ("draft", "rejected", "cancelled")),  # sets a last price
    "finished": ("closed", "cancelled"),
})

# ---------------------------------------------------------------- sales

SO_STATUSES = ("draft", "submitted", "approved", "rejected", "partially_shipped", "shipped", "invoiced", "closed",
               "cancelled")
_SO_UNSHIPPED = {"draft", "submitted", "approved", "rejected"}  # nothing shipped yet
SO_FLOW = StateMachine("sales_order", {
    "edit": (_SO_UNSHIPPED, "draft"),  # a change after submission sends it back to draft
    "submit": ({"draft", "rejected"}, "submitted"),
    "approve": ({"submitted"}, None),  # stays submitted until the last level → approved
    "reject": ({"submitted"}, "rejected"),
    "cancel": (_SO_UNSHIPPED, "cancelled"),
    "ship": ({"approved", "partially_shipped"}, None),  # → partially_shipped | shipped
    "invoice": ({"partially_shipped", "shipped", "closed"}, None),  # → invoiced when all is shipped and invoiced
    "return": ({"partially_shipped", "shipped", "invoiced", "closed"}, None),
    "close": ({"partially_shipped", "shipped", "invoiced"}, "closed"),
}, SO_STATUSES, {
    "open": ("submitted", "approved", "partially_shipped"),  # waiting for a decision or for shipping
    "editable": tuple(s for s in SO_STATUSES if s in _SO_UNSHIPPED),
    "priced": tuple(s for s in SO_STATUSES if s not in ("draft", "rejected", "cancelled")),  # sets a last price
    "finished": ("closed", "cancelled"),
})

# ---------------------------------------------------------------- inventory

ADJUSTMENT_FLOW = StateMachine("adjustment", {
    "post": ({"draft"}, "posted"),  # small: posts on creation
    "submit": ({"draft"}, "pending_approval"),  # above ADJUSTMENT_APPROVAL_THRESHOLD
    "approve": ({"pending_approval"}, "posted"),
    "reject": ({"pending_approval"}, "rejected"),
    "cancel": ({"pending_approval"}, "cancelled"),
}, ("draft", "pending_approval", "posted", "rejected", "cancelled"), {
    "pending": ("pending_approval",),
    "finished": ("posted", "rejected", "cancelled"),
})

TRANSFER_FLOW = StateMachine("transfer", {
    "update": ({"draft"}, None),
    "ship": ({"draft"}, "in_transit"),
    # receive stays in the flow; the service picks partially_received / discrepancy / done
    "receive": ({"in_transit", "partially_received"}, None),
    "resolve": ({"discrepancy"}, None),
    "cancel": ({"draft"}, "cancelled"),
}, ("draft", "in_transit", "partially_received", "discrepancy", "done", "cancelled"), {
    "in_transit": ("in_transit", "partially_received", "discrepancy"),  # goods on the way (stock in transit)
    "open": ("draft", "in_transit", "partially_received", "discrepancy"),  # not done, not cancelled
    "finished": ("done", "cancelled"),
})

STOCKTAKE_FLOW = StateMachine("stocktake", {
    "count": ({"counting"}, None),
    "submit": ({"counting"}, "submitted"),
    "recount": ({"submitted"}, "counting"),
    "approve": ({"submitted"}, "approved"),
    "cancel": ({"counting", "submitted"}, "cancelled"),
}, ("counting", "submitted", "approved", "cancelled"), {
    "counting": ("counting",),
    "open": ("counting", "submitted"),  # one open stocktake per warehouse
    "finished": ("approved", "cancelled"),
})

EXPENSE_FLOW = StateMachine("expense", {
    "submit": ({"draft"}, "pending_approval"),  # above EXPENSE_APPROVAL_THRESHOLD; below: approved at once
    "approve": ({"pending_approval"}, "approved"),
    "reject": ({"pending_approval"}, "rejected"),
}, ("draft", "pending_approval", "approved", "rejected"), {
    "pending": ("pending_approval",),
    "counted": ("approved",),  # in expense totals and the finance reports
})

FLOWS = {f.name: f for f in (PO_FLOW, SO_FLOW, ADJUSTMENT_FLOW, TRANSFER_FLOW, STOCKTAKE_FLOW, EXPENSE_FLOW)}
