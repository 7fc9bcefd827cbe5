"""Expenses over ``EXPENSE_APPROVAL_THRESHOLD`` (default 5,000) wait for ``expense.approve`` before they
count (expense totals, finance reports); below it they are approved when recorded.

    on_create(expense, user)                 — called by finance.create_expense
    approve_expense(expense_id, version, user, comment=None) -> Expense
    reject_expense(expense_id, version, user, comment) -> Expense    (a reason is required)

Nobody approves an expense they recorded (``approvals.record``). The inbox lists pending ones
(``backend.services.inbox``); decisions also arrive as sync ops ``expense.approve`` / ``expense.reject``.
"""
from __future__ import annotations

from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from backend.domain.flows import EXPENSE_FLOW
from backend.errors import NotFound, ValidationFailed, check_version
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.finance import Expense
from backend.services import approvals, inbox
from backend.services.access import require, visible_warehouses
from backend.services.audit import audit_action
from backend.services.uow import command

DOC = "expense"


def threshold() -> Decimal:
    return Decimal(str(current_app.config.get("EXPENSE_APPROVAL_THRESHOLD", "5000")))


def on_create(exp: Expense, user) -> None:
    """A new expense: over the threshold it is submitted for approval, else approved at once."""
    if exp.amount is not None and Decimal(exp.amount) > threshold():
        exp.status = EXPENSE_FLOW.next("draft", "submit")
        exp.submitted_by_id, exp.submitted_at, exp.approval_level = user.id, utcnow(), 0
        audit_action(exp, "submit", amount=str(exp.amount))  # labels the insert: approvers are told
    else:
        exp.status = "approved"


def _load(expense_id: int, version: int | None, user, action: str) -> Expense:
    require(user, "expense.approve")
    exp = db.session.get(Expense, expense_id, with_for_update=True)
    if exp is None:
        raise NotFound(f"Expense {expense_id} not found.", zh=f"费用 {expense_id} 不存在。", errors={"id": expense_id})
    check_version(exp, version)
    EXPENSE_FLOW.next(exp.status, action)  # raises InvalidTransition
    return exp


@command
def approve_expense(expense_id: int, version: int | None, user, comment: str | None = None) -> Expense:
    exp = _load(expense_id, version, user, "approve")
    _, done = approvals.record(user, DOC, exp, exp.amount, "approve", comment, since=exp.submitted_at)
    if done:
        exp.status = EXPENSE_FLOW.next(exp.status, "approve")
    audit_action(exp, "approve", comment=comment, final=done)
    db.session.flush()
    return exp


@command
def reject_expense(expense_id: int, version: int | None, user, comment: str | None = None) -> Expense:
    if not comment or not str(comment).strip():
        raise ValidationFailed("A reason is required.", errors={"reason": ["Required."]})
    exp = _load(expense_id, version, user, "reject")
    approvals.record(user, DOC, exp, exp.amount, "reject", comment)
    exp.status = EXPENSE_FLOW.next(exp.status, "reject")
    audit_action(exp, "reject", comment=comment)
    db.session.flush()
    return exp


def _pending_for(user) -> list[dict]:
    if not user.can("expense.approve"):
        return []
    stmt = select(Expense).where(Expense.status.in_(EXPENSE_FLOW.group("pending")))
    ids = visible_warehouses(user)
    if ids is not None:  # an expense of a warehouse is that warehouse's business; one of none is everyone's
        stmt = stmt.where((Expense.warehouse_id.is_(None)) | Expense.warehouse_id.in_(ids))
    return [inbox.item(doc_type=DOC, doc=e, number=e.number, amount=e.amount, partner=e.payee,
                       warehouse_id=e.warehouse_id, url=f"/api/v1/expenses/{e.id}")
            for e in db.session.scalars(stmt.order_by(Expense.id)) if approvals.can_decide(user, DOC, e, e.amount)]


inbox.register_source(DOC, _pending_for)
