"""Op types of the catalog: ``barcode.assign``."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import validate

from backend.models.catalog import Barcode
from backend.services import catalog
from backend.sync.batch import Batch, Needs
from backend.sync.ops.common import ID, Strict, dec
from backend.sync.ops.registry import OpContext, OpType, Planner

SPEC_KEYS = ("code", "symbology", "quantity", "kind", "supplier_id")


class BarcodeAssign(Strict):
    product_id = ma.fields.Integer(required=True, **ID)
    code = ma.fields.String(validate=validate.Length(min=1, max=128))
    photo = ma.fields.String(validate=validate.Length(min=1, max=100))
    symbology = ma.fields.String(validate=validate.Length(max=20))
    quantity = dec(min=Decimal("0.0001"))
    kind = ma.fields.String(validate=validate.Length(max=20))
    supplier_id = ma.fields.Integer(allow_none=True, **ID)

    @ma.validates_schema
    def _code_or_photo(self, data: dict, **_: Any) -> None:
        if not data.get("code") and not data.get("photo"):
            raise ma.ValidationError("Give code or photo.", "code")


def _spec(p: dict) -> dict:
    return {k: v for k, v in p.items() if k in SPEC_KEYS}


def _result(bc: Any) -> dict:
    return {"barcode_id": bc.id, "product_id": bc.product_id, "code": bc.code, "quantity": str(bc.quantity)}


def _assign(ctx: OpContext, p: dict) -> dict:
    return _result(catalog.add_barcode(p["product_id"], _spec(p)))


def _assign_needs(p: dict, op_id: str) -> Needs:
    return Needs(products=[p["product_id"]], codes=[(p.get("code") or "").strip()])


def _assign_plan(batch: Batch, ctx: OpContext, p: dict) -> dict:
    """``catalog.add_barcode`` on the batch: the same values and the same duplicate check, a queued row."""
    batch.product(p["product_id"])
    values = catalog.barcode_values(_spec(p))
    owner = batch.code_owner(values["code"])
    if owner is not None:
        raise catalog.duplicate_code(values["code"], owner)
    row = batch.add(Barcode, {**values, "product_id": p["product_id"]})
    batch.claim_code(values["code"], p["product_id"])
    return _result(row)


OPS = (
    OpType("barcode.assign", BarcodeAssign, "barcode.write", _assign,
           Planner(_assign_needs, _assign_plan), photo_target="code"),
)
