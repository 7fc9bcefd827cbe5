"""A line quantity past the per-line maximum (QTY_MAX_PER_LINE, default 1,000,000) or finer than its unit is
422 naming the field on every path — API, sync op, import — and nothing changes (issue 14 §1: a scanner
burst once became a count of 12000000000046)."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest

from backend.models.base import utcnow
from backend.services import ledger
from tests.factories import ok, stock_in
from tests.sync.sync_helpers import Device

HUGE = "10000000000000"  # 10^13


def _field_errors(body) -> str:
    return str(body.get("errors"))


def test_a_count_of_ten_to_the_13_through_the_api_is_422_and_changes_nothing(login, make_warehouse, make_product):
    wh, p = make_warehouse(), make_product()
    counter = login("warehouse")
    st = ok(counter.post("/api/v1/stocktakes", json={"warehouse_id": wh.id}), 201)
    r = counter.post(f"/api/v1/stocktakes/{st['id']}/counts", json={"product_id": p.id, "quantity": HUGE})
    assert r.status_code == 422, r.get_json()
    assert "quantity" in _field_errors(r.get_json()) and "1000000" in _field_errors(r.get_json())
    after = ok(counter.get(f"/api/v1/stocktakes/{st['id']}"))
    assert after["version"] == st["version"]
    assert not [ln for ln in ok(login("manager").get(f"/api/v1/stocktakes/{st['id']}/report"))["lines"] if ln["counted"]]


def test_a_count_of_ten_to_the_13_in_a_sync_op_is_rejected_422_and_changes_nothing(login, make_warehouse,
                                                                                    make_product):
    wh, p = make_warehouse(), make_product()
    counter = login("warehouse")
    st = ok(counter.post("/api/v1/stocktakes", json={"warehouse_id": wh.id}), 201)
    phone = Device(counter)
    phone.queue("stocktake.count", {"stocktake_id": st["id"], "product_id": p.id, "quantity": HUGE,
                                    "counted_at": utcnow().isoformat()})
    (res,) = phone.push()["results"]
    assert res["status"] == "rejected" and res.get("http_status", 422) == 422, res
    assert res["code"] == "validation_error" and "quantity" in str(res["errors"]), res
    assert not [ln for ln in ok(login("manager").get(f"/api/v1/stocktakes/{st['id']}/report"))["lines"] if ln["counted"]]


def test_an_import_row_with_a_reorder_quantity_of_ten_to_the_13_is_422_and_imports_nothing(admin):
    csv = f"sku,name,unit,reorder_qty\nQ-1,Fine,pcs,5\nQ-2,Huge,pcs,{HUGE}\n".encode()
    r = admin.post("/api/v1/import/products", data={"file": (io.BytesIO(csv), "p.csv")},
                   content_type="multipart/form-data")
    body = r.get_json()
    assert r.status_code == 422 and body["code"] == "import_failed", body
    (row,) = body["errors"]["rows"]
    assert row["row"] == 3 and "reorder_qty" in str(row["errors"])
    assert ok(admin.get("/api/v1/products?search=Q-"))["total"] == 0


def test_an_import_row_with_a_pack_of_ten_to_the_13_is_422(admin):
    csv = f"sku,name,barcodes\nQ-3,Pack,16901234567899*{HUGE}\n".encode()
    r = admin.post("/api/v1/import/products", data={"file": (io.BytesIO(csv), "p.csv")},
                   content_type="multipart/form-data")
    assert r.status_code == 422 and "quantity" in str(r.get_json()["errors"]), r.get_json()


@pytest.mark.parametrize("path,line", [
    ("/api/v1/purchase-orders", {"quantity": HUGE, "unit_price": "1"}),
    ("/api/v1/sales-orders", {"quantity": HUGE}),
    ("/api/v1/purchase-orders", {"quantity": "2.5", "unit_price": "1"}),  # pieces are whole
])
def test_order_lines_past_the_maximum_or_finer_than_the_unit_are_422(admin, make_supplier, make_customer,
                                                                     make_warehouse, make_product, path, line):
    w, p = make_warehouse(), make_product(unit="pcs")
    partner = {"supplier_id": make_supplier().id} if "purchase" in path else {"customer_id": make_customer().id}
    r = admin.post(path, json={**partner, "warehouse_id": w.id, "lines": [{"product_id": p.id, **line}]})
    assert r.status_code == 422, r.get_json()
    assert "quantity" in str(r.get_json()["errors"]["lines"]["0"])
    assert ok(admin.get(path))["total"] == 0


def test_a_measured_unit_allows_three_decimals_and_the_maximum_is_configurable(app, admin, make_warehouse,
                                                                              make_product):
    w, kg = make_warehouse(), make_product(unit="kg")
    adj = {"warehouse_id": w.id, "reason": "found", "lines": [{"product_id": kg.id, "quantity": "2.125"}]}
    ok(admin.post("/api/v1/adjustments", json=adj), 201)
    adj["lines"][0]["quantity"] = "2.1255"
    assert admin.post("/api/v1/adjustments", json=adj).status_code == 422
    app.config["QTY_MAX_PER_LINE"] = Decimal(10)
    try:
        adj["lines"][0]["quantity"] = "11"
        r = admin.post("/api/v1/adjustments", json=adj)
        assert r.status_code == 422 and "10" in str(r.get_json()["errors"])
    finally:
        app.config["QTY_MAX_PER_LINE"] = Decimal(1_000_000)
    assert ledger.on_hand(kg.id, w.id) == Decimal("2.125")


def test_transfers_and_receipts_refuse_a_huge_line(login, make_warehouse, make_product):
    a, b, p = make_warehouse(), make_warehouse(), make_product()
    stock_in(p, a, 5)
    boss = login("admin")
    r = boss.post("/api/v1/transfers", json={"from_warehouse_id": a.id, "to_warehouse_id": b.id,
                                            "lines": [{"product_id": p.id, "quantity": HUGE}]})
    assert r.status_code == 422 and "quantity" in str(r.get_json()["errors"])


def test_the_field_message_follows_accept_language(login, make_warehouse, make_product):
    wh, p = make_warehouse(), make_product()
    counter = login("warehouse")
    st = ok(counter.post("/api/v1/stocktakes", json={"warehouse_id": wh.id}), 201)
    r = counter.post(f"/api/v1/stocktakes/{st['id']}/counts", json={"product_id": p.id, "quantity": "1.5"},
                     headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 422 and "整数" in str(r.get_json()["errors"]) and r.get_json()["message"] == "数量超出允许范围。"
