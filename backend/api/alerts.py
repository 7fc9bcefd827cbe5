"""Low-stock alerts and per-warehouse reorder points."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Cost, Dec, ListArgs, page_schema
from backend.api.stock import StockRow
from backend.auth.decorators import current_user_required, require
from backend.services import alerts as service
from backend.services import reorder

blp = Blueprint("alerts", __name__, url_prefix="/api/v1", description="Low-stock alerts and reorder points")


def _id(**kw):
    return ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), **kw)


class LowStockArgs(ListArgs):
    warehouse_id = _id()
    product_id = _id()
    category = ma.fields.String(validate=validate.Length(max=100))


class LowStockRow(StockRow):
    suggested_qty = Dec(min_value=None, metadata={"description": "Suggested order quantity"})


class ReorderPointIn(ma.Schema):
    product_id = _id(required=True)
    warehouse_id = _id(required=True)
    reorder_point = Dec(required=True)
    reorder_qty = Dec(load_default=0)


class ReorderPointOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    product_id = ma.fields.Integer()
    warehouse_id = ma.fields.Integer()
    reorder_point = Dec()
    reorder_qty = Dec()


class ReorderPointArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    product_id = _id()
    warehouse_id = _id()


class ReorderPointKey(ma.Schema):
    product_id = _id(required=True)
    warehouse_id = _id(required=True)


class ReorderLineIn(ma.Schema):
    product_id = _id(required=True)
    quantity = Dec(allow_none=True, load_default=None, metadata={"description": "Default: the suggested quantity"})


class LowStockOrderIn(ma.Schema):
    warehouse_id = _id(required=True)
    lines = ma.fields.List(ma.fields.Nested(ReorderLineIn), load_default=list, validate=validate.Length(max=500),
                           metadata={"description": "Only these products (default: every low-stock product)"})


class DraftOrderOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    status = ma.fields.String()
    supplier_id = ma.fields.Integer()
    supplier_name = ma.fields.Function(lambda po: po.supplier.name)
    line_count = ma.fields.Function(lambda po: len(po.lines))
    total = Cost(Dec())


class ReorderProductOut(ma.Schema):
    product_id = ma.fields.Integer()
    sku = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String(allow_none=True)
    suggested_qty = Dec(min_value=None)
    reason = ma.fields.String()


class LowStockOrdersOut(ma.Schema):
    orders = ma.fields.List(ma.fields.Nested(DraftOrderOut))
    without_supplier = ma.fields.List(ma.fields.Nested(ReorderProductOut))
    skipped = ma.fields.List(ma.fields.Nested(ReorderProductOut))


@blp.route("/alerts/low-stock")
class LowStock(MethodView):
    @blp.arguments(LowStockArgs, location="query")
    @blp.response(200, page_schema(LowStockRow, "LowStockPage"))
    @blp.errors(422)
    @require("stock.view")
    def get(self, args):
        """Products at or below their reorder point, with a suggested order quantity."""
        return service.low_stock(args, current_user_required())


@blp.route("/alerts/low-stock/purchase-orders")
class LowStockOrders(MethodView):
    @blp.arguments(LowStockOrderIn)
    @blp.response(201, LowStockOrdersOut)
    @blp.errors(403, 404, 422)
    @require("purchase.create")
    def post(self, data):
        """Draft purchase orders from the warehouse's low-stock list, one per supplier (see services.reorder)."""
        return reorder.purchase_orders_from_low_stock(data, current_user_required())


@blp.route("/reorder-points")
class ReorderPoints(MethodView):
    @blp.arguments(ReorderPointArgs, location="query")
    @blp.response(200, ReorderPointOut(many=True))
    @blp.errors(422)
    @require("stock.view")
    def get(self, args):
        """Per-warehouse reorder points (they override the product's own)."""
        return service.list_reorder_points(args, current_user_required())

    @blp.arguments(ReorderPointIn)
    @blp.response(200, ReorderPointOut)
    @blp.errors(403, 404, 422)
    @require("product.write")
    def put(self, data):
        """Set the reorder point of a product in one warehouse."""
        return service.set_reorder_point(data, current_user_required())

    @blp.arguments(ReorderPointKey, location="query")
    @blp.response(204)
    @blp.errors(403)
    @require("product.write")
    def delete(self, args):
        """Remove a per-warehouse reorder point (the product's own applies again)."""
        service.delete_reorder_point(args["product_id"], args["warehouse_id"], current_user_required())
