"""The hot paths of a scanning phone send few statements per request (issue 15 §5): resolving a barcode
and reading stock by product ≤ 3, a one-line adjustment ≤ 12 including its audit records. The timings
themselves are in bench/http_bench.py."""
from __future__ import annotations

import pytest

from backend.context import Actor, acting_as
from backend.extensions import db
from backend.services.users import create_token
from tests.factories import ok, stock_in
from tests.sqlcount import count_statements


@pytest.fixture
def phone(app, make_user, make_warehouse, make_product, api_client_cls):
    """A warehouse user's bearer-token client; two warehouses with bins, the user in one of them."""
    from backend.models.warehouses import Location

    wh, other = make_warehouse(), make_warehouse()
    with acting_as(Actor(None, "test", "cli")):
        for w in (wh, other):
            for i in range(5):
                db.session.add(Location(warehouse_id=w.id, code=f"B{i}", name=f"Bin {i}"))
        db.session.commit()
    product = make_product(barcodes=[{"code": "6901234567892"}])
    stock_in(product, wh, 10)
    stock_in(product, other, 5)
    user = make_user("warehouse", warehouses=[wh])
    with acting_as(Actor(None, "test", "cli")):
        _, secret = create_token(user, "phone")
    db.session.commit()
    return api_client_cls(app, token=secret), wh, product


def _counted(client, method: str, url: str, **kw):
    client.get("/api/health")  # warm: first-request set-up is not the hot path
    with count_statements() as seen:
        r = client.request(method, url, **kw)
    return r, seen


def _show(seen: list[str]) -> str:
    return f"{len(seen)} statements:\n" + "\n".join(" ".join(s.split())[:160] for s in seen)


def test_resolving_a_barcode_takes_at_most_three_statements(phone):
    client, _, product = phone
    r, seen = _counted(client, "GET", "/api/v1/barcodes/6901234567892")
    assert ok(r)["product"]["id"] == product.id
    assert len(seen) <= 3, _show(seen)


def test_stock_of_a_product_takes_at_most_three_statements(phone):
    client, wh, product = phone
    r, seen = _counted(client, "GET", f"/api/v1/stock?product_id={product.id}")
    body = ok(r)
    assert [(i["warehouse_id"], i["quantity"]) for i in body["items"]] == [(wh.id, "10.0000")]
    assert len(seen) <= 3, _show(seen)


def test_a_one_line_adjustment_takes_at_most_twelve_statements_with_its_audit(phone):
    client, wh, product = phone
    body = {"warehouse_id": wh.id, "reason": "found", "lines": [{"product_id": product.id, "quantity": "1"}]}
    ok(client.post("/api/v1/adjustments", json=body), 201)  # the day's number counter exists from now on
    r, seen = _counted(client, "POST", "/api/v1/adjustments", json=body)
    assert ok(r, 201)["status"] == "posted"
    db.session.commit()
    from backend.models.audit import AuditLog

    assert db.session.query(AuditLog).filter(AuditLog.entity == "adjustments").count() >= 1
    assert len(seen) <= 12, _show(seen)
