"""Stocktake integrity (issue 10, item 11): overlapping open stocktakes are refused (else both post their
variance), counts dated before the opening are refused (API and sync, one by one and batch path), and counts
dated long before they reached the server are flagged ``clock_suspect``."""
from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from backend.extensions import db
from backend.models.base import utcnow
from backend.models.inventory import Stocktake
from backend.models.warehouses import Location
from backend.services import crud
from tests.factories import assert_ledger_ok, on_hand, stock_in
from tests.sync.sync_helpers import Device

ZH = {"Accept-Language": "zh-CN"}


def _open(api, wh, expect=201, **kw):
    r = api.post("/api/v1/stocktakes", json={"warehouse_id": wh.id, **kw})
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def _count(api, st, product, qty, expect=201, **kw):
    r = api.post(f"/api/v1/stocktakes/{st['id']}/counts", json={"product_id": product.id, "quantity": qty, **kw})
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def _submit_approve(counter, manager, st_id):
    st = counter.get(f"/api/v1/stocktakes/{st_id}").get_json()
    st = counter.post(f"/api/v1/stocktakes/{st_id}/submit", json={"version": st["version"]}).get_json()
    r = manager.post(f"/api/v1/stocktakes/{st_id}/approve", json={"version": st["version"]})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _backdate(st: dict, delta: timedelta) -> None:
    db.session.execute(update(Stocktake).where(Stocktake.id == st["id"]).values(created_at=utcnow() - delta))
    db.session.commit()


def test_a_second_open_stocktake_over_the_same_products_is_refused(login, make_product, make_warehouse):
    p, w = make_product(), make_warehouse()
    stock_in(p, w, 150)
    counter, manager = login("warehouse"), login("manager")
    st1 = _open(counter, w)
    r = counter.post("/api/v1/stocktakes", json={"warehouse_id": w.id}, headers=ZH)
    body = r.get_json()
    assert (r.status_code, body["code"]) == (409, "stocktake_overlap"), body
    assert body["errors"]["stocktake_id"] == st1["id"] and body["errors"]["number"] == st1["number"]
    assert st1["number"] in body["message"] and "盘点单" in body["message"]
    # the probe's story now ends right: count 147 of 150, approve → 147; a later stocktake counts 147 → 147
    _count(counter, st1, p, 147)
    _submit_approve(counter, manager, st1["id"])
    assert on_hand(p, w) == Decimal(147)
    st2 = _open(counter, w)
    _count(counter, st2, p, 147)
    _submit_approve(counter, manager, st2["id"])
    assert on_hand(p, w) == Decimal(147)
    assert_ledger_ok()


def test_scopes_overlap_by_location_and_category(login, make_product, make_warehouse):
    w, other = make_warehouse(), make_warehouse()
    la = crud.create(Location, {"warehouse_id": w.id, "code": "A", "name": "A"})
    lb = crud.create(Location, {"warehouse_id": w.id, "code": "B", "name": "B"})
    db.session.commit()
    api = login("manager")
    tools = _open(api, w, category="工具", location_id=la.id)
    _open(api, w, category="耗材", location_id=la.id)  # another category: disjoint
    _open(api, w, category="工具", location_id=lb.id)  # another location: disjoint
    _open(api, other)  # another warehouse
    for kw in ({}, {"category": "工具"}, {"location_id": la.id}, {"category": "工具", "location_id": la.id}):
        r = api.post("/api/v1/stocktakes", json={"warehouse_id": w.id, **kw})
        assert r.status_code == 409 and r.get_json()["code"] == "stocktake_overlap", (kw, r.get_json())
    # submitted still counts as open; cancelled does not
    st = api.get(f"/api/v1/stocktakes/{tools['id']}").get_json()
    assert api.post(f"/api/v1/stocktakes/{st['id']}/cancel", json={"version": st["version"]}).status_code == 200
    _open(api, w, category="工具", location_id=la.id)


def test_concurrent_opens_of_one_warehouse_let_exactly_one_win(login, make_warehouse):
    wid = make_warehouse().id  # ORM attributes need the test's app context: read before the threads
    clients = [login("manager") for _ in range(6)]
    db.session.commit()
    barrier = threading.Barrier(len(clients))
    results: list[tuple] = []

    def go(api):
        barrier.wait()
        r = api.post("/api/v1/stocktakes", json={"warehouse_id": wid})
        results.append((r.status_code, (r.get_json() or {}).get("code")))

    threads = [threading.Thread(target=go, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == [(201, None)] + [(409, "stocktake_overlap")] * 5, results
    db.session.commit()
    assert db.session.query(Stocktake).count() == 1


def test_a_count_dated_before_the_opening_is_refused_a_little_clock_drift_is_clamped(login, make_product,
                                                                                     make_warehouse):
    p, w = make_product(), make_warehouse()
    stock_in(p, w, 10)
    counter = login("warehouse")
    st = _open(counter, w)
    opened = db.session.get(Stocktake, st["id"]).created_at
    r = counter.post(f"/api/v1/stocktakes/{st['id']}/counts", headers=ZH, json={
        "product_id": p.id, "quantity": "12", "counted_at": (opened - timedelta(hours=3)).isoformat()})
    body = r.get_json()
    assert (r.status_code, body["code"]) == (422, "counted_before_open"), body
    assert "盘点时间" in body["message"] and body["errors"]["counted_at"]
    c = _count(counter, st, p, "10", counted_at=(opened - timedelta(minutes=2)).isoformat())  # drift: clamped
    assert c["counted_at"] == opened.isoformat()
    assert len(counter.get(f"/api/v1/stocktakes/{st['id']}").get_json()["counts"]) == 1


@pytest.mark.parametrize("batch_path", [False, True])
def test_sync_counts_before_the_opening_are_refused_and_stale_ones_flagged(app, login, make_product,
                                                                            make_warehouse, monkeypatch, batch_path):
    monkeypatch.setitem(app.config, "SYNC_BATCH_PATH", batch_path)
    p, w = make_product(), make_warehouse()
    stock_in(p, w, 10)
    counter, manager = login("warehouse"), login("manager")
    st = _open(counter, w)
    _backdate(st, timedelta(hours=5))  # opened five hours ago; a phone counted offline since
    now = utcnow()
    d = Device(counter)
    d.queue("stocktake.count", {"stocktake_id": st["id"], "product_id": p.id, "quantity": "4",
                                "counted_at": (now - timedelta(hours=7)).isoformat()})  # before opening
    d.queue("stocktake.count", {"stocktake_id": st["id"], "product_id": p.id, "quantity": "3",
                                "counted_at": (now - timedelta(hours=3)).isoformat()})  # 3 h before the push
    d.queue("stocktake.count", {"stocktake_id": st["id"], "product_id": p.id, "quantity": "5",
                                "counted_at": (now - timedelta(minutes=10)).isoformat()})
    res = d.push()["results"]
    assert [x["status"] for x in res] == ["rejected", "applied", "applied"], res
    assert res[0]["code"] == "counted_before_open"
    counts = counter.get(f"/api/v1/stocktakes/{st['id']}").get_json()["counts"]
    assert [(c["quantity"], c["clock_suspect"]) for c in counts] == [("3.0000", True), ("5.0000", False)]
    assert all(c["received_at"] for c in counts)
    report = manager.get(f"/api/v1/stocktakes/{st['id']}/report").get_json()
    assert report["lines"][0]["clock_suspect"] is True and report["clock_suspect"] == 1
    st_full = manager.get(f"/api/v1/stocktakes/{st['id']}").get_json()
    st_full = counter.post(f"/api/v1/stocktakes/{st['id']}/submit", json={"version": st_full["version"]}).get_json()
    assert st_full["status"] == "submitted"
    assert manager.get(f"/api/v1/stocktakes/{st['id']}").get_json()["lines"][0]["clock_suspect"] is True


def test_the_flag_threshold_is_a_setting(app, login, make_product, make_warehouse, monkeypatch):
    monkeypatch.setitem(app.config, "STOCKTAKE_COUNT_MAX_SKEW_MINUTES", 5)
    p, w = make_product(), make_warehouse()
    api = login("manager")
    st = _open(api, w)
    _backdate(st, timedelta(hours=1))
    c = _count(api, st, p, "1", counted_at=(utcnow() - timedelta(minutes=20)).isoformat())
    assert c["clock_suspect"] is True
    assert _count(api, st, p, "1")["clock_suspect"] is False
