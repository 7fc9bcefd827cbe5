"""Printable purchase documents (A4 PDF, Chinese + English labels) built on ``documents_pdf``."""
from __future__ import annotations

from decimal import Decimal

from backend.auth.visibility import can_see_costs, visible_columns
from backend.domain.money import cents
from backend.services import purchasing, purchasing_receipts
from backend.services.documents_pdf import Column, render_document

STATUS_ZH = {"draft": "草稿", "submitted": "待审批", "approved": "已审批", "rejected": "已驳回",
             "partially_received": "部分入库", "received": "已入库", "closed": "已关闭", "cancelled": "已取消",
             "posted": "已过账"}

# supplier prices and amounts are costs: without cost.view the document shows quantities only (a warehouse
# clerk still prints what to receive or return)
_COLUMNS = [Column("#", 6, "right"), Column("编码 SKU", 18), Column("商品 Product", 40), Column("单位", 8),
            Column("数量 Qty", 14, "right"), Column("单价(不含税)", 16, "right", cost=True), Column("税率", 9, "right"),
            Column("金额 Net", 16, "right", cost=True), Column("税额 Tax", 14, "right", cost=True),
            Column("价税合计", 17, "right", cost=True)]


def _q(v: Decimal) -> str:
    return format(Decimal(v).normalize(), "f")


def _m(v: Decimal) -> str:
    return f"{cents(v):,.2f}"


def _rate(v: Decimal) -> str:
    return f"{(Decimal(v) * 100).normalize():f}%"


def _row(i, ln) -> list:
    p = ln.product
    return [i, p.sku, p.name + (f" {p.spec}" if getattr(p, "spec", None) else ""), p.unit, _q(ln.quantity),
            f"{Decimal(ln.unit_price):,.4f}".rstrip("0").rstrip("."), _rate(ln.tax_rate), _m(ln.amount),
            _m(ln.tax_amount), _m(ln.total)]


def _totals(net, tax, total) -> list:
    return [("金额合计 Net", _m(net)), ("税额合计 Tax", _m(tax)), ("价税合计 Total (CNY)", _m(total))]


def _render(user, title: str, header: list, rows: list, totals: list, **kw) -> bytes:
    """``render_document`` with the cost columns and totals left out when the user may not see costs."""
    cols, rows = visible_columns(_COLUMNS, rows, user=user)
    return render_document(title, header, cols, list(rows), totals if can_see_costs(user) else [], **kw)


def _date(d) -> str:
    return d.strftime("%Y-%m-%d %H:%M UTC") if hasattr(d, "hour") else (d.isoformat() if d else "")


def purchase_order_pdf(po_id: int, user) -> tuple[bytes, str]:
    """(PDF bytes, file name) of a purchase order the user may see."""
    po = purchasing.get_purchase_order(po_id, user)
    header = [("单号 No.", po.number), ("状态 Status", f"{STATUS_ZH.get(po.status, po.status)} {po.status}"),
              ("供应商 Supplier", f"{po.supplier.name} ({po.supplier.code})"),
              ("仓库 Warehouse", f"{po.warehouse.name} ({po.warehouse.code})"),
              ("日期 Date", _date(po.created_at)), ("预计到货 Expected", _date(po.expected_date)),
              ("联系人 Contact", " ".join(x for x in (po.supplier.contact, po.supplier.phone) if x)),
              ("地址 Address", po.supplier.address or "")]
    rows = [_row(ln.line_no, ln) for ln in po.lines]
    pdf = _render(user, "采购订单 Purchase Order", header, rows, _totals(po.subtotal, po.tax_total, po.total),
                  number=po.number, notes=f"备注 Notes: {po.notes}" if po.notes else None, footer="JXC 进销存")
    return pdf, f"{po.number}.pdf"


def receipt_pdf(receipt_id: int, user) -> tuple[bytes, str]:
    gr = purchasing_receipts.get_receipt(receipt_id, user)
    header = [("单号 No.", gr.number), ("采购订单 PO", gr.order.number),
              ("供应商 Supplier", f"{gr.supplier.name} ({gr.supplier.code})"),
              ("仓库 Warehouse", f"{gr.warehouse.name} ({gr.warehouse.code})"),
              ("入库时间 Received", _date(gr.received_at)), ("状态 Status", STATUS_ZH.get(gr.status, gr.status))]
    rows = [_row(i, ln) for i, ln in enumerate(gr.lines, 1)]
    pdf = _render(user, "入库单 Goods Receipt", header, rows, _totals(gr.amount, gr.tax_amount, gr.total),
                  number=gr.number, notes=f"备注 Notes: {gr.note}" if gr.note else None, footer="JXC 进销存")
    return pdf, f"{gr.number}.pdf"


def return_pdf(return_id: int, user) -> tuple[bytes, str]:
    pr = purchasing_receipts.get_return(return_id, user)
    header = [("单号 No.", pr.number), ("采购订单 PO", pr.order.number),
              ("供应商 Supplier", f"{pr.supplier.name} ({pr.supplier.code})"),
              ("仓库 Warehouse", f"{pr.warehouse.name} ({pr.warehouse.code})"),
              ("退货时间 Returned", _date(pr.returned_at)), ("原因 Reason", pr.reason or "")]
    rows = [_row(i, ln) for i, ln in enumerate(pr.lines, 1)]
    pdf = _render(user, "采购退货单 Purchase Return", header, rows, _totals(pr.amount, pr.tax_amount, pr.total),
                  number=pr.number, footer="JXC 进销存")
    return pdf, f"{pr.number}.pdf"
