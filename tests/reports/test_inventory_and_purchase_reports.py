"""Inventory (on-hand, value, turnover, days of cover, slow movers) and purchase reports."""
from __future__ import annotations

from report_world import by_key, period, xlsx_rows

from tests.factories import ok


def test_inventory_value_turnover_and_days_of_cover_per_product(shop, login):
    rep = ok(login("manager").get("/api/v1/reports/inventory", query_string=period()))
    rows = by_key(rep["rows"])
    a, b, c = rows["A-001"], rows["B-001"], rows["C-001"]
    # A: 20 received (230.00) − 8 shipped (92.00) + 2 returned (23.00); nothing before the period
    assert (a["quantity"], a["value"], a["avg_cost"], a["opening_value"], a["cogs"]) == (
        "14.0000", "161.00", "11.5000", "0.00", "69.00")
    assert (a["average_value"], a["turnover"], a["days_of_cover"]) == ("80.50", "0.86", "70.0")  # 161 × 30 / 69
    # B: 10 opening (50.00) + 20 (100.00) − 10 shipped (50.00) − 5 back to the supplier (25.00)
    assert (b["quantity"], b["value"], b["opening_value"], b["cogs"], b["turnover"], b["days_of_cover"]) == (
        "15.0000", "75.00", "50.00", "50.00", "0.80", "45.0")
    assert (c["quantity"], c["value"], c["turnover"], c["days_of_cover"]) == ("3.0000", "21.00", None, None)
    t = rep["totals"]
    assert (t["value"], t["opening_value"], t["cogs"], t["turnover"], t["days_of_cover"]) == (
        "257.00", "71.00", "119.00", "0.73", "64.8")  # 119 / ((71 + 257) / 2); 257 × 30 / 119


def test_inventory_by_category_and_warehouse(shop, login):
    keeper = ok(login("warehouse").get("/api/v1/reports/inventory", query_string={**period(), "group_by": "category"}))
    # stock.view is enough for the inventory report; without cost.view it has quantities, no values
    assert {r["name"]: r["quantity"] for r in keeper["rows"]} == {"工具": "17.0000", "耗材": "15.0000"}
    assert not {"value", "cogs", "avg_cost"} & {k for r in keeper["rows"] for k in r}
    assert "value" not in [c["key"] for c in keeper["columns"]]
    api = login("finance")
    cat = ok(api.get("/api/v1/reports/inventory", query_string={**period(), "group_by": "category"}))
    assert {r["name"]: (r["quantity"], r["value"], r["cogs"]) for r in cat["rows"]} == {
        "工具": ("17.0000", "182.00", "69.00"), "耗材": ("15.0000", "75.00", "50.00")}
    wh = ok(api.get("/api/v1/reports/inventory", query_string={**period(), "group_by": "warehouse"}))
    assert [(r["code"], r["value"], r["turnover"]) for r in wh["rows"]] == [("MAIN", "257.00", "0.73")]


def test_value_at_an_earlier_end_date_comes_from_the_ledger(shop, login):
    q = {**period(), "date_to": period(days=35)["date_from"], "date_from": period(days=60)["date_from"]}
    rep = ok(login("manager").get("/api/v1/reports/inventory", query_string=q))
    assert {r["code"]: r["value"] for r in rep["rows"]} == {"B-001": "50.00", "C-001": "21.00"}


def test_slow_movers_are_stock_without_outgoing_moves_for_n_days(shop, login):
    api = login("manager")
    rep = ok(api.get("/api/v1/reports/inventory", query_string={**period(), "view": "slow_movers", "slow_days": 90}))
    assert [(r["code"], r["warehouse_code"], r["quantity"], r["value"], r["last_out_at"]) for r in rep["rows"]] == [
        ("C-001", "MAIN", "3.0000", "21.00", None)]
    assert rep["rows"][0]["days_idle"] >= 199 and rep["totals"]["value"] == "21.00"
    # B was sold today: not slow even at one day; C and nothing else at 1 day (A and B moved today)
    rep = ok(api.get("/api/v1/reports/inventory", query_string={**period(), "view": "slow_movers", "slow_days": 1}))
    assert [r["code"] for r in rep["rows"]] == ["C-001"]
    x = xlsx_rows(api.get("/api/v1/reports/inventory", query_string={
        **period(), "view": "slow_movers", "format": "xlsx", "lang": "en"}).data)
    assert x[0][:2] == ["SKU", "Product"] and x[1][0] == "C-001" and float(x[1][5]) == 21.0


def test_purchases_by_supplier_ordered_received_returned_open(shop, login):
    rep = ok(login("purchaser").get("/api/v1/reports/purchases", query_string=period()))
    (row,) = rep["rows"]
    assert (row["code"], row["name"]) == ("S-HW", "上海五金")
    assert {k: row[k] for k in ("ordered_qty", "ordered_amount", "received_qty", "received_amount", "returned_qty",
                                "returned_amount", "net_amount", "open_qty", "open_amount")} == {
        "ordered_qty": "45.0000", "ordered_amount": "395.00", "received_qty": "40.0000", "received_amount": "330.00",
        "returned_qty": "5.0000", "returned_amount": "25.00", "net_amount": "305.00", "open_qty": "5.0000",
        "open_amount": "65.00"}


def test_purchases_by_product_and_month(shop, login):
    api = login("manager")
    rows = by_key(ok(api.get("/api/v1/reports/purchases", query_string={**period(), "group_by": "product"}))["rows"])
    assert (rows["A-001"]["received_amount"], rows["A-001"]["open_qty"]) == ("230.00", "5.0000")
    assert (rows["B-001"]["received_amount"], rows["B-001"]["returned_amount"]) == ("100.00", "25.00")
    month = ok(api.get("/api/v1/reports/purchases", query_string={**period(), "group_by": "month"}))
    assert month["totals"]["net_amount"] == "305.00" and all(r["key"].endswith("-01") for r in month["rows"])
