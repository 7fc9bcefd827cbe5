"""Who may see which report, warehouse scope, bad parameters (422) and the dashboard."""
from __future__ import annotations

import pytest
from report_world import period

from tests.factories import ok

REPORTS = ("sales", "purchases", "inventory", "finance")


@pytest.mark.parametrize("role,allowed", [
    ("warehouse", {"inventory"}), ("sales", set(REPORTS)), ("purchaser", set(REPORTS)),
    ("finance", set(REPORTS)), ("manager", set(REPORTS))])
def test_reports_need_report_view_and_inventory_also_opens_with_stock_view(login, role, allowed):
    api = login(role)
    for name in REPORTS:
        r = api.get(f"/api/v1/reports/{name}")
        if name in allowed:
            assert r.status_code == 200, (name, r.get_json())
        else:
            assert r.status_code == 403 and r.get_json()["code"] == "forbidden", name


def test_anonymous_requests_are_refused(client):
    for path in [f"/api/v1/reports/{n}" for n in REPORTS] + ["/api/v1/dashboard"]:
        r = client.get(path)
        assert r.status_code == 401 and r.get_json()["code"] == "unauthenticated"


@pytest.mark.parametrize("query,field", [
    ({"group_by": "planet"}, "group_by"),
    ({"date_from": "2026-13-01"}, "date_from"),
    ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "date_from"),
    ({"date_from": "2000-01-01", "date_to": "2026-01-01"}, "date_from"),
    ({"tz": "Mars/Olympus_Mons"}, "tz"),
    ({"format": "pdf"}, "format"),
    ({"lang": "fr"}, "lang"),
    ({"limit": "0"}, "limit"),
    ({"warehouse_id": "abc"}, "warehouse_id"),
])
def test_bad_parameters_are_a_422_with_the_field_named(login, query, field):
    r = login("manager").get("/api/v1/reports/sales", query_string=query)
    body = r.get_json()
    assert r.status_code == 422 and body["code"] == "validation_error", body
    assert field in str(body["errors"])


def test_bad_inventory_and_finance_views_are_422(login):
    api = login("manager")
    for path, q in (("inventory", {"view": "nope"}), ("inventory", {"slow_days": "0"}), ("finance", {"view": "x"})):
        r = api.get(f"/api/v1/reports/{path}", query_string=q)
        assert r.status_code == 422 and r.get_json()["code"] == "validation_error"


def test_warehouse_bound_users_only_see_their_warehouses(shop, login, make_warehouse):
    other = make_warehouse(code="FAR")
    seller_far = login("sales", warehouses=[other])
    assert ok(seller_far.get("/api/v1/reports/sales", query_string=period()))["totals"]["revenue"] == "0.00"
    assert ok(seller_far.get("/api/v1/reports/inventory", query_string=period()))["rows"] == []
    r = seller_far.get("/api/v1/reports/sales", query_string={"warehouse_id": shop.warehouse.id})
    assert r.status_code == 403 and r.get_json()["code"] == "warehouse_forbidden"
    seller_main = login("sales", warehouses=[shop.warehouse])
    assert ok(seller_main.get("/api/v1/reports/sales", query_string=period()))["totals"]["revenue"] == "192.00"
    # finance figures are company-wide: a warehouse-bound user gets none rather than partial ones
    r = login("finance", warehouses=[shop.warehouse]).get("/api/v1/reports/finance")
    assert r.status_code == 403 and r.get_json()["code"] == "warehouse_forbidden"


def test_dashboard_shows_today_month_open_orders_and_stock_value(shop, login):
    d = ok(login("manager").get("/api/v1/dashboard", query_string={"tz": "Asia/Shanghai"}))
    assert (d["today"]["revenue"], d["today"]["cost"], d["today"]["margin"], d["today"]["margin_pct"]) == (
        "192.00", "119.00", "73.00", "38.02")
    assert d["month"]["revenue"] == "192.00" and d["stock_value"] == "257.00"
    assert (d["open_purchase_orders"], d["open_sales_orders"], d["low_stock"], d["pending_approvals"]) == (1, 0, 0, 0)
    assert len(d["trend"]) == 30 and d["trend"][-1]["revenue"] == "192.00"


def test_dashboard_hides_what_the_user_may_not_see_and_counts_their_approvals(shop, login, make_product):
    keeper = ok(login("warehouse").get("/api/v1/dashboard"))
    assert keeper["today"] is None and keeper["trend"] is None  # no report.view: no money figures
    assert "stock_value" not in keeper and keeper["open_purchase_orders"] == 1  # no cost.view: no stock value
    seller = login("sales")
    so = ok(seller.post("/api/v1/sales-orders", json={"customer_id": shop.customer.id,
                                                      "warehouse_id": shop.warehouse.id, "lines": [
        {"product_id": shop.a.id, "quantity": "1", "unit_price": "20"}]}), 201)
    ok(seller.post(f"/api/v1/sales-orders/{so['id']}/submit", json={"version": so["version"]}))
    assert ok(login("manager").get("/api/v1/dashboard"))["pending_approvals"] == 1
    assert ok(seller.get("/api/v1/dashboard"))["pending_approvals"] == 0  # nobody approves their own
    assert ok(seller.get("/api/v1/dashboard"))["open_sales_orders"] == 1
