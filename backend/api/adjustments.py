"""Stock adjustments (其他入库/出库)."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Cost, Dec, ListArgs, Str, page_schema
from backend.auth.decorators import current_user_required, require
from backend.models.inventory import ADJUSTMENT_REASONS
from backend.services import adjustments as service

blp = Blueprint("adjustments", __name__, url_prefix="/api/v1", description="Stock adjustments")


def _id(**kw):
    return ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), **kw)


class AdjustmentLineIn(ma.Schema):
    product_id = _id(required=True)
    quantity = Dec(min_value=None, required=True, metadata={"description": "Signed: + in, − out"})
    unit_cost = Dec(allow_none=True, load_default=None, metadata={"description": "Incoming only"})
    location_id = _id(allow_none=True, load_default=None)


class AdjustmentIn(ma.Schema):
    warehouse_id = _id(required=True)
    reason = ma.fields.String(required=True, validate=validate.OneOf(ADJUSTMENT_REASONS))
    note = Str(2000, allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(AdjustmentLineIn), required=True, validate=validate.Length(min=1, max=500))


class AdjustmentLineOut(ma.Schema):
    id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    location_id = ma.fields.Integer(allow_none=True)
    quantity = Dec(min_value=None)
    unit_cost = Cost(Dec(min_value=None, allow_none=True))
    value = Cost(Dec(min_value=None, allow_none=True))
    move_id = ma.fields.Integer(allow_none=True)


class AdjustmentOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    number = ma.fields.String()
    warehouse_id = ma.fields.Integer()
    reason = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    total_value = Cost(Dec(min_value=None))
    submitted_by_id = ma.fields.Integer(allow_none=True)
    approval_level = ma.fields.Integer()
    posted_at = ma.fields.AwareDateTime(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(AdjustmentLineOut))
    allowed_actions = ma.fields.Function(lambda a: service.ADJUSTMENT_FLOW.allowed(a.status))
    created_at = ma.fields.AwareDateTime()


class AdjustmentListArgs(ListArgs):
    warehouse_id = _id()
    status = ma.fields.String(validate=validate.Length(max=20))
    reason = ma.fields.String(validate=validate.OneOf(ADJUSTMENT_REASONS))


class AdjustmentDecisionIn(ma.Schema):
    version = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    comment = Str(2000, allow_none=True)


ERRORS = (403, 404, 409, 422)


@blp.route("/adjustments")
class Adjustments(MethodView):
    @blp.arguments(AdjustmentListArgs, location="query")
    @blp.response(200, page_schema(AdjustmentOut, "AdjustmentPage"))
    @blp.errors(422)
    @require("stock.view")
    def get(self, args):
        """List adjustments."""
        return service.list_adjustments(args, current_user_required())

    @blp.arguments(AdjustmentIn)
    @blp.response(201, AdjustmentOut)
    @blp.errors(*ERRORS)
    @require("stock.adjust")
    def post(self, data):
        """Create an adjustment; posts at once unless its value is above the approval threshold."""
        return service.create_adjustment(data, current_user_required())


@blp.route("/adjustments/<int:adjustment_id>")
class AdjustmentItem(MethodView):
    @blp.response(200, AdjustmentOut)
    @blp.errors(404)
    @require("stock.view")
    def get(self, adjustment_id):
        """One adjustment."""
        return service.get_adjustment(adjustment_id, current_user_required())


def _transition(action: str, permission: str, call, doc: str):
    blp.transition(f"/adjustments/<int:adjustment_id>/{action}", f"Adjustment{action.capitalize()}",
                   permission=permission, schema=AdjustmentDecisionIn, response=AdjustmentOut, call=call, doc=doc)


_transition("approve", "stock.adjust.approve",
            lambda i, d, u: service.approve_adjustment(i, d["version"], u, d.get("comment")),
            "Approve (and post) a pending adjustment; nobody approves their own.")
_transition("reject", "stock.adjust.approve",
            lambda i, d, u: service.reject_adjustment(i, d["version"], u, d.get("comment")),
            "Reject a pending adjustment.")
_transition("cancel", "stock.adjust", lambda i, d, u: service.cancel_adjustment(i, d["version"], u),
            "Cancel a pending adjustment.")
