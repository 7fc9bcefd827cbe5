"""CSV/XLSX export and import of base data through the API."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from backend.extensions import db
from backend.models.audit import AuditLog
from backend.models.catalog import Product
from backend.models.partners import Supplier
from backend.models.warehouses import Warehouse
from tests.factories import ok


def upload(api, entity, content: bytes | str, filename="data.csv", dry_run=False):
    if isinstance(content, str):
        content = content.encode("utf-8")
    url = f"/api/v1/import/{entity}" + ("?dry_run=1" if dry_run else "")
    return api.post(url, data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def count(model) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model))


def xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- export

def test_csv_export_has_a_bom_chinese_text_barcodes_and_no_formulas(admin, make_product):
    p = make_product(sku="P-1", name="十字螺丝刀", sale_price="19.9", barcodes=[
        {"code": "6901234567892"}, {"code": "16901234567899", "quantity": Decimal(12)}])
    make_product(sku="P-2", name='=HYPERLINK("http://evil","click")', spec="-20℃", notes="@SUM(A1)")
    r = admin.get("/api/v1/export/products?format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert [x["sku"] for x in rows] == ["P-1", "P-2"]
    assert rows[0]["name"] == "十字螺丝刀" and rows[0]["sale_price"] == "19.9"
    assert rows[0]["barcodes"] == "6901234567892|16901234567899*12"
    assert rows[1]["name"].startswith("'=") and rows[1]["spec"] == "'-20℃" and rows[1]["notes"] == "'@SUM(A1)"
    assert p.id


def test_xlsx_export_opens_in_excel_with_text_cells_not_formulas(admin, make_supplier):
    make_supplier(code="S-1", name="=1+1", phone="13800138000")
    r = admin.get("/api/v1/export/suppliers?format=xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("code", "name", "contact")
    assert rows[1][1] == "=1+1" and ws.cell(2, 2).data_type == "s"


def test_export_needs_the_view_permission_and_unknown_entities_are_404(login):
    assert login("warehouse").get("/api/v1/export/products").status_code == 200
    assert login("sales").get("/api/v1/export/customers").status_code == 200
    assert login("admin").get("/api/v1/export/users").status_code == 404
    assert login("admin").get("/api/v1/export/products?format=pdf").status_code == 422


def test_warehouse_bound_users_export_only_their_warehouses(login, make_warehouse):
    mine, _other = make_warehouse(code="W-MINE"), make_warehouse(code="W-OTHER")
    r = login("warehouse", warehouses=[mine]).get("/api/v1/export/warehouses")
    assert [x["code"] for x in csv.DictReader(io.StringIO(r.data.decode("utf-8-sig")))] == ["W-MINE"]


# ---------------------------------------------------------------- import

def test_importing_products_creates_them_with_barcodes_and_pack_sizes(admin):
    body = ("sku,name,unit,purchase_price,sale_price,tax_rate,barcodes\n"
            "A-1,十字螺丝刀,把,12.3456,19.90,13%,6901234567892|16901234567899*12\n"
            "A-2,活动扳手,把,\"1,200.50\",1500,0.09,\n")
    rep = ok(upload(admin, "products", body))
    assert rep == {**rep, "ok": True, "created": 2, "updated": 0, "rows": 2, "errors": []}
    a1 = db.session.scalars(select(Product).where(Product.sku == "A-1")).one()
    assert a1.purchase_price == Decimal("12.3456") and a1.tax_rate == Decimal("0.1300") and a1.unit == "把"
    assert sorted((b.code, b.quantity) for b in a1.barcodes) == [("16901234567899", Decimal("12.0000")),
                                                                 ("6901234567892", Decimal("1.0000"))]
    a2 = db.session.scalars(select(Product).where(Product.sku == "A-2")).one()
    assert a2.purchase_price == Decimal("1200.5000") and a2.barcodes[0].kind == "internal"  # generated EAN-13
    ok(admin.get("/api/v1/barcodes/16901234567899"))


def test_export_edit_import_round_trip_updates_only_what_changed(admin, make_product):
    make_product(sku="R-1", name="卷尺 5m", sale_price="10")
    make_product(sku="R-2", name="锤子", sale_price="20")
    data = admin.get("/api/v1/export/products").data.decode("utf-8-sig")
    before_audit = count(AuditLog)
    assert ok(upload(admin, "products", data))["unchanged"] == 2  # re-importing an export changes nothing
    assert count(AuditLog) == before_audit
    edited = data.replace("卷尺 5m", "卷尺 7.5m")
    rep = ok(upload(admin, "products", edited))
    assert (rep["updated"], rep["unchanged"]) == (1, 1)
    p = db.session.scalars(select(Product).where(Product.sku == "R-1")).one()
    assert p.name == "卷尺 7.5m" and p.version == 2
    log = db.session.scalars(select(AuditLog).where(AuditLog.entity == "products", AuditLog.action == "update")).all()
    assert len(log) == 1 and log[0].changes["after"] == {"name": "卷尺 7.5m"}


def test_chinese_headers_and_gbk_csv_from_excel_are_understood(admin):
    body = "编码,名称,联系人,电话,账期\nS-1,上海五金有限公司,王经理,021-5555,45\n".encode("gb18030")
    ok(upload(admin, "suppliers", body))
    s = db.session.scalars(select(Supplier)).one()
    assert (s.code, s.name, s.contact, s.payment_terms_days) == ("S-1", "上海五金有限公司", "王经理", 45)


def test_xlsx_import_with_numeric_cells(admin):
    content = xlsx([["sku", "name", "sale_price", "barcodes", "is_active"],
                    [1001, "螺丝", 12.5, 6901234567892, "是"],
                    ["1002", "螺母", 3, None, False]])
    rep = ok(upload(admin, "products", content, "products.xlsx"))
    assert rep["created"] == 2
    p = db.session.scalars(select(Product).where(Product.sku == "1001")).one()
    assert p.sale_price == Decimal("12.5000") and p.barcodes[0].code == "6901234567892" and p.is_active
    assert db.session.scalars(select(Product).where(Product.sku == "1002")).one().is_active is False


def test_dry_run_reports_every_row_error_and_writes_nothing(admin, make_product):
    make_product(sku="EXISTS", barcodes=[{"code": "6901234567892"}])
    body = ("sku,name,sale_price,tax_rate,barcodes\n"
            "N-1,好的,10,0.13,\n"
            "N-2,,10,0.13,\n"                       # no name for a new product
            "N-3,坏价格,abc,0.13,\n"                  # not a number
            "N-4,税率,10,1.5,\n"                      # > 1
            "N-1,重复,10,0.13,\n"                     # same sku twice
            "N-5,条码,10,0.13,6901234567892\n")       # barcode of another product
    rep = ok(upload(admin, "products", body, dry_run=True))
    assert rep["dry_run"] and not rep["ok"] and rep["created"] == 1
    by_row = {e["row"]: e for e in rep["errors"]}
    assert set(by_row) == {3, 4, 5, 6, 7}
    assert "name" in by_row[3]["errors"] and "sale_price" in by_row[4]["errors"]
    assert "tax_rate" in by_row[5]["errors"] and "sku" in by_row[6]["errors"]
    assert by_row[7]["code"] == "duplicate"
    assert count(Product) == 1
    clean = ok(upload(admin, "products", "sku,name\nN-9,好\n", dry_run=True))
    assert clean["ok"] and clean["created"] == 1 and count(Product) == 1


def test_a_real_import_with_one_bad_row_imports_nothing(admin):
    body = "code,name,email\nS-1,甲,a@b.cn\nS-2,乙,not-an-email\nS-3,丙,\n"
    r = upload(admin, "suppliers", body)
    assert r.status_code == 422
    err = r.get_json()
    assert err["code"] == "import_failed" and err["errors"]["rows"][0]["row"] == 3
    assert "email" in err["errors"]["rows"][0]["errors"]
    assert count(Supplier) == 0


def test_import_updates_existing_rows_matched_case_insensitively(admin, make_customer):
    c = make_customer(code="C-1", name="旧名")
    rep = ok(upload(admin, "customers", "code,name,credit_limit\nc-1,新名,8000\n"))
    assert rep["updated"] == 1
    db.session.refresh(c)
    assert c.name == "新名" and c.credit_limit == Decimal("8000.0000") and c.code == "C-1"


def test_stale_version_column_is_a_row_error(admin, make_warehouse):
    w = make_warehouse(code="W-1")
    r = upload(admin, "warehouses", f"code,name,version\nW-1,改名,{w.version + 5}\n")
    assert r.status_code == 422 and r.get_json()["errors"]["rows"][0]["code"] == "stale_version"
    ok(upload(admin, "warehouses", f"code,name,version\nW-1,改名,{w.version}\n"))
    assert db.session.scalars(select(Warehouse)).one().name == "改名"


@pytest.mark.parametrize("content, filename, status, code", [
    (b"\x00\x01\x02\x03binary" * 50, "x.csv", 415, "unsupported_media_type"),
    (b"PK\x03\x04 not really a zip", "x.xlsx", 422, "validation_error"),
    (b"\xd0\xcf\x11\xe0old excel", "x.xls", 415, "unsupported_media_type"),
    (b"colour,shape\nred,round\n", "x.csv", 422, "bad_columns"),
    ("name\n无编码\n".encode(), "x.csv", 422, "bad_columns"),
    (b"sku,sku\nA,B\n", "x.csv", 422, "bad_columns"),
    (b"", "x.csv", 422, "validation_error"),
    (b"sku,name,sale_price\nA,B,1e400\n", "x.csv", 422, "import_failed"),
    (b"sku,name,sale_price\nA,B,-1\n", "x.csv", 422, "import_failed"),
    (b"sku,name,sale_price\nA,B,NaN\n", "x.csv", 422, "import_failed"),
    (b"sku,name,sale_price\nA,B,1.23456\n", "x.csv", 422, "import_failed"),
    (("sku,name\nA," + "长" * 300 + "\n").encode(), "x.csv", 422, "import_failed"),
    (b"\xff\xfe\xfa\xfb\x81\x30\x81", "x.csv", 422, "validation_error"),
])
def test_bad_files_are_4xx_never_500(admin, content, filename, status, code):
    r = upload(admin, "products", content, filename)
    assert (r.status_code, r.get_json()["code"]) == (status, code), r.get_json()
    assert count(Product) == 0


def test_size_and_row_limits(app, admin):
    app.config.update(IMPORT_MAX_BYTES=1000, IMPORT_MAX_ROWS=3)
    try:
        r = upload(admin, "products", "sku,name\n" + "A,B\n" * 400)
        assert r.status_code == 413 and r.get_json()["code"] == "payload_too_large"
        r = upload(admin, "products", "sku,name\n" + "".join(f"A{i},B\n" for i in range(4)))
        assert r.status_code == 422 and r.get_json()["code"] == "import_too_large"
        assert r.get_json()["errors"] == {"limit": "max_rows", "value": 3}
        ok(upload(admin, "products", "sku,name\n" + "".join(f"A{i},B\n" for i in range(3))))
    finally:
        app.config.pop("IMPORT_MAX_BYTES")
        app.config.pop("IMPORT_MAX_ROWS")


def test_import_without_a_file_is_422(admin):
    r = admin.post("/api/v1/import/products", json={})
    assert r.status_code == 422 and r.get_json()["code"] == "validation_error"


def test_import_needs_the_write_permission_of_the_entity(login):
    wh, sales, buyer = login("warehouse"), login("sales"), login("purchaser")
    assert upload(wh, "products", "sku,name\nA,B\n").status_code == 403
    assert upload(sales, "suppliers", "code,name\nS,B\n").status_code == 403
    assert ok(upload(sales, "customers", "code,name\nC,B\n"))["created"] == 1
    assert ok(upload(buyer, "suppliers", "code,name\nS,B\n"))["created"] == 1


def test_templates_have_the_import_columns(admin):
    r = admin.get("/api/v1/import/customers/template")
    assert r.data.decode("utf-8-sig").strip().split(",")[:2] == ["code", "name"]
    r = admin.get("/api/v1/import/products/template?format=xlsx")
    assert next(load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))[0] == "sku"


def test_imported_rows_emit_webhook_events(admin, receiver):
    from backend.models.ops import WebhookDelivery

    ok(admin.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["warehouse.*"]}), 201)
    ok(upload(admin, "warehouses", "code,name\nW-1,一号仓\nW-2,二号仓\n"))
    ok(upload(admin, "warehouses", "code,name\nW-3,三号仓\nW-1,\n", dry_run=True))  # dry run: no events
    db.session.commit()
    assert [d.event for d in db.session.scalars(select(WebhookDelivery))] == ["warehouse.created"] * 2


def test_a_control_character_in_stored_names_does_not_break_the_xlsx_export(admin, make_product, make_supplier):
    make_product(sku="P-1", name="十字\x01螺丝刀", notes="第一行\x0b第二行\n第三行")  # data stored earlier
    make_supplier(code="S-1", name="供应商\x1f")
    r = admin.get("/api/v1/export/products?format=xlsx")
    assert r.status_code == 200, r.get_json(silent=True)
    row = list(load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))[1]
    assert row[1] == "十字螺丝刀" and row[13] == "第一行第二行\n第三行"
    r = admin.get("/api/v1/export/suppliers?format=xlsx")
    assert r.status_code == 200 and load_workbook(io.BytesIO(r.data)).active.cell(2, 2).value == "供应商"


def test_names_with_control_characters_are_refused_on_input(admin):
    r = admin.post("/api/v1/products", json={"sku": "P-1", "name": "坏\x01名"})
    assert r.status_code == 422 and "name" in r.get_json()["errors"]["json"], r.get_json()
    r = admin.post("/api/v1/products", json={"sku": "P-1", "name": "好名", "notes": "两行\n\t缩进"})
    assert r.status_code == 201, r.get_json()
    r = upload(admin, "products", "sku,name\nP-2,坏\x0b名\n")
    assert r.status_code == 422 and r.get_json()["errors"]["rows"][0]["errors"]["name"], r.get_json()
    assert count(Product) == 1
