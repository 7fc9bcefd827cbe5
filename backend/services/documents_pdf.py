"""Printable A4 business documents (PDF) with Chinese text.

Interface (shared by purchasing, sales, invoices …); services return the bytes and a file name, the view
builds the response (``backend.api.common.pdf_response``)::

    from backend.services.documents_pdf import Column, render_document

    pdf: bytes = render_document(
        "采购订单 Purchase Order",                       # title (big, centred)
        [("单号 No.", "PO-20261128-0001"), ("供应商 Supplier", "上海五金")],   # header fields (label, value)
        [Column("商品 Product", 60), Column("数量 Qty", 20, "right"), ...],   # or plain strings
        [["螺丝刀", "10.0000", ...], ...],                # rows: lists of values (str() is applied)
        [("合计 Subtotal", "100.00"), ("税额 Tax", "13.00"), ("总计 Total", "113.00")],  # totals
        number="PO-20261128-0001",                         # goes into the PDF metadata (title/subject)
        notes="备注 …", footer="JXC")
    return pdf, "PO-20261128-0001.pdf"

Every document starts with the company letterhead (``company_header``: logo, name, address, tax id,
phone, e-mail from ``backend.services.company``, edited on the Company screen); a PDF built some other way
puts ``company_header(width)`` at the top of its story to print the same header.

Text uses reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1): Chinese renders in every PDF viewer
with no font file to ship. Column widths are in millimetres and scaled to the printable width; cells wrap.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from backend.services.company import Letterhead, letterhead

FONT = "STSong-Light"
_ALIGN = {"left": TA_LEFT, "right": TA_RIGHT, "center": TA_CENTER}
_registered = False
MARGIN = 15 * mm


@dataclass(frozen=True)
class Column:
    label: str
    width: float = 30  # mm (relative: scaled to fit the page)
    align: str = "left"  # left | right | center
    cost: bool = False  # a cost column: callers drop it without cost.view (backend/auth/visibility.py)


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _style(size: float, align: str = "left", bold: bool = False) -> ParagraphStyle:
    return ParagraphStyle(f"s{size}{align}{bold}", fontName=_font(), fontSize=size, leading=size * 1.3,
                          alignment=_ALIGN.get(align, TA_LEFT))


def _p(value, style: ParagraphStyle) -> Paragraph:
    text = "" if value is None else str(value)
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _logo(data: bytes | None, max_w: float, max_h: float) -> Image | None:
    """The logo scaled into ``max_w`` × ``max_h`` (aspect kept); None without one or if unreadable."""
    if not data:
        return None
    try:
        img = Image(io.BytesIO(data))
    except Exception:  # noqa: BLE001  (stored logos are re-encoded; a damaged one never breaks a PDF)
        return None
    scale = min(max_w / img.imageWidth, max_h / img.imageHeight)
    img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
    return img


def company_header(width: float, head: Letterhead | None = None) -> list:
    """Flowables of the company letterhead (logo left, name and contact lines right, a rule under it);
    ``[]`` when no details were saved. ``head`` defaults to the saved company details."""
    head = head if head is not None else letterhead()
    if head.empty:
        return []
    lines = [_p(head.name, _style(14))] if head.name else []
    if head.address:
        lines.append(_p(head.address, _style(9)))
    contact = "  ".join(x for x in (f"税号 Tax ID: {head.tax_id}" if head.tax_id else "",
                                    f"电话 Tel: {head.phone}" if head.phone else "",
                                    f"邮箱 Email: {head.email}" if head.email else "") if x)
    if contact:
        lines.append(_p(contact, _style(9)))
    logo = _logo(head.logo, 45 * mm, 18 * mm)
    logo_w = (logo.drawWidth + 4 * mm) if logo is not None else 0
    t = Table([[logo or "", lines]], colWidths=[logo_w or 0.1, width - (logo_w or 0.1)])
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                           ("LINEBELOW", (0, 0), (-1, -1), 0.6, colors.HexColor("#999999")),
                           ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    return [t, Spacer(1, 4 * mm)]


def _header_table(fields: Sequence[tuple[str, object]], width: float) -> Table:
    """Header fields: two (label, value) pairs per row, labels in grey."""
    hs = _style(9)
    grid = []
    for i in range(0, len(fields), 2):
        row: list = []
        for label, value in fields[i:i + 2]:
            row += [_p(label, hs), _p(value, hs)]
        row += [""] * (4 - len(row))
        grid.append(row)
    t = Table(grid, colWidths=[width * f for f in (0.15, 0.35, 0.15, 0.35)])
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("TEXTCOLOR", (0, 0), (0, -1), colors.grey),
                           ("TEXTCOLOR", (2, 0), (2, -1), colors.grey),
                           ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("TOPPADDING", (0, 0), (-1, -1), 2)]))
    return t


def _lines_table(cols: list[Column], rows: Iterable[Sequence[object]], width: float) -> Table:
    """The lines: one header row (repeated on every page), cells wrap; widths scaled to ``width``."""
    total_w = sum(c.width for c in cols) or 1
    widths = [width * c.width / total_w for c in cols]
    head = [_p(c.label, _style(9, c.align)) for c in cols]
    body = [[_p(v, _style(9, cols[i].align)) for i, v in enumerate(list(r)[:len(cols)])] for r in rows]
    t = Table([head] + body, colWidths=widths, repeatRows=1)
    t.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return t


def _totals_table(totals: Sequence[tuple[str, object]], width: float) -> Table:
    grid = [[_p(label, _style(10, "right")), _p(value, _style(10, "right"))] for label, value in totals]
    t = Table(grid, colWidths=[width * 0.75, width * 0.25])
    t.setStyle(TableStyle([("LINEABOVE", (0, 0), (-1, 0), 0.6, colors.black)]))
    return t


def _page_decorator(footer: str, number: str | None):
    """Draws the footer and the page number on every page."""
    def decorate(canvas, d):
        canvas.saveState()
        canvas.setFont(_font(), 8)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, 10 * mm, f"{footer}  {number or ''}".strip())
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, f"第 {d.page} 页 / Page {d.page}")
        canvas.restoreState()
    return decorate


def render_document(title: str, header_fields: Sequence[tuple[str, object]], columns: Sequence[Column | str],
                    rows: Iterable[Sequence[object]], totals: Sequence[tuple[str, object]] = (), *,
                    number: str | None = None, notes: str | None = None, footer: str | None = None,
                    company: Letterhead | None = None, compress: bool = True) -> bytes:
    """Render an A4 document and return the PDF bytes.

    Args: ``header_fields`` are (label, value) pairs shown two per row; ``columns`` are ``Column``s or
    labels; ``rows`` are sequences with one value per column; ``totals`` (label, value) pairs are
    right-aligned under the table. ``number`` is written to the PDF metadata (searchable without
    decompressing). ``company`` overrides the saved letterhead (``company_header``). ``compress=False`` leaves page streams readable (tests, debugging).
    """
    cols = [c if isinstance(c, Column) else Column(str(c)) for c in columns]
    head = company if company is not None else letterhead()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=18 * mm, title=f"{title} {number}".strip() if number else title,
                            subject=number or title, author=head.name or "JXC", creator="JXC",
                            pageCompression=1 if compress else 0)
    width = A4[0] - 2 * MARGIN
    story: list = company_header(width, head)
    story += [_p(title, _style(16, "center", bold=True)), Spacer(1, 5 * mm)]
    fields = list(header_fields)
    if fields:
        story += [_header_table(fields, width), Spacer(1, 4 * mm)]
    if cols:
        story.append(_lines_table(cols, rows, width))
    if totals:
        story += [Spacer(1, 2 * mm), _totals_table(totals, width)]
    if notes:
        story += [Spacer(1, 4 * mm), _p(notes, _style(9))]
    decorate = _page_decorator(footer or "", number)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buf.getvalue()
