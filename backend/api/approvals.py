"""The approvals inbox: ``GET /api/v1/approvals/pending`` (what the current user may approve now).

Document modules contribute through ``backend.services.inbox.register_source(doc_type, fn)``.
"""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Dec
from backend.auth.decorators import AUTHENTICATED, current_user_required, require
from backend.services import inbox

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


class PendingItemOut(ma.Schema):
    doc_type = ma.fields.String()
    doc_id = ma.fields.Integer()
    number = ma.fields.String()
    version = ma.fields.Integer(metadata={"description": "Send this version with approve/reject"})
    status = ma.fields.String()
    amount = Dec(places=2)
    partner = ma.fields.String(allow_none=True)
    warehouse_id = ma.fields.Integer(allow_none=True)
    submitted_by_id = ma.fields.Integer(allow_none=True)
    submitted_at = ma.fields.AwareDateTime(allow_none=True)
    level = ma.fields.Integer(allow_none=True, metadata={"description": "The level this user would grant"})
    levels_required = ma.fields.Integer()
    permission = ma.fields.String(allow_none=True)
    url = ma.fields.String(allow_none=True)
    stock_impact = ma.fields.List(ma.fields.Nested(StockImpactOut))


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
