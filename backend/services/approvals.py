"""Approval policy: which permission a document needs at each level; nobody approves their own document.

Documents using this carry ``submitted_by_id``, ``approval_level`` (levels already granted) and a
``version``. Default policies (overridable in the approval_policies table):
purchase_order: level 1 purchase.approve; ≥ 50,000 a second level purchase.approve.high.
sales_order: level 1 sales.approve; ≥ 100,000 a second level sales.approve.high.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from backend.errors import PermissionDenied
from backend.extensions import db
from backend.models.approvals import Approval, ApprovalPolicy

DEFAULT_POLICIES: dict[str, list[tuple[int, Decimal, str]]] = {
    "purchase_order": [(1, Decimal(0), "purchase.approve"), (2, Decimal(50000), "purchase.approve.high")],
    "sales_order": [(1, Decimal(0), "sales.approve"), (2, Decimal(100000), "sales.approve.high")],
    "adjustment": [(1, Decimal(0), "stock.adjust.approve")],
    "stocktake": [(1, Decimal(0), "stocktake.approve")],
    "expense": [(1, Decimal(0), "expense.approve")],
}


def required_levels(doc_type: str, amount: Decimal) -> list[tuple[int, str]]:
    """[(level, permission)] the document needs, lowest level first."""
    rows = db.session.scalars(select(ApprovalPolicy).where(ApprovalPolicy.doc_type == doc_type)).all()
    policies = [(r.level, r.min_amount, r.permission) for r in rows] or DEFAULT_POLICIES.get(doc_type, [])
    best: dict[int, str] = {}
    for level, min_amount, perm in sorted(policies, key=lambda p: (p[0], p[1])):
        if amount >= min_amount:
            best[level] = perm
    return sorted(best.items())


def next_level(doc_type: str, amount: Decimal, granted: int) -> tuple[int, str] | None:
    """The next approval level still needed after ``granted`` levels, or None when fully approved."""
    for level, perm in required_levels(doc_type, amount):
        if level > granted:
            return level, perm
    return None


def can_decide(user, doc_type: str, doc, amount: Decimal) -> bool:
    nxt = next_level(doc_type, amount, doc.approval_level or 0)
    return bool(nxt) and user.can(nxt[1]) and doc.submitted_by_id != user.id


def record(user, doc_type: str, doc, amount: Decimal, decision: str, comment: str | None,
           since=None) -> tuple[int, bool]:
    """Check and record an approve/reject by ``user``; returns (level decided, fully approved?).

    Raises PermissionDenied for self-approval or a missing permission. The caller changes the status.
    With ``since`` (the submission time), a user who already approved a lower level since then cannot
    approve the next one too (two levels mean two people; code ``same_approver``).
    """
    if doc.submitted_by_id == user.id:
        raise PermissionDenied("Nobody approves a document they submitted.", code="self_approval")
    if since is not None and decision == "approve" and (doc.approval_level or 0) > 0 and \
            user.id in approvers_since(doc_type, doc.id, since):
        raise PermissionDenied("The next approval level needs a different person.", code="same_approver")
    nxt = next_level(doc_type, amount, doc.approval_level or 0)
    if nxt is None:
        nxt = (1, DEFAULT_POLICIES.get(doc_type, [(1, 0, "user.admin")])[0][2])
    level, perm = nxt
    if not user.can(perm):
        raise PermissionDenied(f"Approval level {level} needs {perm}.", zh=f"第 {level} 级审批需要权限 {perm}。", errors={"permission": perm, "level": level})
    db.session.add(Approval(doc_type=doc_type, doc_id=doc.id, doc_version=doc.version, level=level,
                            decision=decision, comment=comment, user_id=user.id))
    if decision == "approve":
        doc.approval_level = level
        return level, next_level(doc_type, amount, level) is None
    return level, False


def approvers_since(doc_type: str, doc_id: int, since) -> set[int]:
    """Users who approved a level of the document at or after ``since``."""
    return set(db.session.scalars(select(Approval.user_id).where(
        Approval.doc_type == doc_type, Approval.doc_id == doc_id, Approval.decision == "approve",
        Approval.at >= since)))


def history(doc_type: str, doc_id: int) -> list[Approval]:
    return db.session.scalars(select(Approval).where(Approval.doc_type == doc_type, Approval.doc_id == doc_id)
                              .order_by(Approval.id)).all()
