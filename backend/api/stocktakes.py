"""Stocktakes (盘点): blind counting by several counters, variance at counted_at, approval posts the variance."""
from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Cost, Dec, ListArgs, Str, page_schema
from backend.auth.decorators import current_user_or_none, current_user_required, require
from backend.domain.flows import STOCKTAKE_FLOW
from backend.extensions import db
from backend.models.inventory import COUNT_MODES
from backend.models.users import User
from backend.services import stocktakes as service

blp = Blueprint("stocktakes", __name__, url_prefix="/api/v1", description="Stocktakes (盘点)")


def _id(**kw):
    return ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), **kw)


def _version():
    return ma.fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class StocktakeIn(ma.Schema):
    warehouse_id = _id(required=True)
    location_id = _id(allow_none=True, load_default=None)
    category = Str(100, allow_none=True)
    note = Str(2000, allow_none=True)


class StocktakeCountIn(ma.Schema):
    product_id = _id(required=True)
    location_id = _id(allow_none=True, load_default=None)
    quantity = Dec(required=True)
    counted_at = ma.fields.AwareDateTime(default_timezone=UTC, load_default=None,
                                         metadata={"description": "When the counter saw it (default: now)"})
    mode = ma.fields.String(load_default="add", validate=validate.OneOf(COUNT_MODES))


def _counter_name(c) -> str | None:
    u = db.session.get(User, c.counted_by_id) if c.counted_by_id else None  # identity map: one query per counter
    return (u.display_name or u.username) if u else None


class StocktakeCountOut(ma.Schema):
    id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    location_id = ma.fields.Integer(allow_none=True)
    quantity = Dec()
    mode = ma.fields.String()
    counted_at = ma.fields.AwareDateTime()
    counted_by_id = ma.fields.Integer(allow_none=True)
    counted_by_name = ma.fields.Function(_counter_name, metadata={"description": "Who counted (for progress)"})
    active = ma.fields.Boolean()
    received_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "When the server got it"})
    clock_suspect = ma.fields.Boolean(metadata={
        "description": "counted_at is far before received_at (wrong device clock or a stale offline count)"})


class StocktakeLineOut(ma.Schema):
    product_id = ma.fields.Integer()
    sku = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String(allow_none=True)
    unit = ma.fields.String()
    counted = ma.fields.Boolean()
    counted_qty = Dec(allow_none=True)
    first_counted_at = ma.fields.AwareDateTime(allow_none=True)
    counted_at = ma.fields.AwareDateTime(allow_none=True)
    book_qty = Dec(min_value=None, metadata={"description": "Book quantity at counted_at"})
    variance = Dec(min_value=None)
    unit_cost = Cost(Dec(min_value=None))
    variance_value = Cost(Dec(min_value=None))
    moved_after_count = Dec(min_value=None)
    flagged = ma.fields.Boolean(metadata={"description": "Stock moved after the count: keep or recount"})
    clock_suspect = ma.fields.Boolean(metadata={
        "description": "A count's counted_at is far before it reached the server: check the device's clock"})
    posted_qty = Dec(min_value=None, allow_none=True)


def _can_see_book() -> bool:
    user = current_user_or_none()
    return bool(user and user.can("stocktake.approve"))


class StocktakeOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    number = ma.fields.String()
    warehouse_id = ma.fields.Integer()
    location_id = ma.fields.Integer(allow_none=True)
    category = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    submitted_at = ma.fields.AwareDateTime(allow_none=True)
    approved_at = ma.fields.AwareDateTime(allow_none=True)
    zeroed_uncounted = ma.fields.Boolean()
    counts = ma.fields.List(ma.fields.Nested(StocktakeCountOut))
    lines = ma.fields.Method("_lines", metadata={
        "description": "Book quantities and variances; only for stocktake.approve (counting is blind)"})
    allowed_actions = ma.fields.Function(lambda s: STOCKTAKE_FLOW.allowed(s.status))
    created_at = ma.fields.AwareDateTime()

    def _lines(self, st):
        if not _can_see_book():
            return None
        return StocktakeLineOut(many=True).dump([{**{c.key: getattr(ln, c.key) for c in ln.__table__.columns},
                                         "sku": ln.product.sku, "name": ln.product.name, "name_en": ln.product.name_en,
                                         "unit": ln.product.unit} for ln in st.lines])


class StocktakeListArgs(ListArgs):
    status = ma.fields.String(validate=validate.Length(max=20))
    warehouse_id = _id()


class StocktakeVersionIn(ma.Schema):
    version = _version()


class StocktakeRecountIn(StocktakeVersionIn):
    product_ids = ma.fields.List(_id(), load_default=list, validate=validate.Length(max=10000))
    comment = Str(2000, allow_none=True)


class StocktakeApproveIn(StocktakeVersionIn):
    zero_uncounted = ma.fields.Boolean(load_default=False,
                                       metadata={"description": "Explicitly zero products nobody counted"})
    comment = Str(2000, allow_none=True)


class StocktakeReportOut(ma.Schema):
    stocktake_id = ma.fields.Integer()
    number = ma.fields.String()
    status = ma.fields.String()
    lines = ma.fields.List(ma.fields.Nested(StocktakeLineOut))
    uncounted = ma.fields.List(ma.fields.Nested(StocktakeLineOut))
    flagged = ma.fields.Integer()
    clock_suspect = ma.fields.Integer(metadata={"description": "Lines with a count whose time is suspect"})
    gain_value = Cost(Dec(min_value=None))
    loss_value = Cost(Dec(min_value=None))
    net_value = Cost(Dec(min_value=None))


ERRORS = (403, 404, 409, 422)


@blp.route("/stocktakes")
class Stocktakes(MethodView):
    @blp.arguments(StocktakeListArgs, location="query")
    @blp.response(200, page_schema(StocktakeOut, "StocktakePage"))
    @blp.errors(422)
    @require("stocktake.view")
    def get(self, args):
        """List stocktakes."""
        return service.list_stocktakes(args, current_user_required())

    @blp.arguments(StocktakeIn)
    @blp.response(201, StocktakeOut)
    @blp.errors(*ERRORS)
    @require("stocktake.create")
    def post(self, data):
        """Open a stocktake for a warehouse (optionally a location or a category)."""
        return service.open_stocktake(data, current_user_required())


@blp.route("/stocktakes/<int:stocktake_id>")
class StocktakeItem(MethodView):
    @blp.response(200, StocktakeOut)
    @blp.errors(404)
    @require("stocktake.view")
    def get(self, stocktake_id):
        """One stocktake; counters see their counts only (blind), approvers also the lines."""
        return service.get_stocktake(stocktake_id, current_user_required())


@blp.route("/stocktakes/<int:stocktake_id>/report")
class StocktakeReport(MethodView):
    @blp.response(200, StocktakeReportOut)
    @blp.errors(*ERRORS)
    @require("stocktake.approve")
    def get(self, stocktake_id):
        """Variance report: counted vs book at counted_at, value, flags, uncounted products."""
        return service.variance_report(stocktake_id, current_user_required())


def _route(path: str, name: str, permission: str, schema, call, doc: str, response=StocktakeOut, status=200):
    blp.transition(f"/stocktakes/<int:stocktake_id>/{path}", name, permission=permission, schema=schema,
                   response=response, call=call, doc=doc, status=status)


_route("counts", "StocktakeCounts", "stocktake.count", StocktakeCountIn,
       lambda i, d, u: service.record_count(i, d["product_id"], d["location_id"], d["quantity"], d["counted_at"], u,
                                            mode=d["mode"]),
       "Record a count (mode add: adds to other counts of the product/location; replace: supersedes them).",
       StocktakeCountOut, 201)
_route("submit", "StocktakeSubmit", "stocktake.count", StocktakeVersionIn,
       lambda i, d, u: service.submit_stocktake(i, d["version"], u), "Finish counting; computes the variance lines.")
_route("recount", "StocktakeRecount", "stocktake.approve", StocktakeRecountIn,
       lambda i, d, u: service.recount_stocktake(i, d["version"], d["product_ids"], u, d.get("comment")),
       "Send back to counting; the listed products must be counted again.")
_route("approve", "StocktakeApprove", "stocktake.approve", StocktakeApproveIn,
       lambda i, d, u: service.approve_stocktake(i, d["version"], u, zero_uncounted=d["zero_uncounted"],
                                                 comment=d.get("comment")),
       "Approve: post the counted variances (flagged lines keep the counted difference).")
_route("cancel", "StocktakeCancel", "stocktake.create", StocktakeVersionIn,
       lambda i, d, u: service.cancel_stocktake(i, d["version"], u), "Cancel a stocktake that is not approved yet.")
