"""Who may act where, and row locks: the one warehouse-scope rule for every service.

``user`` is always passed by the caller (the API layer passes the logged-in user, sync passes the
device's user); ``None`` is the system (CLI, seed, background jobs), which sees every warehouse.
Services never read the request's user themselves.

    visible_warehouses(user) -> set[int] | None     # None: all warehouses
    ensure_warehouse(user, warehouse_id)            # 403 warehouse_forbidden outside the user's warehouses
    ensure_any_warehouse(user, ids, message, zh)    # at least one of them (a transfer's two ends)
    scoped(stmt, column, user)                      # a query limited to the user's warehouses
    require(user, permission)                       # 403 unless the user has the permission
    lock_row(model, row_id)                         # SELECT … FOR UPDATE on the bare row
    lock(model, row_id, what)                       # the row, locked and reloaded (404 when missing)
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from backend.errors import PermissionDenied, not_found
from backend.extensions import db


def visible_warehouses(user) -> set[int] | None:
    """Warehouses ``user`` is limited to; None: all (also for the system, i.e. no user). Every list,
    detail, report, export and pull filters by it."""
    return None if user is None else user.warehouse_ids


def ensure_warehouse(user, warehouse_id: int) -> None:
    """Refuse (403 ``warehouse_forbidden``) to act on a warehouse the user is not assigned to."""
    ids = visible_warehouses(user)
    if ids is not None and warehouse_id not in ids:
        raise PermissionDenied("You do not work in this warehouse.", zh="您不在此仓库工作。",
                               code="warehouse_forbidden", errors={"warehouse_id": warehouse_id})


def ensure_any_warehouse(user, warehouse_ids: Iterable[int], message: str, zh: str) -> None:
    """Refuse (403 ``warehouse_forbidden``) unless the user works in at least one of ``warehouse_ids``."""
    ids = visible_warehouses(user)
    if ids is not None and not ids.intersection(warehouse_ids):
        raise PermissionDenied(message, zh=zh, code="warehouse_forbidden")


def scoped(stmt, column, user):
    """``stmt`` limited to rows whose ``column`` is one of the user's warehouses."""
    ids = visible_warehouses(user)
    return stmt if ids is None else stmt.where(column.in_(ids))


def require(user, permission: str) -> None:
    """Services check permissions too, so sync ops and other callers get the same rules as the API."""
    if user is not None and not user.can(permission):
        raise PermissionDenied(f"Missing permission {permission}.", zh=f"缺少权限 {permission}。",
                               errors={"permission": permission})


def lock_row(model, row_id: int) -> None:
    """SELECT … FOR UPDATE on the bare row (PostgreSQL refuses it across eager outer joins); SQLite's write
    commands already hold the database lock."""
    db.session.execute(select(model.id).where(model.id == row_id).with_for_update())


def lock(model, row_id: int, what: str):
    """The row locked for update and reloaded (PostgreSQL row lock; SQLite holds the write lock already).

    Only the document's own row is locked (``OF``): its eagerly joined relations stay unlocked."""
    obj = db.session.scalars(select(model).where(model.id == row_id).with_for_update(of=model)
                             .execution_options(populate_existing=True)).unique().first()
    if obj is None:
        raise not_found(what, row_id)
    return obj
