"""Finance: payments (with allocations), credit applications, receivables/payables, balances, expenses."""
from __future__ import annotations

import marshmallow as ma
from flask import request
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Cents, DecIn, ListArgs, Str, VersionArgs, page_schema
from backend.auth.decorators import current_user_required, require
from backend.errors import ValidationFailed
from backend.models.finance import PARTNER_TYPES, PAYMENT_DIRECTIONS, PAYMENT_METHODS
from backend.services import finance as svc
from backend.uploads import file_response, image_response

blp = Blueprint("finance", __name__, url_prefix="/api/v1", description="Payments, receivables, payables, expenses")

ID = {"validate": validate.Range(min=1, max=2**31 - 1)}


DOC_TYPES = ("invoice", "credit_note", "receipt", "purchase_return")


class AllocationIn(ma.Schema):
    doc_type = ma.fields.String(required=True, validate=validate.OneOf(DOC_TYPES))
    doc_id = ma.fields.Integer(required=True, **ID)
    amount = DecIn(required=True, min_value="0.01")


class PaymentIn(ma.Schema):
    direction = ma.fields.String(required=True, validate=validate.OneOf(PAYMENT_DIRECTIONS),
                                 metadata={"description": "in: received; out: paid"})
    partner_type = ma.fields.String(required=True, validate=validate.OneOf(PARTNER_TYPES))
    partner_id = ma.fields.Integer(required=True, **ID)
    amount = DecIn(required=True, min_value="0.01")
    method = ma.fields.String(validate=validate.OneOf(PAYMENT_METHODS))
    reference = Str(100, allow_none=True)
    paid_on = ma.fields.Date(allow_none=True)
    notes = Str(2000, allow_none=True)
    allocations = ma.fields.List(ma.fields.Nested(AllocationIn), validate=validate.Length(max=200))


class AllocateIn(ma.Schema):
    version = ma.fields.Integer(required=True, **ID)
    allocations = ma.fields.List(ma.fields.Nested(AllocationIn), required=True,
                                 validate=validate.Length(min=1, max=200))


class ApplyCreditIn(ma.Schema):
    source_type = ma.fields.String(required=True, validate=validate.OneOf(("credit_note", "purchase_return")))
    source_id = ma.fields.Integer(required=True, **ID)
    allocations = ma.fields.List(ma.fields.Nested(AllocationIn), required=True,
                                 validate=validate.Length(min=1, max=200))


class AllocationOut(ma.Schema):
    id = ma.fields.Integer()
    source_type = ma.fields.String()
    source_id = ma.fields.Integer()
    doc_type = ma.fields.String(attribute="target_type")
    doc_id = ma.fields.Integer(attribute="target_id")
    amount = Cents()
    created_at = ma.fields.AwareDateTime()


class PaymentOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    number = ma.fields.String()
    direction = ma.fields.String()
    partner_type = ma.fields.String()
    partner_id = ma.fields.Integer()
    amount = Cents()
    allocated = Cents()
    unallocated = Cents()
    method = ma.fields.String()
    reference = ma.fields.String(allow_none=True)
    paid_on = ma.fields.Date()
    notes = ma.fields.String(allow_none=True)
    created_by_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    allocations = ma.fields.List(ma.fields.Nested(AllocationOut))


class PaymentListArgs(ListArgs):
    direction = ma.fields.String(validate=validate.OneOf(PAYMENT_DIRECTIONS))
    partner_type = ma.fields.String(validate=validate.OneOf(PARTNER_TYPES))
    customer_id = ma.fields.Integer(**ID)
    supplier_id = ma.fields.Integer(**ID)


class OpenItemOut(ma.Schema):
    doc_type = ma.fields.String()
    doc_id = ma.fields.Integer()
    number = ma.fields.String()
    partner_type = ma.fields.String()
    partner_id = ma.fields.Integer()
    date = ma.fields.Date()
    due_date = ma.fields.Date(allow_none=True)
    total = Cents(metadata={"description": "Negative for credit notes / purchase returns"})
    open = Cents()


class OpenItemsArgs(ma.Schema):
    partner_id = ma.fields.Integer(**ID)
    include_settled = ma.fields.Boolean(load_default=False)


class BalanceOut(ma.Schema):
    partner_type = ma.fields.String()
    partner_id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    billed = Cents(metadata={"description": "Invoices (customers) / goods receipts (suppliers)"})
    credited = Cents(metadata={"description": "Credit notes / purchase returns"})
    paid = Cents()
    refunded = Cents()
    balance = Cents(metadata={"description": "What the customer owes us / what we owe the supplier"})


class BalanceArgs(ma.Schema):
    partner_type = ma.fields.String(load_default="customer", validate=validate.OneOf(PARTNER_TYPES))
    partner_id = ma.fields.Integer(**ID)


class ExpenseIn(ma.Schema):
    category = Str(50, required=True, min_len=1, metadata={"description": "e.g. rent, freight, utilities, salary"})
    amount = DecIn(required=True, min_value="0.01")
    expense_date = ma.fields.Date(allow_none=True)
    description = Str(2000, allow_none=True)
    payee = Str(200, allow_none=True)
    method = ma.fields.String(validate=validate.OneOf(PAYMENT_METHODS))
    supplier_id = ma.fields.Integer(allow_none=True, **ID)
    warehouse_id = ma.fields.Integer(allow_none=True, **ID)


class ExpensePatch(ExpenseIn):
    version = ma.fields.Integer(required=True, **ID)


class ExpenseOut(ma.Schema):
    id = ma.fields.Integer()
    version = ma.fields.Integer()
    number = ma.fields.String()
    category = ma.fields.String()
    amount = Cents()
    expense_date = ma.fields.Date()
    description = ma.fields.String(allow_none=True)
    payee = ma.fields.String(allow_none=True)
    method = ma.fields.String()
    supplier_id = ma.fields.Integer(allow_none=True)
    warehouse_id = ma.fields.Integer(allow_none=True)
    created_by_id = ma.fields.Integer(allow_none=True)
    attachment_name = ma.fields.String(allow_none=True)
    attachment_type = ma.fields.String(allow_none=True)
    attachment_size = ma.fields.Integer(allow_none=True)
    status = ma.fields.String(metadata={"description": "approved | pending_approval (over the threshold) | rejected"})
    submitted_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class ExpenseListArgs(ListArgs):
    category = ma.fields.String(validate=validate.Length(max=50))
    date_from = ma.fields.Date()
    date_to = ma.fields.Date()


# ---------------------------------------------------------------- payments

@blp.route("/payments")
class Payments(MethodView):
    @blp.arguments(PaymentListArgs, location="query")
    @blp.response(200, page_schema(PaymentOut, "PaymentPage"))
    @blp.errors(422)
    @require("finance.view")
    def get(self, args):
        """List payments."""
        return svc.list_payments(args, current_user_required())

    @blp.arguments(PaymentIn)
    @blp.response(201, PaymentOut)
    @blp.errors(404, 409, 422)
    @require("finance.write")
    def post(self, data):
        """Record a payment received (in) or made (out), optionally allocated to documents (partial allowed;
        409 over_allocation beyond the amount or a document's open amount)."""
        return svc.record_payment(data, current_user_required())


@blp.route("/payments/<int:payment_id>")
class PaymentItem(MethodView):
    @blp.response(200, PaymentOut)
    @blp.errors(404)
    @require("finance.view")
    def get(self, payment_id):
        """One payment with its allocations."""
        return svc.get_payment(payment_id)


@blp.route("/payments/<int:payment_id>/allocations")
class PaymentAllocations(MethodView):
    @blp.arguments(AllocateIn)
    @blp.response(200, PaymentOut)
    @blp.errors(404, 409, 422)
    @require("finance.write")
    def post(self, data, payment_id):
        """Allocate more of a payment's unallocated amount."""
        return svc.allocate_payment(payment_id, data["version"], data["allocations"], current_user_required())


@blp.route("/finance/credit-applications")
class CreditApplications(MethodView):
    @blp.arguments(ApplyCreditIn)
    @blp.response(201, AllocationOut(many=True))
    @blp.errors(404, 409, 422)
    @require("finance.write")
    def post(self, data):
        """Apply a credit note to invoices, or a purchase return to goods receipts."""
        return svc.apply_credit(data["source_type"], data["source_id"], data["allocations"], current_user_required())


# ---------------------------------------------------------------- receivables, payables, balances

@blp.route("/finance/receivables")
class Receivables(MethodView):
    @blp.arguments(OpenItemsArgs, location="query")
    @blp.response(200, OpenItemOut(many=True))
    @blp.errors(422)
    @require("finance.view")
    def get(self, args):
        """Open invoices and unapplied credit notes (negative), oldest first."""
        return svc.open_items("customer", args.get("partner_id"), args["include_settled"])


@blp.route("/finance/payables")
class Payables(MethodView):
    @blp.arguments(OpenItemsArgs, location="query")
    @blp.response(200, OpenItemOut(many=True))
    @blp.errors(422)
    @require("finance.view")
    def get(self, args):
        """Open goods receipts and unapplied purchase returns (negative), oldest first."""
        return svc.open_items("supplier", args.get("partner_id"), args["include_settled"])


@blp.route("/finance/balances")
class Balances(MethodView):
    @blp.arguments(BalanceArgs, location="query")
    @blp.response(200, BalanceOut(many=True))
    @blp.errors(422)
    @require("finance.view")
    def get(self, args):
        """Balance per customer (receivable) or supplier (payable)."""
        return svc.balances(args["partner_type"], args.get("partner_id"))


# ---------------------------------------------------------------- expenses

@blp.route("/expenses")
class Expenses(MethodView):
    @blp.arguments(ExpenseListArgs, location="query")
    @blp.response(200, page_schema(ExpenseOut, "ExpensePage"))
    @blp.errors(422)
    @require("finance.view")
    def get(self, args):
        """List expenses (filter by category and date range)."""
        return svc.list_expenses(args, current_user_required())

    @blp.arguments(ExpenseIn)
    @blp.response(201, ExpenseOut)
    @blp.errors(422)
    @require("finance.write")
    def post(self, data):
        """Record an expense."""
        return svc.create_expense(data, current_user_required())


class ExpenseCategoriesOut(ma.Schema):
    items = ma.fields.List(ma.fields.String())


@blp.route("/expenses/categories")
class ExpenseCategories(MethodView):
    @blp.response(200, ExpenseCategoriesOut)
    @require("finance.view")
    def get(self):
        """Categories in use: ``{items: [...]}``."""
        return {"items": svc.expense_categories()}


@blp.route("/expenses/<int:expense_id>")
class ExpenseItem(MethodView):
    @blp.response(200, ExpenseOut)
    @blp.errors(404)
    @require("finance.view")
    def get(self, expense_id):
        """One expense."""
        return svc.get_expense(expense_id)

    @blp.arguments(ExpensePatch(partial=tuple(ExpenseIn().fields)))
    @blp.response(200, ExpenseOut)
    @blp.errors(404, 409, 422)
    @require("finance.write")
    def patch(self, data, expense_id):
        """Change an expense (``version`` required)."""
        version = data.pop("version")
        return svc.update_expense(expense_id, version, data, current_user_required())

    @blp.arguments(VersionArgs, location="query")
    @blp.response(204)
    @blp.errors(404, 409, 422)
    @require("finance.write")
    def delete(self, args, expense_id):
        """Delete an expense (and its attachment)."""
        svc.delete_expense(expense_id, args["version"], current_user_required())


@blp.route("/expenses/<int:expense_id>/attachment")
class ExpenseAttachment(MethodView):
    @blp.response(200, content_type="application/octet-stream")
    @blp.errors(404)
    @require("finance.view")
    def get(self, expense_id):
        """Download the attachment."""
        exp, data = svc.get_expense_attachment(expense_id)
        name = f"{exp.number}-{exp.attachment_name or 'attachment'}"
        if exp.attachment_type == "application/pdf":  # an uploaded PDF is downloaded, never shown in our origin
            return file_response(data, "application/pdf", name if name.lower().endswith(".pdf") else name + ".pdf")
        return image_response(data, name)

    @blp.arguments(VersionArgs, location="query")
    @blp.response(200, ExpenseOut)
    @blp.errors(404, 409, 413, 415, 422, 503)
    @require("finance.write")
    def put(self, args, expense_id):
        """Attach a receipt scan or PDF (multipart field ``file``, ≤ 5 MB)."""
        f = request.files.get("file")
        if f is None:
            raise ValidationFailed("Send the file as multipart field 'file'.", errors={"file": ["Missing."]})
        return svc.set_expense_attachment(expense_id, args["version"], f.filename or "", f.mimetype or "",
                                          f.read(svc.ATTACHMENT_MAX + 1), current_user_required())
