"""The reports test world (imported by tests/reports/conftest.py).

Hand-computed story, all in warehouse MAIN, time zone Asia/Shanghai, period = the last 30 local days:

* opening stock (ledger, backdated): B 10 @ 5.00 forty days ago; C 3 @ 7.00 two hundred days ago (never moves).
* PO1 (approved, received in full): A 10 @ 10.00, B 20 @ 5.00 → A avg 10.00, B 30 units avg 5.00.
* PO2 (approved): A 15 @ 13.00, 10 received → A 20 units, value 230.00, avg 11.50; 5 still open (65.00).
* SO1: A 8 @ 20.00; B 10 @ 8.00 less 10 % → shipped: revenue 160.00 + 72.00, cost 92.00 + 50.00.
* sales return of 2 A (at the shipment's 11.50) → revenue −40.00, cost −23.00.
* purchase return of 5 B (PO1) @ 5.00 → −25.00.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import D, ok, stock_in, submit_and_approve

TZ = "Asia/Shanghai"


def by_key(rows, field="code"):
    return {r[field]: r for r in rows}


def xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def csv_rows(data: bytes) -> list[list[str]]:
    import csv

    assert data.startswith(b"\xef\xbb\xbf"), "CSV starts with a UTF-8 BOM (Excel)"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@dataclass
class Shop:
    warehouse: object
    supplier: object
    customer: object
    a: object
    b: object
    c: object
    so: dict
    po2: dict


def post_backdated(product, warehouse, qty, unit_cost, days_ago, kind="opening"):
    """Opening stock posted through the ledger service, dated ``days_ago`` days back."""
    stock_in(product, warehouse, qty, unit_cost, kind=kind, created_at=datetime.now(UTC) - timedelta(days=days_ago))


def approve_po(login, body):
    buyer, boss = login("purchaser"), login("manager")
    po = ok(buyer.post("/api/v1/purchase-orders", json=body), 201)
    return submit_and_approve(login, "purchase-orders", po, buyer, boss)


def receive(api, po, qtys):
    po = ok(api.get(f"/api/v1/purchase-orders/{po['id']}"))
    lines = [{"line_id": ln["id"], "quantity": q} for ln, q in zip(po["lines"], qtys) if q]
    return ok(api.post(f"/api/v1/purchase-orders/{po['id']}/receive", json={"version": po["version"], "lines": lines}),
              201)


def approve_so(login, body):
    seller, boss = login("sales"), login("manager")
    so = ok(seller.post("/api/v1/sales-orders", json=body), 201)
    return submit_and_approve(login, "sales-orders", so, seller, boss)


@pytest.fixture
def shop(login, make_warehouse, make_supplier, make_customer, make_product):
    wh = make_warehouse(code="MAIN", name="主仓库")
    sup, cus = make_supplier(code="S-HW", name="上海五金"), make_customer(code="C-BJ", name="北京华联")
    a = make_product(sku="A-001", name="扳手", category="工具", tax_rate=D("0.13"))
    b = make_product(sku="B-001", name="胶带", category="耗材", tax_rate=D("0.13"))
    c = make_product(sku="C-001", name="旧款锯", category="工具", tax_rate=D("0.13"))
    post_backdated(b, wh, "10", "5.00", 40)
    post_backdated(c, wh, "3", "7.00", 200)
    keeper = login("warehouse")
    po1 = approve_po(login, {"supplier_id": sup.id, "warehouse_id": wh.id, "lines": [
        {"product_id": a.id, "quantity": "10", "unit_price": "10.00", "tax_rate": "0.13"},
        {"product_id": b.id, "quantity": "20", "unit_price": "5.00", "tax_rate": "0.13"}]})
    gr1 = receive(keeper, po1, ["10", "20"])
    po2 = approve_po(login, {"supplier_id": sup.id, "warehouse_id": wh.id, "lines": [
        {"product_id": a.id, "quantity": "15", "unit_price": "13.00", "tax_rate": "0.13"}]})
    receive(keeper, po2, ["10"])
    so = approve_so(login, {"customer_id": cus.id, "warehouse_id": wh.id, "lines": [
        {"product_id": a.id, "quantity": "8", "unit_price": "20.00", "discount_rate": "0", "tax_rate": "0.13"},
        {"product_id": b.id, "quantity": "10", "unit_price": "8.00", "discount_rate": "0.1", "tax_rate": "0.13"}]})
    dn = ok(keeper.post(f"/api/v1/sales-orders/{so['id']}/ship", json={"version": so["version"]}), 201)
    so = ok(keeper.get(f"/api/v1/sales-orders/{so['id']}"))
    line_a = next(ln for ln in dn["lines"] if ln["product_id"] == a.id)
    ok(keeper.post(f"/api/v1/sales-orders/{so['id']}/returns", json={
        "version": so["version"], "lines": [{"shipment_line_id": line_a["id"], "quantity": "2"}]}), 201)
    po1 = ok(keeper.get(f"/api/v1/purchase-orders/{po1['id']}"))
    gl_b = next(ln for ln in gr1["lines"] if ln["product_id"] == b.id)
    ok(keeper.post(f"/api/v1/purchase-orders/{po1['id']}/returns", json={
        "version": po1["version"], "lines": [{"receipt_line_id": gl_b["id"], "quantity": "5"}]}), 201)
    so = ok(keeper.get(f"/api/v1/sales-orders/{so['id']}"))
    return Shop(wh, sup, cus, a, b, c, so, po2)


def period(tz=TZ, days=30):
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo(tz)).date()
    return {"date_from": (today - timedelta(days=days - 1)).isoformat(), "date_to": today.isoformat(), "tz": tz}


__all__ = [
    "TZ",
    "Shop",
    "approve_po",
    "approve_so",
    "by_key",
    "csv_rows",
    "period",
    "post_backdated",
    "receive",
    "shop",
    "xlsx_rows",
]
