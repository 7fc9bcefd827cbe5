"""Payload pieces shared by the op types: strict schemas, product references (id, barcode or photo of a
barcode), order line references, and their resolution on the server."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import validate

from backend.domain.barcodes import equivalent_codes
from backend.errors import NotFound, ValidationFailed, not_found
from backend.extensions import db
from backend.models.base import NUMERIC_MAX, QTY_SCALE
from backend.services.catalog import resolve_barcode
from backend.sync.batch import Batch, Fallback

ID: dict[str, Any] = {"strict": True, "validate": validate.Range(min=1, max=2**31 - 1)}

# Keys of op results that are costs (backend/auth/visibility.py): left out of answers without cost.view.
COST_RESULT_KEYS = frozenset({"total_value"})

Resolver = Callable[[dict], tuple[int, Decimal]]


def dec(**kw: Any) -> ma.fields.Decimal:
    lo = kw.pop("min", None)
    return ma.fields.Decimal(places=4, allow_nan=False, as_string=True,
                             validate=validate.Range(min=-NUMERIC_MAX if lo is None else lo, max=NUMERIC_MAX), **kw)


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class ProductRef(Strict):
    """A product by id, by barcode, or by a photo of its barcode."""

    product_id = ma.fields.Integer(**ID)
    barcode = ma.fields.String(validate=validate.Length(min=1, max=128))
    photo = ma.fields.String(validate=validate.Length(min=1, max=100))

    @ma.validates_schema
    def _one_ref(self, data: dict, **_: Any) -> None:
        if not any(data.get(k) for k in ("product_id", "barcode", "photo")):
            raise ma.ValidationError("Give product_id, barcode or photo.", "product_id")


class DocDecision(Strict):
    comment = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))


class OrderLineRef(Strict):
    line_id = ma.fields.Integer(**ID)
    product_id = ma.fields.Integer(**ID)
    barcode = ma.fields.String(validate=validate.Length(min=1, max=128))
    photo = ma.fields.String(validate=validate.Length(min=1, max=100))
    quantity = dec(min=Decimal("0.0001"), required=True)
    location_id = ma.fields.Integer(allow_none=True, **ID)

    @ma.validates_schema
    def _ref(self, data: dict, **_: Any) -> None:
        if not any(data.get(k) for k in ("line_id", "product_id", "barcode", "photo")):
            raise ma.ValidationError("Give line_id, product_id, barcode or photo.", "line_id")


def resolve_product(ref: dict) -> tuple[int, Decimal]:
    """(product_id, units per scan) for a ProductRef-like dict."""
    if ref.get("product_id"):
        return int(ref["product_id"]), Decimal(1)
    code = ref.get("barcode")
    hit = resolve_barcode(code) if code else None
    if hit is None:
        raise NotFound(f"No product has barcode {code}.", zh=f"没有商品使用条码 {code}。", code="unknown_barcode",
                       errors={"barcode": code})
    product, per_scan = hit
    return product.id, Decimal(per_scan or 1)


def resolver_in(batch: Batch) -> Resolver:
    """``resolve_product`` for the batch path: a code assigned earlier in this batch is not written yet,
    so a line naming it (or its UPC/EAN twin) cannot be resolved here (``Fallback``)."""
    def resolve(ref: dict) -> tuple[int, Decimal]:
        code = (ref.get("barcode") or "").strip()
        if not ref.get("product_id") and code and set(equivalent_codes(code)) & batch.new_codes.keys():
            raise Fallback("line names a barcode assigned in this batch")
        return resolve_product(ref)

    return resolve


def scans(quantity: Any, factor: Decimal) -> Decimal:
    """A quantity counted in scans of a barcode, in units (× pack size, at column scale)."""
    return (Decimal(quantity) * factor).quantize(QTY_SCALE)


def resolve_lines(lines: Iterable[dict], qty_fields: tuple[str, ...] = ("quantity",),
                  resolver: Resolver = resolve_product) -> list[dict]:
    out = []
    for ln in lines:
        ln = dict(ln)
        pid, factor = resolver(ln)
        if not ln.get("product_id") and ln.get("barcode"):
            for f in qty_fields:
                if ln.get(f) is not None:
                    ln[f] = scans(ln[f], factor)
        ln["product_id"] = pid
        ln.pop("barcode", None)
        ln.pop("photo", None)
        out.append(ln)
    return out


def order_lines(order: Any, lines: list[dict], open_qty: Callable[[Any], Decimal]) -> list[dict]:
    """Map product/barcode references to the order's line ids (the first line of that product with
    quantity still open)."""
    out = []
    for i, ln in enumerate(lines):
        if ln.get("line_id"):
            out.append({k: v for k, v in ln.items() if k in ("line_id", "quantity", "location_id")})
            continue
        ln = resolve_lines([ln])[0]
        cands = [x for x in order.lines if x.product_id == ln["product_id"]]
        if not cands:
            raise ValidationFailed("This product is not on the order.", code="not_on_order",
                                   errors={"lines": {str(i): {"product_id": ln["product_id"]}}})
        match = next((x for x in cands if open_qty(x) > 0), cands[0])
        out.append({"line_id": match.id, "quantity": ln["quantity"],
                    **({"location_id": ln["location_id"]} if ln.get("location_id") else {})})
    return out


def current(model: Any, obj_id: int, what: str) -> Any:
    obj = db.session.get(model, obj_id)
    if obj is None:
        raise not_found(what, obj_id)
    return obj


def money(v: Any) -> str | None:
    return None if v is None else str(v)
