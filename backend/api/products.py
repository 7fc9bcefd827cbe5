"""Products, their barcodes, and barcode resolution."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Cost, Dec, ListArgs, Str
from backend.api.crud import crud_resource
from backend.auth.decorators import current_user_or_none, require
from backend.models.catalog import BARCODE_KINDS, SYMBOLOGIES, Product
from backend.services import catalog, products

blp = Blueprint("products", __name__, url_prefix="/api/v1", description="Products and barcodes")


class BarcodeIn(ma.Schema):
    code = Str(128, min_len=1)
    symbology = ma.fields.String(validate=validate.OneOf(SYMBOLOGIES))
    quantity = Dec(min_value="0.0001", load_default=None, metadata={"description": "Units per scan (pack size)"})
    kind = ma.fields.String(validate=validate.OneOf(BARCODE_KINDS))
    supplier_id = ma.fields.Integer(allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))
    generate = ma.fields.Boolean(metadata={"description": "Generate an internal EAN-13 instead of code"})

    @ma.validates_schema
    def _code_or_generate(self, data, **_):
        if not data.get("generate") and not data.get("code"):
            raise ma.ValidationError("code is required unless generate is true.", "code")


class BarcodeOut(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    symbology = ma.fields.String()
    quantity = Dec()
    kind = ma.fields.String()
    supplier_id = ma.fields.Integer(allow_none=True)
    product_id = ma.fields.Integer()


class ProductIn(ma.Schema):
    sku = Str(64, required=True, min_len=1)
    name = Str(200, required=True, min_len=1)
    name_en = Str(200, allow_none=True)
    model = Str(100, allow_none=True, metadata={"description": "型号"})
    spec = Str(200, allow_none=True, metadata={"description": "规格"})
    unit = Str(20, min_len=1)
    category = Str(100, allow_none=True)
    purchase_price = Dec()
    sale_price = Dec()
    tax_rate = Dec(max_value="1")
    reorder_point = Dec()
    reorder_qty = Dec()
    is_active = ma.fields.Boolean()
    notes = Str(2000, allow_none=True)


class ProductCreate(ProductIn):
    barcodes = ma.fields.List(ma.fields.Nested(BarcodeIn), validate=validate.Length(max=50))


class ProductOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    sku = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String(allow_none=True)
    model = ma.fields.String(allow_none=True)
    spec = ma.fields.String(allow_none=True)
    unit = ma.fields.String()
    category = ma.fields.String(allow_none=True)
    purchase_price = Cost(Dec())
    sale_price = Dec()
    tax_rate = Dec()
    reorder_point = Dec()
    reorder_qty = Dec()
    is_active = ma.fields.Boolean()
    notes = ma.fields.String(allow_none=True)
    barcodes = ma.fields.List(ma.fields.Nested(BarcodeOut))
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class StockByWarehouse(ma.Schema):
    warehouse_id = ma.fields.Integer()
    warehouse_code = ma.fields.String()
    quantity = Dec(min_value=None)
    avg_cost = Cost(Dec(min_value=None))
    value = Cost(Dec(min_value=None))


class ProductDetail(ProductOut):
    stock = ma.fields.Method("_stock", metadata={"description": "On-hand per warehouse (the user's warehouses)"})

    def _stock(self, product):
        return StockByWarehouse(many=True).dump(products.stock_by_warehouse(product.id, current_user_or_none()))


class ProductListArgs(ListArgs):
    category = ma.fields.String(validate=validate.Length(max=100))
    active = ma.fields.Boolean(allow_none=True, load_default=None)


crud_resource(
    blp, path="/products", model=Product, name="Product", in_schema=ProductIn, out_schema=ProductOut,
    view_perm="product.view", write_perm="product.write", search_fields=(), list_args=ProductListArgs,
    sort_fields=("id", "sku", "name", "category", "sale_price", "purchase_price", "updated_at"),
    unique=catalog.PRODUCT_UNIQUE, filter_fn=products.filter_products, detail_schema=ProductDetail,
    create_schema=ProductCreate, create_fn=catalog.create_product, update_fn=catalog.update_product,
)


class CategoriesOut(ma.Schema):
    items = ma.fields.List(ma.fields.String())


@blp.route("/products/categories")
class Categories(MethodView):
    @blp.response(200, CategoriesOut)
    @require("product.view")
    def get(self):
        """Distinct product categories."""
        return {"items": products.categories()}


@blp.route("/products/<int:product_id>/barcodes")
class ProductBarcodes(MethodView):
    @blp.response(200, BarcodeOut(many=True))
    @blp.errors(404)
    @require("product.view")
    def get(self, product_id):
        """Barcodes of a product."""
        return products.barcodes_of(product_id)

    @blp.arguments(BarcodeIn)
    @blp.response(201, BarcodeOut)
    @blp.errors(404, 409, 422)
    @require("barcode.write")
    def post(self, data, product_id):
        """Assign a barcode (or ``generate: true`` for a new internal EAN-13)."""
        return catalog.add_barcode(product_id, data)


@blp.route("/products/<int:product_id>/barcodes/<int:barcode_id>")
class ProductBarcode(MethodView):
    @blp.response(204)
    @blp.errors(404)
    @require("barcode.write")
    def delete(self, product_id, barcode_id):
        """Remove a barcode from a product."""
        catalog.remove_barcode(product_id, barcode_id)


class GS1Element(ma.Schema):
    ai = ma.fields.String()
    title = ma.fields.String()
    value = ma.fields.String()
    date = ma.fields.String(metadata={"description": "ISO date, for date AIs"})
    decimal = ma.fields.String(metadata={"description": "The value with its implied decimal point (310x …)"})


class GS1Fields(ma.Schema):
    """A GS1 element string's fields (``backend.domain.gs1``); a key only when its AI is present."""
    gtin = ma.fields.String(metadata={"description": "AI 01, 14 digits"})
    content_gtin = ma.fields.String(metadata={"description": "AI 02"})
    sscc = ma.fields.String(metadata={"description": "AI 00"})
    lot = ma.fields.String(metadata={"description": "AI 10"})
    serial = ma.fields.String(metadata={"description": "AI 21"})
    expiry = ma.fields.String(metadata={"description": "AI 17, ISO date"})
    best_before = ma.fields.String(metadata={"description": "AI 15, ISO date"})
    production_date = ma.fields.String(metadata={"description": "AI 11, ISO date"})
    quantity = ma.fields.String(metadata={"description": "AI 30, variable count"})
    count = ma.fields.String(metadata={"description": "AI 37, count of trade items"})
    net_weight_kg = ma.fields.String(metadata={"description": "AI 310x, decimal kg"})
    hri = ma.fields.String(metadata={"description": "Human-readable form, (AI)value…"})
    elements = ma.fields.List(ma.fields.Nested(GS1Element))


class ResolvedBarcode(ma.Schema):
    code = ma.fields.String()
    quantity = Dec()
    symbology = ma.fields.String()
    product = ma.fields.Nested(ProductOut)
    gs1 = ma.fields.Nested(GS1Fields, allow_none=True,
                           metadata={"description": "When the code is a GS1 element string: its fields"})


@blp.route("/barcodes/<string:code>")
class BarcodeLookup(MethodView):
    @blp.response(200, ResolvedBarcode)
    @blp.errors(404, 422)
    @require("product.view")
    def get(self, code):
        """Resolve a scanned code to its product and pack quantity. A GS1 element string (GS1-128, GS1
        DataMatrix/QR: ``(01)…(17)…(10)…`` or raw with/without GS separators, URL-encoded) resolves by its GTIN
        (AI 01) and returns its parsed fields in ``gs1``."""
        return products.resolve_barcode(code)
