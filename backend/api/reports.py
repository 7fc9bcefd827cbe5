"""Reports (sales, purchases, inventory, finance) as JSON, CSV or XLSX, and the dashboard.

Figures are defined in docs/reports.md; the routes only parse, authorise and call ``services.reports``.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from backend.api.common import Aggregate, Blueprint, Cost
from backend.auth.decorators import AUTHENTICATED, current_user_required, require
from backend.services import reports as service
from backend.uploads import file_response

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Reports and dashboard")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_OK = "The report: JSON, or a download with format=csv (UTF-8 with BOM) / format=xlsx"


def _tz(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ma.ValidationError("Unknown time zone (IANA name such as Asia/Shanghai).") from None


def _money(**kw):  # sums over many rows: may exceed one column's digits
    return Aggregate(places=2, allow_none=True, **kw)


def _qty(**kw):
    return Aggregate(allow_none=True, **kw)


# ---------------------------------------------------------------- arguments

class ReportArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    date_from = ma.fields.Date(metadata={"description": "First local day (default: 29 days before date_to)"})
    date_to = ma.fields.Date(metadata={"description": "Last local day, inclusive (default: today in tz)"})
    tz = ma.fields.String(load_default="Asia/Shanghai", validate=[validate.Length(min=1, max=64), _tz],
                          metadata={"description": "IANA time zone of the days (day grouping, date range)"})
    warehouse_id = ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    format = ma.fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))
    lang = ma.fields.String(load_default="zh-CN", validate=validate.OneOf(("zh-CN", "en")),
                            metadata={"description": "Language of column names"})
    limit = ma.fields.Integer(validate=validate.Range(min=1, max=100000),
                              metadata={"description": "At most this many rows (totals cover all)"})


class SalesArgs(ReportArgs):
    group_by = ma.fields.String(load_default="day", validate=validate.OneOf(service.SALES_GROUPS))


class PurchaseArgs(ReportArgs):
    group_by = ma.fields.String(load_default="supplier", validate=validate.OneOf(service.PURCHASE_GROUPS))


class InventoryArgs(ReportArgs):
    view = ma.fields.String(load_default="stock", validate=validate.OneOf(service.INVENTORY_VIEWS))
    group_by = ma.fields.String(load_default="product", validate=validate.OneOf(service.INVENTORY_GROUPS))
    slow_days = ma.fields.Integer(load_default=90, validate=validate.Range(min=1, max=3650),
                                  metadata={"description": "Slow movers: no outgoing move for this many days"})


class FinanceArgs(ReportArgs):
    view = ma.fields.String(load_default="receivables", validate=validate.OneOf(service.FINANCE_VIEWS))
    group_by = ma.fields.String(load_default="month", validate=validate.OneOf(service.PERIODS),
                                metadata={"description": "Period of the payments view"})


class DashboardArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    tz = ma.fields.String(load_default="Asia/Shanghai", validate=[validate.Length(min=1, max=64), _tz])


# ---------------------------------------------------------------- output

class ColumnOut(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    kind = ma.fields.String()


class RowBase(ma.Schema):
    key = ma.fields.String(metadata={"description": "Period start date, id or category"})
    code = ma.fields.String(allow_none=True)
    name = ma.fields.String(allow_none=True)


class SalesRow(RowBase):
    quantity = _qty()
    revenue = _money(metadata={"description": "Net of tax and discount, after returns"})
    returns = _money()
    cost = Cost(_money())
    margin = Cost(_money())
    margin_pct = Cost(Aggregate(places=2, allow_none=True))


class PurchaseRow(RowBase):
    ordered_qty = _qty()
    ordered_amount = Cost(_money())
    received_qty = _qty()
    received_amount = Cost(_money())
    returned_qty = _qty()
    returned_amount = Cost(_money())
    net_amount = Cost(_money())
    open_qty = _qty()
    open_amount = Cost(_money())


class InventoryRow(RowBase):
    product_id = ma.fields.Integer()
    warehouse_id = ma.fields.Integer()
    category = ma.fields.String(allow_none=True)
    warehouse_code = ma.fields.String()
    quantity = _qty()
    value = Cost(_money())
    avg_cost = Cost(_qty())
    in_transit_qty = _qty()
    in_transit_value = Cost(_money())
    opening_value = Cost(_money())
    average_value = Cost(_money())
    cogs = Cost(_money())
    sold_qty = _qty()
    turnover = Aggregate(places=2, allow_none=True)
    days_of_cover = Aggregate(places=1, allow_none=True)
    last_out_at = ma.fields.AwareDateTime(allow_none=True)
    days_idle = ma.fields.Integer(allow_none=True)
    count = ma.fields.Integer()


class FinanceRow(RowBase):
    d0_30 = _money()
    d31_60 = _money()
    d61_90 = _money()
    d90_plus = _money()
    unapplied = _money()
    total = _money()
    money_in = _money()
    money_out = _money()
    expenses = _money()
    net = _money()
    count = ma.fields.Integer()
    amount = _money()
    share_pct = Aggregate(places=2, allow_none=True)


def _report_schema(name: str, row: type[ma.Schema]) -> type[ma.Schema]:
    return type(name, (ma.Schema,), {
        "report": ma.fields.String(), "date_from": ma.fields.Date(), "date_to": ma.fields.Date(),
        "tz": ma.fields.String(), "group_by": ma.fields.String(allow_none=True),
        "view": ma.fields.String(allow_none=True), "warehouse_id": ma.fields.Integer(allow_none=True),
        "as_of": ma.fields.Date(), "slow_days": ma.fields.Integer(),
        "generated_at": ma.fields.AwareDateTime(),
        "columns": ma.fields.List(ma.fields.Nested(ColumnOut)),
        "rows": ma.fields.List(ma.fields.Nested(row)), "totals": ma.fields.Nested(row)})


class SalesFigures(ma.Schema):
    revenue = _money()
    cost = Cost(_money())
    margin = Cost(_money())
    margin_pct = Cost(Aggregate(places=2, allow_none=True))
    quantity = _qty()


class TrendPoint(ma.Schema):
    date = ma.fields.String()
    revenue = _money()
    margin = Cost(_money())


class DashboardOut(ma.Schema):
    date = ma.fields.Date()
    tz = ma.fields.String()
    today = ma.fields.Nested(SalesFigures, allow_none=True)
    month = ma.fields.Nested(SalesFigures, allow_none=True)
    trend = ma.fields.List(ma.fields.Nested(TrendPoint), allow_none=True)
    stock_value = Cost(_money())
    open_purchase_orders = ma.fields.Integer(allow_none=True)
    open_sales_orders = ma.fields.Integer(allow_none=True)
    low_stock = ma.fields.Integer(allow_none=True)
    pending_approvals = ma.fields.Integer()


def _out(result):
    """A dict goes through the response schema; an export becomes a file download."""
    if isinstance(result, tuple):
        data, mimetype, filename = result
        return file_response(data, mimetype, filename)
    return result


def _route(path: str, name: str, args_schema, row, perm: str, doc: str):
    schema = _report_schema(f"{name.title()}Report", row)

    class View(MethodView):
        @blp.arguments(args_schema, location="query")
        @blp.response(200, schema, description=_OK)
        @blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True, description=_OK)
        @blp.alt_response(200, schema={"type": "string", "format": "binary"}, content_type=XLSX, success=True,
                          description=_OK)
        @blp.errors(403, 422)
        @require(perm)
        def get(self, args):
            return _out(service.render(name, args, current_user_required()))

    View.get.__doc__ = doc
    View.__name__ = f"{name.title()}Report"
    blp.route(path)(View)


_route("/reports/sales", "sales", SalesArgs, SalesRow, "report.view",
       "Sales by period, product, customer, category or warehouse: revenue net of tax, cost of goods, margin.")
_route("/reports/purchases", "purchases", PurchaseArgs, PurchaseRow, "report.view",
       "Purchases by supplier, product, category, warehouse or period: ordered, received, returned, open.")
_route("/reports/inventory", "inventory", InventoryArgs, InventoryRow, "stock.view",
       "On-hand and value, in transit, turnover and days of cover; or slow movers (view=slow_movers).")
_route("/reports/finance", "finance", FinanceArgs, FinanceRow, "report.view",
       "Receivables/payables ageing, money in and out by period, or expenses by category.")


@blp.route("/dashboard")
class Dashboard(MethodView):
    @blp.arguments(DashboardArgs, location="query")
    @blp.response(200, DashboardOut)
    @blp.errors(422)
    @require(AUTHENTICATED)
    def get(self, args):
        """Key figures for the home screen; each needs its own permission (None when not allowed)."""
        return service.dashboard(args, current_user_required())
