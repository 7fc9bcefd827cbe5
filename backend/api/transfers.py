"""Transfers between warehouses: draft → ship → receive (partial) → done; discrepancies resolved by a manager."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Cost, Dec, ListArgs, Str, page_schema
from backend.auth.decorators import current_user_required, require
from backend.domain.flows import TRANSFER_FLOW
from backend.models.inventory import TRANSFER_RESOLUTIONS
from backend.services import transfers as service

blp = Blueprint("transfers", __name__, url_prefix="/api/v1", description="Transfers between warehouses")


def _id(**kw):
    return ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), **kw)


def _version():
    return ma.fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class TransferLineIn(ma.Schema):
    product_id = _id(required=True)
    quantity = Dec(min_value="0.0001", required=True)


class TransferIn(ma.Schema):
    from_warehouse_id = _id(required=True)
    to_warehouse_id = _id(required=True)
    note = Str(2000, allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(TransferLineIn), required=True, validate=validate.Length(min=1, max=500))


class TransferPatch(ma.Schema):
    version = _version()
    note = Str(2000, allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(TransferLineIn), validate=validate.Length(min=1, max=500))


class TransferLineOut(ma.Schema):
    id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    sku = ma.fields.Function(lambda ln: ln.product.sku)
    quantity = Dec()
    shipped_qty = Dec()
    received_qty = Dec()
    reported_qty = Dec()
    resolved_qty = Dec()
    in_transit = Dec(min_value=None)
    unit_cost = Cost(Dec(allow_none=True))


class DiscrepancyOut(ma.Schema):
    id = ma.fields.Integer()
    line_id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    kind = ma.fields.String()
    quantity = Dec()
    value = Cost(Dec())
    note = ma.fields.String(allow_none=True)
    resolution = ma.fields.String(allow_none=True)
    resolution_note = ma.fields.String(allow_none=True)
    resolved_by_id = ma.fields.Integer(allow_none=True)
    resolved_at = ma.fields.AwareDateTime(allow_none=True)


class TransferOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    number = ma.fields.String()
    from_warehouse_id = ma.fields.Integer()
    to_warehouse_id = ma.fields.Integer()
    status = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    shipped_at = ma.fields.AwareDateTime(allow_none=True)
    completed_at = ma.fields.AwareDateTime(allow_none=True)
    in_transit = ma.fields.Function(lambda t: str(sum((ln.in_transit for ln in t.lines), 0)))
    lines = ma.fields.List(ma.fields.Nested(TransferLineOut))
    discrepancies = ma.fields.List(ma.fields.Nested(DiscrepancyOut))
    allowed_actions = ma.fields.Function(lambda t: TRANSFER_FLOW.allowed(t.status))
    created_at = ma.fields.AwareDateTime()


class TransferListArgs(ListArgs):
    status = ma.fields.String(validate=validate.Length(max=20))
    warehouse_id = _id()
    from_warehouse_id = _id()
    to_warehouse_id = _id()


class TransferVersionIn(ma.Schema):
    version = _version()


class TransferReceiveLine(ma.Schema):
    line_id = _id()
    product_id = _id()
    quantity = Dec(load_default=0)
    damaged_qty = Dec(load_default=0)
    short_qty = Dec(load_default=0)
    note = Str(500, allow_none=True)

    @ma.validates_schema
    def _line_or_product(self, data, **_):
        if not data.get("line_id") and not data.get("product_id"):
            raise ma.ValidationError("line_id or product_id is required.", "line_id")


class ReceiveIn(TransferVersionIn):
    lines = ma.fields.List(ma.fields.Nested(TransferReceiveLine), load_default=list, validate=validate.Length(max=500))
    complete = ma.fields.Boolean(load_default=False,
                                 metadata={"description": "Report everything still unaccounted as short"})


class TransferResolution(ma.Schema):
    discrepancy_id = _id(required=True)
    resolution = ma.fields.String(required=True, validate=validate.OneOf(TRANSFER_RESOLUTIONS))
    note = Str(500, allow_none=True)


class ResolveIn(TransferVersionIn):
    resolutions = ma.fields.List(ma.fields.Nested(TransferResolution), required=True, validate=validate.Length(min=1, max=500))


ERRORS = (403, 404, 409, 422)


@blp.route("/transfers")
class Transfers(MethodView):
    @blp.arguments(TransferListArgs, location="query")
    @blp.response(200, page_schema(TransferOut, "TransferPage"))
    @blp.errors(422)
    @require("transfer.view")
    def get(self, args):
        """List transfers (of the user's warehouses)."""
        return service.list_transfers(args, current_user_required())

    @blp.arguments(TransferIn)
    @blp.response(201, TransferOut)
    @blp.errors(*ERRORS)
    @require("transfer.create")
    def post(self, data):
        """Create a draft transfer."""
        return service.create_transfer(data, current_user_required())


@blp.route("/transfers/<int:transfer_id>")
class TransferItem(MethodView):
    @blp.response(200, TransferOut)
    @blp.errors(404)
    @require("transfer.view")
    def get(self, transfer_id):
        """One transfer with lines, in-transit quantities and discrepancies."""
        return service.get_transfer(transfer_id, current_user_required())

    @blp.arguments(TransferPatch)
    @blp.response(200, TransferOut)
    @blp.errors(*ERRORS)
    @require("transfer.create")
    def patch(self, data, transfer_id):
        """Edit a draft (note, lines)."""
        version = data.pop("version")
        return service.update_transfer(transfer_id, version, data, current_user_required())


def _transition(action: str, permission: str, schema, call, doc: str):
    blp.transition(f"/transfers/<int:transfer_id>/{action}", f"Transfer{action.title()}", permission=permission,
                   schema=schema, response=TransferOut, call=call, doc=doc)


_transition("ship", "transfer.ship", TransferVersionIn,
            lambda i, d, u: service.ship_transfer(i, d["version"], u),
            "Ship: take the goods out of the source into transit (409 insufficient_stock).")
_transition("receive", "transfer.receive", ReceiveIn,
            lambda i, d, u: service.receive_transfer(i, d["version"], d["lines"], u, complete=d["complete"]),
            "Receive (part of) the shipment; report damaged/short quantities as discrepancies.")
_transition("resolve", "transfer.resolve", ResolveIn,
            lambda i, d, u: service.resolve_transfer(i, d["version"], d["resolutions"], u),
            "Resolve discrepancies: write_off, return_to_source or accept into the destination.")
_transition("cancel", "transfer.create", TransferVersionIn,
            lambda i, d, u: service.cancel_transfer(i, d["version"], u), "Cancel a draft (not once shipped).")
