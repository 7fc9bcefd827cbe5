"""Stock read API: levels (with value, in-transit and reorder point) and the move history."""
from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Cost, Dec, ListArgs, page_schema
from backend.auth.decorators import current_user_required, require
from backend.models.ledger import MOVE_KINDS
from backend.services import stock

blp = Blueprint("stock", __name__, url_prefix="/api/v1", description="Stock levels and the stock ledger")



def _id(**kw):
    return ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), **kw)


class StockArgs(ListArgs):
    product_id = _id()
    warehouse_id = _id()
    category = ma.fields.String(validate=validate.Length(max=100))
    below_reorder_point = ma.fields.Boolean(load_default=False)
    include_zero = ma.fields.Boolean(load_default=True)


class StockRow(ma.Schema):
    product_id = ma.fields.Integer()
    sku = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String(allow_none=True)
    category = ma.fields.String(allow_none=True)
    unit = ma.fields.String()
    warehouse_id = ma.fields.Integer()
    warehouse_code = ma.fields.String()
    quantity = Dec(min_value=None)
    avg_cost = Cost(Dec(min_value=None))
    value = Cost(Dec(min_value=None))
    in_transit = Dec(min_value=None, metadata={"description": "Shipped towards this warehouse, not yet received"})
    reorder_point = Dec(min_value=None)
    reorder_qty = Dec(min_value=None)
    below_reorder_point = ma.fields.Boolean()


class StockPage(page_schema(StockRow, "StockRowPage")):
    total_value = Cost(Dec(min_value=None))


class MoveArgs(ListArgs):
    product_id = _id()
    warehouse_id = _id()
    location_id = _id()
    user_id = _id()
    doc_id = _id()
    kind = ma.fields.String(validate=validate.OneOf(MOVE_KINDS))
    doc_type = ma.fields.String(validate=validate.Length(max=30))
    op_id = ma.fields.String(validate=validate.Length(max=64))
    since = ma.fields.AwareDateTime(default_timezone=UTC)
    until = ma.fields.AwareDateTime(default_timezone=UTC)
    order = ma.fields.String(load_default="desc", validate=validate.OneOf(("asc", "desc")))


class MoveOut(ma.Schema):
    id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    sku = ma.fields.Function(lambda m: m.product.sku)
    warehouse_id = ma.fields.Integer()
    location_id = ma.fields.Integer(allow_none=True)
    quantity = Dec(min_value=None)
    unit_cost = Cost(Dec(min_value=None))
    value = Cost(Dec(min_value=None))
    balance_after = Dec(min_value=None)
    kind = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    doc_type = ma.fields.String(allow_none=True)
    doc_id = ma.fields.Integer(allow_none=True)
    doc_line_id = ma.fields.Integer(allow_none=True)
    note = ma.fields.String(allow_none=True)
    user_id = ma.fields.Integer(allow_none=True)
    op_id = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()


@blp.route("/stock")
class Stock(MethodView):
    @blp.arguments(StockArgs, location="query")
    @blp.response(200, StockPage)
    @blp.errors(422)
    @require("stock.view")
    def get(self, args):
        """Stock per product and warehouse (sort: sku, name, category, quantity, value, warehouse)."""
        return stock.list_stock(args, current_user_required())


@blp.route("/stock/moves")
class Moves(MethodView):
    @blp.arguments(MoveArgs, location="query")
    @blp.response(200, page_schema(MoveOut, "StockMovePage"))
    @blp.errors(422)
    @require("stock.view")
    def get(self, args):
        """The stock ledger (newest first), filtered."""
        return stock.list_moves(args, current_user_required())
