from decimal import Decimal

from sqlalchemy import text

from backend.extensions import db
from tests.factories import stock_in


def test_stock_lists_levels_with_value_and_filters(admin, make_product, make_warehouse):
    p, q, w1, w2 = make_product(category="tools"), make_product(category="food"), make_warehouse(), make_warehouse()
    stock_in(p, w1, 4, cost="2.5")
    stock_in(q, w2, 3, cost="1")
    body = admin.get("/api/v1/stock").get_json()
    assert body["total"] == 2 and body["total_value"] == "13.0000"
    assert admin.get(f"/api/v1/stock?warehouse_id={w2.id}").get_json()["items"][0]["product_id"] == q.id
    assert admin.get("/api/v1/stock?category=tools").get_json()["items"][0]["value"] == "10.0000"
    assert admin.get(f"/api/v1/stock?product_id={q.id}").get_json()["total"] == 1
    assert admin.get("/api/v1/stock?sort=-value").get_json()["items"][0]["product_id"] == p.id
    assert admin.get("/api/v1/stock?sort=bogus").status_code == 422
    assert admin.get("/api/v1/stock?warehouse_id=abc").status_code == 422


def test_product_detail_shows_on_hand_per_warehouse(admin, make_product, make_warehouse):
    p, w = make_product(), make_warehouse()
    stock_in(p, w, 7, cost="2")
    stock = admin.get(f"/api/v1/products/{p.id}").get_json()["stock"]
    assert stock == [{"warehouse_id": w.id, "warehouse_code": w.code, "quantity": "7.0000",
                      "avg_cost": "2.0000", "value": "14.0000"}]


def test_moves_history_filters_and_paginates(admin, make_product, make_warehouse):
    p, w = make_product(), make_warehouse()
    for _ in range(5):
        stock_in(p, w, 1)
    page = admin.get(f"/api/v1/stock/moves?product_id={p.id}&per_page=2&page=2").get_json()
    assert page["total"] == 5 and len(page["items"]) == 2
    assert page["items"][0]["balance_after"] == "3.0000"
    assert admin.get("/api/v1/stock/moves?kind=shipment").get_json()["total"] == 0
    assert admin.get("/api/v1/stock/moves?kind=nope").status_code == 422


def test_stock_needs_stock_view(login):
    api = login("sales")
    assert api.get("/api/v1/stock").status_code == 200
    from backend.auth.permissions import ROLE_PERMISSIONS

    assert all("stock.view" in perms for perms in ROLE_PERMISSIONS.values() if "stock.adjust" in perms)


def test_low_stock_alert_uses_warehouse_reorder_point_and_suggests_a_quantity(admin, login, make_product,
                                                                              make_warehouse):
    p = make_product(reorder_point=Decimal(10), reorder_qty=Decimal(20))
    q = make_product(reorder_point=Decimal(2), reorder_qty=Decimal(5))
    w1, w2 = make_warehouse(), make_warehouse()
    stock_in(p, w1, 4)
    stock_in(q, w1, 8)  # well above its point
    r = admin.put("/api/v1/reorder-points", json={"product_id": q.id, "warehouse_id": w2.id,
                                                  "reorder_point": 3, "reorder_qty": 1})
    assert r.status_code == 200, r.get_json()
    items = admin.get("/api/v1/alerts/low-stock").get_json()["items"]
    got = {(i["product_id"], i["warehouse_id"]): i["suggested_qty"] for i in items}
    # p in w1: 4 ≤ 10 → order max(20, 10 − 4); q never stocked in w2 but has a point there: max(1, 3 − 0)
    assert got == {(p.id, w1.id): "20.0000", (q.id, w2.id): "3.0000"}
    assert admin.get("/api/v1/stock?below_reorder_point=true").get_json()["total"] == 2
    assert login("sales").put("/api/v1/reorder-points", json={"product_id": q.id, "warehouse_id": w2.id,
                                                              "reorder_point": 1}).status_code == 403


def test_check_ledger_passes_and_fails_on_tampering(app, make_product, make_warehouse):
    p, w = make_product(), make_warehouse()
    stock_in(p, w, 5, cost="2")
    runner = app.test_cli_runner()
    res = runner.invoke(args=["check-ledger"])
    assert res.exit_code == 0, res.output
    db.session.execute(text("UPDATE stock_levels SET quantity = 6"))
    db.session.commit()
    res = runner.invoke(args=["check-ledger"])
    assert res.exit_code == 1 and "MISMATCH" in res.output


def test_a_warehouse_limited_user_sees_only_its_warehouses_stock_everywhere(login, make_product, make_warehouse):
    mine, other = make_warehouse(), make_warehouse()
    p = make_product(reorder_point=Decimal(500))
    stock_in(p, mine, 3, cost="2")
    stock_in(p, other, 7, cost="2")
    for role in ("warehouse", "sales", "purchaser"):
        api = login(role, warehouses=[mine])
        detail = api.get(f"/api/v1/products/{p.id}").get_json()
        assert [s["warehouse_id"] for s in detail["stock"]] == [mine.id], role  # not the other warehouse's 7
        assert [r["warehouse_id"] for r in api.get(f"/api/v1/stock?product_id={p.id}").get_json()["items"]] == [mine.id]
        alerts = api.get("/api/v1/alerts/low-stock").get_json()["items"]
        assert [r["warehouse_id"] for r in alerts] == [mine.id], role
        rows = api.get("/api/v1/reports/inventory").get_json()["rows"]
        assert [r["quantity"] for r in rows] == ["3.0000"], role
    everywhere = login("warehouse").get(f"/api/v1/products/{p.id}").get_json()
    assert sorted(s["warehouse_id"] for s in everywhere["stock"]) == sorted([mine.id, other.id])
