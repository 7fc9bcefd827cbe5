"""Scanning services: a decoded photo's codes resolved to products; label sheets for products.

The views in ``backend/api/scan.py`` only parse, call these and serialise. The decoding itself is the pure
library ``backend.scan``; the barcode rules (check digits, UPC-A/EAN-13 twins) are
``backend.domain.barcodes``.
"""
from __future__ import annotations

from backend.domain.barcodes import equivalent_codes, is_valid_gtin
from backend.errors import NotFound
from backend.extensions import db
from backend.models.catalog import Product
from backend.scan.labels import render_labels
from backend.services.catalog import resolve_barcode

MAX_LABEL_PRODUCTS = 500


def lookup_codes(d) -> list[str]:
    """Codes to look up for a read: its text, then its GTIN forms (UPC-E expansion, with/without the 0s;
    a GS1 symbol's AI 01)."""
    out = [d.text]
    gtin = d.gtin or (d.gs1 or {}).get("gtin")  # a GS1 symbol names its product by AI 01
    if gtin and is_valid_gtin(gtin):
        out += equivalent_codes(gtin)
    seen, uniq = set(), []
    for c in out:
        if c and c not in seen and len(c) <= 128:
            seen.add(c)
            uniq.append(c)
    return uniq


def resolve_read(d) -> dict:
    """One decoded code → its row: text, symbology, position, and the product it names (or unknown)."""
    row = {"text": d.text, "symbology": d.symbology, "rect": list(d.rect),
           "points": [list(p) for p in d.points], "gtin": d.gtin, "engine": d.engine,
           "scan_pass": d.pass_name, "unknown": True, "product": None, "quantity": None, "gs1": d.gs1}
    for code in lookup_codes(d):
        hit = resolve_barcode(code)
        if hit is not None:
            product, qty = hit
            row.update(unknown=False, product=product, quantity=qty)
            break
    return row


def resolve_reads(found) -> dict:
    """Every code of a photo resolved; ``choose`` is True when they name more than one distinct product or
    unknown code, so the client should let the user pick the one meant (tap on its box)."""
    results = [resolve_read(d) for d in found]
    distinct = {("p", r["product"].id) if r["product"] is not None else ("c", r["gtin"] or r["text"]) for r in results}
    return {"results": results, "choose": len(distinct) > 1}


def label_code(p: Product, symbology: str) -> str:
    """The code printed on a product's label: for EAN-13 labels its first valid EAN-13/UPC-A, else its
    first barcode, else its SKU."""
    codes = list(p.barcodes)
    if symbology == "ean13":
        for b in codes:
            if b.code.isdigit() and len(b.code) in (12, 13) and is_valid_gtin(b.code):
                return b.code
    return codes[0].code if codes else p.sku


def label_sheet(ids: list[int], *, layout: str, symbology: str, qr: bool, copies: int) -> bytes:
    """PDF label sheet for products ``ids`` (in that order, ``copies`` each). Unknown ids → NotFound."""
    products = {p.id: p for p in db.session.scalars(db.select(Product).where(Product.id.in_(ids)))}
    missing = [i for i in ids if i not in products]
    if missing:
        raise NotFound("Unknown product ids.", errors={"product_ids": missing[:50]})
    items = []
    for i in ids:
        p = products[i]
        items += [{"name": p.name, "sku": p.sku, "price": p.sale_price, "barcode": label_code(p, symbology)}] * copies
    return render_labels(items[:MAX_LABEL_PRODUCTS * 4], layout=layout, symbology=symbology, qr=qr)
