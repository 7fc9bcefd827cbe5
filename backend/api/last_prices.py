"""Last prices per partner: the default price of a new order line when an order is made by scanning."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Dec
from backend.auth.decorators import current_user_required, require
from backend.errors import ValidationFailed
from backend.services.last_prices import last_prices

blp = Blueprint("last_prices", __name__, url_prefix="/api/v1",
                description="The last price a supplier or customer got for each product")

_ID = {"validate": validate.Range(min=1, max=2**31 - 1)}


def _ids(value: str) -> list[int]:
    try:
        ids = [int(x) for x in value.split(",") if x.strip()]
    except ValueError:
        raise ma.ValidationError("Comma-separated product ids, e.g. 1,2,3.") from None
    if not ids or len(ids) > 200 or any(not 1 <= i < 2**31 for i in ids):
        raise ma.ValidationError("1 to 200 product ids.")
    return ids


class LastPriceArgs(ma.Schema):
    product_ids = ma.fields.String(required=True, validate=validate.Length(min=1, max=3000),
                                   metadata={"description": "Comma-separated product ids (max 200)"})


class SupplierPriceArgs(LastPriceArgs):
    supplier_id = ma.fields.Integer(required=True, **_ID)


class CustomerPriceArgs(LastPriceArgs):
    customer_id = ma.fields.Integer(required=True, **_ID)


class LastPriceOut(ma.Schema):
    product_id = ma.fields.Integer()
    unit_price = Dec(metadata={"description": "Tax-exclusive unit price on that order"})
    tax_rate = Dec()
    order_id = ma.fields.Integer()
    number = ma.fields.String()
    date = ma.fields.AwareDateTime()


def _parse(args) -> list[int]:
    try:
        return _ids(args["product_ids"])
    except ma.ValidationError as e:
        raise ValidationFailed("Invalid product_ids.", zh="product_ids 无效。", errors={"product_ids": e.messages}) from None


@blp.route("/purchase-orders/last-prices")
class SupplierLastPrices(MethodView):
    @blp.arguments(SupplierPriceArgs, location="query")
    @blp.response(200, LastPriceOut(many=True))
    @blp.errors(403, 422)
    @require("purchase.view")
    def get(self, args):
        """Per product, the unit price on the supplier's latest submitted-or-later purchase order (a cost:
        also needs ``cost.view``). Products never ordered from the supplier are absent."""
        return last_prices("purchase", args["supplier_id"], _parse(args), current_user_required())


@blp.route("/sales-orders/last-prices")
class CustomerLastPrices(MethodView):
    @blp.arguments(CustomerPriceArgs, location="query")
    @blp.response(200, LastPriceOut(many=True))
    @blp.errors(422)
    @require("sales.view")
    def get(self, args):
        """Per product, the unit price on the customer's latest submitted-or-later sales order."""
        return last_prices("sales", args["customer_id"], _parse(args), current_user_required())
