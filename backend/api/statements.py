"""Finance reports per partner: statements (对账单) as JSON or PDF, and ageing of receivables/payables."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Blueprint, Cents, pdf_response
from backend.auth.decorators import require
from backend.services import statements as svc
from backend.services.statements_pdf import statement_pdf

blp = Blueprint("statements", __name__, url_prefix="/api/v1/finance",
                description="Partner statements (对账单) and ageing")


class PeriodArgs(ma.Schema):
    date_from = ma.fields.Date(metadata={"description": "First day (inclusive); default: the first of date_to's month"})
    date_to = ma.fields.Date(metadata={"description": "Last day (inclusive); default: today"})


class StatementLineOut(ma.Schema):
    date = ma.fields.Date()
    kind = ma.fields.String(metadata={"description": "document | payment"})
    doc_type = ma.fields.String(metadata={"description": "invoice, credit_note, receipt, purchase_return, payment_in, payment_out"})
    doc_id = ma.fields.Integer()
    number = ma.fields.String()
    reference = ma.fields.String(allow_none=True)
    due_date = ma.fields.Date(allow_none=True)
    debit = Cents(metadata={"description": "Adds to what the partner owes (customer) / is owed (supplier)"})
    credit = Cents()
    balance = Cents(metadata={"description": "Running balance after this line"})


class StatementOut(ma.Schema):
    partner_type = ma.fields.String()
    partner_id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    tax_id = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    date_from = ma.fields.Date()
    date_to = ma.fields.Date()
    opening = Cents(metadata={"description": "Balance of everything dated before date_from"})
    documents = Cents(metadata={"description": "Invoices − credit notes (receipts − purchase returns) in the period"})
    payments = Cents(metadata={"description": "Payments − refunds in the period"})
    closing = Cents(metadata={"description": "opening + documents − payments"})
    lines = ma.fields.List(ma.fields.Nested(StatementLineOut))


class AgeingArgs(ma.Schema):
    partner_type = ma.fields.String(load_default="customer", validate=validate.OneOf(svc.SIDES))
    as_of = ma.fields.Date(metadata={"description": "Default: today"})


class AgeingRowOut(ma.Schema):
    partner_type = ma.fields.String()
    partner_id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    balance = Cents()
    not_due = Cents()
    d1_30 = Cents()
    d31_60 = Cents()
    d61_90 = Cents()
    d90_plus = Cents()
    credits = Cents(metadata={"description": "Unapplied credit notes / purchase returns (negative)"})
    unallocated = Cents(metadata={"description": "Payments not matched to a document"})
    open_total = Cents()
    oldest_due = ma.fields.Date(allow_none=True)


class AgeingOut(ma.Schema):
    as_of = ma.fields.Date()
    items = ma.fields.List(ma.fields.Nested(AgeingRowOut))
    totals = ma.fields.Dict(keys=ma.fields.String(), values=Cents())


@blp.route("/ageing")
class Ageing(MethodView):
    @blp.arguments(AgeingArgs, location="query")
    @blp.response(200, AgeingOut)
    @blp.errors(422)
    @require("finance.view")
    def get(self, args):
        """Receivables (customer) or payables (supplier) per partner by days past due: not due, 1–30, 31–60,
        61–90, over 90; unapplied credits and unallocated payments apart."""
        return svc.ageing_report(args["partner_type"], args.get("as_of"))


def _statement_routes(side: str) -> None:
    class Statement(MethodView):
        @blp.arguments(PeriodArgs, location="query")
        @blp.response(200, StatementOut)
        @blp.errors(404, 422)
        @require("finance.view")
        def get(self, args, partner_id):
            return svc.statement(side, partner_id, args.get("date_from"), args.get("date_to"))

    class StatementPdf(MethodView):
        @blp.arguments(PeriodArgs, location="query")
        @blp.response(200, content_type="application/pdf")
        @blp.errors(404, 422)
        @require("finance.view")
        def get(self, args, partner_id):
            return pdf_response(*statement_pdf(side, partner_id, args.get("date_from"), args.get("date_to")))

    who = "customer's receivable" if side == "customer" else "supplier's payable"
    Statement.get.__doc__ = (f"Statement (对账单) of the {who} for a period: opening balance (before date_from), "
                             "documents and payments with a running balance, closing = opening + documents − payments.")
    StatementPdf.get.__doc__ = f"The {side} statement (对账单) as an A4 PDF."
    Statement.__name__, StatementPdf.__name__ = f"{side.title()}Statement", f"{side.title()}StatementPdf"
    blp.route(f"/statements/{side}/<int:partner_id>")(Statement)
    blp.route(f"/statements/{side}/<int:partner_id>/pdf")(StatementPdf)


for _side in svc.SIDES:
    _statement_routes(_side)
