"""One approvable document of each kind, made through the HTTP API by the people who would make them."""
from __future__ import annotations

from tests.factories import ok, stock_in


def one_of_each(login, wh, wh2, sup, cust, p, q) -> dict:
    """A submitted PO and SO, an adjustment over the threshold, a submitted stocktake with a variance, a
    transfer with a short line and an expense over the threshold. Returns {doc_type: document JSON}."""
    stock_in(p, wh, 20, cost="10")
    stock_in(q, wh, 6, cost="4")
    buyer, seller, clerk = login("purchaser"), login("sales"), login("warehouse")
    po = ok(buyer.post("/api/v1/purchase-orders", json={
        "supplier_id": sup.id, "warehouse_id": wh.id,
        "lines": [{"product_id": p.id, "quantity": "10", "unit_price": "8.5", "tax_rate": "0.13"}]}), 201)
    po = ok(buyer.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}))
    so = ok(seller.post("/api/v1/sales-orders", json={
        "customer_id": cust.id, "warehouse_id": wh.id,
        "lines": [{"product_id": p.id, "quantity": "4", "unit_price": "15", "tax_rate": "0.13"}]}), 201)
    so = ok(seller.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    adj = ok(clerk.post("/api/v1/adjustments", json={
        "warehouse_id": wh.id, "reason": "found", "note": "pallet found behind rack",
        "lines": [{"product_id": q.id, "quantity": "2000", "unit_cost": "4"}]}), 201)
    assert adj["status"] == "pending_approval", adj
    st = ok(clerk.post("/api/v1/stocktakes", json={"warehouse_id": wh.id}), 201)
    ok(clerk.post(f"/api/v1/stocktakes/{st['id']}/counts", json={"product_id": p.id, "quantity": "17"}), 201)
    st = ok(clerk.get(f"/api/v1/stocktakes/{st['id']}"))
    st = ok(clerk.post(f"/api/v1/stocktakes/{st['id']}/submit", json={"version": st["version"]}))
    stock_in(q, wh2, 5, cost="4")
    t = ok(clerk.post("/api/v1/transfers", json={"from_warehouse_id": wh2.id, "to_warehouse_id": wh.id,
                                                 "lines": [{"product_id": q.id, "quantity": "5"}]}), 201)
    t = ok(clerk.post(f"/api/v1/transfers/{t['id']}/ship", json={"version": t["version"]}))
    t = ok(clerk.post(f"/api/v1/transfers/{t['id']}/receive", json={
        "version": t["version"], "complete": True,
        "lines": [{"line_id": t["lines"][0]["id"], "quantity": "3", "short_qty": "2"}]}))
    assert t["status"] == "discrepancy", t
    exp = ok(login("finance").post("/api/v1/expenses", json={"category": "rent", "amount": "8000.00",
                                                              "payee": "房东", "description": "December rent"}), 201)
    assert exp["status"] == "pending_approval", exp
    return {"purchase_order": po, "sales_order": so, "adjustment": adj, "stocktake": st, "transfer": t, "expense": exp}
