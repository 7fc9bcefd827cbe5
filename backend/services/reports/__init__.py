"""Reports and the dashboard: the read side (SQL aggregates only, never writes).

One module per report family, each ``(args, user) -> dict``: ``sales.sales_report``,
``purchases.purchase_report``, ``inventory.inventory_report``, ``finance.finance_report``, and
``dashboard.dashboard``. ``common`` holds what they share (rounding, date ranges and time zones, warehouse
scope, labels, row collection); ``export`` the columns and the CSV/XLSX files. ``render(name, args, user)``
runs a report, hides cost columns from users without ``cost.view`` and exports it.
Every figure is defined in docs/reports.md; docs/architecture.md says where a new report goes.
"""
from __future__ import annotations

from backend.auth.visibility import can_see_costs, strip, visible_columns
from backend.services.reports.common import PERIODS, Range, money, qty, ratio
from backend.services.reports.dashboard import dashboard
from backend.services.reports.export import COST_KEYS, columns, export
from backend.services.reports.finance import FINANCE_VIEWS, finance_report
from backend.services.reports.inventory import (
    INVENTORY_GROUPS,
    INVENTORY_VIEWS,
    inventory_report,
)
from backend.services.reports.purchases import PURCHASE_GROUPS, purchase_report
from backend.services.reports.sales import SALES_GROUPS, sales_report

__all__ = ["COST_KEYS", "FINANCE_VIEWS", "INVENTORY_GROUPS", "INVENTORY_VIEWS", "PERIODS", "PURCHASE_GROUPS",
           "REPORTS", "SALES_GROUPS", "Range", "columns", "dashboard", "export", "finance_report",
           "inventory_report", "money", "purchase_report", "qty", "ratio", "render", "sales_report"]

REPORTS = {"sales": sales_report, "purchases": purchase_report, "inventory": inventory_report,
           "finance": finance_report}


def render(name: str, args: dict, user):
    """Run report ``name``; JSON as a dict, or (bytes, mimetype, filename) for ``format`` csv/xlsx."""
    report = REPORTS[name](args, user)
    if not can_see_costs(user):  # the one place for JSON, CSV and XLSX alike
        hidden = COST_KEYS.get(name, set())
        report["rows"] = [strip(r, hidden) for r in report["rows"]]
        report["totals"] = strip(report["totals"], hidden)
    fmt = args.get("format") or "json"
    if fmt == "json":
        report["columns"] = [{"key": c["key"], "label": c[args.get("lang") or "zh-CN"], "kind": c["kind"]}
                             for c in visible_columns(columns(report), user=user)[0]]
        return report
    return export(report, fmt, args.get("lang") or "zh-CN", user)
