"""Purchase orders, goods receipts (入库单) and purchase returns (退货). Rules live in services.purchasing."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import (
    PDF_DOC,
    Blueprint,
    Cost,
    Dec,
    ListArgs,
    Str,
    VersionArgs,
    page_schema,
    pdf_response,
)
from backend.auth.decorators import current_user_required, require
from backend.domain.flows import PO_STATUSES
from backend.services import approvals, purchasing, purchasing_pdf, purchasing_receipts

blp = Blueprint("purchasing", __name__, url_prefix="/api/v1", description="Purchasing: orders, receipts, returns")

_ID = validate.Range(min=1, max=2**31 - 1)


# ---------------------------------------------------------------- schemas in

class POLineIn(ma.Schema):
    product_id = ma.fields.Integer(required=True, validate=_ID)
    quantity = Dec(required=True, min_value="0.0001")
    unit_price = Dec(allow_none=True, metadata={"description": "Tax-exclusive; default: product purchase price"})
    tax_rate = Dec(allow_none=True, max_value="1", metadata={"description": "0.13 = 13 %; default: product's"})
    notes = Str(500, allow_none=True)


class POIn(ma.Schema):
    supplier_id = ma.fields.Integer(required=True, validate=_ID)
    warehouse_id = ma.fields.Integer(required=True, validate=_ID)
    expected_date = ma.fields.Date(allow_none=True)
    notes = Str(2000, allow_none=True)
    receive_tolerance_pct = Dec(allow_none=True, max_value="100",
                                metadata={"description": "Over-receipt allowed, % of ordered (default: config)"})
    lines = ma.fields.List(ma.fields.Nested(POLineIn), validate=validate.Length(max=500))


class POPatch(POIn):
    """Any subset of the order's fields, plus the version you read."""

    supplier_id = ma.fields.Integer(validate=_ID)
    warehouse_id = ma.fields.Integer(validate=_ID)
    version = ma.fields.Integer(required=True, validate=_ID)


class POApproveArgs(VersionArgs):
    comment = Str(2000, allow_none=True)


class PORejectArgs(VersionArgs):
    reason = Str(2000, required=True, min_len=1)


class POReasonArgs(VersionArgs):
    reason = Str(2000, allow_none=True)


class POReceiveLineIn(ma.Schema):
    line_id = ma.fields.Integer(required=True, validate=_ID)
    quantity = Dec(required=True, min_value="0.0001")
    location_id = ma.fields.Integer(allow_none=True, validate=_ID)


class POReceiveArgs(VersionArgs):
    lines = ma.fields.List(ma.fields.Nested(POReceiveLineIn), required=True, validate=validate.Length(min=1, max=500))
    note = Str(2000, allow_none=True)


class PurchaseReturnLineIn(ma.Schema):
    receipt_line_id = ma.fields.Integer(required=True, validate=_ID)
    quantity = Dec(required=True, min_value="0.0001")


class PurchaseReturnArgs(VersionArgs):
    lines = ma.fields.List(ma.fields.Nested(PurchaseReturnLineIn), required=True, validate=validate.Length(min=1, max=500))
    reason = Str(2000, allow_none=True)


class POListArgs(ListArgs):
    status = ma.fields.String(validate=validate.OneOf(PO_STATUSES))
    supplier_id = ma.fields.Integer(validate=_ID)
    warehouse_id = ma.fields.Integer(validate=_ID)


class PurchaseDocListArgs(ListArgs):
    order_id = ma.fields.Integer(validate=_ID)
    supplier_id = ma.fields.Integer(validate=_ID)
    warehouse_id = ma.fields.Integer(validate=_ID)


# ---------------------------------------------------------------- schemas out

class _PurchaseLineBase(ma.Schema):
    id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    sku = ma.fields.String(attribute="product.sku")
    name = ma.fields.String(attribute="product.name")
    unit = ma.fields.String(attribute="product.unit")
    quantity = Dec()
    unit_price = Cost(Dec())
    tax_rate = Dec()
    amount = Cost(Dec(places=2))
    tax_amount = Cost(Dec(places=2))
    total = Cost(Dec(places=2))


class POLineOut(_PurchaseLineBase):
    line_no = ma.fields.Integer()
    received_qty = Dec()
    returned_qty = Dec()
    remaining_qty = ma.fields.Function(lambda ln: str(max(ln.quantity - ln.received_qty, 0).quantize(ln.quantity)))
    notes = ma.fields.String(allow_none=True)


class POApprovalOut(ma.Schema):
    id = ma.fields.Integer()
    level = ma.fields.Integer()
    decision = ma.fields.String()
    comment = ma.fields.String(allow_none=True)
    user_id = ma.fields.Integer()
    at = ma.fields.AwareDateTime()


class PurchaseDocSummary(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    total = Cost(Dec(places=2))
    created_at = ma.fields.AwareDateTime()


class POOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    number = ma.fields.String()
    status = ma.fields.String()
    supplier_id = ma.fields.Integer()
    supplier_name = ma.fields.String(attribute="supplier.name")
    warehouse_id = ma.fields.Integer()
    warehouse_code = ma.fields.String(attribute="warehouse.code")
    expected_date = ma.fields.Date(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    receive_tolerance_pct = Dec(allow_none=True)
    subtotal = Cost(Dec(places=2))
    tax_total = Cost(Dec(places=2))
    total = Cost(Dec(places=2))
    created_by_id = ma.fields.Integer(allow_none=True)
    submitted_by_id = ma.fields.Integer(allow_none=True)
    submitted_at = ma.fields.AwareDateTime(allow_none=True)
    approval_level = ma.fields.Integer()
    levels_required = ma.fields.Function(
        lambda po: len(approvals.required_levels(purchasing.DOC_TYPE, po.total)))
    approved_by_id = ma.fields.Integer(allow_none=True)
    approved_at = ma.fields.AwareDateTime(allow_none=True)
    rejected_by_id = ma.fields.Integer(allow_none=True)
    rejected_at = ma.fields.AwareDateTime(allow_none=True)
    reject_reason = ma.fields.String(allow_none=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)
    cancelled_at = ma.fields.AwareDateTime(allow_none=True)
    actions = ma.fields.Function(lambda po: purchasing.PO_FLOW.allowed(po.status),
                                 metadata={"description": "Transitions allowed in this status"})
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class PODetail(POOut):
    lines = ma.fields.List(ma.fields.Nested(POLineOut))
    approvals = ma.fields.Function(lambda po: POApprovalOut(many=True).dump(purchasing.approval_history(po.id)))
    receipts = ma.fields.Function(lambda po: PurchaseDocSummary(many=True).dump(purchasing.receipts_of(po.id)))
    returns = ma.fields.Function(lambda po: PurchaseDocSummary(many=True).dump(purchasing.returns_of(po.id)))


class PurchaseOrderRef(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    status = ma.fields.String()
    version = ma.fields.Integer()


class GoodsReceiptLineOut(_PurchaseLineBase):
    order_line_id = ma.fields.Integer()
    location_id = ma.fields.Integer(allow_none=True)
    returned_qty = Dec()


class GoodsReceiptOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    status = ma.fields.String()
    order_id = ma.fields.Integer()
    order = ma.fields.Nested(PurchaseOrderRef, metadata={"description": "The order after this receipt (new version)"})
    supplier_id = ma.fields.Integer()
    warehouse_id = ma.fields.Integer()
    received_by_id = ma.fields.Integer(allow_none=True)
    received_at = ma.fields.AwareDateTime()
    note = ma.fields.String(allow_none=True)
    op_id = ma.fields.String(allow_none=True)
    amount = Cost(Dec(places=2))
    tax_amount = Cost(Dec(places=2))
    total = Cost(Dec(places=2))
    lines = ma.fields.List(ma.fields.Nested(GoodsReceiptLineOut))


class PurchaseReturnLineOut(_PurchaseLineBase):
    receipt_line_id = ma.fields.Integer()
    order_line_id = ma.fields.Integer()


class PurchaseReturnOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    status = ma.fields.String()
    order_id = ma.fields.Integer()
    order = ma.fields.Nested(PurchaseOrderRef)
    supplier_id = ma.fields.Integer()
    warehouse_id = ma.fields.Integer()
    reason = ma.fields.String(allow_none=True)
    returned_by_id = ma.fields.Integer(allow_none=True)
    returned_at = ma.fields.AwareDateTime()
    amount = Cost(Dec(places=2))
    tax_amount = Cost(Dec(places=2))
    total = Cost(Dec(places=2))
    lines = ma.fields.List(ma.fields.Nested(PurchaseReturnLineOut))


POPage = page_schema(POOut, "PurchaseOrderPage")
ReceiptPage = page_schema(GoodsReceiptOut, "GoodsReceiptPage")
ReturnPage = page_schema(PurchaseReturnOut, "PurchaseReturnPage")


ERRORS = (403, 404, 409, 422)


# ---------------------------------------------------------------- orders

@blp.route("/purchase-orders")
class PurchaseOrders(MethodView):
    @blp.arguments(POListArgs, location="query")
    @blp.response(200, POPage)
    @blp.errors(422)
    @require("purchase.view")
    def get(self, args):
        """List purchase orders (filter by status, supplier, warehouse; q searches number and supplier)."""
        return purchasing.list_purchase_orders(args, current_user_required())

    @blp.arguments(POIn)
    @blp.response(201, PODetail)
    @blp.errors(*ERRORS)
    @require("purchase.create")
    def post(self, data):
        """Create a draft order; totals are computed by the server."""
        return purchasing.create_purchase_order(data, current_user_required())


@blp.route("/purchase-orders/<int:po_id>")
class PurchaseOrderItem(MethodView):
    @blp.response(200, PODetail)
    @blp.errors(*ERRORS)
    @require("purchase.view")
    def get(self, po_id):
        """One order with lines, approvals, receipts and returns."""
        return purchasing.get_purchase_order(po_id, current_user_required())

    @blp.arguments(POPatch)
    @blp.response(200, PODetail)
    @blp.errors(*ERRORS)
    @require("purchase.create")
    def patch(self, data, po_id):
        """Edit (``lines`` replaces all lines). A submitted/approved/rejected order goes back to draft."""
        version = data.pop("version")
        return purchasing.update_purchase_order(po_id, version, data, current_user_required())


def _transition(action: str, permission: str, schema, call, doc: str, response=PODetail, status: int = 200,
                path: str | None = None):
    blp.transition(f"/purchase-orders/<int:po_id>/{path or action}", f"PurchaseOrder{action.title()}",
                   permission=permission, schema=schema, response=response, call=call, doc=doc, status=status)


_transition("submit", "purchase.create", VersionArgs,
            lambda i, d, u: purchasing.submit_purchase_order(i, d["version"], u), "Submit for approval.")
_transition("approve", "purchase.approve", POApproveArgs,
            lambda i, d, u: purchasing.approve_purchase_order(i, d["version"], u, d.get("comment")),
            "Approve the next level (≥ 50,000 needs a second level with purchase.approve.high).")
_transition("reject", "purchase.approve", PORejectArgs,
            lambda i, d, u: purchasing.reject_purchase_order(i, d["version"], u, d["reason"]),
            "Reject with a reason.")
_transition("reopen", "purchase.create", VersionArgs,
            lambda i, d, u: purchasing.reopen_purchase_order(i, d["version"], u), "Rejected → draft.")
_transition("cancel", "purchase.create", POReasonArgs,
            lambda i, d, u: purchasing.cancel_purchase_order(i, d["version"], u, d.get("reason")),
            "Cancel (only before anything is received).")
_transition("close", "purchase.create", POReasonArgs,
            lambda i, d, u: purchasing.close_purchase_order(i, d["version"], u, d.get("reason")),
            "Close a (partially) received order.")
_transition("receive", "purchase.receive", POReceiveArgs,
            lambda i, d, u: purchasing_receipts.receive_purchase_order(i, d["version"], d["lines"], u,
                                                                note=d.get("note")),
            "Receive goods: creates a GR- receipt and posts incoming stock (409 over_receipt beyond tolerance).",
            GoodsReceiptOut, 201)
_transition("returns", "purchase.return", PurchaseReturnArgs,
            lambda i, d, u: purchasing_receipts.return_purchase_goods(i, d["version"], d["lines"], u,
                                                               reason=d.get("reason")),
            "Return received goods to the supplier (PR- document, outgoing stock, reduces the payable).",
            PurchaseReturnOut, 201)


@blp.route("/purchase-orders/<int:po_id>/pdf")
class PurchaseOrderPdf(MethodView):
    @blp.doc(**PDF_DOC)
    @blp.errors(*ERRORS)
    @require("purchase.view")
    def get(self, po_id):
        """Printable A4 purchase order (PDF)."""
        return pdf_response(*purchasing_pdf.purchase_order_pdf(po_id, current_user_required()))


# ---------------------------------------------------------------- receipts & returns

@blp.route("/purchase-receipts")
class Receipts(MethodView):
    @blp.arguments(PurchaseDocListArgs, location="query")
    @blp.response(200, ReceiptPage)
    @blp.errors(422)
    @require("purchase.view")
    def get(self, args):
        """Goods receipts (入库单)."""
        return purchasing_receipts.list_receipts(args, current_user_required())


@blp.route("/purchase-receipts/<int:receipt_id>")
class ReceiptItem(MethodView):
    @blp.response(200, GoodsReceiptOut)
    @blp.errors(*ERRORS)
    @require("purchase.view")
    def get(self, receipt_id):
        """One goods receipt."""
        return purchasing_receipts.get_receipt(receipt_id, current_user_required())


@blp.route("/purchase-receipts/<int:receipt_id>/pdf")
class ReceiptPdf(MethodView):
    @blp.doc(**PDF_DOC)
    @blp.errors(*ERRORS)
    @require("purchase.view")
    def get(self, receipt_id):
        """Printable goods receipt (PDF)."""
        return pdf_response(*purchasing_pdf.receipt_pdf(receipt_id, current_user_required()))


@blp.route("/purchase-returns")
class Returns(MethodView):
    @blp.arguments(PurchaseDocListArgs, location="query")
    @blp.response(200, ReturnPage)
    @blp.errors(422)
    @require("purchase.view")
    def get(self, args):
        """Purchase returns (退货)."""
        return purchasing_receipts.list_returns(args, current_user_required())


@blp.route("/purchase-returns/<int:return_id>")
class ReturnItem(MethodView):
    @blp.response(200, PurchaseReturnOut)
    @blp.errors(*ERRORS)
    @require("purchase.view")
    def get(self, return_id):
        """One purchase return."""
        return purchasing_receipts.get_return(return_id, current_user_required())


@blp.route("/purchase-returns/<int:return_id>/pdf")
class ReturnPdf(MethodView):
    @blp.doc(**PDF_DOC)
    @blp.errors(*ERRORS)
    @require("purchase.view")
    def get(self, return_id):
        """Printable purchase return (PDF)."""
        return pdf_response(*purchasing_pdf.return_pdf(return_id, current_user_required()))
