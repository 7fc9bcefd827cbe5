"""The approvals inbox: ``GET /api/v1/approvals/pending`` (what the current user may approve now).

Document modules contribute through ``backend.services.inbox.register_source(doc_type, fn)``.
"""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Dec
from backend.auth.decorators import AUTHENTICATED, current_user_required, require
from backend.services import expense_approvals, inbox, inbox_sources  # noqa: F401  (inbox_sources registers)

blp = Blueprint("approvals", __name__, url_prefix="/api/v1", description="Approvals inbox")


class PendingArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    doc_type = ma.fields.String(validate=validate.Length(max=30),
                                metadata={"description": "Only this document type (purchase_order, sales_order …)"})


class StockImpactOut(ma.Schema):
    product_id = ma.fields.Integer()
    sku = ma.fields.String()
    name = ma.fields.String()
    warehouse_id = ma.fields.Integer()
    quantity = Dec(min_value=None, metadata={"description": "Signed: + comes in, − goes out"})
    on_hand = Dec(min_value=None)
    on_hand_after = Dec(min_value=None)


class LineOut(ma.Schema):
    product_id = ma.fields.Integer()
    sku = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String(allow_none=True)
    unit = ma.fields.String()
    quantity = Dec(min_value=None, metadata={"description": "Ordered; signed for adjustments; variance for stocktakes"})
    unit_price = Dec(min_value=None, metadata={"description": "Costs only with cost.view (purchase, adjustment)"})
    discount_rate = Dec()
    amount = Dec(min_value=None)
    book_qty = Dec(min_value=None)
    counted_qty = Dec(min_value=None, allow_none=True)
    flagged = ma.fields.Boolean()
    discrepancy_id = ma.fields.Integer()
    kind = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    reported_by = ma.fields.String(allow_none=True)


class MarginOut(ma.Schema):
    revenue = Dec(min_value=None)
    cost = Dec(min_value=None)
    margin = Dec(min_value=None)
    pct = Dec(places=1, min_value=None, allow_none=True, metadata={"description": "Margin % of net revenue"})


class CreditOut(ma.Schema):
    limit = Dec(min_value=None, metadata={"description": "0 = no limit"})
    balance = Dec(min_value=None, metadata={"description": "What the customer owes now"})
    after = Dec(min_value=None, metadata={"description": "Balance plus this order"})
    over = ma.fields.Boolean()


class VarianceOut(ma.Schema):
    lines = ma.fields.Integer()
    counted = ma.fields.Integer()
    uncounted = ma.fields.Integer()
    flagged = ma.fields.Integer()
    with_variance = ma.fields.Integer()
    up_qty = Dec(min_value=None)
    down_qty = Dec(min_value=None)
    value = Dec(min_value=None, metadata={"description": "Only with cost.view"})


class StepOut(ma.Schema):
    level = ma.fields.Integer()
    decision = ma.fields.String()
    user = ma.fields.String(allow_none=True)
    at = ma.fields.AwareDateTime()
    comment = ma.fields.String(allow_none=True)


class PendingItemOut(ma.Schema):
    doc_type = ma.fields.String()
    doc_id = ma.fields.Integer()
    number = ma.fields.String()
    version = ma.fields.Integer(metadata={"description": "Send this version with approve/reject"})
    status = ma.fields.String()
    amount = Dec(places=2, metadata={"description": "Absent without cost.view for purchase/stock documents"})
    partner = ma.fields.String(allow_none=True)
    warehouse_id = ma.fields.Integer(allow_none=True)
    submitted_by_id = ma.fields.Integer(allow_none=True)
    submitted_at = ma.fields.AwareDateTime(allow_none=True)
    level = ma.fields.Integer(allow_none=True, metadata={"description": "The level this user would grant"})
    levels_required = ma.fields.Integer()
    permission = ma.fields.String(allow_none=True)
    url = ma.fields.String(allow_none=True)
    stock_impact = ma.fields.List(ma.fields.Nested(StockImpactOut))
    submitted_by = ma.fields.String(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(LineOut))
    margin = ma.fields.Nested(MarginOut, metadata={"description": "Sales orders, only with cost.view"})
    credit = ma.fields.Nested(CreditOut, metadata={"description": "Sales orders: customer balance vs limit"})
    variance = ma.fields.Nested(VarianceOut, metadata={"description": "Stocktakes"})
    history = ma.fields.List(ma.fields.Nested(StepOut), metadata={"description": "Earlier approval steps"})
    note = ma.fields.String(allow_none=True)
    reason = ma.fields.String()
    category = ma.fields.String(allow_none=True)
    payee = ma.fields.String(allow_none=True)
    expected_date = ma.fields.Date(allow_none=True)
    expense_date = ma.fields.Date()
    from_warehouse_id = ma.fields.Integer()
    to_warehouse_id = ma.fields.Integer()


class PendingPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PendingItemOut))
    total = ma.fields.Integer()


@blp.route("/approvals/pending")
class Pending(MethodView):
    @blp.arguments(PendingArgs, location="query")
    @blp.response(200, PendingPage)
    @blp.errors(401)
    @require(AUTHENTICATED)
    def get(self, args):
        """Documents the current user may approve now (never their own), with amount and stock impact."""
        items = inbox.pending_for(current_user_required(), args.get("doc_type"))
        return {"items": items, "total": len(items)}


class DecisionIn(ma.Schema):
    version = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    comment = ma.fields.String(allow_none=True, validate=validate.Length(max=2000),
                               metadata={"description": "Required to reject (the reason)"})


class ExpenseDecidedOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    number = ma.fields.String()
    status = ma.fields.String()
    amount = Dec(places=2)


@blp.route("/expenses/<int:expense_id>/approve")
class ExpenseApprove(MethodView):
    @blp.arguments(DecisionIn)
    @blp.response(200, ExpenseDecidedOut)
    @blp.errors(401, 403, 404, 409, 422)
    @require("expense.approve")
    def post(self, data, expense_id):
        """Approve an expense over the threshold (not one you recorded); it counts from then on."""
        return expense_approvals.approve_expense(expense_id, data["version"], current_user_required(),
                                                 data.get("comment"))


@blp.route("/expenses/<int:expense_id>/reject")
class ExpenseReject(MethodView):
    @blp.arguments(DecisionIn)
    @blp.response(200, ExpenseDecidedOut)
    @blp.errors(401, 403, 404, 409, 422)
    @require("expense.approve")
    def post(self, data, expense_id):
        """Reject an expense over the threshold with a reason; it never counts."""
        return expense_approvals.reject_expense(expense_id, data["version"], current_user_required(),
                                                data.get("comment"))
