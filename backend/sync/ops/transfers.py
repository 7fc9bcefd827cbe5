"""Op types of transfers: ``transfer.create`` (optionally shipped in the same op), ``.ship``, ``.receive``."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import validate

from backend.models.inventory import Transfer
from backend.services import transfers
from backend.sync.ops.common import ID, ProductRef, Strict, current, dec, resolve_lines
from backend.sync.ops.registry import OpContext, OpType


class TransferCreateLine(ProductRef):
    quantity = dec(required=True, min=Decimal("0.0001"))


class TransferCreate(Strict):
    from_warehouse_id = ma.fields.Integer(required=True, **ID)
    to_warehouse_id = ma.fields.Integer(required=True, **ID)
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=500))
    lines = ma.fields.List(ma.fields.Nested(TransferCreateLine), required=True,
                           validate=validate.Length(min=1, max=500))
    ship = ma.fields.Boolean(load_default=False, metadata={"description": "Ship it in the same op"})


class TransferShip(Strict):
    transfer_id = ma.fields.Integer(required=True, **ID)


class TransferReceiveLine(Strict):
    line_id = ma.fields.Integer(**ID)
    product_id = ma.fields.Integer(**ID)
    barcode = ma.fields.String(validate=validate.Length(min=1, max=128))
    photo = ma.fields.String(validate=validate.Length(min=1, max=100))
    quantity = dec(min=Decimal(0), load_default=Decimal(0))
    damaged_qty = dec(min=Decimal(0))
    short_qty = dec(min=Decimal(0))
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=500))

    @ma.validates_schema
    def _ref(self, data: dict, **_: Any) -> None:
        if not any(data.get(k) for k in ("line_id", "product_id", "barcode", "photo")):
            raise ma.ValidationError("Give line_id, product_id, barcode or photo.", "line_id")


class TransferReceive(Strict):
    transfer_id = ma.fields.Integer(required=True, **ID)
    lines = ma.fields.List(ma.fields.Nested(TransferReceiveLine), load_default=list,
                           validate=validate.Length(max=500))
    complete = ma.fields.Boolean(load_default=False)


def _state(t: Transfer) -> dict:
    return {"transfer_id": t.id, "status": t.status, "version": t.version}


def _create(ctx: OpContext, p: dict) -> dict:
    """A transfer started on a phone (also offline); with ``ship`` the goods leave in the same op, so a
    transfer is never left half done (created but not shipped) by a later rejected op."""
    data = {k: v for k, v in p.items() if k in ("from_warehouse_id", "to_warehouse_id", "note")}
    data["lines"] = resolve_lines(p["lines"])
    t = transfers.create_transfer(data, ctx.user, op_id=ctx.op_id)
    if p["ship"]:
        t = transfers.ship_transfer(t.id, t.version, ctx.user, op_id=ctx.op_id)
    return {"transfer_id": t.id, "number": t.number, "status": t.status, "version": t.version}


def _ship(ctx: OpContext, p: dict) -> dict:
    t = current(Transfer, p["transfer_id"], "Transfer")
    return _state(transfers.ship_transfer(t.id, t.version, ctx.user, op_id=ctx.op_id))


def _receive(ctx: OpContext, p: dict) -> dict:
    t = current(Transfer, p["transfer_id"], "Transfer")
    lines = [ln if ln.get("line_id") else resolve_lines([ln], ("quantity", "damaged_qty", "short_qty"))[0]
             for ln in p["lines"]]
    return _state(transfers.receive_transfer(t.id, t.version, lines, ctx.user, op_id=ctx.op_id,
                                             complete=p["complete"]))


OPS = (
    OpType("transfer.create", TransferCreate, "transfer.create", _create),
    OpType("transfer.ship", TransferShip, "transfer.ship", _ship),
    OpType("transfer.receive", TransferReceive, "transfer.receive", _receive),
)
