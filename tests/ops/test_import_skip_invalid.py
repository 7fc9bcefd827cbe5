"""Import with ``skip_invalid``: the valid rows of a file with bad rows are applied, the bad ones reported,
and the import itself is in the audit log (the admin's import screen applies a previewed file this way)."""
from __future__ import annotations

import io

from openpyxl import Workbook

from tests.factories import ok


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _file(n_good=8):
    rows = [["sku", "name", "sale_price", "tax_rate"]]
    rows += [[f"SK-{i:03d}", f"商品 {i}", "12.50", "0.13"] for i in range(n_good)]
    rows.insert(3, ["SK-BAD1", "坏价格", "abc", "0.13"])     # spreadsheet row 4
    rows.insert(6, ["SK-BAD2", "", "5", "2"])                # row 7: no name, tax rate > 1
    return _xlsx(rows)


def _post(api, blob, query):
    return api.post(f"/api/v1/import/products?{query}", data={"file": (io.BytesIO(blob), "goods.xlsx")},
                    content_type="multipart/form-data")


def _count(api):
    return api.get("/api/v1/products?per_page=1").get_json()["total"]


def test_without_skip_invalid_a_bad_row_imports_nothing(login):
    admin = login("admin")
    r = _post(admin, _file(), "")
    assert r.status_code == 422 and r.get_json()["code"] == "import_failed"
    assert _count(admin) == 0


def test_skip_invalid_applies_the_good_rows_reports_the_bad_ones_and_is_audited(login):
    admin = login("admin")
    preview = ok(_post(admin, _file(), "dry_run=1"))
    assert [e["row"] for e in preview["errors"]] == [4, 7] and _count(admin) == 0
    rep = ok(_post(admin, _file(), "skip_invalid=1"))
    assert (rep["created"], rep["skipped"], rep["ok"]) == (8, 2, False)
    assert {e["key"] for e in rep["errors"]} == {"SK-BAD1", "SK-BAD2"}
    assert _count(admin) == 8
    (rec,) = ok(admin.get("/api/v1/audit?entity=import"))["items"]
    assert (rec["entity_id"], rec["action"], rec["username"]) == ("products", "import", admin.user["username"])
    details = rec["changes"]["details"]
    assert (details["created"], details["skipped"], details["skipped_rows"], details["file"]) == (8, 2, [4, 7],
                                                                                                 "goods.xlsx")


def test_a_dry_run_with_skip_invalid_still_writes_nothing(login):
    admin = login("admin")
    rep = ok(_post(admin, _file(), "dry_run=1&skip_invalid=1"))
    assert rep["created"] == 8 and rep["dry_run"] is True
    assert _count(admin) == 0 and ok(admin.get("/api/v1/audit?entity=import"))["total"] == 0


def test_row_errors_come_in_the_language_the_caller_asks_for(login):
    admin = login("admin")
    r = admin.post("/api/v1/import/products?dry_run=1", data={"file": (io.BytesIO(_file()), "goods.xlsx")},
                   content_type="multipart/form-data", headers={"Accept-Language": "zh-CN"})
    bad1, bad2 = ok(r)["errors"]
    assert bad1["message"] == "有无效的值。" and bad1["errors"]["sale_price"] == ["不是有效的数字。"]
    assert bad2["errors"]["tax_rate"] == ["必须在 0 到 1 之间。"]
    en = ok(_post(admin, _file(), "dry_run=1"))["errors"][0]
    assert en["message"] == "Invalid values." and en["errors"]["sale_price"] == ["Not a valid number."]
