"""Printable sales documents (A4 PDF, Chinese + English labels) built on ``documents_pdf``: each function
returns ``(PDF bytes, file name)`` of a document the user may see; the view builds the response."""
from __future__ import annotations

from backend.models.sales import CreditNote, Invoice, Shipment
from backend.services.documents_pdf import Column, render_document
from backend.services.sales import get_document, get_sales_order


def _money_rows(lines) -> list[list]:
    return [[i, ln.product.sku, ln.product.name, f"{ln.quantity.normalize():f}", f"{ln.unit_price:.2f}",
             f"{(ln.discount_rate * 100).normalize():f}%", f"{(ln.tax_rate * 100).normalize():f}%",
             f"{ln.net_amount:.2f}", f"{ln.tax_amount:.2f}", f"{ln.total_amount:.2f}"]
            for i, ln in enumerate(lines, start=1)]


def _money_pdf(title: str, doc, header: list, notes: str | None = None) -> tuple[bytes, str]:
    cols = [Column("#", 6, "right"), Column("编码 SKU", 20), Column("商品 Product", 40), Column("数量 Qty", 14, "right"),
            Column("单价 Price", 16, "right"), Column("折扣 Disc.", 12, "right"), Column("税率 Tax", 12, "right"),
            Column("金额 Net", 18, "right"), Column("税额 Tax", 16, "right"), Column("价税合计 Total", 20, "right")]
    totals = [("金额 Subtotal", f"{doc.subtotal:.2f}"), ("折扣 Discount", f"-{doc.discount_total:.2f}")]
    totals += [(f"税额 Tax {(t['tax_rate'] * 100).normalize():f}% (基数 {t['base']:.2f})", f"{t['tax']:.2f}")
               for t in doc.tax_lines]
    totals += [("价税合计 Total", f"{doc.total:.2f}")]
    pdf = render_document(title, header, cols, _money_rows(doc.lines), totals, number=doc.number, notes=notes,
                          footer="JXC")
    return pdf, f"{doc.number}.pdf"


def sales_order_pdf(so_id: int, user) -> tuple[bytes, str]:
    so = get_sales_order(so_id, user)
    return _money_pdf("销售订单 Sales Order", so, [
        ("单号 No.", so.number), ("日期 Date", so.order_date), ("客户 Customer", so.customer.name),
        ("仓库 Warehouse", so.warehouse.name), ("状态 Status", so.status), ("交货 Expected", so.expected_date or "")],
        so.notes)


def invoice_pdf(invoice_id: int, user) -> tuple[bytes, str]:
    inv = get_document(Invoice, invoice_id, "Invoice", user)
    return _money_pdf("销售发票 Invoice", inv, [
        ("发票号 No.", inv.number), ("开票日期 Date", inv.invoice_date), ("客户 Customer", inv.customer.name),
        ("税号 Tax ID", inv.customer.tax_id or ""), ("订单 Order", inv.order.number), ("到期 Due", inv.due_date or "")],
        inv.notes)


def credit_note_pdf(cn_id: int, user) -> tuple[bytes, str]:
    cn = get_document(CreditNote, cn_id, "Credit note", user)
    ret = cn.sales_return
    return _money_pdf("红字发票/贷项通知单 Credit Note", cn, [
        ("单号 No.", cn.number), ("日期 Date", cn.credit_date), ("客户 Customer", cn.customer.name),
        ("退货单 Return", ret.number if ret else "")], ret.reason if ret else None)


def shipment_pdf(shipment_id: int, user) -> tuple[bytes, str]:
    dn = get_document(Shipment, shipment_id, "Shipment", user)
    rows = [[i, sl.product.sku, sl.product.name, sl.product.unit, f"{sl.quantity.normalize():f}"]
            for i, sl in enumerate(dn.lines, start=1)]
    pdf = render_document("发货单 Delivery Note", [
        ("单号 No.", dn.number), ("日期 Date", dn.shipped_at.date()), ("订单 Order", dn.order.number),
        ("客户 Customer", dn.order.customer.name), ("仓库 Warehouse", dn.order.warehouse.name)],
        [Column("#", 6, "right"), Column("编码 SKU", 25), Column("商品 Product", 60), Column("单位 Unit", 12),
         Column("数量 Qty", 18, "right")], rows, number=dn.number, notes=dn.notes, footer="JXC")
    return pdf, f"{dn.number}.pdf"
