"""Rules every input schema obeys, applied centrally (``harden``) rather than field by field.

Pure marshmallow: the API's argument parser (``backend.api.common.HardenedParser``) applies ``harden``
to every ``@blp.arguments`` schema, and the sync push applies it to the batch and to each op payload.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import validate

from backend.domain.numeric import NUMERIC_MAX

# Dates and datetimes a client may send: far enough from the calendar's ends that converting to UTC or
# adding days (due dates, day ranges) cannot overflow, and wide enough for any business date.
MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


class Bounds(validate.Validator):
    """Range check kept out of the OpenAPI numeric keywords (the JSON value is a string)."""

    def __init__(self, lo: Decimal | None, hi: Decimal):
        self.lo, self.hi = lo, hi

    def __call__(self, value: Any) -> Any:
        if (self.lo is not None and value < self.lo) or value > self.hi:
            lo = "" if self.lo is None else f" ≥ {self.lo}"
            raise ma.ValidationError(f"Must be{lo} and ≤ {self.hi}.")
        return value


class _DateBounds(validate.Validator):
    """Dates and datetimes between ``MIN_DATE`` and ``MAX_DATE`` (a datetime compared in UTC, so an
    offset near the calendar's end cannot overflow later)."""

    def __call__(self, value: Any) -> Any:
        day = value
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None and 1 < value.year < 9999:
                value = value.astimezone(dt.UTC)
            day = value.date()
        if not MIN_DATE <= day <= MAX_DATE:
            raise ma.ValidationError(f"Must lie between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}.")
        return value


def _strict_integral(value: object) -> bool:
    # JSON true/false are ints to Python; a count or an id is never a boolean.
    if isinstance(value, bool):
        raise ma.ValidationError("Not a valid integer.")
    return True


def _harden_field(f: ma.fields.Field, json_body: bool) -> None:
    if isinstance(f, ma.fields.Integer):
        if json_body:
            f.strict = True  # 1.5 (and "1") are refused instead of silently becoming 1
            if _strict_integral not in f.validators:
                f.validators.insert(0, _strict_integral)
    elif isinstance(f, ma.fields.Decimal):
        if not any(isinstance(v, (Bounds, validate.Range)) for v in f.validators):
            f.validators.append(Bounds(-NUMERIC_MAX, NUMERIC_MAX))
    elif isinstance(f, (ma.fields.DateTime, ma.fields.Date)):
        if not any(isinstance(v, _DateBounds) for v in f.validators):
            f.validators.append(_DateBounds())
    elif isinstance(f, ma.fields.Nested):
        nested = f.schema
        if isinstance(nested, ma.Schema):
            harden(nested, json_body=json_body)
    else:
        for sub in _inner_fields(f):
            _harden_field(sub, json_body)


def _inner_fields(f: ma.fields.Field) -> list[ma.fields.Field]:
    """The fields a List, Tuple or Mapping field holds (none for any other field)."""
    if isinstance(f, ma.fields.List):
        return [f.inner]
    if isinstance(f, ma.fields.Tuple):
        return list(f.tuple_fields)
    if isinstance(f, ma.fields.Mapping):
        return [sub for sub in (f.key_field, f.value_field) if sub is not None]
    return []


def harden(schema: ma.Schema, *, json_body: bool = True) -> ma.Schema:
    """Make one schema instance (and its nested ones) refuse what it would otherwise let through:

    * integers in a JSON body are strict (``1.5``, ``"1"`` and ``true`` are 422, not 1) — query strings
      and form fields are text, so there a whole number written as text stays valid;
    * every Decimal field is bounded by what its NUMERIC(18,4) column holds (``Dec`` already is);
    * every date/datetime lies between ``MIN_DATE`` and ``MAX_DATE`` (in UTC).

    Idempotent; applied by the project's argument parser to every ``@blp.arguments`` schema, and by the
    few places that load a schema themselves (sync push, op payloads)."""
    key = "_jxc_hardened_json" if json_body else "_jxc_hardened"
    if getattr(schema, key, False):
        return schema
    setattr(schema, key, True)
    for f in schema.fields.values():
        _harden_field(f, json_body)
    return schema
