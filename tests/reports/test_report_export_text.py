"""Report downloads with hostile names: a control character must not break the XLSX (it was a 500), and a
name that looks like a formula stays text in CSV and XLSX (issue 10, item 9)."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from report_world import csv_rows, period
from sqlalchemy import update

from backend.extensions import db
from backend.models.catalog import Product


def _rename(product, name):
    db.session.execute(update(Product).where(Product.id == product.id).values(name=name))
    db.session.commit()


def test_a_control_character_in_a_name_does_not_break_report_downloads(shop, login):
    _rename(shop.c, "旧款\x01锯\x0b")  # existing data (stored before names were checked on input)
    api = login("manager")
    q = {**period(), "view": "slow_movers", "lang": "en"}
    r = api.get("/api/v1/reports/inventory", query_string={**q, "format": "xlsx"})
    assert r.status_code == 200, r.get_json(silent=True)
    rows = [list(x) for x in load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True)]
    assert rows[1][:2] == ["C-001", "旧款锯"]
    r = api.get("/api/v1/reports/inventory", query_string={**q, "format": "csv"})
    assert r.status_code == 200 and csv_rows(r.data)[1][1] == "旧款\x01锯\x0b"


def test_formula_like_names_stay_text_in_report_downloads(shop, login):
    _rename(shop.c, '=HYPERLINK("http://evil","x")')
    api = login("manager")
    q = {**period(), "view": "slow_movers", "lang": "en"}
    rows = csv_rows(api.get("/api/v1/reports/inventory", query_string={**q, "format": "csv"}).data)
    assert rows[1][1] == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert rows[1][5] == "21.00"  # numbers are not touched
    ws = load_workbook(io.BytesIO(api.get("/api/v1/reports/inventory",
                                          query_string={**q, "format": "xlsx"}).data)).active
    assert ws.cell(2, 2).value == '=HYPERLINK("http://evil","x")' and ws.cell(2, 2).data_type == "s"
