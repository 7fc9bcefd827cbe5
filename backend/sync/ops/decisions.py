"""Decisions of the approvals inbox taken offline: ``stocktake.approve``, ``stocktake.recount`` (the
stocktake's "reject": counting again), ``transfer.resolve`` (settle the open discrepancies),
``expense.approve`` / ``expense.reject``, and the
freshness rule every decision op shares (``po.*``, ``so.*``, ``adjustment.*`` call ``fresh`` too).

A decision carries the ``base_version`` of the document the manager saw. When the document changed
since, the op is refused as ``stale_version`` and its error carries the document as it is now
(``errors.current``: number, status, version, amount, lines — costs only with ``cost.view``), which the
phone shows under Conflicts; nothing is changed.
"""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from backend.errors import StaleVersion
from backend.models.inventory import TRANSFER_RESOLUTIONS, Stocktake, Transfer
from backend.services import expense_approvals, inbox_details, stocktakes, transfers
from backend.sync.ops.common import ID, DocDecision, current
from backend.sync.ops.registry import OpContext, OpType


def fresh(ctx: OpContext, doc_type: str, doc_id: int) -> Any:
    """The document, if it is still at ``base_version``; else ``stale_version`` with the new figures."""
    model = inbox_details.MODELS[doc_type]
    doc = current(model, doc_id, model.__name__)
    if ctx.base_version is not None and int(ctx.base_version) != int(doc.version):
        raise StaleVersion(errors={"version": {"expected": int(ctx.base_version), "current": int(doc.version)},
                                   "current": inbox_details.figures(doc_type, doc, ctx.user)})
    return doc


class StocktakeDecision(DocDecision):
    stocktake_id = ma.fields.Integer(required=True, **ID)
    zero_uncounted = ma.fields.Boolean(load_default=False)


class StocktakeRecount(DocDecision):
    stocktake_id = ma.fields.Integer(required=True, **ID)
    product_ids = ma.fields.List(ma.fields.Integer(**ID), validate=validate.Length(max=5000),
                                 metadata={"description": "Products to count again; default: the flagged lines"})


class ExpenseDecision(DocDecision):
    expense_id = ma.fields.Integer(required=True, **ID)


class TransferResolve(DocDecision):
    transfer_id = ma.fields.Integer(required=True, **ID)
    resolution = ma.fields.String(required=True, validate=validate.OneOf(TRANSFER_RESOLUTIONS),
                                  metadata={"description": "Applied to every open discrepancy"})


def _state(doc: Any, key: str) -> dict:
    return {key: doc.id, "status": doc.status, "version": doc.version}


def _st_approve(ctx: OpContext, p: dict) -> dict:
    fresh(ctx, "stocktake", p["stocktake_id"])
    st = stocktakes.approve_stocktake(p["stocktake_id"], ctx.base_version, ctx.user, p["zero_uncounted"],
                                      p.get("comment"), op_id=ctx.op_id)
    return _state(st, "stocktake_id")


def _st_recount(ctx: OpContext, p: dict) -> dict:
    st: Stocktake = fresh(ctx, "stocktake", p["stocktake_id"])
    ids = p.get("product_ids")
    if ids is None:
        ids = [ln.product_id for ln in st.lines if ln.flagged] or [ln.product_id for ln in st.lines
                                                                   if ln.counted and ln.variance != 0]
    st = stocktakes.recount_stocktake(st.id, ctx.base_version, ids, ctx.user, p.get("comment"))
    return _state(st, "stocktake_id")


def _resolve(ctx: OpContext, p: dict) -> dict:
    t: Transfer = fresh(ctx, "transfer", p["transfer_id"])
    specs = [{"discrepancy_id": d.id, "resolution": p["resolution"], "note": p.get("comment")}
             for d in t.discrepancies if d.resolution is None]
    t = transfers.resolve_transfer(t.id, ctx.base_version, specs, ctx.user, op_id=ctx.op_id)
    return _state(t, "transfer_id")


def _exp_approve(ctx: OpContext, p: dict) -> dict:
    fresh(ctx, "expense", p["expense_id"])
    return _state(expense_approvals.approve_expense(p["expense_id"], ctx.base_version, ctx.user, p.get("comment")),
                  "expense_id")


def _exp_reject(ctx: OpContext, p: dict) -> dict:
    fresh(ctx, "expense", p["expense_id"])
    return _state(expense_approvals.reject_expense(p["expense_id"], ctx.base_version, ctx.user, p.get("comment")),
                  "expense_id")


OPS = (
    OpType("stocktake.approve", StocktakeDecision, "stocktake.approve", _st_approve, requires_base_version=True),
    OpType("stocktake.recount", StocktakeRecount, "stocktake.approve", _st_recount, requires_base_version=True),
    OpType("transfer.resolve", TransferResolve, "transfer.resolve", _resolve, requires_base_version=True),
    OpType("expense.approve", ExpenseDecision, "expense.approve", _exp_approve, requires_base_version=True),
    OpType("expense.reject", ExpenseDecision, "expense.approve", _exp_reject, requires_base_version=True),
)
