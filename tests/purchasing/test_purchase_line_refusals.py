"""An over-receipt names every refused line with what was asked and what is allowed, in the caller's
language (Accept-Language), the stable code unchanged (issue 14 §5)."""
from __future__ import annotations

from tests.factories import ok

PO = "/api/v1/purchase-orders"


def test_an_over_receipt_names_each_refused_line_and_amounts_in_chinese(approved_po, login, world):
    po, _, _ = approved_po([(0, "2", "5", "0"), (1, "4", "5", "0"), (2, "3", "5", "0")])
    store = login("warehouse")
    lines = [{"line_id": po["lines"][0]["id"], "quantity": "3"}, {"line_id": po["lines"][1]["id"], "quantity": "4"},
             {"line_id": po["lines"][2]["id"], "quantity": "5"}]
    r = store.post(f"{PO}/{po['id']}/receive", json={"version": po["version"], "lines": lines},
                   headers={"Accept-Language": "zh-CN"})
    body = r.get_json()
    assert r.status_code == 409 and body["code"] == "over_receipt"
    assert body["message"] == "收货数量超过订购数量（第 1 行：3 > 2；第 3 行：5 > 3）。"
    first, third = body["errors"]["lines"]
    sku = world.products[0].sku
    assert (first["line_no"], first["sku"], first["requested"], first["allowed"], first["ordered"]) == (
        1, sku, "3.0000", "2.0000", "2.0000")
    assert first["message"].startswith(f"第 1 行（{sku} ") and "最多允许 2" in first["message"]
    assert third["line_no"] == 3 and third["allowed"] == "3.0000"
    en = store.post(f"{PO}/{po['id']}/receive", json={"version": po["version"], "lines": lines}).get_json()
    assert en["code"] == "over_receipt" and en["message"].startswith("Receiving more than ordered (line 1: 3 > 2")
    # what is allowed goes through; the order stays open for the rest
    allowed = [{"line_id": ln["line_id"], "quantity": ln["allowed"]} for ln in body["errors"]["lines"]]
    gr = ok(store.post(f"{PO}/{po['id']}/receive", json={"version": po["version"], "lines": allowed}), 201)
    assert gr["order"]["status"] == "partially_received"
