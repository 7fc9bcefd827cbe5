"""Scanning: decode a barcode photo and resolve it to products; print product labels as PDF.

Thin layer over the pure library ``backend.scan``: input checks, barcode resolution, error mapping.
"""
from __future__ import annotations

import re
import time

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import validate
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict, FileStorage

from backend.api.common import Blueprint, Dec, HardenedParser, pdf_response
from backend.api.products import GS1Fields
from backend.auth.decorators import current_user_or_none, require
from backend.errors import PayloadTooLarge, ValidationFailed
from backend.extensions import limiter
from backend.scan import DEFAULT_BUDGET_S, ImageRejected, decode
from backend.scan.labels import LAYOUTS, SYMBOLOGIES
from backend.services import scanning
from backend.services.scanning import MAX_LABEL_PRODUCTS
from backend.uploads import decode_slot, image_error, max_pixels


class _MultipartParser(HardenedParser):
    """Reads a multipart body whole: its files *and* its form fields, so one schema documents one
    ``multipart/form-data`` request body (flask-smorest documents only one body location per route)."""

    def load_files(self, req, schema):
        return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)


class _ScanBlueprint(Blueprint):
    ARGUMENTS_PARSER = _MultipartParser()


blp = _ScanBlueprint("scan", __name__, url_prefix="/api/v1", description="Barcode scanning and labels")

CONTEXTS = ("receive", "pick", "stocktake", "transfer", "lookup")


def _scan_limit() -> str:
    return current_app.config.get("SCAN_RATE_LIMIT", "60/minute")


def _per_user() -> str:
    user = current_user_or_none()
    return f"scan:user:{user.id}" if user is not None else f"scan:ip:{request.remote_addr}"


class _FileUpload(Upload):
    """A multipart file part; a plain form field of the same name is not a file."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ma.ValidationError("Must be a file part (multipart/form-data).")
        return value


class ScanUpload(ma.Schema):
    image = _FileUpload(required=True, metadata={"description": "The photo (PNG, JPEG, GIF, BMP, WebP, TIFF; ≤ 10 MB, "
                                                    "≤ 12 MP by default: IMAGE_MAX_PIXELS)"})
    context = ma.fields.String(load_default="lookup", validate=validate.OneOf(CONTEXTS),
                               metadata={"description": "What the scan is for: " + " | ".join(CONTEXTS)})


class ProductBrief(ma.Schema):
    id = ma.fields.Integer()
    sku = ma.fields.String()
    name = ma.fields.String()
    unit = ma.fields.String()
    sale_price = Dec()
    is_active = ma.fields.Boolean()


class ScanResult(ma.Schema):
    text = ma.fields.String()
    symbology = ma.fields.String(metadata={"description": "ean13 | ean8 | upca | upce | code128 | code39 | code93 | "
                                                          "itf | codabar | qrcode | datamatrix"})
    rect = ma.fields.List(ma.fields.Integer(), metadata={"description": "Bounding box in the photo's pixels: "
                                                                         "[x, y, width, height]"})
    points = ma.fields.List(ma.fields.List(ma.fields.Integer()),
                            metadata={"description": "Outline in the photo's pixels: [[x, y], ...] (corners)"})
    gtin = ma.fields.String(allow_none=True)
    gs1 = ma.fields.Nested(GS1Fields, allow_none=True,
                           metadata={"description": "A GS1 symbol's fields (GTIN, lot, expiry, serial, ...)"})
    engine = ma.fields.String()
    scan_pass = ma.fields.String(data_key="pass")
    unknown = ma.fields.Boolean(metadata={"description": "True when no product has this barcode"})
    product = ma.fields.Nested(ProductBrief, allow_none=True)
    quantity = Dec(allow_none=True, metadata={"description": "Units per scan (pack size)"})


class ScanOut(ma.Schema):
    context = ma.fields.String()
    results = ma.fields.List(ma.fields.Nested(ScanResult),
                             metadata={"description": "Every code found in the photo, each with its box"})
    choose = ma.fields.Boolean(metadata={"description": "True when the codes name more than one distinct "
                                                        "product (or unknown code): let the user tap the one meant"})
    ms = ma.fields.Float(metadata={"description": "Decode time"})


@blp.route("/scan/decode")
class ScanDecode(MethodView):
    @limiter.limit(_scan_limit, key_func=_per_user)
    @blp.arguments(ScanUpload, location="files")
    @blp.response(200, ScanOut)
    @blp.errors(403, 413, 415, 422, 429, 503)
    @require("scan.decode")
    def post(self, form):
        """Decode the barcodes in a photo; each is resolved to its product and pack quantity (or unknown)."""
        f = form["image"]
        max_bytes = int(current_app.config.get("SCAN_MAX_BYTES", 10 * 1024 * 1024))
        data = f.stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise PayloadTooLarge(f"The image is larger than {max_bytes} bytes.", zh=f"图片超过 {max_bytes} 字节。",
                                  errors={"image": ["Too large."]})
        with decode_slot():  # bounded concurrent decodes per process (503 + Retry-After when busy)
            t0 = time.perf_counter()
            try:
                found = decode(data, budget_s=float(current_app.config.get("SCAN_BUDGET_S", DEFAULT_BUDGET_S)),
                               max_bytes=max_bytes, max_pixels=max_pixels())
            except ImageRejected as exc:
                raise image_error(exc) from exc
        ms = round((time.perf_counter() - t0) * 1000, 1)
        return {"context": form.get("context", "lookup"), **scanning.resolve_reads(found), "ms": ms}


class LabelArgs(ma.Schema):
    product_ids = ma.fields.String(required=True, validate=validate.Length(min=1, max=5000),
                                   metadata={"description": "Comma-separated product ids, e.g. 1,2,3 (max 500)"})
    layout = ma.fields.String(load_default="a4", validate=validate.OneOf(LAYOUTS))
    symbology = ma.fields.String(load_default="ean13", validate=validate.OneOf(SYMBOLOGIES))
    qr = ma.fields.Boolean(load_default=False)
    copies = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))


def _parse_ids(raw: str) -> list[int]:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts or not all(re.fullmatch(r"\d{1,9}", p) for p in parts):
        raise ValidationFailed("product_ids must be comma-separated ids.", errors={"product_ids": ["Not a list of ids."]})
    ids = list(dict.fromkeys(int(p) for p in parts))
    if len(ids) > MAX_LABEL_PRODUCTS:
        raise ValidationFailed(f"At most {MAX_LABEL_PRODUCTS} products per sheet.",
                               zh=f"每张标签纸最多 {MAX_LABEL_PRODUCTS} 个商品。",
                               errors={"product_ids": ["Too many ids."]})
    return ids


@blp.route("/labels")
class Labels(MethodView):
    @blp.arguments(LabelArgs, location="query")
    @blp.response(200, content_type="application/pdf")
    @blp.errors(403, 404, 422)
    @require("label.print")
    def get(self, args):
        """PDF sheet of product labels (name, SKU, price, barcode; A4 3x8 sheets or 50x30 mm thermal)."""
        pdf = scanning.label_sheet(_parse_ids(args["product_ids"]), layout=args["layout"],
                                   symbology=args["symbology"], qr=args["qr"], copies=args["copies"])
        return pdf_response(pdf, f"labels-{args['layout']}.pdf")
