"""Inventory office work (issue 13 §2) in real headless Chromium at a phone (360×740) and a desk (1280×800)
viewport, through the UI only — the API sets the scene (stock, the counters' counts, a shipped transfer)
and reads the results:

- a manager opens a stocktake, watches the progress by counter, reads the variance report with a flagged
  line, asks for a recount of it, then approves; the stock moves by the hand-computed variance;
- a manager approves a large adjustment on the adjustments screen;
- a transfer's shortage is written off on the transfers screen (stock, ledger and in-transit checked);
- warehouse staff see the low-stock list (in English) without the order button; a purchaser makes draft
  purchase orders from it: one per supplier, the product with no supplier reported.

Every new screen is photographed at both viewports (``$JXC_E2E_SHOTS``) and checked with axe-core.
"""
from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from e2e_helpers import chromium_available, login

if not chromium_available():
    pytest.skip("Chromium (/usr/bin/chromium) or Playwright is not installed", allow_module_level=True)

from playwright.sync_api import expect
from test_office import go, list_loaded, make_page, shot, vp  # noqa: F401  (fixtures)

_n = itertools.count(1)


def _ok(r, status=200):
    assert r.status_code == status, r.get_json()
    return r.get_json()


def _warehouse(admin, tag):
    n = next(_n)
    return _ok(admin.post("/api/v1/warehouses", json={"code": f"{tag}{n}", "name": f"{tag} 仓 {n}"}), 201)["id"]


def _stock(api, wh, lines, reason="opening_balance"):
    """Stock in (or out) through an adjustment; returns it."""
    return _ok(api.post("/api/v1/adjustments", json={"warehouse_id": wh, "reason": reason, "lines": [
        {"product_id": p, "quantity": str(q), **({"unit_cost": "5"} if q > 0 else {})} for p, q in lines]}), 201)


def _on_hand(api, product, wh):
    items = api.get(f"/api/v1/stock?product_id={product}&warehouse_id={wh}")["items"]
    return Decimal(items[0]["quantity"]) if items else Decimal(0)


def test_manager_reviews_a_stocktake_asks_for_a_recount_and_approves(make_page, live_server, vp):  # noqa: F811  (fixtures of test_office)
    admin = live_server.client(live_server.user("admin"))
    p1, p2 = live_server.data["products"]["E2E-001"], live_server.data["products"]["E2E-002"]
    wh = _warehouse(admin, "ST")
    _stock(admin, wh, [(p1, 10), (p2, 5)])
    locs = [_ok(admin.post(f"/api/v1/warehouses/{wh}/locations", json={"code": c}), 201)["id"] for c in ("A-01", "B-02")]
    counter_name, helper_name = (live_server.user("warehouse", warehouses=[wh]) for _ in range(2))
    counter, helper = live_server.client(counter_name), live_server.client(helper_name)

    page = make_page()
    login(page, live_server.user("manager"))
    expect(page.get_by_test_id("tile-stocktakes")).to_be_visible()
    go(page, "stocktakes/new", "stocktakes")
    page.get_by_test_id("field-warehouse_id").select_option(str(wh))
    shot(page, "stocktake-new")
    page.get_by_test_id("form-save").click()
    expect(page.get_by_test_id("doc-status")).to_have_text("盘点中")
    st_id = int(page.url.rsplit("/", 1)[1])

    # two counters count on their phones (the floor screen's job): p1 5 at A-01 + 3 at B-02 = 8 of 10;
    # p2 5 of 5 at A-01, then 1 is damaged
    count = {"A-01": locs[0], "B-02": locs[1]}
    _ok(counter.post(f"/api/v1/stocktakes/{st_id}/counts", json={"product_id": p1, "quantity": "5", "location_id": count["A-01"]}), 201)
    _ok(helper.post(f"/api/v1/stocktakes/{st_id}/counts", json={"product_id": p1, "quantity": "3", "location_id": count["B-02"]}), 201)
    _ok(counter.post(f"/api/v1/stocktakes/{st_id}/counts", json={"product_id": p2, "quantity": "5", "location_id": count["A-01"]}), 201)
    _stock(admin, wh, [(p2, -1)], reason="damage")  # moves after p2 was counted: its line is flagged
    page.get_by_test_id("st-refresh").click()  # the manager watches the progress
    progress = page.get_by_test_id("st-progress")
    expect(progress).to_contain_text("已盘 2 / 2 种商品")
    by_counter = page.get_by_test_id("st-by-counter")
    expect(by_counter.locator("tbody tr")).to_have_count(2)
    expect(by_counter.locator("tbody tr", has_text=counter_name).locator("td").nth(1)).to_have_text("2")  # counts
    expect(by_counter.locator("tbody tr", has_text=helper_name).locator("td").nth(1)).to_have_text("1")
    by_loc = page.get_by_test_id("st-by-location")
    expect(by_loc.locator("tbody tr", has_text="A-01").locator("td").nth(2)).to_have_text("2")  # products
    expect(by_loc.locator("tbody tr", has_text="B-02").locator("td").nth(2)).to_have_text("1")
    shot(page, "stocktake-progress")
    st = counter.get(f"/api/v1/stocktakes/{st_id}")
    _ok(counter.post(f"/api/v1/stocktakes/{st_id}/submit", json={"version": st["version"]}))

    page.reload()
    expect(page.get_by_test_id("doc-status")).to_have_text("待审核")
    flagged = page.locator(f'[data-testid="report-line"][data-product="{p2}"]')
    expect(flagged.get_by_test_id("flagged")).to_be_visible()
    expect(page.locator(f'[data-testid="report-line"][data-product="{p1}"]').get_by_test_id("line-variance")).to_have_text("-2")
    expect(flagged.get_by_test_id("recount-pick")).to_be_checked()  # flagged lines are ticked for a recount
    shot(page, "stocktake-report")
    page.get_by_test_id("st-comment").fill("p2 损坏后复盘")
    page.get_by_test_id("st-recount").click()
    expect(page.get_by_test_id("doc-status")).to_have_text("盘点中")
    assert counter.get(f"/api/v1/stocktakes/{st_id}")["status"] == "counting"

    # p2 counted again: 4 (5 − 1 damaged), the counter submits again
    _ok(counter.post(f"/api/v1/stocktakes/{st_id}/counts", json={"product_id": p2, "quantity": "4", "mode": "replace",
                                                                  "location_id": count["A-01"]}), 201)
    st = counter.get(f"/api/v1/stocktakes/{st_id}")
    _ok(counter.post(f"/api/v1/stocktakes/{st_id}/submit", json={"version": st["version"]}))
    page.reload()
    expect(page.get_by_test_id("report-lines").get_by_test_id("flagged")).to_have_count(0)
    page.get_by_test_id("st-approve").click()
    expect(page.get_by_test_id("doc-status")).to_have_text("已审批")
    shot(page, "stocktake-approved")
    # hand-computed: p1 10 → 8 (variance −2), p2 5 − 1 damaged = 4, counted 4 (variance 0)
    assert (_on_hand(admin, p1, wh), _on_hand(admin, p2, wh)) == (Decimal(8), Decimal(4))
    moves = admin.get(f"/api/v1/stock/moves?warehouse_id={wh}&kind=stocktake")["items"]
    assert [(m["product_id"], Decimal(m["quantity"])) for m in moves] == [(p1, Decimal(-2))]
    assert page.errors == []


def test_manager_approves_a_large_adjustment(make_page, live_server, vp):  # noqa: F811  (fixtures of test_office)
    admin = live_server.client(live_server.user("admin"))
    p1 = live_server.data["products"]["E2E-003"]
    wh = _warehouse(admin, "AD")
    clerk = live_server.client(live_server.user("warehouse", warehouses=[wh]))
    adj = _stock(clerk, wh, [(p1, 2000)], reason="found")  # 2000 × 5 = 10,000: above the approval threshold
    assert adj["status"] == "pending_approval"
    page = make_page()
    login(page, live_server.user("manager"))
    go(page, "adjustments")
    list_loaded(page, "adjustments")
    page.get_by_test_id("filter-status").select_option("pending_approval")
    list_loaded(page, "adjustments")  # the filtered list, not a row of the first one being replaced
    page.locator(f'[data-testid="adjustments-list"] tr[data-id="{adj["id"]}"]').click()
    expect(page.get_by_test_id("detail-title")).to_have_text(adj["number"])
    expect(page.get_by_test_id("adj-lines")).to_contain_text("2000")
    shot(page, "adjustment-detail")
    page.get_by_test_id("adj-approve").click()
    expect(page.get_by_test_id("doc-status")).to_have_text("已过账")
    assert _on_hand(admin, p1, wh) == Decimal(2000)


def test_transfer_shortage_is_written_off(make_page, live_server, vp):  # noqa: F811  (fixtures of test_office)
    admin = live_server.client(live_server.user("admin"))
    p1 = live_server.data["products"]["E2E-001"]
    src, dst = _warehouse(admin, "TA"), _warehouse(admin, "TB")
    _stock(admin, src, [(p1, 10)])
    clerk = live_server.client(live_server.user("warehouse", warehouses=[src, dst]))
    tr = _ok(clerk.post("/api/v1/transfers", json={"from_warehouse_id": src, "to_warehouse_id": dst,
                                                   "lines": [{"product_id": p1, "quantity": "6"}]}), 201)
    tr = _ok(clerk.post(f"/api/v1/transfers/{tr['id']}/ship", json={"version": tr["version"]}))
    tr = _ok(clerk.post(f"/api/v1/transfers/{tr['id']}/receive", json={
        "version": tr["version"], "complete": True, "lines": [{"product_id": p1, "quantity": "4"}]}))
    assert tr["status"] == "discrepancy"

    page = make_page()
    login(page, live_server.user("manager"))
    go(page, "transfers")
    list_loaded(page, "transfers")
    shot(page, "transfers-list")
    page.locator(f'[data-testid="transfers-list"] tr[data-id="{tr["id"]}"]').click()
    expect(page.get_by_test_id("doc-status")).to_have_text("有差异")
    page.get_by_test_id("disc-choice").select_option("write_off")
    page.get_by_test_id("disc-note").fill("路上丢失")
    shot(page, "transfer-discrepancy")
    page.get_by_test_id("disc-resolve").click()
    expect(page.get_by_test_id("doc-status")).to_have_text("已完成")
    expect(page.get_by_test_id("disc-resolution")).to_contain_text("报损核销")

    done = admin.get(f"/api/v1/transfers/{tr['id']}")
    assert (done["status"], done["in_transit"]) == ("done", "0.0000")
    assert [(d["kind"], d["quantity"], d["resolution"]) for d in done["discrepancies"]] == [("short", "2.0000", "write_off")]
    # 6 left the source, 4 arrived, the 2 written off went nowhere
    assert (_on_hand(admin, p1, src), _on_hand(admin, p1, dst)) == (Decimal(4), Decimal(4))
    into_dst = admin.get(f"/api/v1/stock/moves?warehouse_id={dst}&product_id={p1}")["items"]
    assert [Decimal(m["quantity"]) for m in into_dst] == [Decimal(4)]


def test_low_stock_list_for_the_warehouse_and_draft_orders_per_supplier(make_page, live_server, vp):  # noqa: F811  (fixtures of test_office)
    admin = live_server.client(live_server.user("admin"))
    wh = _warehouse(admin, "LS")
    n = next(_n)
    sup = [_ok(admin.post("/api/v1/suppliers", json={"code": f"LS{n}-{x}", "name": f"供应商{x}{n}"}), 201)["id"] for x in "XY"]
    prods = []
    for i in range(3):
        body = {"sku": f"LS{n}-{i}", "name": f"低库存商品{i}", "name_en": f"Low item {i}", "unit": "个", "purchase_price": "3",
                "reorder_point": "10", "reorder_qty": "12"}
        if i == 1:
            body["barcodes"] = [{"code": f"LSB{n:05d}{i}", "kind": "supplier", "supplier_id": sup[1], "symbology": "code128"}]
        prods.append(_ok(admin.post("/api/v1/products", json=body), 201)["id"])
    _stock(admin, wh, [(p, 2) for p in prods])
    buyer_name = live_server.user("purchaser", warehouses=[wh])
    buyer = live_server.client(buyer_name)
    po = _ok(buyer.post("/api/v1/purchase-orders", json={"supplier_id": sup[0], "warehouse_id": wh, "lines": [
        {"product_id": prods[0], "quantity": "1", "unit_price": "2.5"}]}), 201)
    po = _ok(buyer.post(f"/api/v1/purchase-orders/{po['id']}/submit", json={"version": po["version"]}))
    # approved, so it sets X as LS-0's supplier and leaves nothing in the other tests' approvals inbox
    _ok(live_server.client(live_server.user("manager")).post(f"/api/v1/purchase-orders/{po['id']}/approve",
                                                             json={"version": po["version"]}))

    staff = make_page()
    staff.goto("/")
    staff.evaluate("localStorage.setItem('jxc.lang', 'en')")
    login(staff, live_server.user("warehouse", warehouses=[wh]))
    staff.get_by_test_id("tile-lowstock").click()
    list_loaded(staff, "lowstock")
    expect(staff.get_by_test_id("lowstock-list").locator("tbody tr")).to_have_count(3)
    expect(staff.get_by_test_id("lowstock-list")).to_contain_text("Suggested")
    expect(staff.get_by_test_id("lowstock-list")).to_contain_text("Low item 1")  # the English name
    expect(staff.get_by_test_id("ls-suggested").first).to_have_text("12")  # max(12, 10 − 2)
    assert staff.get_by_test_id("ls-make-po").count() == 0
    assert "null" not in staff.locator("#app").inner_text()  # failed before: a missing button printed "null"
    shot(staff, "lowstock-staff-en")

    page = make_page()
    login(page, buyer_name)
    go(page, "lowstock")
    list_loaded(page, "lowstock")
    expect(page.get_by_test_id("lowstock-list").locator("tbody tr")).to_have_count(3)
    shot(page, "lowstock")
    page.get_by_test_id("ls-make-po").click()
    expect(page.get_by_test_id("ls-order")).to_have_count(2)
    expect(page.get_by_test_id("ls-no-supplier")).to_contain_text(f"LS{n}-2")
    shot(page, "lowstock-orders")

    for s, pid in zip(sup, prods[:2], strict=True):
        orders = buyer.get(f"/api/v1/purchase-orders?supplier_id={s}&status=draft")["items"]
        assert len(orders) == 1 and orders[0]["warehouse_id"] == wh
        lines = buyer.get(f"/api/v1/purchase-orders/{orders[0]['id']}")["lines"]
        assert [(ln["product_id"], ln["quantity"]) for ln in lines] == [(pid, "12.0000")]  # max(12, 10 − 2)
    page.get_by_test_id("ls-order").first.click()
    page.locator('#app[data-view="po"][data-ready="1"]').wait_for()
    expect(page.get_by_test_id("doc-status")).to_have_text("草稿")


def test_inventory_office_screens_in_english(make_page, live_server, vp):  # noqa: F811  (fixtures of test_office)
    admin = live_server.client(live_server.user("admin"))
    p1 = live_server.data["products"]["E2E-002"]
    src, dst = _warehouse(admin, "EN"), _warehouse(admin, "EM")
    _stock(admin, src, [(p1, 10)])
    st = _ok(admin.post("/api/v1/stocktakes", json={"warehouse_id": src}), 201)
    _ok(admin.post(f"/api/v1/stocktakes/{st['id']}/counts", json={"product_id": p1, "quantity": "9"}), 201)
    tr = _ok(admin.post("/api/v1/transfers", json={"from_warehouse_id": src, "to_warehouse_id": dst,
                                                   "lines": [{"product_id": p1, "quantity": "3"}]}), 201)
    tr = _ok(admin.post(f"/api/v1/transfers/{tr['id']}/ship", json={"version": tr["version"]}))
    tr = _ok(admin.post(f"/api/v1/transfers/{tr['id']}/receive", json={"version": tr["version"], "lines": [
        {"product_id": p1, "quantity": "2", "damaged_qty": "1"}]}))
    adj = _stock(admin, src, [(p1, -1)], reason="sample")

    page = make_page()
    page.goto("/")
    page.evaluate("localStorage.setItem('jxc.lang', 'en')")
    login(page, live_server.user("manager"))
    for tile in ("stocktakes", "adjustments", "transfers", "lowstock"):
        expect(page.get_by_test_id(f"tile-{tile}")).to_be_visible()
    go(page, f"stocktakes/{st['id']}", "stocktakes")
    expect(page.get_by_test_id("doc-status")).to_have_text("counting")
    expect(page.get_by_test_id("st-progress")).to_contain_text("1 of 1 products counted")
    expect(page.get_by_test_id("st-report")).to_contain_text("Variance report")
    expect(page.get_by_test_id("report-line")).to_contain_text("Tape measure")  # failed before: the zh name
    shot(page, "stocktake-en")
    go(page, f"transfers/{tr['id']}", "transfers")
    expect(page.get_by_test_id("doc-status")).to_have_text("discrepancy")
    expect(page.get_by_test_id("disc-row")).to_contain_text("damaged")
    expect(page.get_by_test_id("disc-choice").locator("option")).to_have_text(
        ["Choose…", "write off", "return to source", "accept into destination"])
    shot(page, "transfer-en")
    go(page, f"adjustments/{adj['id']}", "adjustments")
    expect(page.get_by_test_id("doc-status")).to_have_text("posted")
    expect(page.get_by_test_id("adj-lines")).to_contain_text("Tape measure")  # the product's English name
    shot(page, "adjustment-en")
    assert "null" not in page.locator("#app").inner_text()
    assert page.errors == []
    # leave nothing open for the other tests' approvals inbox
    _ok(admin.post(f"/api/v1/transfers/{tr['id']}/resolve", json={"version": tr["version"], "resolutions": [
        {"discrepancy_id": d["id"], "resolution": "accept"} for d in tr["discrepancies"]]}))
    st = admin.get(f"/api/v1/stocktakes/{st['id']}")
    _ok(admin.post(f"/api/v1/stocktakes/{st['id']}/cancel", json={"version": st["version"]}))


def test_a_stocktake_opened_for_one_location_and_category(make_page, live_server, vp):  # noqa: F811  (fixtures of test_office)
    admin = live_server.client(live_server.user("admin"))
    wh = _warehouse(admin, "SC")
    loc = _ok(admin.post(f"/api/v1/warehouses/{wh}/locations", json={"code": "C-03"}), 201)["id"]
    page = make_page()
    login(page, live_server.user("manager"))
    go(page, "stocktakes/new", "stocktakes")
    page.get_by_test_id("field-warehouse_id").select_option(str(wh))
    page.get_by_test_id("field-location_id").select_option(str(loc))
    page.get_by_test_id("field-category").fill("工具")
    page.get_by_test_id("form-save").click()
    expect(page.get_by_test_id("doc-status")).to_have_text("盘点中")
    st = admin.get(f"/api/v1/stocktakes/{page.url.rsplit('/', 1)[1]}")
    assert (st["warehouse_id"], st["location_id"], st["category"]) == (wh, loc, "工具")
    expect(page.locator(".facts")).to_contain_text("库位 C-03 · 类别 工具")
    # a second one over the same location is refused by the server, shown on the form
    go(page, "stocktakes/new", "stocktakes")
    page.get_by_test_id("field-warehouse_id").select_option(str(wh))
    page.get_by_test_id("form-save").click()
    expect(page.get_by_test_id("form-banner")).to_be_visible()
    assert len(admin.get(f"/api/v1/stocktakes?warehouse_id={wh}")["items"]) == 1
