"""Offline decisions from the inbox: sync ops carrying the version the manager saw."""
from decimal import Decimal

from tests.factories import assert_ledger_ok, ok, on_hand
from tests.inbox_helpers import one_of_each


def _docs(login, make_warehouse, make_supplier, make_customer, make_product):
    wh, wh2 = make_warehouse(), make_warehouse()
    p, q = make_product(purchase_price="10"), make_product(purchase_price="4")
    return one_of_each(login, wh, wh2, make_supplier(), make_customer(), p, q), (wh, wh2, p, q)


def test_a_decision_on_a_document_changed_since_is_stale_with_the_new_figures_and_changes_nothing(
        login, make_warehouse, make_supplier, make_customer, make_product, device):
    docs, (wh, _, p, _) = _docs(login, make_warehouse, make_supplier, make_customer, make_product)
    boss = login("manager")
    seen = docs["purchase_order"]
    phone = device(boss)
    phone.queue("po.approve", {"order_id": seen["id"], "comment": "ok"}, base_version=seen["version"])
    # meanwhile the buyer changes the quantity (the order goes back to draft) and submits again
    buyer = login("purchaser")
    po = ok(buyer.patch(f"/api/v1/purchase-orders/{seen['id']}", json={"version": seen["version"], "lines": [
        {"product_id": p.id, "quantity": "100", "unit_price": "8.5", "tax_rate": "0.13"}]}))
    po = ok(buyer.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}))
    res = phone.push()["results"][0]
    assert res["status"] == "rejected" and res["code"] == "stale_version", res
    cur = res["errors"]["current"]
    assert cur["version"] == po["version"] and cur["status"] == "submitted" and cur["number"] == po["number"]
    assert cur["lines"][0]["quantity"] == "100.0000" and Decimal(cur["amount"]) == Decimal(po["total"])
    after = ok(boss.get(f"/api/v1/purchase-orders/{po['id']}"))
    assert (after["status"], after["version"], after["approval_level"]) == ("submitted", po["version"], 0)
    # the rejected op is listed for the Conflicts screen
    recs = ok(boss.get("/api/v1/sync/ops", query_string={"status": "rejected"}))["items"]
    assert [r["error_code"] for r in recs] == ["stale_version"]


def test_stocktake_approve_and_recount_and_transfer_resolve_as_ops(
        login, make_warehouse, make_supplier, make_customer, make_product, device):
    docs, (wh, wh2, p, q) = _docs(login, make_warehouse, make_supplier, make_customer, make_product)
    boss = device(login("manager"))
    st, t = docs["stocktake"], docs["transfer"]
    boss.queue("stocktake.recount", {"stocktake_id": st["id"], "comment": "count p again"},
               base_version=st["version"])
    boss.queue("transfer.resolve", {"transfer_id": t["id"], "resolution": "return_to_source",
                                    "comment": "never left"}, base_version=t["version"])
    out = boss.push()["results"]
    assert [r["status"] for r in out] == ["applied", "applied"], out
    assert out[0]["result"]["status"] == "counting" and out[1]["result"]["status"] == "done"
    assert on_hand(q, wh2) == Decimal(2)  # the 2 short went back to the source
    clerk = login("warehouse")
    ok(clerk.post(f"/api/v1/stocktakes/{st['id']}/counts", json={"product_id": p.id, "quantity": "18"}), 201)
    cur = ok(clerk.get(f"/api/v1/stocktakes/{st['id']}"))
    cur = ok(clerk.post(f"/api/v1/stocktakes/{st['id']}/submit", json={"version": cur["version"]}))
    boss.queue("stocktake.approve", {"stocktake_id": st["id"]}, base_version=cur["version"])
    res = boss.push()["results"][-1]
    assert res["status"] == "applied" and res["result"]["status"] == "approved", res
    assert on_hand(p, wh) == Decimal(18)
    assert boss.push()["results"][-1]["status"] == "duplicate"
    assert on_hand(p, wh) == Decimal(18)
    assert_ledger_ok()


def test_decision_ops_need_base_version_and_the_permission(
        login, make_warehouse, make_supplier, make_customer, make_product, device):
    docs, _ = _docs(login, make_warehouse, make_supplier, make_customer, make_product)
    clerk = device(login("warehouse"))
    clerk.queue("stocktake.approve", {"stocktake_id": docs["stocktake"]["id"]},
                base_version=docs["stocktake"]["version"])
    res = clerk.push()["results"][0]
    assert res["status"] == "rejected" and res["code"] == "forbidden", res
    boss = device(login("manager"))
    boss.queue("transfer.resolve", {"transfer_id": docs["transfer"]["id"], "resolution": "write_off"})
    res = boss.push()["results"][0]
    assert res["code"] == "validation_error" and "base_version" in res["errors"], res


def test_an_expense_over_the_threshold_counts_only_once_approved_and_offline_decisions_check_its_version(
        login, make_warehouse, make_supplier, make_customer, make_product, device):
    docs, _ = _docs(login, make_warehouse, make_supplier, make_customer, make_product)
    exp = docs["expense"]
    fin = login("finance")
    small = ok(fin.post("/api/v1/expenses", json={"category": "freight", "amount": "120.00"}), 201)
    assert small["status"] == "approved"
    assert fin.post(f"/api/v1/expenses/{exp['id']}/approve", json={"version": exp["version"]}).status_code == 403
    def reported():
        rows = ok(fin.get("/api/v1/reports/finance", query_string={"view": "expenses"}))["rows"]
        return sorted((r["name"], r["amount"]) for r in rows)

    assert reported() == [("freight", "120.00")]  # the pending rent does not count yet
    boss = device(login("manager"))
    boss.queue("expense.approve", {"expense_id": exp["id"]}, base_version=exp["version"] + 1)
    boss.queue("expense.reject", {"expense_id": exp["id"]}, base_version=exp["version"])  # no reason
    boss.queue("expense.approve", {"expense_id": exp["id"], "comment": "ok"}, base_version=exp["version"])
    out = boss.push()["results"]
    assert [r.get("code") for r in out] == ["stale_version", "validation_error", None], out
    assert out[0]["errors"]["current"]["number"] == exp["number"] and out[2]["result"]["status"] == "approved"
    assert reported() == [("freight", "120.00"), ("rent", "8000.00")]
