"""The partner statement (对账单) as an A4 PDF (``documents_pdf``), ``(bytes, file name)`` as the other
printable documents; the figures are ``statements.statement``'s, never recomputed here."""
from __future__ import annotations

from backend.services.documents_pdf import Column, render_document
from backend.services.statements import statement

DOC_LABELS = {"invoice": "销售发票 Invoice", "credit_note": "红字发票 Credit note", "receipt": "入库单 Goods receipt",
              "purchase_return": "采购退货 Purchase return", "payment_in": "收款 Payment received",
              "payment_out": "付款 Payment made"}


def _m(v) -> str:
    return f"{v:.2f}"


def statement_pdf(side: str, partner_id: int, date_from, date_to) -> tuple[bytes, str]:
    s = statement(side, partner_id, date_from, date_to)
    who = "客户 Customer" if side == "customer" else "供应商 Supplier"
    owed = "应收余额 Receivable" if side == "customer" else "应付余额 Payable"
    rows = [[str(e["date"]), e["number"], DOC_LABELS.get(e["doc_type"], e["doc_type"]) + (f" {e['reference']}" if e.get("reference") else ""),
             _m(e["debit"]) if e["debit"] else "", _m(e["credit"]) if e["credit"] else "", _m(e["balance"])]
            for e in s["lines"]]
    rows.insert(0, [str(s["date_from"]), "", "期初余额 Opening balance", "", "", _m(s["opening"])])
    number = f"ST-{s['code']}-{s['date_from']:%Y%m%d}-{s['date_to']:%Y%m%d}"
    pdf = render_document("对账单 Statement of Account", [
        (who, f"{s['code']} {s['name']}"), ("期间 Period", f"{s['date_from']} ~ {s['date_to']}"),
        ("税号 Tax ID", s["tax_id"] or ""), ("地址 Address", s["address"] or "")],
        [Column("日期 Date", 20), Column("单号 No.", 30), Column("摘要 Description", 50),
         Column("增加 Debit", 20, "right"), Column("减少 Credit", 20, "right"), Column("余额 Balance", 22, "right")],
        rows, [("期初余额 Opening balance", _m(s["opening"])), ("本期单据 Documents", _m(s["documents"])),
               ("本期收付款 Payments", _m(s["payments"])), (f"期末余额 Closing balance ({owed})", _m(s["closing"]))],
        number=number, notes="期末余额 = 期初余额 + 本期单据 − 本期收付款。Closing = opening + documents − payments.",
        footer="JXC")
    return pdf, f"{number}.pdf"
