"""What every report shares: rounding, date ranges and time zones, warehouse scope, labels, row collection.

Conventions (docs/reports.md defines every figure):

* A report covers the local days ``date_from``..``date_to`` (inclusive) in the IANA zone ``tz``; the
  database is queried with the UTC instants ``[start, end)`` of that range and rows are grouped by the
  *local* day (``local_day``), then rolled up to ISO weeks (Monday) or months in Python.
* Money is summed exactly (NUMERIC on PostgreSQL; SQLite's float sums are read back to 10 places) and
  rounded once per row to cents, ROUND_HALF_UP. Totals are sums of the rounded rows.
* Warehouse-bound users only see their warehouses (``scope``).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Numeric, case, func, literal, select, type_coerce

from backend.domain.money import cents as money  # the one rounding rule (re-exported to the report modules)
from backend.errors import ValidationFailed
from backend.extensions import db
from backend.models.catalog import Product
from backend.models.partners import Customer, Supplier
from backend.models.warehouses import Warehouse
from backend.services.access import ensure_warehouse, visible_warehouses

ZERO = Decimal(0)
CENT, Q4, PCT = Decimal("0.01"), Decimal("0.0001"), Decimal("0.01")
MAX_DAYS = 3660
PERIODS = ("day", "week", "month")


def qty(x) -> Decimal:
    return Decimal(x or 0).quantize(Q4, rounding=ROUND_HALF_UP)


def ratio(num, den, scale=Decimal("0.01"), factor=1) -> Decimal | None:
    """``num / den × factor`` rounded half up, None when ``den`` is zero (no meaningful ratio)."""
    den = Decimal(den or 0)
    if den == 0:
        return None
    return (Decimal(num or 0) * factor / den).quantize(scale, rounding=ROUND_HALF_UP)


def exact(expr):
    """Read a sum back as an exact-enough Decimal (SQLite sums floats; 10 places removes the noise)."""
    return type_coerce(expr, Numeric(38, 10))


def sql_sum(expr):
    return exact(func.coalesce(func.sum(expr), 0))


# ---------------------------------------------------------------- date ranges and time zones

class Range:
    """Local days ``date_from``..``date_to`` in ``tz`` and their UTC instants ``[start, end)``."""

    def __init__(self, args: dict):
        try:
            self.zone = ZoneInfo(args.get("tz") or "Asia/Shanghai")
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValidationFailed("Unknown time zone.",
                                   errors={"tz": ["An IANA zone such as Asia/Shanghai."]}) from None
        self.tz = self.zone.key
        today = datetime.now(self.zone).date()
        self.date_to = args.get("date_to") or today
        self.date_from = args.get("date_from") or (self.date_to - timedelta(days=29))
        if self.date_from > self.date_to:
            raise ValidationFailed("date_from is after date_to.", errors={"date_from": ["Must be ≤ date_to."]})
        if (self.date_to - self.date_from).days + 1 > MAX_DAYS:
            raise ValidationFailed(f"At most {MAX_DAYS} days per report.", zh=f"每份报表最多 {MAX_DAYS} 天。", errors={"date_from": ["Range too long."]})
        self.start, self.end = self.utc(self.date_from), self.utc(self.date_to + timedelta(days=1))
        self.days = (self.date_to - self.date_from).days + 1

    def utc(self, d: date) -> datetime:
        """The UTC instant of local midnight starting day ``d``."""
        return datetime.combine(d, time(0), self.zone).astimezone(UTC)

    def local_date(self, ts: datetime) -> date:
        return ts.astimezone(self.zone).date()

    def offsets(self) -> list[tuple[datetime, int]]:
        """[(from UTC instant, UTC offset in minutes)] covering [start, end): one entry per DST segment."""
        def off(t):
            return int(t.astimezone(self.zone).utcoffset().total_seconds() // 60)

        segs = [(self.start, off(self.start))]
        t = self.start
        while t < self.end:
            nxt = min(t + timedelta(days=1), self.end)
            if off(nxt) != segs[-1][1]:
                lo, hi = t, nxt  # binary search the transition to the minute
                while hi - lo > timedelta(minutes=1):
                    mid = lo + (hi - lo) / 2
                    lo, hi = (mid, hi) if off(mid) == segs[-1][1] else (lo, mid)
                segs.append((hi, off(hi)))
            t = nxt
        return segs


def local_day(col, rng: Range):
    """SQL: the local calendar day of UTC timestamp ``col`` in the report's zone."""
    if db.engine.dialect.name == "postgresql":
        return func.date(func.timezone(rng.tz, col))
    segs = rng.offsets()
    # SQLite stores naive UTC text; shift it by the segment's offset, segment by segment (DST-safe)
    mod = literal(f"{segs[-1][1]:+d} minutes")
    for i in range(len(segs) - 2, -1, -1):
        mod = case((col < segs[i + 1][0], literal(f"{segs[i][1]:+d} minutes")), else_=mod)
    return func.date(col, mod)


def as_date(v) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def period_start(d: date, grain: str) -> date:
    if grain == "week":
        return d - timedelta(days=d.weekday())
    if grain == "month":
        return d.replace(day=1)
    return d


def period_label(d: date, grain: str) -> str:
    if grain == "week":
        y, w, _ = d.isocalendar()
        return f"{y}-W{w:02d}"
    if grain == "month":
        return d.strftime("%Y-%m")
    return d.isoformat()


def period_keys(rng: Range, grain: str) -> list[date]:
    out, d = [], period_start(rng.date_from, grain)
    while d <= rng.date_to:
        out.append(d)
        d = (d + timedelta(days=7)) if grain == "week" else (
            (d.replace(day=28) + timedelta(days=4)).replace(day=1) if grain == "month" else d + timedelta(days=1))
    return out


# ---------------------------------------------------------------- scope and labels

def scope(user, warehouse_id: int | None) -> list[int] | None:
    """Warehouses to include (None: all). Asking for a warehouse outside the user's scope is refused."""
    ids = visible_warehouses(user)
    if warehouse_id:
        ensure_warehouse(user, warehouse_id)
        return [warehouse_id]
    return None if ids is None else sorted(ids)


def where_wh(stmt, col, whs):
    return stmt if whs is None else stmt.where(col.in_(whs))


def label_map(dim: str, keys) -> dict:
    """{key: (code, name)} for dimension keys, in one query."""
    keys = [k for k in keys if k is not None]
    if dim == "category":
        return {k: (k or "", k or "—") for k in keys}
    model = {"product": Product, "customer": Customer, "supplier": Supplier, "warehouse": Warehouse}.get(dim)
    if model is None or not keys:
        return {}
    code = model.sku if model is Product else model.code
    return {r[0]: (r[1], r[2]) for r in db.session.execute(
        select(model.id, code, model.name).where(model.id.in_(keys)))}


def dim_expr(group_by: str, rng: Range, *, ts, product_id, warehouse_id, partner_id=None):
    if group_by in PERIODS:
        return local_day(ts, rng)
    return {"product": product_id, "warehouse": warehouse_id, "customer": partner_id, "supplier": partner_id,
            "category": func.coalesce(Product.category, "")}[group_by]


def collect(group_by: str, rng: Range, stmts: list, measures: dict[str, str]) -> list[dict]:
    """Run ``stmts`` (each selecting ``key`` + measure columns), merge them per key, roll periods up,
    label, round. ``measures`` maps a measure name to ``money`` or ``qty``."""
    acc: dict = defaultdict(lambda: defaultdict(Decimal))
    for stmt in stmts:
        for r in db.session.execute(stmt).mappings():
            key = r["key"]
            if group_by in PERIODS:
                key = period_start(as_date(key), group_by)
            for m in measures:
                if m in r:
                    acc[key][m] += Decimal(r[m] or 0)
    if group_by in PERIODS:
        keys = period_keys(rng, group_by)
        labels = {k: ("", period_label(k, group_by)) for k in keys}
    else:
        keys = list(acc)
        labels = label_map(group_by, keys)
    rows = []
    for k in keys:
        vals = acc.get(k, {})
        code, name = labels.get(k, ("", str(k)))
        row = {"key": k.isoformat() if isinstance(k, date) else str(k), "code": code, "name": name}
        for m, kind in measures.items():
            row[m] = money(vals.get(m)) if kind == "money" else qty(vals.get(m))
        rows.append(row)
    return rows


def sum_rows(rows: list[dict], fields) -> dict:
    return {f: sum((r[f] for r in rows if r.get(f) is not None), ZERO) for f in fields}


def limit_rows(rows: list[dict], args: dict, sort_key: str | None) -> list[dict]:
    if sort_key:
        rows.sort(key=lambda r: (-(r[sort_key] or 0), r["code"], r["key"]))
    return rows[: args["limit"]] if args.get("limit") else rows


def envelope(name: str, rng: Range, args: dict, rows, totals, **extra) -> dict:
    return {"report": name, "date_from": rng.date_from, "date_to": rng.date_to, "tz": rng.tz,
            "group_by": args.get("group_by"), "view": args.get("view"), "warehouse_id": args.get("warehouse_id"),
            "rows": rows, "totals": totals, "generated_at": datetime.now(UTC), **extra}

