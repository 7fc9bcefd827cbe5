"""Shared schema pieces: Decimal fields, list arguments, page envelopes, version arguments."""
from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import validate

from backend.services.spreadsheet import has_control_chars


class DecimalString(ma.fields.Decimal):
    """Exact decimal, a JSON string such as "12.5000" (documented as string/decimal in OpenAPI).

    Input also accepts a JSON number, for convenience of scripts.
    """


class _Bounds(validate.Validator):
    """Range check kept out of the OpenAPI numeric keywords (the JSON value is a string)."""

    def __init__(self, lo: Decimal | None, hi: Decimal):
        self.lo, self.hi = lo, hi

    def __call__(self, value):
        if (self.lo is not None and value < self.lo) or value > self.hi:
            lo = "" if self.lo is None else f" ≥ {self.lo}"
            raise ma.ValidationError(f"Must be{lo} and ≤ {self.hi}.")
        return value


def Dec(*, places: int = 4, min_value: str | None = "0", max_value: str = "99999999999999", **kw):
    """Decimal as a JSON string on output; accepts a numeric string (or number) on input."""
    bounds = _Bounds(Decimal(min_value) if min_value is not None else None, Decimal(max_value))
    meta = {"pattern": r"^-?\d{1,14}(\.\d{1,4})?$", **kw.pop("metadata", {})}
    return DecimalString(as_string=True, places=places, allow_nan=False, validate=bounds, metadata=meta, **kw)


class _NoControlChars(validate.Validator):
    """C0 control characters other than tab/newline/CR have no use in names or notes, and XML (so every
    XLSX export) cannot store them; kept out of the OpenAPI document like ``_Bounds``."""

    def __call__(self, value):
        if isinstance(value, str) and has_control_chars(value):
            raise ma.ValidationError("Must not contain control characters (other than tab and newline).")
        return value


def Str(max_len: int, *, required: bool = False, allow_none: bool = False, min_len: int = 0, **kw):
    return ma.fields.String(required=required, allow_none=allow_none,
                            validate=[validate.Length(min=min_len, max=max_len), _NoControlChars()], **kw)


class ListArgs(ma.Schema):
    """Query arguments for lists: search, sorting, paging."""

    class Meta:
        unknown = ma.EXCLUDE

    q = ma.fields.String(validate=validate.Length(max=100), metadata={"description": "Search text"})
    sort = ma.fields.String(validate=validate.Length(max=40), metadata={"description": "Field, '-' for descending"})
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class VersionArgs(ma.Schema):
    """The version the client last saw (optimistic locking)."""

    version = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class VersionedOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A ``{items, total, page, per_page}`` envelope schema for ``item_schema``."""
    return type(name, (ma.Schema,), {
        "items": ma.fields.List(ma.fields.Nested(item_schema)),
        "total": ma.fields.Integer(),
        "page": ma.fields.Integer(),
        "per_page": ma.fields.Integer(),
    })


class MessageSchema(ma.Schema):
    ok = ma.fields.Boolean()
    message = ma.fields.String()
