"""Shared schema pieces: Decimal fields, list arguments, page envelopes, version arguments, and the
project's Blueprint, whose argument parser hardens every input schema (see ``harden``) and which declares
error responses (``@blp.errors(404, 409)``) and registers document transition routes (``blp.transition``)."""
from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import flask_smorest
import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate
from webargs.flaskparser import FlaskParser

from backend.api.error_schema import ErrorSchema
from backend.auth.decorators import current_user_required, require
from backend.auth.visibility import can_see_costs
from backend.domain.input_rules import Bounds, harden
from backend.models.base import NUMERIC_MAX, NUMERIC_PRECISION, NUMERIC_SCALE
from backend.services.spreadsheet import has_control_chars
from backend.uploads import PDF_CSP, file_response


class DecimalString(ma.fields.Decimal):
    """Exact decimal, a JSON string such as "12.5000" (documented as string/decimal in OpenAPI).

    Input also accepts a JSON number, for convenience of scripts.
    """


DECIMAL_PATTERN = rf"^-?\d{{1,{NUMERIC_PRECISION - NUMERIC_SCALE}}}(\.\d{{1,{NUMERIC_SCALE}}})?$"


def Dec(*, places: int = 4, min_value: str | Decimal | None = "0", max_value: str | Decimal = NUMERIC_MAX, **kw):
    """Decimal as a JSON string on output; accepts a numeric string (or number) on input.

    Bounded by default to what the NUMERIC(18,4) columns hold (``NUMERIC_MAX``); pass ``min_value=None``
    for a signed field (then ≥ −``NUMERIC_MAX``)."""
    lo = -NUMERIC_MAX if min_value is None else max(Decimal(min_value), -NUMERIC_MAX)
    bounds = Bounds(lo, min(Decimal(max_value), NUMERIC_MAX))
    meta = {"pattern": DECIMAL_PATTERN, **kw.pop("metadata", {})}
    return DecimalString(as_string=True, places=places, allow_nan=False, validate=bounds, metadata=meta, **kw)


def DecIn(**kw):
    """A decimal input rounded half up to its places (never banker's rounding): prices, quantities, amounts."""
    return Dec(rounding=ROUND_HALF_UP, **kw)


def Cents(**kw):
    """A money amount in cents, signed (line figures, totals, credits, allocations)."""
    return DecIn(places=2, min_value=None, **kw)


class _NoControlChars(validate.Validator):
    """C0 control characters other than tab/newline/CR have no use in names or notes, and XML (so every
    XLSX export) cannot store them; kept out of the OpenAPI document like ``_Bounds``."""

    def __call__(self, value):
        if isinstance(value, str) and has_control_chars(value):
            raise ma.ValidationError("Must not contain control characters (other than tab and newline).")
        return value


def Aggregate(*, places: int = 4, **kw):
    """Output-only decimal string for sums and ratios (report totals, percentages): computed over many
    rows, it may need more integer digits than one column holds, so no bound and no 14-digit pattern."""
    meta = {"pattern": rf"^-?\d+(\.\d{{1,{places}}})?$", **kw.pop("metadata", {})}
    return DecimalString(as_string=True, places=places, allow_nan=False, dump_only=True, metadata=meta, **kw)


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


class HardenedParser(FlaskParser):
    """webargs parser that hardens each schema before its first use (``backend.domain.input_rules``)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._instances: dict[tuple[type, bool], ma.Schema] = {}

    def parse(self, argmap, req=None, *, location=None, **kw):
        json_body = (location or self.location) in ("json", "json_or_form")
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            # webargs would build a fresh instance per request; build and harden one per class
            key = (argmap, json_body)
            if key not in self._instances:
                self._instances[key] = harden(argmap(), json_body=json_body)
            argmap = self._instances[key]
        elif isinstance(argmap, ma.Schema):
            harden(argmap, json_body=json_body)
        return super().parse(argmap, req, location=location, **kw)


TRANSITION_ERRORS = (403, 404, 409, 422)


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint (``register_blueprints`` refuses another kind): its arguments are hardened."""

    ARGUMENTS_PARSER = HardenedParser()

    def errors(self, *codes: int):
        """Declare a view's error responses (each ``{code, status, message, errors}``) in OpenAPI:
        ``@blp.errors(404, 409, 422)`` under ``@blp.response`` and above ``@require``."""
        def deco(fn):
            for code in codes:
                fn = self.alt_response(code, schema=ErrorSchema)(fn)
            return fn
        return deco

    def transition(self, path: str, name: str, *, permission: str, schema: type[ma.Schema],
                   response: type[ma.Schema], call: Callable, doc: str, status: int = 200,
                   errors: tuple[int, ...] = TRANSITION_ERRORS) -> type[MethodView]:
        """Register ``POST path`` — a document transition such as ``/purchase-orders/<int:po_id>/submit``.

        The body is parsed with ``schema`` (``version`` and the action's fields), ``permission`` is checked
        first, then ``call(doc_id, data, user)`` runs the one service command and its result is dumped with
        ``response`` (``status``); ``errors`` are declared in OpenAPI. ``name`` is the view (endpoint) name.
        """
        blp = self

        class View(MethodView):
            @blp.arguments(schema)
            @blp.response(status, response)
            @blp.errors(*errors)
            @require(permission)
            def post(self, data, **ids):
                (doc_id,) = ids.values()
                return call(doc_id, data, current_user_required())

        View.post.__doc__ = doc
        View.__name__ = View.__qualname__ = name
        self.route(path)(View)
        return View


# ---------------------------------------------------------------- costs (who sees what)

def _cost_class(base: type) -> type:
    def serialize(self, attr, obj, accessor=None, **kwargs):
        # ``missing`` makes marshmallow leave the key out of the output (absent, not null)
        return base.serialize(self, attr, obj, accessor, **kwargs) if can_see_costs() else ma.missing

    return type(f"Cost{base.__name__}", (base,), {"serialize": serialize})


_cost_classes: dict[type, type] = {}


def Cost(field: ma.fields.Field) -> ma.fields.Field:
    """Mark a response field as a cost: dumped only for users with ``cost.view``, otherwise absent.

    Works for any field (Decimal, Method, Function, Nested …); see backend/auth/visibility.py.
    """
    base = type(field)
    cls = _cost_classes.get(base)
    if cls is None:
        cls = _cost_classes[base] = _cost_class(base)
    field.__class__ = cls
    desc = field.metadata.get("description")
    field.metadata.update({"x-cost": True, "description": (f"{desc} " if desc else "")
                           + "(a cost: absent without the cost.view permission)"})
    return field


# ---------------------------------------------------------------- printable documents

PDF_DOC = {"responses": {"200": {"description": "A4 PDF", "content": {"application/pdf": {}}}}}


def pdf_response(data: bytes, filename: str, *, inline: bool = True):
    """The response for a PDF a service rendered (services return ``(bytes, filename)``): inline by default
    (our own output, shown for printing) under a CSP without ``sandbox`` (Chromium's PDF viewer refuses
    sandboxed documents); nosniff and a safe file name as for every served file (``backend.uploads``)."""
    return file_response(data, "application/pdf", filename, inline=inline, csp=PDF_CSP)
