"""Finance report: receivables/payables ageing (0–30/31–60/61–90/>90 days), money in/out, expenses."""
from __future__ import annotations

from datetime import date, timedelta

from report_world import csv_rows, period

from tests.factories import ok


def _invoice(shop, login, days_ago: int):
    """Invoice what SO1 shipped (A 8 × 20.00 + B 72.00 net, 13 % tax = 262.16), dated ``days_ago`` back;
    the earlier return's credit note (45.20) is applied to it → 216.96 open."""
    inv_date = date.fromisoformat(period()["date_to"]) - timedelta(days=days_ago)
    inv = ok(login("finance").post(f"/api/v1/sales-orders/{shop.so['id']}/invoice", json={
        "version": shop.so["version"], "invoice_date": inv_date.isoformat(),
        "due_date": (inv_date + timedelta(days=30)).isoformat()}), 201)
    assert inv["total"] == "262.16"
    return inv, inv_date


def test_receivables_ageing_buckets_by_document_age_and_reconcile_with_the_balance(shop, login):
    inv, inv_date = _invoice(shop, login, 45)
    clerk = login("finance")
    ok(clerk.post("/api/v1/payments", json={"direction": "in", "partner_type": "customer",
                                            "partner_id": shop.customer.id, "amount": "100",
                                            "allocations": [{"doc_type": "invoice", "doc_id": inv["id"],
                                                             "amount": "100"}]}), 201)
    ok(clerk.post("/api/v1/payments", json={"direction": "in", "partner_type": "customer",
                                            "partner_id": shop.customer.id, "amount": "50"}), 201)
    rep = ok(clerk.get("/api/v1/reports/finance", query_string={**period(), "view": "receivables"}))
    (row,) = rep["rows"]
    assert (row["code"], row["d0_30"], row["d31_60"], row["d61_90"], row["d90_plus"], row["unapplied"],
            row["total"]) == ("C-BJ", "0.00", "116.96", "0.00", "0.00", "-50.00", "66.96")
    bal = ok(clerk.get("/api/v1/finance/balances?partner_type=customer"))
    assert bal[0]["balance"] == row["total"] == rep["totals"]["total"]

    def bucket_on(as_of):
        r = ok(clerk.get("/api/v1/reports/finance", query_string={"view": "receivables", "date_to": as_of.isoformat()}))
        return {k: v for k, v in r["rows"][0].items() if k.startswith("d") and v != "0.00"}

    # as of 15 days ago neither the credit note nor the payments existed: the whole invoice was open
    assert bucket_on(inv_date + timedelta(days=30)) == {"d0_30": "262.16"}
    assert bucket_on(inv_date + timedelta(days=60)) == {"d31_60": "116.96"}
    assert bucket_on(inv_date + timedelta(days=61)) == {"d61_90": "116.96"}
    assert bucket_on(inv_date + timedelta(days=90)) == {"d61_90": "116.96"}
    assert bucket_on(inv_date + timedelta(days=91)) == {"d90_plus": "116.96"}
    # before the invoice existed nothing was owed
    r = ok(clerk.get("/api/v1/reports/finance", query_string={
        "view": "receivables", "date_to": (inv_date - timedelta(days=1)).isoformat()}))
    assert r["rows"] == []


def test_payables_ageing_counts_receipts_less_returns_and_payments(shop, login):
    clerk = login("finance")
    ok(clerk.post("/api/v1/payments", json={"direction": "out", "partner_type": "supplier",
                                            "partner_id": shop.supplier.id, "amount": "100"}), 201)
    rep = ok(clerk.get("/api/v1/reports/finance", query_string={**period(), "view": "payables"}))
    (row,) = rep["rows"]
    # receipts 226.00 + 146.90, purchase return −28.25 (5 × 5.00 + 13 %)
    assert (row["code"], row["d0_30"], row["unapplied"], row["total"]) == ("S-HW", "344.65", "-100.00", "244.65")
    bal = ok(clerk.get("/api/v1/finance/balances?partner_type=supplier"))
    assert bal[0]["balance"] == "244.65"


def test_money_in_out_and_expenses_by_period_and_category(shop, login):
    clerk = login("finance")
    today = period()["date_to"]
    for body in ({"direction": "in", "partner_type": "customer", "partner_id": shop.customer.id, "amount": "150",
                  "paid_on": today},
                 {"direction": "out", "partner_type": "supplier", "partner_id": shop.supplier.id, "amount": "100",
                  "paid_on": today}):
        ok(clerk.post("/api/v1/payments", json=body), 201)
    for cat, amount in (("rent", "30"), ("freight", "20")):
        ok(clerk.post("/api/v1/expenses", json={"category": cat, "amount": amount, "expense_date": today}), 201)
    rep = ok(clerk.get("/api/v1/reports/finance", query_string={**period(), "view": "payments", "group_by": "day"}))
    assert len(rep["rows"]) == 30
    last = rep["rows"][-1]
    assert (last["money_in"], last["money_out"], last["expenses"], last["net"]) == ("150.00", "100.00", "50.00", "0.00")
    exp = ok(clerk.get("/api/v1/reports/finance", query_string={**period(), "view": "expenses"}))
    assert [(r["name"], r["count"], r["amount"], r["share_pct"]) for r in exp["rows"]] == [
        ("rent", 1, "30.00", "60.00"), ("freight", 1, "20.00", "40.00")]
    rows = csv_rows(clerk.get("/api/v1/reports/finance", query_string={
        **period(), "view": "expenses", "format": "csv", "lang": "en"}).data)
    assert rows == [["Category", "Count", "Amount", "Share %"], ["rent", "1", "30.00", "60.00"],
                    ["freight", "1", "20.00", "40.00"], ["Total", "2", "50.00", "100.00"]]
