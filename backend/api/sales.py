"""Sales orders and their documents: shipments (DN), invoices (INV), returns (SR) and credit notes (CN)."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Cents, Cost, Dec, DecIn, ListArgs, Str, page_schema, pdf_response
from backend.auth.decorators import current_user_required, require
from backend.domain.flows import SO_FLOW, SO_STATUSES
from backend.models.sales import CreditNote, Invoice, SalesReturn, Shipment
from backend.services import approvals, finance, sales_documents, sales_pdf
from backend.services import sales as svc

blp = Blueprint("sales", __name__, url_prefix="/api/v1", description="Sales orders, shipments, invoices, returns")

ID = {"validate": validate.Range(min=1, max=2**31 - 1)}


def _actions(so) -> list[str]:
    """The transitions allowed now, ``edit`` last (the PWA shows it apart)."""
    allowed = SO_FLOW.allowed(so.status)
    return [a for a in allowed if a != "edit"] + (["edit"] if "edit" in allowed else [])


# ---------------------------------------------------------------- input

class SOLineIn(ma.Schema):
    product_id = ma.fields.Integer(required=True, **ID)
    quantity = DecIn(required=True, min_value="0.0001")
    unit_price = DecIn(allow_none=True, metadata={"description": "Tax-exclusive; default: the product's sale price"})
    discount_rate = DecIn(max_value="0.9999", metadata={"description": "0.05 = 5 % off"})
    tax_rate = DecIn(allow_none=True, max_value="1", metadata={"description": "0.13 = 13 %; default: the product's"})
    notes = Str(500, allow_none=True)


class SOIn(ma.Schema):
    customer_id = ma.fields.Integer(required=True, **ID)
    warehouse_id = ma.fields.Integer(required=True, **ID)
    order_date = ma.fields.Date(allow_none=True)
    expected_date = ma.fields.Date(allow_none=True)
    notes = Str(2000, allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(SOLineIn), required=True, validate=validate.Length(min=1, max=500))


class SOPatch(ma.Schema):
    version = ma.fields.Integer(required=True, **ID)
    customer_id = ma.fields.Integer(**ID)
    warehouse_id = ma.fields.Integer(**ID)
    order_date = ma.fields.Date(allow_none=True)
    expected_date = ma.fields.Date(allow_none=True)
    notes = Str(2000, allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(SOLineIn), validate=validate.Length(min=1, max=500))


class TransitionIn(ma.Schema):
    version = ma.fields.Integer(required=True, **ID)
    comment = Str(2000, allow_none=True, metadata={"description": "Approval comment / rejection reason"})


class RejectIn(ma.Schema):
    version = ma.fields.Integer(required=True, **ID)
    reason = Str(2000, required=True, min_len=1)


class PickLine(ma.Schema):
    line_id = ma.fields.Integer(required=True, **ID)
    quantity = DecIn(required=True, min_value="0.0001")
    location_id = ma.fields.Integer(allow_none=True, **ID)


class ShipIn(ma.Schema):
    version = ma.fields.Integer(required=True, **ID)
    lines = ma.fields.List(ma.fields.Nested(PickLine), validate=validate.Length(max=500),
                           metadata={"description": "Empty or missing: ship everything still open"})
    op_id = Str(64, allow_none=True)
    notes = Str(2000, allow_none=True)


class InvoiceLineIn(ma.Schema):
    line_id = ma.fields.Integer(required=True, **ID)
    quantity = DecIn(required=True, min_value="0.0001")


class InvoiceIn(ma.Schema):
    version = ma.fields.Integer(required=True, **ID)
    lines = ma.fields.List(ma.fields.Nested(InvoiceLineIn), validate=validate.Length(max=500),
                           metadata={"description": "Empty or missing: everything shipped and not yet invoiced"})
    invoice_date = ma.fields.Date(allow_none=True)
    due_date = ma.fields.Date(allow_none=True)
    notes = Str(2000, allow_none=True)


class ReturnLineIn(ma.Schema):
    shipment_line_id = ma.fields.Integer(required=True, **ID)
    quantity = DecIn(required=True, min_value="0.0001")


class ReturnIn(ma.Schema):
    version = ma.fields.Integer(required=True, **ID)
    lines = ma.fields.List(ma.fields.Nested(ReturnLineIn), required=True, validate=validate.Length(min=1, max=500))
    reason = Str(2000, allow_none=True)
    op_id = Str(64, allow_none=True)


class SOListArgs(ListArgs):
    status = ma.fields.String(validate=validate.OneOf(SO_STATUSES))
    customer_id = ma.fields.Integer(**ID)
    warehouse_id = ma.fields.Integer(**ID)


class DocListArgs(ListArgs):
    order_id = ma.fields.Integer(**ID)
    customer_id = ma.fields.Integer(**ID)


# ---------------------------------------------------------------- output

class MoneyLineOut(ma.Schema):
    id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    sku = ma.fields.String(attribute="product.sku")
    product_name = ma.fields.String(attribute="product.name")
    quantity = Dec()
    unit_price = Dec()
    discount_rate = Dec()
    tax_rate = Dec()
    gross_amount = Cents()
    discount_amount = Cents()
    net_amount = Cents()
    tax_amount = Cents()
    total_amount = Cents()


class TaxLineOut(ma.Schema):
    tax_rate = Dec()
    base = Cents()
    tax = Cents()


class MoneyDocOut(ma.Schema):
    subtotal = Cents()
    discount_total = Cents()
    net_total = Cents()
    tax_total = Cents()
    total = Cents()
    tax_lines = ma.fields.List(ma.fields.Nested(TaxLineOut))


class SOLineOut(MoneyLineOut):
    line_no = ma.fields.Integer()
    notes = ma.fields.String(allow_none=True)
    shipped_qty = Dec()
    invoiced_qty = Dec()
    returned_qty = Dec()
    remaining_qty = Dec(min_value=None)


class SOOut(MoneyDocOut):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    number = ma.fields.String()
    status = ma.fields.String()
    customer_id = ma.fields.Integer()
    customer_name = ma.fields.String(attribute="customer.name")
    warehouse_id = ma.fields.Integer()
    order_date = ma.fields.Date(allow_none=True)
    expected_date = ma.fields.Date(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    created_by_id = ma.fields.Integer(allow_none=True)
    submitted_by_id = ma.fields.Integer(allow_none=True)
    submitted_at = ma.fields.AwareDateTime(allow_none=True)
    approval_level = ma.fields.Integer()
    approved_by_id = ma.fields.Integer(allow_none=True)
    approved_at = ma.fields.AwareDateTime(allow_none=True)
    rejected_reason = ma.fields.String(allow_none=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    lines = ma.fields.List(ma.fields.Nested(SOLineOut))
    actions = ma.fields.Function(_actions)
    levels_required = ma.fields.Function(lambda so: len(approvals.required_levels(svc.DOC_TYPE, so.total)))


class ApprovalOut(ma.Schema):
    level = ma.fields.Integer()
    decision = ma.fields.String()
    comment = ma.fields.String(allow_none=True)
    user_id = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    doc_version = ma.fields.Integer()


class StockImpactOut(ma.Schema):
    product_id = ma.fields.Integer()
    sku = ma.fields.String()
    quantity = Dec(min_value=None)
    on_hand = Dec(min_value=None)
    short = Dec(min_value=None)


class MarginOut(ma.Schema):
    revenue = Cents()
    cost = Cents()
    margin = Cents()


class DocRef(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()


class SODetail(SOOut):
    approvals = ma.fields.Function(lambda so: ApprovalOut(many=True).dump(approvals.history(svc.DOC_TYPE, so.id)))
    stock = ma.fields.Function(lambda so: StockImpactOut(many=True).dump(svc.stock_impact(so)))
    margin = Cost(ma.fields.Function(lambda so: MarginOut().dump(svc.margin(so))))
    documents = ma.fields.Function(svc.order_documents)


class ShipmentLineOut(ma.Schema):
    id = ma.fields.Integer()
    order_line_id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    sku = ma.fields.String(attribute="product.sku")
    product_name = ma.fields.String(attribute="product.name")
    location_id = ma.fields.Integer(allow_none=True)
    quantity = Dec()
    unit_cost = Cost(Dec())
    cost = Cost(Cents())
    returned_qty = Dec()
    move_id = ma.fields.Integer(allow_none=True)


class ShipmentOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    order_id = ma.fields.Integer()
    order_number = ma.fields.String(attribute="order.number")
    customer_id = ma.fields.Integer()
    warehouse_id = ma.fields.Integer()
    shipped_by_id = ma.fields.Integer(allow_none=True)
    shipped_at = ma.fields.AwareDateTime()
    op_id = ma.fields.String(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    cost_total = Cost(Cents())
    lines = ma.fields.List(ma.fields.Nested(ShipmentLineOut))


class InvoiceLineOut(MoneyLineOut):
    order_line_id = ma.fields.Integer()


class InvoiceOut(MoneyDocOut):
    id = ma.fields.Integer()
    number = ma.fields.String()
    status = ma.fields.String()
    order_id = ma.fields.Integer()
    order_number = ma.fields.String(attribute="order.number")
    customer_id = ma.fields.Integer()
    customer_name = ma.fields.String(attribute="customer.name")
    invoice_date = ma.fields.Date()
    due_date = ma.fields.Date(allow_none=True)
    issued_by_id = ma.fields.Integer(allow_none=True)
    issued_at = ma.fields.AwareDateTime()
    notes = ma.fields.String(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(InvoiceLineOut))
    open_amount = ma.fields.Function(lambda inv: str(finance.open_amount("invoice", inv)))


class CreditNoteOut(MoneyDocOut):
    id = ma.fields.Integer()
    number = ma.fields.String()
    order_id = ma.fields.Integer()
    return_id = ma.fields.Integer(allow_none=True)
    customer_id = ma.fields.Integer()
    credit_date = ma.fields.Date()
    issued_at = ma.fields.AwareDateTime()
    lines = ma.fields.List(ma.fields.Nested(InvoiceLineOut))
    open_amount = ma.fields.Function(lambda cn: str(finance.open_amount("credit_note", cn)))


class ReturnLineOut(ma.Schema):
    id = ma.fields.Integer()
    shipment_line_id = ma.fields.Integer()
    order_line_id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    sku = ma.fields.String(attribute="product.sku")
    quantity = Dec()
    unit_cost = Cost(Dec())
    cost = Cost(Cents())
    move_id = ma.fields.Integer(allow_none=True)


class ReturnOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    order_id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    warehouse_id = ma.fields.Integer()
    reason = ma.fields.String(allow_none=True)
    returned_by_id = ma.fields.Integer(allow_none=True)
    returned_at = ma.fields.AwareDateTime()
    op_id = ma.fields.String(allow_none=True)
    cost_total = Cost(Cents())
    lines = ma.fields.List(ma.fields.Nested(ReturnLineOut))
    credit_note = ma.fields.Nested(CreditNoteOut, allow_none=True)


SOPage = page_schema(SOOut, "SalesOrderPage")

ERRORS = (403, 404, 409, 422)


# ---------------------------------------------------------------- routes

@blp.route("/sales-orders")
class SalesOrders(MethodView):
    @blp.arguments(SOListArgs, location="query")
    @blp.response(200, SOPage)
    @blp.errors(422)
    @require("sales.view")
    def get(self, args):
        """List sales orders (filter by status, customer, warehouse; q = number)."""
        return svc.list_sales_orders(args, current_user_required())

    @blp.arguments(SOIn)
    @blp.response(201, SODetail)
    @blp.errors(403, 409, 422)
    @require("sales.create")
    def post(self, data):
        """Create a draft sales order; totals are computed by the server."""
        return svc.create_sales_order(data, current_user_required())


@blp.route("/sales-orders/<int:so_id>")
class SalesOrderItem(MethodView):
    @blp.response(200, SODetail)
    @blp.errors(403, 404)
    @require("sales.view")
    def get(self, so_id):
        """One sales order with approvals, stock and margin."""
        return svc.get_sales_order(so_id, current_user_required())

    @blp.arguments(SOPatch)
    @blp.response(200, SODetail)
    @blp.errors(*ERRORS)
    @require("sales.create")
    def patch(self, data, so_id):
        """Edit (lines replace all lines); a submitted/approved/rejected order goes back to draft."""
        version = data.pop("version")
        return svc.update_sales_order(so_id, version, data, current_user_required())


def _transition(action: str, permission: str, call, doc: str, schema=TransitionIn, response=SODetail,
                status: int = 200, path: str | None = None):
    blp.transition(f"/sales-orders/<int:so_id>/{path or action}", f"SalesOrder{action.title()}",
                   permission=permission, schema=schema, response=response, call=call, doc=doc, status=status)


_transition("submit", "sales.create", lambda i, d, u: svc.submit_sales_order(i, d["version"], u, d.get("comment")),
            "Submit for approval.")
_transition("approve", "sales.approve",
            lambda i, d, u: svc.approve_sales_order(i, d["version"], u, d.get("comment")),
            "Approve (next level; ≥ 100,000 needs a second level by sales.approve.high). 409 when stock is short; "
            "403 self_approval for your own order.")
_transition("reject", "sales.approve", lambda i, d, u: svc.reject_sales_order(i, d["version"], u, d.get("reason")),
            "Reject with a reason.", RejectIn)
_transition("cancel", "sales.create", lambda i, d, u: svc.cancel_sales_order(i, d["version"], u, d.get("comment")),
            "Cancel (only before anything shipped).")
_transition("close", "sales.create", lambda i, d, u: svc.close_sales_order(i, d["version"], u, d.get("comment")),
            "Close (also short-closes a partial order).")
_transition("ship", "sales.ship",
            lambda i, d, u: sales_documents.ship_sales_order(i, d["version"], d.get("lines"), u, op_id=d.get("op_id"),
                                                             notes=d.get("notes")),
            "Ship (partially): a DN document with outgoing moves; 409 insufficient_stock leaves nothing changed.",
            ShipIn, ShipmentOut, 201)
_transition("invoice", "sales.invoice",
            lambda i, d, u: sales_documents.invoice_sales_order(i, d.pop("version"), u, **d),
            "Invoice shipped quantities (INV document with tax lines).", InvoiceIn, InvoiceOut, 201)
_transition("returns", "sales.return",
            lambda i, d, u: sales_documents.return_sales_order(i, d["version"], d["lines"], u, reason=d.get("reason"),
                                                               op_id=d.get("op_id")),
            "Take goods back at their original cost; issues a credit note applied to open invoices.",
            ReturnIn, ReturnOut, 201)


@blp.route("/sales-orders/<int:so_id>/pdf")
class SalesOrderPdf(MethodView):
    @blp.response(200, content_type="application/pdf")
    @blp.errors(403, 404)
    @require("sales.view")
    def get(self, so_id):
        """Printable A4 sales order (销售订单)."""
        return pdf_response(*sales_pdf.sales_order_pdf(so_id, current_user_required()))


def _doc_routes(path: str, model, out, what: str, pdf_fn=None):
    page = page_schema(out, f"{model.__name__}Page")

    class Collection(MethodView):
        @blp.arguments(DocListArgs, location="query")
        @blp.response(200, page)
        @blp.errors(422)
        @require("sales.view")
        def get(self, args):
            return svc.list_documents(model, args, current_user_required())

    class Item(MethodView):
        @blp.response(200, out)
        @blp.errors(403, 404)
        @require("sales.view")
        def get(self, doc_id):
            return svc.get_document(model, doc_id, what, current_user_required())

    Collection.get.__doc__ = f"List {what.lower()}s."
    Item.get.__doc__ = f"One {what.lower()}."
    Collection.__name__, Item.__name__ = f"{model.__name__}Collection", f"{model.__name__}Item"
    blp.route(path)(Collection)
    blp.route(f"{path}/<int:doc_id>")(Item)
    if pdf_fn is not None:
        class Pdf(MethodView):
            @blp.response(200, content_type="application/pdf")
            @blp.errors(403, 404)
            @require("sales.view")
            def get(self, doc_id):
                return pdf_response(*pdf_fn(doc_id, current_user_required()))

        Pdf.get.__doc__ = f"Printable A4 {what.lower()}."
        Pdf.__name__ = f"{model.__name__}Pdf"
        blp.route(f"{path}/<int:doc_id>/pdf")(Pdf)


_doc_routes("/shipments", Shipment, ShipmentOut, "Shipment", sales_pdf.shipment_pdf)
_doc_routes("/invoices", Invoice, InvoiceOut, "Invoice", sales_pdf.invoice_pdf)
_doc_routes("/sales-returns", SalesReturn, ReturnOut, "Sales return")
_doc_routes("/credit-notes", CreditNote, CreditNoteOut, "Credit note", sales_pdf.credit_note_pdf)
