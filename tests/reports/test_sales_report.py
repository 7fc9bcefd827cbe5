"""Sales report: revenue net of tax, cost of goods at moving-average cost from the ledger, margin; returns deducted."""
from __future__ import annotations

from report_world import by_key, csv_rows, period, xlsx_rows

from tests.factories import D, ok


def test_sales_by_product_match_the_hand_computed_revenue_cost_and_margin(shop, login):
    rep = ok(login("manager").get("/api/v1/reports/sales", query_string={**period(), "group_by": "product"}))
    rows = by_key(rep["rows"])
    # A: 8 shipped − 2 returned at 20.00; cost 8 × 11.50 − 2 × 11.50
    assert {k: rows["A-001"][k] for k in ("quantity", "revenue", "returns", "cost", "margin", "margin_pct")} == {
        "quantity": "6.0000", "revenue": "120.00", "returns": "40.00", "cost": "69.00", "margin": "51.00",
        "margin_pct": "42.50"}
    # B: 10 at 8.00 less 10 % (tax excluded), cost 10 × 5.00
    assert (rows["B-001"]["revenue"], rows["B-001"]["cost"], rows["B-001"]["margin_pct"]) == ("72.00", "50.00", "30.56")
    assert "C-001" not in rows  # never sold
    t = rep["totals"]
    assert (t["revenue"], t["returns"], t["cost"], t["margin"], t["margin_pct"]) == (
        "192.00", "40.00", "119.00", "73.00", "38.02")
    assert [r["code"] for r in rep["rows"]] == ["A-001", "B-001"]  # biggest revenue first


def test_sales_by_category_customer_and_day_add_up_to_the_same_totals(shop, login):
    api = login("finance")
    cat = ok(api.get("/api/v1/reports/sales", query_string={**period(), "group_by": "category"}))
    assert {r["name"]: (r["revenue"], r["cost"]) for r in cat["rows"]} == {"工具": ("120.00", "69.00"),
                                                                          "耗材": ("72.00", "50.00")}
    cus = ok(api.get("/api/v1/reports/sales", query_string={**period(), "group_by": "customer"}))
    assert [(r["code"], r["name"], r["revenue"], r["margin"]) for r in cus["rows"]] == [
        ("C-BJ", "北京华联", "192.00", "73.00")]
    day = ok(api.get("/api/v1/reports/sales", query_string={**period(), "group_by": "day"}))
    assert len(day["rows"]) == 30  # every day of the range, empty ones as zero
    assert day["rows"][-1]["key"] == period()["date_to"] and day["rows"][-1]["revenue"] == "192.00"
    assert sum(D(r["revenue"]) for r in day["rows"]) == D("192.00")
    month = ok(api.get("/api/v1/reports/sales", query_string={**period(), "group_by": "month"}))
    assert sum(D(r["revenue"]) for r in month["rows"]) == D("192.00") and month["totals"]["cost"] == "119.00"


def test_a_day_outside_the_range_shows_no_sales(shop, login):
    rep = ok(login("manager").get("/api/v1/reports/sales", query_string={
        "date_from": "2020-01-01", "date_to": "2020-01-31", "tz": "UTC", "group_by": "week"}))
    assert rep["totals"]["revenue"] == "0.00" and rep["totals"]["margin_pct"] is None
    assert rep["rows"][0]["name"] == "2020-W01" and rep["rows"][0]["key"] == "2019-12-30"  # ISO week, Monday


def test_csv_and_xlsx_downloads_carry_the_same_figures(shop, login):
    api = login("manager")
    q = {**period(), "group_by": "product"}
    r = api.get("/api/v1/reports/sales", query_string={**q, "format": "csv", "lang": "zh-CN"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"] and ".csv" in r.headers["Content-Disposition"]
    rows = csv_rows(r.data)
    assert rows[0] == ["SKU", "商品", "数量", "销售额(不含税)", "退货冲减", "销售成本", "毛利", "毛利率%"]
    assert rows[1] == ["A-001", "扳手", "6.0000", "120.00", "40.00", "69.00", "51.00", "42.50"]
    assert rows[-1][:1] == ["合计"] and rows[-1][3:7] == ["192.00", "40.00", "119.00", "73.00"]

    r = api.get("/api/v1/reports/sales", query_string={**q, "format": "xlsx", "lang": "en"})
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    rows = xlsx_rows(r.data)
    assert rows[0] == ["SKU", "Product", "Quantity", "Revenue (net)", "Returns", "Cost of goods", "Gross margin",
                       "Margin %"]
    a = rows[1]
    assert a[:2] == ["A-001", "扳手"] and [D(str(v)) for v in a[2:]] == [6, D("120"), 40, 69, 51, D("42.5")]
    assert rows[-1][0] == "Total" and D(str(rows[-1][3])) == D("192") and D(str(rows[-1][6])) == D("73")
