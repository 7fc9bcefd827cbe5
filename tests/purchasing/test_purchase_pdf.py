"""Printable A4 purchase documents with Chinese text."""
import re

from backend.services.documents_pdf import Column, render_document
from tests.factories import ok

PO = "/api/v1/purchase-orders"


def test_purchase_order_pdf_is_an_a4_document_with_its_number_and_a_chinese_font(login, make_po):
    buyer = login("purchaser")
    po = make_po(buyer, [(0, "10", "12.50", "0.13"), (1, "2", "3", "0")], notes="请开增值税专用发票")
    r = buyer.get(f"{PO}/{po['id']}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert po["number"] in r.headers["Content-Disposition"]
    pdf = r.data
    assert pdf.startswith(b"%PDF") and po["number"].encode() in pdf  # metadata (Subject)
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4
    assert b"STSong-Light" in pdf and b"UniGB-UCS2-H" in pdf  # CJK CID font, no file needed
    pages = b"".join(_inflate(s) for s in re.findall(rb"stream\r?\n(.*?)\s*endstream", pdf, re.DOTALL))
    text = _pdf_text(pages)
    for word in (po["number"], "采购订单", "上海五金有限公司", "十字螺丝刀", "请开增值税专用发票", "147.25"):
        assert word in text, word  # 10 × 12.50 × 1.13 + 2 × 3 = 147.25


def _inflate(data: bytes) -> bytes:
    import base64
    import zlib

    try:  # reportlab: ASCII85 then Flate
        if data.rstrip().endswith(b"~>"):
            data = base64.a85decode(data.strip(), adobe=True)
        return zlib.decompress(data)
    except Exception:
        return b""


def _pdf_text(pdf: bytes) -> str:
    """Text shown with the CID font (UCS-2 literal strings with PDF escapes) in uncompressed streams."""
    out = []
    for lit in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", pdf, re.DOTALL):
        raw = re.sub(rb"\\([0-7]{1,3}|.)", lambda m: bytes([int(m.group(1), 8)]) if m.group(1)[:1].isdigit()
                     else {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(m.group(1), m.group(1)), lit, flags=re.DOTALL)
        out.append(raw.decode("utf-16-be", "replace"))
    return " ".join(out)


def test_chinese_text_is_drawn_with_the_cid_font():
    pdf = render_document("采购订单", [("供应商", "上海五金")], [Column("商品", 50)], [["螺丝刀"]], [("合计", "1.00")],
                          number="PO-X", compress=False)
    text = _pdf_text(pdf)
    for word in ("采购订单", "上海五金", "螺丝刀", "合计", "1.00"):
        assert word in text, text


def test_receipt_and_return_pdfs(approved_po, login):
    po, buyer, _ = approved_po()
    gr = ok(login("warehouse").post(f"{PO}/{po['id']}/receive", json={"version": po["version"], "lines": [
        {"line_id": po["lines"][0]["id"], "quantity": "5"}]}), 201)
    r = buyer.get(f"/api/v1/purchase-receipts/{gr['id']}/pdf")
    assert r.status_code == 200 and gr["number"].encode() in r.data
    pr = ok(buyer.post(f"{PO}/{po['id']}/returns", json={"version": gr["order"]["version"], "lines": [
        {"receipt_line_id": gr["lines"][0]["id"], "quantity": "1"}]}), 201)
    r = buyer.get(f"/api/v1/purchase-returns/{pr['id']}/pdf")
    assert r.status_code == 200 and pr["number"].encode() in r.data


def test_pdf_of_an_unknown_order_is_a_json_404(login):
    r = login("purchaser").get(f"{PO}/12345/pdf")
    assert r.status_code == 404 and r.get_json()["code"] == "not_found"
