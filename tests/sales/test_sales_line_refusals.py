"""An over-pick names every refused line and what is allowed, in the caller's language (issue 14 §5)."""
from __future__ import annotations

from tests.factories import D, on_hand


def test_an_over_pick_names_each_refused_line_and_ships_nothing(world, login, approved_so):
    so, _, _ = approved_so([(0, "10", "25", "0", "0.13"), (1, "2", "40", "0", "0.13")])
    r = login("warehouse").post(f"/api/v1/sales-orders/{so['id']}/ship", json={
        "version": so["version"], "lines": [{"line_id": so["lines"][0]["id"], "quantity": "6"},
                                             {"line_id": so["lines"][0]["id"], "quantity": "6"},
                                             {"line_id": so["lines"][1]["id"], "quantity": "1"}]},
        headers={"Accept-Language": "zh-CN"})
    body = r.get_json()
    assert r.status_code == 409 and body["code"] == "over_ship"
    (line,) = body["errors"]["lines"]
    assert (line["line_no"], line["requested"], line["allowed"]) == (1, "12.0000", "10.0000")
    assert body["message"] == "发货数量超过未发数量（第 1 行：12 > 10）。"
    assert on_hand(world.products[0], world.warehouse) == D("100")
