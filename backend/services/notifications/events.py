"""Who is told what: audit records of a transaction (and refused sync ops) become ``notifications`` rows.

=================  ===============================================  =====================================
kind               when                                              who
=================  ===============================================  =====================================
approval_pending   a PO / SO / adjustment (over the threshold) /     every active user who may decide it
                   stocktake is submitted, a lower level approved,   now (permission of the next level,
                   a transfer is received with a discrepancy         warehouse scope, not the submitter)
decided            the last level approved, rejected, a stocktake    the submitter
                   sent back to recount, discrepancies settled
ready              a PO approved (receive), an SO approved (ship),   users of that warehouse who receive /
                   a transfer shipped (receive at the destination)   ship there
sync_rejected      the server refused one of the user's sync ops     that user
low_stock          daily digest (``digest.py``)                      users who see stock of the warehouse
=================  ===============================================  =====================================

Rows are written only for users who have a push subscription and did not switch the kind off; texts are
in the user's language (``users.locale``); amounts that are costs only for users with ``cost.view``.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from backend.models.finance import Expense
from backend.models.inventory import Adjustment, Stocktake, Transfer
from backend.models.notifications import Notification, NotificationPreference, PushSubscription
from backend.models.purchasing import PurchaseOrder
from backend.models.sales import SalesOrder
from backend.models.sync import SyncOp
from backend.models.users import User
from backend.services import approvals
from backend.services.audit import ROWS_WRITTEN
from backend.services.notifications.texts import doc_name, text

_INFO = "notify_found"

# audit entity → (doc_type, model, approval amount, route of the document in the PWA)
DOCS: dict[str, tuple[str, Any, Any, str]] = {
    "purchase_orders": ("purchase_order", PurchaseOrder, lambda d: d.total, "/#/po/{id}"),
    "sales_orders": ("sales_order", SalesOrder, lambda d: d.total, "/#/so/{id}"),
    "adjustments": ("adjustment", Adjustment, lambda d: d.total_value, "/#/adjustments"),
    "stocktakes": ("stocktake", Stocktake, lambda d: sum((abs(ln.variance_value) for ln in d.lines), 0),
                   "/#/stocktakes"),
    "expenses": ("expense", Expense, lambda d: d.amount, "/#/approvals"),
    "transfers": ("transfer", Transfer, lambda d: sum((x.value for x in d.discrepancies if x.resolution is None), 0),
                  "/#/transfers"),
}
COST_DOCS = {"purchase_order", "adjustment", "stocktake", "transfer"}
FINAL = {"approved", "posted"}
# the only audit actions _doc_rows can turn into a message: any other write costs no query here
ACTIONS = {"submit", "approve", "reject", "recount", "resolve", "receive", "ship"}
READY = {"purchase_order": ("purchase.receive", "/#/receive/{id}"), "sales_order": ("sales.ship", "/#/ship/{id}")}


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _ctx) -> None:
    found = session.info.setdefault(_INFO, [])
    for obj in session.new:
        if isinstance(obj, SyncOp) and obj.status == "rejected" and obj.user_id:
            found.append(("op", obj.user_id, obj.type, obj.error_code, obj.error_message))


@event.listens_for(Session, "after_flush_postexec")
def _write(session: Session, _ctx) -> None:
    found = session.info.pop(_INFO, None)
    if found:
        _add(session, found)


def _audit_written(session: Session, records: list[dict]) -> None:
    """The audit records a transaction wrote at commit (``audit.ROWS_WRITTEN``): their notifications."""
    found = [("doc", r["entity"], r["entity_id"], r["action"], r["user_id"]) for r in records
             if r["entity"] in DOCS and r["action"] in ACTIONS]
    if found:
        _add(session, found)


ROWS_WRITTEN.append(_audit_written)


def _add(session: Session, found: list[tuple]) -> None:
    """Notification rows for the events ``found`` (written by the next flush of the same transaction)."""
    with session.no_autoflush:
        subscribed = set(session.scalars(select(PushSubscription.user_id).distinct()))
        if not subscribed:
            return
        for ev in found:
            rows = _doc_rows(session, *ev[1:]) if ev[0] == "doc" else _op_rows(session, *ev[1:])
            for user, kind, title, body, url, tag in rows:
                if user.id in subscribed and _wants(session, user.id, kind):
                    session.add(Notification(user_id=user.id, kind=kind, title=title[:200], body=body, url=url,
                                             tag=tag))


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_INFO, None)


def _wants(session: Session, user_id: int, kind: str) -> bool:
    row = session.get(NotificationPreference, user_id)
    return bool(((row.kinds if row else None) or {}).get(kind, True))


def _active_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.id)))


def _in_scope(user: User, *warehouse_ids: int | None) -> bool:
    ids = user.warehouse_ids
    return ids is None or any(w in ids for w in warehouse_ids if w is not None)


def _warehouses(doc_type: str, doc) -> tuple[int | None, ...]:
    if doc_type == "transfer":
        return doc.from_warehouse_id, doc.to_warehouse_id
    return (doc.warehouse_id,)


def _label(user: User, doc_type: str, doc, amount) -> dict:
    shown = amount if (doc_type not in COST_DOCS or user.can("cost.view")) else None
    return {"doc": doc_name(doc_type, user.locale), "number": doc.number,
            "amount": f" · {shown:,.2f}" if shown is not None else ""}


def _doc_rows(session: Session, entity: str, entity_id: str, action: str, actor_id: int | None) -> list[tuple]:
    doc_type, model, amount_of, route = DOCS[entity]
    doc = session.get(model, int(entity_id))
    if doc is None:
        return []
    amount = amount_of(doc)
    tag = f"{doc_type}:{doc.id}"
    out: list[tuple] = []

    def tell(users, kind: str, url: str, **extra) -> None:
        for u in users:
            lab = _label(u, doc_type, doc, amount) | extra
            title, body = text(kind, u.locale, **lab)
            out.append((u, kind, title, body, url, tag))

    submitter = session.get(User, doc.submitted_by_id) if getattr(doc, "submitted_by_id", None) else None
    pending = (action == "submit" and doc.status in ("submitted", "pending_approval")) or (
        action == "approve" and doc.status not in FINAL) or (
        doc_type == "transfer" and action == "receive" and doc.status == "discrepancy")
    if pending:
        tell(_deciders(session, doc_type, doc, amount), "approval_pending", "/#/approvals")
    decided = (action == "approve" and doc.status in FINAL) or action in ("reject", "recount") or (
        doc_type == "transfer" and action == "resolve")
    if decided and submitter is not None and submitter.id != actor_id:
        verdict = "approved" if action in ("approve", "resolve") else ("recount" if action == "recount" else "rejected")
        tell([submitter], "decided", route.format(id=doc.id), verdict=verdict)
    if action == "approve" and doc.status in FINAL and doc_type in READY:
        perm, url = READY[doc_type]
        tell([u for u in _active_users(session) if u.can(perm) and _in_scope(u, doc.warehouse_id)], "ready",
             url.format(id=doc.id), verdict="ship" if doc_type == "sales_order" else "receive")
    if doc_type == "transfer" and action == "ship":
        tell([u for u in _active_users(session) if u.can("transfer.receive") and _in_scope(u, doc.to_warehouse_id)],
             "ready", "/#/transfer-in", verdict="receive")
    return out


def _deciders(session: Session, doc_type: str, doc, amount) -> list[User]:
    if doc_type == "transfer":
        return [u for u in _active_users(session) if u.can("transfer.resolve") and _in_scope(u, *_warehouses(doc_type, doc))]
    since = getattr(doc, "submitted_at", None)
    done = approvals.approvers_since(doc_type, doc.id, since) if since is not None and doc.approval_level else set()
    return [u for u in _active_users(session) if u.id not in done and _in_scope(u, *_warehouses(doc_type, doc))
            and approvals.can_decide(u, doc_type, doc, amount)]


def _op_rows(session: Session, user_id: int, type_: str, code: str | None, message: str | None) -> list[tuple]:
    user = session.get(User, user_id)
    if user is None:
        return []
    title, body = text("sync_rejected", user.locale, type=type_, code=code or "", message=(message or "")[:300])
    return [(user, "sync_rejected", title, body, "/#/outbox", "sync_rejected")]
