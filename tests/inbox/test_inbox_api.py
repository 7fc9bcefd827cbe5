"""The manager's inbox: one of each approvable kind, with what is needed to decide it."""
from decimal import Decimal

from tests.factories import ok
from tests.inbox_helpers import one_of_each


def _setup(login, make_warehouse, make_supplier, make_customer, make_product):
    wh, wh2 = make_warehouse(), make_warehouse()
    p, q = make_product(purchase_price="10"), make_product(purchase_price="4")
    return one_of_each(login, wh, wh2, make_supplier(), make_customer(), p, q), (wh, p, q)


def test_the_inbox_lists_one_of_each_kind_with_lines_margin_credit_variance_and_history(
        login, make_warehouse, make_supplier, make_customer, make_product):
    docs, (wh, p, q) = _setup(login, make_warehouse, make_supplier, make_customer, make_product)
    boss = login("manager")
    items = ok(boss.get("/api/v1/approvals/pending"))["items"]
    by = {i["doc_type"]: i for i in items}
    assert set(by) == {"purchase_order", "sales_order", "adjustment", "stocktake", "transfer", "expense"}, \
        [i["doc_type"] for i in items]
    for kind, doc in docs.items():
        assert by[kind]["doc_id"] == doc["id"] and by[kind]["version"] == doc["version"]
        assert by[kind]["submitted_by"] and by[kind]["submitted_at"], by[kind]
        assert by[kind]["lines"] or kind == "expense", by[kind]
    ex = by["expense"]
    assert (ex["category"], ex["payee"], ex["amount"], ex["note"]) == ("rent", "房东", "8000.00", "December rent")
    po = by["purchase_order"]
    assert po["lines"][0]["unit_price"] == "8.5000" and po["lines"][0]["quantity"] == "10.0000"
    so = by["sales_order"]
    assert so["lines"][0]["unit_price"] == "15.0000"
    assert Decimal(so["margin"]["revenue"]) == Decimal(60) and Decimal(so["margin"]["cost"]) == Decimal(40)
    assert Decimal(so["credit"]["after"]) == Decimal(so["credit"]["balance"]) + Decimal(so["amount"])
    assert [(s["quantity"], s["on_hand"]) for s in so["stock_impact"]] == [("-4.0000", "20.0000")]
    adj = by["adjustment"]
    assert adj["reason"] == "found" and adj["lines"][0]["quantity"] == "2000.0000"
    assert adj["stock_impact"][0]["on_hand_after"] == "2009.0000"  # 6 + 3 received from the transfer
    st = by["stocktake"]
    assert st["variance"]["with_variance"] == 1 and Decimal(st["variance"]["down_qty"]) == Decimal(-3)
    assert Decimal(st["variance"]["value"]) == Decimal(-30)
    assert st["lines"][0]["sku"] == p.sku and st["lines"][0]["counted_qty"] == "17.0000"
    tr = by["transfer"]
    assert tr["lines"][0]["kind"] == "short" and tr["lines"][0]["quantity"] == "2.0000"
    # an earlier step shows in the history when the order comes back
    r = ok(boss.post(f"/api/v1/sales-orders/{so['doc_id']}/reject", json={"version": so["version"], "reason": "price?"}))
    seller = login("sales")
    ok(seller.post(f"/api/v1/sales-orders/{so['doc_id']}/submit", json={"version": r["version"]}))
    so = next(i for i in ok(boss.get("/api/v1/approvals/pending"))["items"] if i["doc_type"] == "sales_order")
    assert [(h["decision"], h["comment"]) for h in so["history"]] == [("reject", "price?")]
    assert so["history"][0]["user"]


def test_without_cost_view_the_inbox_shows_no_purchase_prices_costs_or_margin(
        login, make_warehouse, make_supplier, make_customer, make_product, make_user, monkeypatch):
    from backend.auth import permissions
    _setup(login, make_warehouse, make_supplier, make_customer, make_product)
    # a site-defined approver role without cost.view
    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, "sales",
                        permissions.ROLE_PERMISSIONS["manager"] - {"cost.view"})
    permissions._perms.cache_clear()
    user = make_user(roles=["sales"])
    api = login(username=user.username)
    items = ok(api.get("/api/v1/approvals/pending"))["items"]
    permissions._perms.cache_clear()
    assert {i["doc_type"] for i in items} == {"purchase_order", "sales_order", "adjustment", "stocktake", "transfer",
                                              "expense"}
    text = str(items)
    assert "margin" not in text and "unit_price': '8.5" not in text
    for i in items:
        if i["doc_type"] in ("purchase_order", "adjustment", "stocktake", "transfer"):
            assert "amount" not in i
