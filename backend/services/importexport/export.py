"""Export of base data as CSV (UTF-8 with BOM, streamed) or XLSX; the same columns the import reads."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.visibility import can_see_costs, cost_columns
from backend.extensions import db
from backend.models.base import utcnow
from backend.models.catalog import Product
from backend.models.warehouses import Warehouse
from backend.services.access import visible_warehouses
from backend.services.importexport.entities import ENTITIES, XLSX_MIME, Entity
from backend.services.spreadsheet import csv_text, xlsx_value

CSV_MIME = "text/csv; charset=utf-8"


def export_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        s = format(v.normalize(), "f")
        return s
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    return v


def _barcodes_cell(product: Product) -> str:
    parts = []
    for bc in product.barcodes:
        q = bc.quantity if bc.quantity is not None else Decimal(1)
        parts.append(bc.code if q == 1 else f"{bc.code}*{format(q.normalize(), 'f')}")
    return "|".join(parts)


def _export_query(entity: str, user):
    spec = ENTITIES[entity]
    stmt = select(spec.model).order_by(getattr(spec.model, spec.key))
    if spec.model is Warehouse:
        ids = visible_warehouses(user)
        if ids is not None:
            stmt = stmt.where(Warehouse.id.in_(ids))
    return spec, stmt.execution_options(yield_per=500)


def export_columns(spec: Entity, user) -> list[str]:
    """The exported columns for ``user``: cost columns (``info=COST``) only with cost.view."""
    hidden = set() if can_see_costs(user) else cost_columns(spec.model)
    return [c for c in spec.columns if c not in hidden]


def _row(cols: list[str], obj: Any) -> list[Any]:
    return [(_barcodes_cell(obj) if c == "barcodes" else getattr(obj, c)) for c in cols]


def export_rows(entity: str, user) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows (Python values) of an entity, ordered by key (read in the current session)."""
    spec, stmt = _export_query(entity, user)
    cols = export_columns(spec, user)
    return cols, (_row(cols, obj) for obj in db.session.scalars(stmt))


def safe_cell(v: Any) -> str:
    """Text that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    return csv_text("" if v is None else str(export_value(v)))


def csv_chunks(entity: str, user) -> Iterator[str]:
    """UTF-8 CSV with BOM (Excel then reads Chinese correctly), formula-safe, in chunks.

    The query (and the user's warehouse scope) is fixed now; rows are read while the chunks are consumed.
    """
    spec, stmt = _export_query(entity, user)
    cols = export_columns(spec, user)  # now, in the request: who sees costs
    engine = db.engine

    def rows():  # its own session: the response may be sent after the request's context has ended
        with Session(engine) as session:
            for obj in session.scalars(stmt):
                yield _row(cols, obj)

    return _csv_gen(cols, rows())


def _csv_gen(header: list[str], rows: Iterator[list[Any]]) -> Iterator[str]:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    buf.write("\ufeff")
    w.writerow(header)
    for i, row in enumerate(rows, 1):
        w.writerow([safe_cell(v) for v in row])
        if i % 200 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def xlsx_bytes(entity: str, user, template: bool = False) -> bytes:
    """An .xlsx workbook (one sheet, header row frozen); text cells never become formulas."""
    header, rows = export_rows(entity, user)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(entity)
    ws.freeze_panes = "A2"
    for i, name in enumerate(header):
        ws.column_dimensions[chr(65 + i)].width = 28 if name in ("name", "barcodes", "address", "notes") else 14
    head = []
    for name in header:
        c = WriteOnlyCell(ws, value=name)
        c.font = Font(bold=True)
        head.append(c)
    ws.append(head)
    if not template:
        for row in rows:
            cells = []
            for v in row:
                v = xlsx_value(export_value(v))  # a control character in a name must not break the download
                c = WriteOnlyCell(ws, value=v)
                if isinstance(v, str):
                    c.data_type = "s"  # "=…" stays text
                cells.append(c)
            ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_template(entity: str) -> str:
    return "\ufeff" + ",".join(ENTITIES[entity].columns) + "\r\n"


def export_file(entity: str, fmt: str, template: bool, user) -> tuple[Any, str, str]:
    """(content, mimetype, file name) of an export (what ``user`` may see) or of an empty import template, as
    CSV or XLSX. CSV content is a chunk iterator for an export (streamed), text for a template."""
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    name = f"{entity}-{'template' if template else stamp}.{fmt}"
    if fmt == "xlsx":
        return xlsx_bytes(entity, user, template=template), XLSX_MIME, name
    if template:
        return csv_template(entity), CSV_MIME, name
    return csv_chunks(entity, user), CSV_MIME, name
