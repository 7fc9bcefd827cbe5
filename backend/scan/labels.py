"""Product label sheets as PDF (pure library: plain dicts in, PDF bytes out).

Each product dict: ``name``, ``sku``, ``price`` (number/str/Decimal), optional ``barcode`` (the code to
print; the SKU is used when absent), optional ``currency`` (default ``¥``).
Barcodes are vector drawings (reportlab's barcode widgets: real rectangles, no bitmaps).
Chinese names: a TrueType CJK font is embedded when one is installed (JXC_LABEL_FONT, Droid Sans
Fallback, WenQuanYi, Noto TTF...); otherwise the built-in Adobe CID font STSong-Light is used, which
every PDF viewer renders without embedding.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from backend.domain.barcodes import gtin_check_digit, is_valid_gtin

LAYOUTS = ("a4", "thermal_50x30")
SYMBOLOGIES = ("ean13", "code128")

_TTF_CANDIDATES = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf",
)
_FONT: str | None = None


def cjk_font() -> str:
    """Register (once) and return the name of a font that renders Chinese."""
    global _FONT
    if _FONT:
        return _FONT
    from reportlab.pdfbase.ttfonts import TTFont

    for path in filter(None, (os.environ.get("JXC_LABEL_FONT"), *_TTF_CANDIDATES)):
        if os.path.exists(path):
            try:
                pdfmetrics.registerFont(TTFont("JXC-CJK", path))
                _FONT = "JXC-CJK"
                return _FONT
            except Exception:  # noqa: BLE001  (CFF/OpenType outlines are not supported by reportlab)
                continue
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    _FONT = "STSong-Light"
    return _FONT


@dataclass(frozen=True)
class Layout:
    page: tuple[float, float]
    label_w: float
    label_h: float
    cols: int
    rows: int
    margin_x: float
    margin_y: float
    gap_x: float
    gap_y: float


LAYOUT_SPECS = {
    # A4 sheet of 3 x 8 labels, 70 x 37 mm (the common "24 per sheet" stock)
    "a4": Layout(A4, 70 * mm, 37 * mm, 3, 8, 0.0, (A4[1] - 8 * 37 * mm) / 2, 0.0, 0.0),
    # one 50 x 30 mm label per page for thermal printers
    "thermal_50x30": Layout((50 * mm, 30 * mm), 50 * mm, 30 * mm, 1, 1, 0.0, 0.0, 0.0, 0.0),
}


def ean13_value(code: str | None) -> str | None:
    """The 13-digit EAN for ``code`` (12 digits get their check digit; UPC-A gets a leading 0), or None."""
    c = (code or "").strip()
    if c.isdigit() and len(c) == 12 and is_valid_gtin(c):
        return "0" + c  # a valid UPC-A
    if c.isdigit() and len(c) == 12:
        return c + gtin_check_digit(c)
    if c.isdigit() and len(c) == 13 and is_valid_gtin(c):
        return c
    return None


def value_is_bad(code: str) -> bool:
    return not code or len(code) > 80 or not all(32 <= ord(ch) < 127 for ch in code)


def barcode_drawing(code: str, symbology: str, width: float, height: float) -> tuple[Drawing, str]:
    """A vector barcode drawing fitted into ``width`` x ``height`` points, and the symbology used.

    EAN-13 falls back to Code 128 when ``code`` is not a valid EAN-13/UPC-A. Raises ValueError when the
    code cannot be encoded at all (Code 128 takes printable ASCII only).
    """
    if value_is_bad(code):
        raise ValueError(f"cannot encode {code!r} as a barcode")
    value = ean13_value(code) if symbology == "ean13" else None
    if value is not None:
        d = createBarcodeDrawing("EAN13", value=value[:12], barHeight=height * 0.8, humanReadable=True,
                                 fontName="Helvetica", fontSize=max(5, min(9, height * 0.14)), quiet=True)
        used = "ean13"
    else:
        d = createBarcodeDrawing("Code128", value=code, barHeight=height * 0.78, humanReadable=True,
                                 fontName="Helvetica", fontSize=max(5, min(8, height * 0.14)), quiet=True)
        used = "code128"
    sx, sy = width / d.width, height / d.height
    s = min(sx, sy)
    d.scale(s, s)
    d.width, d.height = d.width * s, d.height * s
    return d, used


def qr_drawing(text: str, size: float) -> Drawing:
    w = QrCodeWidget(text, barLevel="M", barBorder=2)
    x0, y0, x1, y1 = w.getBounds()
    d = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    d.add(w)
    return d


def _price(p) -> str:
    try:
        return f"{Decimal(str(p)):.2f}"
    except (InvalidOperation, ValueError):
        return str(p or "")


LATIN = "Helvetica"


def _runs(text: str, cjk: str) -> list[tuple[str, str]]:
    """Split text into (font, run): Latin-1 text in Helvetica, everything else in the CJK font
    (Droid Sans Fallback has no Latin glyphs; Helvetica has no Chinese ones)."""
    out: list[tuple[str, str]] = []
    for ch in text:
        f = LATIN if ord(ch) < 256 or cjk == "STSong-Light" else cjk
        if out and out[-1][0] == f:
            out[-1] = (f, out[-1][1] + ch)
        else:
            out.append((f, ch))
    return out


def _width(text: str, cjk: str, size: float) -> float:
    return sum(pdfmetrics.stringWidth(r, f, size) for f, r in _runs(text, cjk))


def _draw_text(c: canvas.Canvas, x: float, y: float, text: str, cjk: str, size: float) -> None:
    for f, r in _runs(text, cjk):
        c.setFont(f, size)
        c.drawString(x, y, r)
        x += pdfmetrics.stringWidth(r, f, size)


def _fit(c: canvas.Canvas, text: str, font: str, size: float, max_w: float) -> tuple[str, float]:
    """Shrink the font down to 5 pt, then truncate with an ellipsis, so ``text`` fits ``max_w``."""
    while size > 5 and _width(text, font, size) > max_w:
        size -= 0.5
    if _width(text, font, size) <= max_w:
        return text, size
    while text and _width(text + "…", font, size) > max_w:
        text = text[:-1]
    return text + "…", size


def _draw_label(c: canvas.Canvas, x: float, y: float, lay: Layout, prod: dict, symbology: str, qr: bool) -> None:
    font = cjk_font()
    pad = 2.0 * mm
    w, h = lay.label_w - 2 * pad, lay.label_h - 2 * pad
    x0, y0 = x + pad, y + pad
    name = str(prod.get("name") or "")
    sku = str(prod.get("sku") or "")
    price = _price(prod.get("price"))
    currency = str(prod.get("currency") or "¥")  # U+00A5, in Latin-1: drawn with Helvetica
    code = str(prod.get("barcode") or sku)
    qr_size = min(h * 0.55, w * 0.3) if qr else 0.0
    text_w = w - (qr_size + 1 * mm if qr else 0)
    name_size = 9 if lay.label_h > 32 * mm else 7.5
    t, s = _fit(c, name, font, name_size, text_w)
    _draw_text(c, x0, y0 + h - s, t, font, s)
    line2 = f"{sku}   {currency}{price}" if price else sku
    t2, s2 = _fit(c, line2, font, name_size - 1, text_w)
    _draw_text(c, x0, y0 + h - s - s2 - 1.5, t2, font, s2)
    top_used = s + s2 + 3
    if qr:
        renderPDF.draw(qr_drawing(code, qr_size), c, x0 + w - qr_size, y0 + h - qr_size)
    bar_h = h - top_used - (max(0.0, qr_size - top_used) if qr else 0)
    bar_w = w if not qr or bar_h < h - qr_size else text_w
    try:
        d, _ = barcode_drawing(code, symbology, bar_w, max(bar_h, 6 * mm)) if code else (None, None)
    except ValueError:  # e.g. a non-ASCII code cannot be printed as Code 128
        d = None
        _draw_text(c, x0, y0 + 2, f"[{code}]", font, 6)
    if d is not None:
        renderPDF.draw(d, c, x0 + (bar_w - d.width) / 2, y0)


def render_labels(products: list[dict], layout: str = "a4", symbology: str = "ean13", qr: bool = False,
                  title: str = "Product labels") -> bytes:
    """PDF bytes with one label per product (A4 sheets of 24, or one 50x30 mm thermal label per page)."""
    if layout not in LAYOUT_SPECS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
    if symbology not in SYMBOLOGIES:
        raise ValueError(f"symbology must be one of {', '.join(SYMBOLOGIES)}")
    lay = LAYOUT_SPECS[layout]
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=lay.page, pageCompression=1)
    c.setTitle(title)
    c.setCreator("JXC")
    per_page = lay.cols * lay.rows
    for i, prod in enumerate(products):
        if i and i % per_page == 0:
            c.showPage()
        k = i % per_page
        col, row = k % lay.cols, k // lay.cols
        x = lay.margin_x + col * (lay.label_w + lay.gap_x)
        y = lay.page[1] - lay.margin_y - (row + 1) * lay.label_h - row * lay.gap_y
        _draw_label(c, x, y, lay, prod, symbology, qr)
    if not products:
        c.setFont("Helvetica", 10)
        c.drawString(20, lay.page[1] - 30, "No products.")
    c.showPage()
    c.save()
    return buf.getvalue()
