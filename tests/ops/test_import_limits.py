"""Imports are bounded: a file that declares, inflates or contains too much is refused quickly with a
422 naming the limit (issue 10, item 3); the upload's kind is sniffed from its bytes."""
from __future__ import annotations

import io
import time
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from backend.extensions import db
from backend.models.catalog import Product

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def upload(api, content: bytes, filename="data.xlsx", dry_run=False, headers=None):
    url = "/api/v1/import/products" + ("?dry_run=true" if dry_run else "")
    return api.post(url, data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data",
                    headers=headers or {})


def products() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(Product))


def _template() -> bytes:
    wb = Workbook()
    wb.active.append(["sku", "name"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_with_sheet(sheet_xml: bytes | str, extra: dict[str, bytes] | None = None, drop=()) -> bytes:
    """A real openpyxl workbook whose first sheet's XML is replaced by ``sheet_xml``."""
    if isinstance(sheet_xml, str):
        sheet_xml = sheet_xml.encode()
    src = zipfile.ZipFile(io.BytesIO(_template()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in src.infolist():
            if info.filename in drop:
                continue
            data = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else src.read(info)
            z.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet(rows: str, dimension: str | None = None, head: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'{head}<worksheet xmlns="{NS}">{dim}<sheetData>'
            f'<row r="1">{cell("A1", "sku")}{cell("B1", "name")}</row>{rows}</sheetData></worksheet>')


def refused(r, limit: str) -> dict:
    body = r.get_json()
    assert (r.status_code, body["code"]) == (422, "import_too_large"), body
    assert body["errors"]["limit"] == limit and body["errors"]["value"], body
    return body


def test_dimension_bomb_is_refused_quickly_and_names_the_limit(admin):
    # the probe's file: <dimension ref="A1:XFD1048576"/>, one cell in the last row (was ~25 CPU-minutes)
    content = xlsx_with_sheet(sheet(f'<row r="2">{cell("A2", "P-1")}{cell("B2", "螺丝")}</row>'
                                    f'<row r="1048576">{cell("A1048576", "x")}</row>', "A1:XFD1048576"))
    assert len(content) < 10_000
    t0 = time.monotonic()
    r = upload(admin, content, dry_run=True)
    assert time.monotonic() - t0 < 10
    body = refused(r, "max_sheet_rows")
    assert body["errors"]["value"] == 20000 and "20000" in body["message"]
    assert products() == 0


def test_a_declared_dimension_alone_costs_nothing(admin):
    # a lying dimension with a small real sheet imports normally
    content = xlsx_with_sheet(sheet(f'<row r="2">{cell("A2", "P-1")}{cell("B2", "螺丝")}</row>', "A1:XFD1048576"))
    t0 = time.monotonic()
    r = upload(admin, content)
    assert r.status_code == 200 and r.get_json()["created"] == 1, r.get_json()
    assert time.monotonic() - t0 < 10


def test_a_million_empty_rows_stop_at_the_cap(admin):
    rows = "".join(f'<row r="{n}"/>' for n in range(2, 1_000_002))
    content = xlsx_with_sheet(sheet(rows, "A1:B1000001"))
    t0 = time.monotonic()
    refused(upload(admin, content), "max_sheet_rows")
    assert time.monotonic() - t0 < 10
    assert products() == 0


def test_columns_are_capped_but_empty_styled_cells_far_right_are_ignored(admin):
    far = xlsx_with_sheet(sheet(f'<row r="2">{cell("A2", "P-1")}{cell("B2", "螺丝")}{cell("XFD2", "x")}</row>'))
    body = refused(upload(admin, far), "max_columns")
    assert body["errors"]["row"] == 2
    styled = xlsx_with_sheet(sheet(f'<row r="2">{cell("A2", "P-1")}{cell("B2", "螺丝")}<c r="XFD2" s="0"/></row>'))
    r = upload(admin, styled)
    assert r.status_code == 200 and r.get_json()["created"] == 1, r.get_json()


def test_zip_bomb_is_refused_from_the_member_sizes_before_parsing(admin):
    # 40 MB of sheet XML (whitespace) deflates to ~40 KB
    content = xlsx_with_sheet(sheet(f'<row r="2">{cell("A2", "P-1")}{cell("B2", "螺丝")}</row>'
                                    + " " * (40 * 1024 * 1024)))
    assert len(content) < 200_000
    t0 = time.monotonic()
    body = refused(upload(admin, content), "max_unpacked_bytes")
    assert time.monotonic() - t0 < 5
    assert body["errors"]["value"] == 32 * 1024 * 1024 and body["errors"]["unpacked_bytes"] > 40 * 1024 * 1024


def test_billion_laughs_sheet_is_refused(admin):
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                     for i in range(1, 10))
           + "]>")
    content = xlsx_with_sheet(sheet(f'<row r="2">{cell("A2", "&lol9;")}{cell("B2", "x")}</row>', head=lol))
    t0 = time.monotonic()
    r = upload(admin, content)
    assert time.monotonic() - t0 < 5
    body = r.get_json()
    assert (r.status_code, body["code"]) == (422, "validation_error"), body
    assert "document type declaration" in body["message"]
    assert products() == 0


def test_defusedxml_is_what_openpyxl_parses_with():
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["docx", "plain_zip", "binary_without_nul", "png_named_csv"])
def test_uploads_are_sniffed_and_anything_but_xlsx_or_csv_is_415(admin, kind):
    content, filename = {
        "docx": (_zip({"[Content_Types].xml": b'<Types><Override ContentType="application/vnd.openxmlformats-'
                                              b'officedocument.wordprocessingml.document.main+xml"/></Types>',
                       "word/document.xml": b"<w:document/>"}), "data.xlsx"),
        "plain_zip": (_zip({"a.txt": b"sku,name\nA,B\n"}), "data.xlsx"),
        "binary_without_nul": (bytes(range(1, 256)) * 20, "data.csv"),
        "png_named_csv": (b"\x89PNG\r\n\x1a\n" + b"\x01\x02IHDR" * 20, "data.csv"),
    }[kind]
    r = upload(admin, content, filename)
    assert (r.status_code, r.get_json()["code"]) == (415, "unsupported_media_type"), r.get_json()


def test_an_xlsx_is_recognised_by_its_bytes_whatever_its_name(admin):
    wb = Workbook()
    wb.active.append(["sku", "name"])
    wb.active.append(["P-9", "名字"])
    out = io.BytesIO()
    wb.save(out)
    r = upload(admin, out.getvalue(), "export.csv")
    assert r.status_code == 200 and r.get_json()["created"] == 1, r.get_json()


def test_csv_lines_rows_and_columns_are_capped(admin):
    r = upload(admin, ("sku,name,notes\nA,B," + "x" * 30000 + "\n").encode(), "x.csv")
    assert refused(r, "max_line_chars")["errors"]["row"] == 2
    t0 = time.monotonic()
    refused(upload(admin, b"sku,name\n" + b"\n" * 1_000_000 + b"A,B\n", "x.csv"), "max_sheet_rows")
    assert time.monotonic() - t0 < 10
    refused(upload(admin, ("sku,name" + ",x" * 100 + "\nA,B\n").encode(), "x.csv"), "max_columns")
    refused(upload(admin, ("sku,name\n" + "".join(f"A{i},B\n" for i in range(5001))).encode(), "x.csv"),
            "max_rows")
    assert products() == 0


def test_an_import_has_a_time_budget_and_rolls_back_when_it_runs_out(app, admin):
    app.config["IMPORT_TIME_LIMIT_SECONDS"] = 0.2
    try:
        content = ("sku,name\n" + "".join(f"P-{i},商品{i}\n" for i in range(3000))).encode()
        t0 = time.monotonic()
        r = upload(admin, content, "x.csv", headers={"Accept-Language": "zh-CN"})
        assert time.monotonic() - t0 < 10
        body = refused(r, "time_limit_seconds")
        assert body["errors"]["value"] == 0.2 and "时间限制" in body["message"]
        assert products() == 0
    finally:
        app.config.pop("IMPORT_TIME_LIMIT_SECONDS")
