"""The central input rules (backend.domain.input_rules.harden) without an app: strict integers in JSON,
numeric bounds, date bounds, reaching into nested, list, tuple and dict fields."""
import datetime as dt
from decimal import Decimal as D

import marshmallow as ma
import pytest

from backend.domain.input_rules import MAX_DATE, MIN_DATE, Bounds, harden
from backend.domain.numeric import NUMERIC_MAX


class Line(ma.Schema):
    qty = ma.fields.Decimal()
    product_id = ma.fields.Integer()


class Doc(ma.Schema):
    count = ma.fields.Integer()
    amount = ma.fields.Decimal()
    bounded = ma.fields.Decimal(validate=ma.validate.Range(min=0, max=5))
    day = ma.fields.Date()
    at = ma.fields.DateTime()
    line = ma.fields.Nested(Line)
    ids = ma.fields.List(ma.fields.Integer())
    pair = ma.fields.Tuple((ma.fields.Integer(), ma.fields.Decimal()))
    by_code = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


def _errors(schema, data):
    with pytest.raises(ma.ValidationError) as exc:
        schema.load(data)
    return exc.value.messages


def test_unhardened_marshmallow_lets_through_what_harden_refuses():
    assert Doc().load({"count": "7", "amount": str(NUMERIC_MAX + 1)}) == {"count": 7, "amount": NUMERIC_MAX + 1}


@pytest.mark.parametrize("value", [1.5, "1", True, False])
def test_integers_in_a_json_body_are_strict(value):
    assert "count" in _errors(harden(Doc()), {"count": value})


def test_outside_a_json_body_an_integer_written_as_text_is_valid_but_a_boolean_is_not():
    schema = harden(Doc(), json_body=False)
    assert schema.load({"count": "7"}) == {"count": 7}
    assert "count" in _errors(schema, {"count": True})


def test_decimals_are_bounded_by_what_the_column_holds():
    schema = harden(Doc())
    assert schema.load({"amount": str(NUMERIC_MAX)}) == {"amount": NUMERIC_MAX}
    assert schema.load({"amount": str(-NUMERIC_MAX)}) == {"amount": -NUMERIC_MAX}
    assert "amount" in _errors(schema, {"amount": str(NUMERIC_MAX + D("0.0001"))})
    assert "amount" in _errors(schema, {"amount": "-1e15"})


def test_a_declared_range_is_kept_and_not_doubled():
    schema = harden(Doc())
    assert [type(v) for v in schema.fields["bounded"].validators] == [ma.validate.Range]
    assert "bounded" in _errors(schema, {"bounded": "6"})


@pytest.mark.parametrize(("field", "value"), [
    ("day", "1899-12-31"), ("day", "3000-01-01"), ("at", "1899-12-31T23:59:59"),
    ("at", "2999-12-31T23:00:00-05:00"),  # 04:00 on 3000-01-01 in UTC
])
def test_dates_outside_the_business_calendar_are_refused(field, value):
    assert field in _errors(harden(Doc()), {field: value})


def test_dates_on_the_bounds_are_accepted():
    got = harden(Doc()).load({"day": MIN_DATE.isoformat(), "at": "2999-12-31T23:00:00+08:00"})
    assert got["day"] == MIN_DATE
    assert got["at"].astimezone(dt.UTC).date() <= MAX_DATE


@pytest.mark.parametrize(("data", "where"), [
    ({"line": {"product_id": 1.5}}, "line"),
    ({"line": {"qty": "1e20"}}, "line"),
    ({"ids": [1, "2"]}, "ids"),
    ({"pair": [1.5, "1"]}, "pair"),
    ({"pair": [1, "1e20"]}, "pair"),
    ({"by_code": {"A": "3"}}, "by_code"),
])
def test_the_rules_reach_nested_list_tuple_and_dict_fields(data, where):
    assert where in _errors(harden(Doc()), data)


def test_harden_is_idempotent():
    schema = harden(Doc())
    before = {name: list(f.validators) for name, f in schema.fields.items()}
    assert harden(schema) is schema
    assert {name: list(f.validators) for name, f in schema.fields.items()} == before


def test_bounds_message_names_the_limits():
    with pytest.raises(ma.ValidationError, match="Must be ≥ 0 and ≤ 5."):
        Bounds(D(0), D(5))(D(6))
    with pytest.raises(ma.ValidationError, match="^Must be and ≤ 5.$"):
        Bounds(None, D(5))(D(6))
    assert Bounds(None, D(5))(D(-10**6)) == D(-10**6)
