"""Op types that call the document services: receive/ship/transfer/stocktake/approve (stale base_version)."""
from datetime import timedelta
from decimal import Decimal

from backend.models.base import utcnow
from tests.factories import assert_ledger_ok, ok, on_hand, stock_in


def _po(login, supplier, wh, product, qty="10"):
    buyer, boss = login("purchaser"), login("manager")
    po = ok(buyer.post("/api/v1/purchase-orders", json={
        "supplier_id": supplier.id, "warehouse_id": wh.id,
        "lines": [{"product_id": product.id, "quantity": qty, "unit_price": "5", "tax_rate": "0.13"}]}), 201)
    po = ok(buyer.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}))
    return po, boss


def test_purchase_receipt_by_barcode_and_offline_approval_with_a_stale_version(
        login, make_supplier, make_warehouse, make_product, device):
    wh, sup, p = make_warehouse(), make_supplier(), make_product()
    code = p.barcodes[0].code
    po, boss = _po(login, sup, wh, p)
    phone = device(boss)
    phone.queue("po.approve", {"order_id": po["id"]}, base_version=po["version"] - 1 if po["version"] > 1 else 99)
    phone.queue("po.approve", {"order_id": po["id"]}, base_version=po["version"])
    out = phone.push()
    assert [r["status"] for r in out["results"]] == ["rejected", "applied"], out
    assert out["results"][0]["code"] == "stale_version"
    status = out["results"][1]["result"]["status"]
    if status != "approved":  # a second approval level
        admin = device(login("admin"))
        admin.queue("po.approve", {"order_id": po["id"]}, base_version=out["results"][1]["result"]["version"])
        assert admin.push()["results"][0]["status"] == "applied"
    clerk = device(login("warehouse"))
    clerk.queue("po.receive", {"order_id": po["id"], "lines": [{"barcode": code, "quantity": "4"}]})
    clerk.queue("po.receive", {"order_id": po["id"], "lines": [{"product_id": p.id, "quantity": "100"}]})
    out = clerk.push()
    assert out["results"][0]["status"] == "applied", out
    assert out["results"][1]["status"] == "rejected"  # over receipt
    assert on_hand(p, wh) == Decimal(4)
    assert clerk.push()["results"][0]["status"] == "duplicate"
    assert on_hand(p, wh) == Decimal(4)
    assert_ledger_ok()


def test_offline_rejection_needs_base_version(login, make_supplier, make_warehouse, make_product, device):
    wh, sup, p = make_warehouse(), make_supplier(), make_product()
    po, boss = _po(login, sup, wh, p)
    phone = device(boss)
    phone.queue("po.reject", {"order_id": po["id"], "reason": "too expensive"})
    phone.queue("po.reject", {"order_id": po["id"], "reason": "too expensive"}, base_version=po["version"])
    out = phone.push()
    assert out["results"][0]["code"] == "validation_error" and "base_version" in out["results"][0]["errors"]
    assert out["results"][1]["status"] == "applied" and out["results"][1]["result"]["status"] == "rejected"


def test_sales_shipment_and_approval_ops(login, make_customer, make_warehouse, make_product, device):
    wh, cust, p = make_warehouse(), make_customer(), make_product()
    stock_in(p, wh, 20)
    seller, boss = login("sales"), login("manager")
    so = ok(seller.post("/api/v1/sales-orders", json={
        "customer_id": cust.id, "warehouse_id": wh.id,
        "lines": [{"product_id": p.id, "quantity": "5", "unit_price": "15", "tax_rate": "0.13"}]}), 201)
    so = ok(seller.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    phone = device(boss)
    phone.queue("so.approve", {"order_id": so["id"]}, base_version=so["version"] + 5)
    phone.queue("so.approve", {"order_id": so["id"]}, base_version=so["version"])
    out = phone.push()
    assert [r["status"] for r in out["results"]] == ["rejected", "applied"]
    assert out["results"][0]["code"] == "stale_version"
    if out["results"][1]["result"]["status"] != "approved":
        admin = device(login("admin"))
        admin.queue("so.approve", {"order_id": so["id"]}, base_version=out["results"][1]["result"]["version"])
        admin.push()
    picker = device(login("warehouse"))
    picker.queue("so.ship", {"order_id": so["id"], "lines": [{"barcode": p.barcodes[0].code, "quantity": "3"}]})
    out = picker.push()
    assert out["results"][0]["status"] == "applied", out
    assert on_hand(p, wh) == Decimal(17)
    assert picker.push()["results"][0]["status"] == "duplicate"
    assert on_hand(p, wh) == Decimal(17)
    assert_ledger_ok()


def test_transfer_ship_and_receive_ops(login, make_warehouse, make_product, device):
    src, dst, p = make_warehouse(), make_warehouse(), make_product()
    stock_in(p, src, 10)
    api = login("warehouse")
    t = ok(api.post("/api/v1/transfers", json={"from_warehouse_id": src.id, "to_warehouse_id": dst.id,
                                                "lines": [{"product_id": p.id, "quantity": "6"}]}), 201)
    phone = device(api)
    phone.queue("transfer.ship", {"transfer_id": t["id"]})
    phone.queue("transfer.receive", {"transfer_id": t["id"], "lines": [{"barcode": p.barcodes[0].code,
                                                                        "quantity": "5", "damaged_qty": "1"}]})
    out = phone.push()
    assert [r["status"] for r in out["results"]] == ["applied", "applied"], out
    assert (on_hand(p, src), on_hand(p, dst)) == (Decimal(4), Decimal(5))
    phone.push()
    assert (on_hand(p, src), on_hand(p, dst)) == (Decimal(4), Decimal(5))
    assert_ledger_ok()


def test_offline_stocktake_counts_pushed_later_give_the_variance_at_counted_at(login, make_warehouse,
                                                                              make_product, device):
    wh, p, q = make_warehouse(), make_product(), make_product()
    stock_in(p, wh, 10, created_at=utcnow() - timedelta(hours=3))
    stock_in(q, wh, 6, created_at=utcnow() - timedelta(hours=3))
    counter, manager = login("warehouse"), login("manager")
    st = ok(counter.post("/api/v1/stocktakes", json={"warehouse_id": wh.id}), 201)
    phone = device(counter)
    seen_at = utcnow()
    # offline: the counter sees 10 of p (all there) and 5 of q (one lost) …
    phone.queue("stocktake.count", {"stocktake_id": st["id"], "product_id": p.id, "quantity": "10",
                                    "counted_at": seen_at.isoformat()})
    phone.queue("stocktake.count", {"stocktake_id": st["id"], "barcode": q.barcodes[0].code, "quantity": "5",
                                    "counted_at": seen_at.isoformat()})
    # … meanwhile, online, stock keeps moving: 4 of p leave, 3 of q arrive
    ok(manager.post("/api/v1/adjustments", json={"warehouse_id": wh.id, "reason": "sample",
                                                 "lines": [{"product_id": p.id, "quantity": -4}]}), 201)
    stock_in(q, wh, 3)
    out = phone.push()  # the phone comes back online later
    assert [r["status"] for r in out["results"]] == ["applied", "applied"], out
    phone.push()  # a replay does not count twice
    st = ok(counter.get(f"/api/v1/stocktakes/{st['id']}"))
    st = ok(counter.post(f"/api/v1/stocktakes/{st['id']}/submit", json={"version": st["version"]}))
    report = ok(manager.get(f"/api/v1/stocktakes/{st['id']}/report"))
    variance = {ln["product_id"]: Decimal(ln["variance"]) for ln in report["lines"]}
    assert variance == {p.id: Decimal(0), q.id: Decimal(-1)}
    ok(manager.post(f"/api/v1/stocktakes/{st['id']}/approve", json={"version": st["version"]}))
    assert on_hand(p, wh) == Decimal(6)  # 10 − 4, the shipment is not undone by the count
    assert on_hand(q, wh) == Decimal(8)  # 6 + 3 − 1 lost
    assert_ledger_ok()


def test_adjustment_op_and_offline_approval_of_a_large_adjustment(login, make_warehouse, make_product, device):
    wh, p = make_warehouse(), make_product(purchase_price="1000")
    clerk, boss = device(login("warehouse")), device(login("manager"))
    clerk.queue("stock.adjust", {"warehouse_id": wh.id, "reason": "found", "note": "big find",
                                 "lines": [{"product_id": p.id, "quantity": "10", "unit_cost": "1000"}]})
    res = clerk.push()["results"][0]
    assert res["status"] == "applied" and res["result"]["status"] == "pending_approval"
    adj = ok(boss.api.get(f"/api/v1/adjustments/{res['result']['adjustment_id']}"))
    boss.queue("adjustment.approve", {"adjustment_id": adj["id"]}, base_version=adj["version"] + 1)
    boss.queue("adjustment.approve", {"adjustment_id": adj["id"]}, base_version=adj["version"])
    out = boss.push()
    assert [r.get("code") for r in out["results"]] == ["stale_version", None]
    assert on_hand(p, wh) == Decimal(10)


def test_transfer_create_op_creates_and_ships_exactly_once_offline(login, make_warehouse, make_product, device):
    src, dst, p = make_warehouse(), make_warehouse(), make_product()
    stock_in(p, src, 10)
    phone = device(login("warehouse"))
    phone.queue("transfer.create", {"from_warehouse_id": src.id, "to_warehouse_id": dst.id, "ship": True,
                                    "lines": [{"barcode": p.barcodes[0].code, "quantity": "2"},
                                              {"product_id": p.id, "quantity": "1"}]})
    phone.queue("transfer.create", {"from_warehouse_id": src.id, "to_warehouse_id": dst.id,
                                    "lines": [{"product_id": p.id, "quantity": "4"}]})
    phone.queue("transfer.create", {"from_warehouse_id": src.id, "to_warehouse_id": dst.id, "ship": True,
                                    "lines": [{"product_id": p.id, "quantity": "8"}]})  # only 7 left
    phone.queue("transfer.create", {"from_warehouse_id": src.id, "to_warehouse_id": src.id,
                                    "lines": [{"product_id": p.id, "quantity": "1"}]})
    first = phone.push()
    assert [r["status"] for r in first["results"]] == ["applied", "applied", "rejected", "rejected"], first
    shipped, draft = first["results"][0]["result"], first["results"][1]["result"]
    assert shipped["status"] == "in_transit" and draft["status"] == "draft"
    assert first["results"][2]["code"] == "insufficient_stock"  # create + ship are one op: nothing is left
    assert first["results"][3]["code"] == "validation_error"
    tr = phone.api.get(f"/api/v1/transfers/{shipped['transfer_id']}").get_json()
    assert [(ln["product_id"], ln["quantity"]) for ln in tr["lines"]] == [(p.id, "3.0000")]  # scans merged
    assert on_hand(p, src) == Decimal(7)
    again = phone.push()  # the lost-answer resend: nothing created or shipped twice
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 4
    assert phone.api.get(f"/api/v1/transfers?from_warehouse_id={src.id}").get_json()["total"] == 2
    assert on_hand(p, src) == Decimal(7)
    assert_ledger_ok()
