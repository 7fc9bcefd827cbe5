"""Report export: the columns of each report (zh-CN and en headers, kind, cost) and CSV/XLSX files."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from backend.auth.visibility import visible_columns
from backend.services.reports.common import PERIODS
from backend.services.spreadsheet import csv_text, xlsx_value


def _c(key, zh, en, kind="money"):
    return {"key": key, "zh-CN": zh, "en": en, "kind": kind}


NAME_COLS = {
    "product": [_c("code", "SKU", "SKU", "text"), _c("name", "商品", "Product", "text")],
    "customer": [_c("code", "客户编码", "Customer code", "text"), _c("name", "客户", "Customer", "text")],
    "supplier": [_c("code", "供应商编码", "Supplier code", "text"), _c("name", "供应商", "Supplier", "text")],
    "warehouse": [_c("code", "仓库编码", "Warehouse code", "text"), _c("name", "仓库", "Warehouse", "text")],
    "category": [_c("name", "类别", "Category", "text")],
    "period": [_c("name", "期间", "Period", "text")],
}


# Cost columns (backend/auth/visibility.py): absent from every format without cost.view. Turnover and days of
# cover stay: ratios of quantities and of cost to cost reveal no price.
COST_KEYS = {"sales": {"cost", "margin", "margin_pct"},
             "purchases": {"ordered_amount", "received_amount", "returned_amount", "net_amount", "open_amount"},
             "inventory": {"value", "avg_cost", "in_transit_value", "opening_value", "average_value", "cogs"}}


AGEING_COLS = [_c("d0_30", "0-30天", "0-30 days"), _c("d31_60", "31-60天", "31-60 days"),
               _c("d61_90", "61-90天", "61-90 days"), _c("d90_plus", "90天以上", ">90 days"),
               _c("unapplied", "未核销款", "Unapplied"), _c("total", "合计", "Total")]

# (report, view) → (leading name columns, measure columns). The name columns are those of the report's
# group_by ("group"), a fixed NAME_COLS entry, or none. View None: the report's other views.
REPORT_COLUMNS: dict[tuple[str, str | None], tuple[str | None, list[dict]]] = {
    ("sales", None): ("group", [
        _c("quantity", "数量", "Quantity", "qty"), _c("revenue", "销售额(不含税)", "Revenue (net)"),
        _c("returns", "退货冲减", "Returns"), _c("cost", "销售成本", "Cost of goods"),
        _c("margin", "毛利", "Gross margin"), _c("margin_pct", "毛利率%", "Margin %", "pct")]),
    ("purchases", None): ("group", [
        _c("ordered_qty", "订购数量", "Ordered qty", "qty"), _c("ordered_amount", "订购金额", "Ordered"),
        _c("received_qty", "入库数量", "Received qty", "qty"), _c("received_amount", "入库金额", "Received"),
        _c("returned_qty", "退货数量", "Returned qty", "qty"), _c("returned_amount", "退货金额", "Returned"),
        _c("net_amount", "净采购额", "Net purchases"),
        _c("open_qty", "未到数量", "Open qty", "qty"), _c("open_amount", "未到金额", "Open amount")]),
    ("inventory", "slow_movers"): ("product", [
        _c("category", "类别", "Category", "text"), _c("warehouse_code", "仓库", "Warehouse", "text"),
        _c("quantity", "库存数量", "On hand", "qty"), _c("value", "库存金额", "Value"),
        _c("last_out_at", "最后出库", "Last outgoing", "datetime"), _c("days_idle", "呆滞天数", "Days idle", "int")]),
    ("inventory", None): ("group", [
        _c("quantity", "库存数量", "On hand", "qty"), _c("value", "库存金额", "Value"),
        _c("avg_cost", "平均成本", "Average cost", "qty"), _c("in_transit_qty", "在途数量", "In transit", "qty"),
        _c("in_transit_value", "在途金额", "In-transit value"), _c("opening_value", "期初金额", "Opening value"),
        _c("average_value", "平均库存", "Average value"), _c("cogs", "销售成本", "Cost of goods"),
        _c("sold_qty", "销售数量", "Sold qty", "qty"), _c("turnover", "周转率", "Turnover", "num"),
        _c("days_of_cover", "可售天数", "Days of cover", "num")]),
    ("finance", "receivables"): ("group", AGEING_COLS),
    ("finance", "payables"): ("group", AGEING_COLS),
    ("finance", "payments"): ("period", [
        _c("money_in", "收款", "Money in"), _c("money_out", "付款", "Money out"),
        _c("expenses", "费用", "Expenses"), _c("net", "净额", "Net")]),
    ("finance", None): (None, [  # expenses by category
        _c("name", "费用类别", "Category", "text"), _c("count", "笔数", "Count", "int"),
        _c("amount", "金额", "Amount"), _c("share_pct", "占比%", "Share %", "pct")]),
}


def columns(report: dict) -> list[dict]:
    """The exported columns of a report (key, zh-CN and en header, kind, cost)."""
    cost_keys = COST_KEYS.get(report["report"], set())
    return [{**c, "cost": c["key"] in cost_keys} for c in _columns(report)]


def _name_columns(lead: str | None, group_by: str | None) -> list[dict]:
    if lead != "group":
        return NAME_COLS[lead] if lead else []
    if group_by in PERIODS:
        return NAME_COLS["period"]
    return NAME_COLS.get(group_by, []) if group_by else []


def _columns(report: dict) -> list[dict]:
    name, view = report["report"], report.get("view")
    lead, measures = REPORT_COLUMNS.get((name, view)) or REPORT_COLUMNS[(name, None)]
    return _name_columns(lead, report.get("group_by")) + measures


def _cell(v, kind):
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return v


TOTAL_LABEL = {"zh-CN": "合计", "en": "Total"}


def _table(report: dict, lang: str, user=None):
    cols = visible_columns(columns(report), user=user)[0]
    header = [c[lang] for c in cols]
    body = [[_cell(r.get(c["key"]), c["kind"]) for c in cols] for r in report["rows"]]
    tot = report["totals"]
    total_row = [_cell(tot.get(c["key"]), c["kind"]) if c["kind"] != "text" else None for c in cols]
    if cols and cols[0]["kind"] == "text":
        total_row[0] = TOTAL_LABEL[lang]
    return cols, header, body, total_row


XLSX_FORMATS = {"money": "#,##0.00", "qty": "#,##0.####", "pct": "0.00", "num": "0.0#", "int": "0"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_bytes(header: list, rows: list[list]) -> bytes:
    """UTF-8 with BOM (Excel reads Chinese), CRLF; text cells (names) formula-safe, numbers stay numbers."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["" if v is None else csv_text(v) if isinstance(v, str) else str(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def _xlsx_cells(ws, cols: list[dict], values: list, font=None) -> list:
    out = []
    for c, v in zip(cols, values):
        cell = WriteOnlyCell(ws, value=float(v) if isinstance(v, Decimal) else xlsx_value(v))
        if isinstance(v, str):
            cell.data_type = "s"  # a name "=…" stays text, never a formula
        if c["kind"] in XLSX_FORMATS:
            cell.number_format = XLSX_FORMATS[c["kind"]]
        if font is not None:
            cell.font = font
        out.append(cell)
    return out


def _xlsx_bytes(sheet: str, cols: list[dict], header: list, body: list[list], total_row: list) -> bytes:
    """One sheet, header frozen and bold, the total row bold; written streaming (write-only mode: 10,000 rows
    in a fraction of the normal mode's time)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    ws.freeze_panes = "A2"
    for j, h in enumerate(header):
        ws.column_dimensions[get_column_letter(j + 1)].width = max(10, len(h) * 2 + 2)
    bold = Font(bold=True)
    head = []
    for h in header:
        cell = WriteOnlyCell(ws, value=xlsx_value(h))
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in body:
        ws.append(_xlsx_cells(ws, cols, row))
    ws.append(_xlsx_cells(ws, cols, total_row, bold))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export(report: dict, fmt: str, lang: str, user=None) -> tuple[bytes, str, str]:
    """The report as CSV (UTF-8 with BOM, for Excel) or XLSX: (bytes, mimetype, filename)."""
    cols, header, body, total_row = _table(report, lang, user)
    stem = f"{report['report']}-{report.get('view') or report.get('group_by')}-{report['date_from']}-{report['date_to']}"
    if fmt == "csv":
        return _csv_bytes(header, body + [total_row]), "text/csv; charset=utf-8", stem + ".csv"
    return _xlsx_bytes(report["report"], cols, header, body, total_row), XLSX_MIME, stem + ".xlsx"
