from datetime import timedelta
from decimal import Decimal

import pytest

from backend.models.base import utcnow
from tests.factories import assert_ledger_ok, on_hand, stock_in


def _open(api, wh, **kw):
    r = api.post("/api/v1/stocktakes", json={"warehouse_id": wh.id, **kw})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _count(api, st, product, qty, **kw):
    r = api.post(f"/api/v1/stocktakes/{st['id']}/counts", json={"product_id": product.id, "quantity": qty, **kw})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _submit(api, st_id):
    st = api.get(f"/api/v1/stocktakes/{st_id}").get_json()
    r = api.post(f"/api/v1/stocktakes/{st_id}/submit", json={"version": st["version"]})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_stock_moving_between_count_and_approval_ends_with_the_right_quantity(login, make_product,
                                                                              make_warehouse):
    p, w = make_product(), make_warehouse()
    stock_in(p, w, 10, cost="5")
    counter, manager = login("warehouse"), login("manager")
    st = _open(counter, w)
    _count(counter, st, p, 8)  # two are missing
    stock_in(p, w, 5, cost="5")  # a receipt after the count…
    r = manager.post("/api/v1/adjustments", json={"warehouse_id": w.id, "reason": "sample",
                                                  "lines": [{"product_id": p.id, "quantity": -3}]})
    assert r.status_code == 201  # …and a shipment after the count
    st = _submit(counter, st["id"])
    report = manager.get(f"/api/v1/stocktakes/{st['id']}/report").get_json()
    (line,) = report["lines"]
    assert (line["book_qty"], line["variance"], line["flagged"]) == ("10.0000", "-2.0000", True)
    assert line["moved_after_count"] == "2.0000" and report["loss_value"] == "-10.0000"
    r = manager.post(f"/api/v1/stocktakes/{st['id']}/approve", json={"version": st["version"]})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "approved"
    assert on_hand(p, w) == Decimal(10)  # 10 + 5 − 3 − 2: the variance, never the raw count
    moves = manager.get(f"/api/v1/stock/moves?doc_type=stocktake&doc_id={st['id']}").get_json()["items"]
    assert [(m["kind"], m["quantity"]) for m in moves] == [("stocktake", "-2.0000")]
    assert_ledger_ok()


def test_an_offline_count_is_compared_with_the_book_at_its_counted_at(login, make_product, make_warehouse):
    p, w = make_product(), make_warehouse()
    stock_in(p, w, 10)
    counter, manager = login("warehouse"), login("manager")
    st = _open(counter, w)
    seen_at = utcnow()
    stock_in(p, w, 4)  # arrives after the counter looked (the count reaches the server later)
    _count(counter, st, p, 10, counted_at=seen_at.isoformat())
    st = _submit(counter, st["id"])
    r = manager.post(f"/api/v1/stocktakes/{st['id']}/approve", json={"version": st["version"]})
    assert r.status_code == 200
    assert on_hand(p, w) == 14  # the receipt is not counted twice nor lost


def test_counting_is_blind_and_several_counters_add_up_or_replace(login, make_product, make_warehouse):
    p, w = make_product(), make_warehouse()
    stock_in(p, w, 20)
    c1, c2, manager = login("warehouse"), login("warehouse"), login("manager")
    st = _open(manager, w)
    _count(c1, st, p, 7)
    _count(c2, st, p, 6)  # another shelf: adds up
    body = c1.get(f"/api/v1/stocktakes/{st['id']}").get_json()
    assert body["lines"] is None and all("book_qty" not in c for c in body["counts"])
    assert c1.get(f"/api/v1/stocktakes/{st['id']}/report").status_code == 403
    preview = manager.get(f"/api/v1/stocktakes/{st['id']}/report").get_json()
    assert preview["lines"][0]["counted_qty"] == "13.0000"
    _count(c2, st, p, 19, mode="replace")  # an explicit recount replaces both earlier counts
    st = _submit(c1, st["id"])
    assert manager.get(f"/api/v1/stocktakes/{st['id']}").get_json()["lines"][0]["counted_qty"] == "19.0000"
    r = manager.post(f"/api/v1/stocktakes/{st['id']}/approve", json={"version": st["version"]})
    assert r.status_code == 200
    assert on_hand(p, w) == 19


def test_uncounted_products_are_reported_and_only_zeroed_when_asked(login, make_product, make_warehouse):
    p, q, r_, w = make_product(), make_product(), make_product(), make_warehouse()
    for prod in (p, q, r_):
        stock_in(prod, w, 5, cost="2")
    counter, manager = login("warehouse"), login("manager")
    st1 = _open(counter, w)
    _count(counter, st1, p, 5)
    st1 = _submit(counter, st1["id"])
    rep = manager.get(f"/api/v1/stocktakes/{st1['id']}/report").get_json()
    assert {u["product_id"] for u in rep["uncounted"]} == {q.id, r_.id}
    manager.post(f"/api/v1/stocktakes/{st1['id']}/approve", json={"version": st1["version"]})
    assert on_hand(q, w) == 5 and on_hand(r_, w) == 5  # not silently zeroed
    st2 = _open(counter, w)
    _count(counter, st2, p, 5)
    st2 = _submit(counter, st2["id"])
    r = manager.post(f"/api/v1/stocktakes/{st2['id']}/approve", json={"version": st2["version"],
                                                                       "zero_uncounted": True})
    assert r.status_code == 200 and r.get_json()["zeroed_uncounted"] is True
    assert on_hand(q, w) == 0 and on_hand(r_, w) == 0 and on_hand(p, w) == 5
    assert_ledger_ok()


def test_manager_can_send_flagged_lines_back_to_recount(login, make_product, make_warehouse):
    p, w = make_product(), make_warehouse()
    stock_in(p, w, 10)
    counter, manager = login("warehouse"), login("manager")
    st = _open(counter, w)
    _count(counter, st, p, 9)
    stock_in(p, w, 1)
    st = _submit(counter, st["id"])
    r = manager.post(f"/api/v1/stocktakes/{st['id']}/recount", json={"version": st["version"],
                                                                      "product_ids": [p.id]})
    assert r.status_code == 200 and r.get_json()["status"] == "counting"
    st = r.get_json()
    r = counter.post(f"/api/v1/stocktakes/{st['id']}/submit", json={"version": st["version"]})
    assert r.status_code == 422 and r.get_json()["code"] == "nothing_counted"
    _count(counter, st, p, 11)
    st = _submit(counter, st["id"])
    assert manager.post(f"/api/v1/stocktakes/{st['id']}/approve",
                        json={"version": st["version"]}).status_code == 200
    assert on_hand(p, w) == 11


def test_the_submitter_cannot_approve_and_counters_cannot_approve(login, make_product, make_warehouse):
    p, w = make_product(), make_warehouse()
    stock_in(p, w, 3)
    counter, manager = login("warehouse"), login("manager")
    st = _open(manager, w)
    _count(manager, st, p, 2)
    st = _submit(manager, st["id"])
    r = manager.post(f"/api/v1/stocktakes/{st['id']}/approve", json={"version": st["version"]})
    assert r.status_code == 403 and r.get_json()["code"] == "self_approval"
    r = counter.post(f"/api/v1/stocktakes/{st['id']}/approve", json={"version": st["version"]})
    assert r.status_code == 403
    assert on_hand(p, w) == 3
    r = login("manager").post(f"/api/v1/stocktakes/{st['id']}/approve", json={"version": st["version"] + 1})
    assert r.status_code == 409 and r.get_json()["code"] == "stale_version"


def test_counts_after_submit_and_out_of_scope_counts_are_refused(login, make_product, make_warehouse):
    p, q, w = make_product(category="tools"), make_product(category="food"), make_warehouse()
    api = login("manager")
    st = _open(api, w, category="tools")
    r = api.post(f"/api/v1/stocktakes/{st['id']}/counts", json={"product_id": q.id, "quantity": 1})
    assert r.status_code == 422 and r.get_json()["code"] == "out_of_scope"
    future = (utcnow() + timedelta(hours=2)).isoformat()
    r = api.post(f"/api/v1/stocktakes/{st['id']}/counts", json={"product_id": p.id, "quantity": 1,
                                                                 "counted_at": future})
    assert r.status_code == 422
    r = api.post(f"/api/v1/stocktakes/{st['id']}/counts", json={"product_id": p.id, "quantity": -1})
    assert r.status_code == 422
    _count(api, st, p, 1)
    st = _submit(api, st["id"])
    r = api.post(f"/api/v1/stocktakes/{st['id']}/counts", json={"product_id": p.id, "quantity": 1})
    assert r.status_code == 409 and r.get_json()["code"] == "invalid_transition"


@pytest.mark.parametrize("role", ["sales", "finance", "purchaser"])
def test_roles_without_stocktake_permissions_get_403(login, make_warehouse, make_product, role):
    w, p = make_warehouse(), make_product()
    api = login(role)
    assert api.post("/api/v1/stocktakes", json={"warehouse_id": w.id}).status_code == 403
    st = _open(login("manager"), w)
    r = api.post(f"/api/v1/stocktakes/{st['id']}/counts", json={"product_id": p.id, "quantity": 1})
    assert r.status_code == 403
    assert login("manager").get(f"/api/v1/stocktakes/{st['id']}").get_json()["counts"] == []


def test_warehouse_bound_counter_cannot_count_another_warehouse(login, make_product, make_warehouse):
    p, mine, other = make_product(), make_warehouse(), make_warehouse()
    st = _open(login("manager"), other)
    api = login("warehouse", warehouses=[mine])
    r = api.post(f"/api/v1/stocktakes/{st['id']}/counts", json={"product_id": p.id, "quantity": 1})
    assert r.status_code == 403 and r.get_json()["code"] == "warehouse_forbidden"


def test_location_stocktake_uses_the_location_balance(login, make_product, make_warehouse):
    from backend.context import Actor, acting_as
    from backend.services.warehouses import create_location

    p, w = make_product(), make_warehouse()
    with acting_as(Actor(None, "test", "cli")):
        a, b = create_location(w.id, {"code": "A"}), create_location(w.id, {"code": "B"})
    stock_in(p, w, 4, location_id=a.id)
    stock_in(p, w, 6, location_id=b.id)
    counter, manager = login("warehouse"), login("manager")
    st = _open(counter, w, location_id=a.id)
    _count(counter, st, p, 3)
    st = _submit(counter, st["id"])
    line = manager.get(f"/api/v1/stocktakes/{st['id']}").get_json()["lines"][0]
    assert (line["book_qty"], line["variance"]) == ("4.0000", "-1.0000")
    assert manager.post(f"/api/v1/stocktakes/{st['id']}/approve", json={"version": st["version"]}).status_code == 200
    assert on_hand(p, w) == 9
