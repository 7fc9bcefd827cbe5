"""Stocktakes (盘点): blind counting by several counters, variance at counted_at, approval posts the variance."""
from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Cost, Dec, ListArgs, Str, page_schema
from backend.api.error_schema import ErrorSchema
from backend.auth.decorators import current_user_or_none, current_user_required, require
from backend.domain.flows import STOCKTAKE_FLOW
from backend.models.inventory import COUNT_MODES
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


class StocktakeCountOut(ma.Schema):
    id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    location_id = ma.fields.Integer(allow_none=True)
    quantity = Dec()
    mode = ma.fields.String()
    counted_at = ma.fields.AwareDateTime()
    counted_by_id = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()
    received_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "When the server got it"})
    clock_suspect = ma.fields.Boolean(metadata={
        "description": "counted_at is far before received_at (wrong device clock or a stale offline count)"})


class StocktakeLineOut(ma.Schema):
    product_id = ma.fields.Integer()
    sku = ma.fields.String()
    name = ma.fields.String()
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
                                         "sku": ln.product.sku, "name": ln.product.name,
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


def _errs(fn):
    for code in (403, 404, 409, 422):
        fn = blp.alt_response(code, schema=ErrorSchema)(fn)
    return fn


@blp.route("/stocktakes")
class Stocktakes(MethodView):
    @blp.arguments(StocktakeListArgs, location="query")
    @blp.response(200, page_schema(StocktakeOut, "StocktakePage"))
    @blp.alt_response(422, schema=ErrorSchema)
    @require("stocktake.view")
    def get(self, args):
        """List stocktakes."""
        return service.list_stocktakes(args, current_user_required())

    @blp.arguments(StocktakeIn)
    @blp.response(201, StocktakeOut)
    @_errs
    @require("stocktake.create")
    def post(self, data):
        """Open a stocktake for a warehouse (optionally a location or a category)."""
        return service.open_stocktake(data, current_user_required())


@blp.route("/stocktakes/<int:stocktake_id>")
class StocktakeItem(MethodView):
    @blp.response(200, StocktakeOut)
    @blp.alt_response(404, schema=ErrorSchema)
    @require("stocktake.view")
    def get(self, stocktake_id):
        """One stocktake; counters see their counts only (blind), approvers also the lines."""
        return service.get_stocktake(stocktake_id, current_user_required())


@blp.route("/stocktakes/<int:stocktake_id>/counts")
class StocktakeCounts(MethodView):
    @blp.arguments(StocktakeCountIn)
    @blp.response(201, StocktakeCountOut)
    @_errs
    @require("stocktake.count")
    def post(self, data, stocktake_id):
        """Record a count (mode add: adds to other counts of the product/location; replace: supersedes them)."""
        return service.record_count(stocktake_id, data["product_id"], data["location_id"], data["quantity"],
                                    data["counted_at"], current_user_required(), mode=data["mode"])


@blp.route("/stocktakes/<int:stocktake_id>/report")
class StocktakeReport(MethodView):
    @blp.response(200, StocktakeReportOut)
    @_errs
    @require("stocktake.approve")
    def get(self, stocktake_id):
        """Variance report: counted vs book at counted_at, value, flags, uncounted products."""
        return service.variance_report(stocktake_id, current_user_required())


@blp.route("/stocktakes/<int:stocktake_id>/submit")
class StocktakeSubmit(MethodView):
    @blp.arguments(StocktakeVersionIn)
    @blp.response(200, StocktakeOut)
    @_errs
    @require("stocktake.count")
    def post(self, data, stocktake_id):
        """Finish counting; computes the variance lines."""
        return service.submit_stocktake(stocktake_id, data["version"], current_user_required())


@blp.route("/stocktakes/<int:stocktake_id>/recount")
class StocktakeRecount(MethodView):
    @blp.arguments(StocktakeRecountIn)
    @blp.response(200, StocktakeOut)
    @_errs
    @require("stocktake.approve")
    def post(self, data, stocktake_id):
        """Send back to counting; the listed products must be counted again."""
        return service.recount_stocktake(stocktake_id, data["version"], data["product_ids"],
                                         current_user_required(), data.get("comment"))


@blp.route("/stocktakes/<int:stocktake_id>/approve")
class StocktakeApprove(MethodView):
    @blp.arguments(StocktakeApproveIn)
    @blp.response(200, StocktakeOut)
    @_errs
    @require("stocktake.approve")
    def post(self, data, stocktake_id):
        """Approve: post the counted variances (flagged lines keep the counted difference)."""
        return service.approve_stocktake(stocktake_id, data["version"], current_user_required(),
                                         zero_uncounted=data["zero_uncounted"], comment=data.get("comment"))


@blp.route("/stocktakes/<int:stocktake_id>/cancel")
class StocktakeCancel(MethodView):
    @blp.arguments(StocktakeVersionIn)
    @blp.response(200, StocktakeOut)
    @_errs
    @require("stocktake.create")
    def post(self, data, stocktake_id):
        """Cancel a stocktake that is not approved yet."""
        return service.cancel_stocktake(stocktake_id, data["version"], current_user_required())
