"""Import: every row validated and applied through the services in one transaction — all or nothing, or
(``skip_invalid``) the valid rows only, the others reported. An applied import is itself written to the
audit log (entity ``import``, id = the entity name) with its counts and the rows it skipped."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from backend.errors import DomainError, StaleVersion, ValidationFailed
from backend.extensions import db
from backend.i18n import pick
from backend.services import catalog
from backend.services.audit import record_event
from backend.services.importexport.entities import ENTITIES, Entity
from backend.services.importexport.files import read_table
from backend.services.importexport.limits import Deadline, Limits
from backend.services.importexport.parsers import map_header, parse_row, row_text
from backend.services.uow import transaction


class _DryRun(Exception):
    pass


def _differs(obj: Any, fld: str, value: Any) -> bool:
    cur = getattr(obj, fld)
    if isinstance(value, Decimal) and cur is not None:
        return Decimal(cur).quantize(Decimal("0.0001")) != value.quantize(Decimal("0.0001"))
    return cur != value


def _find(spec: Entity, key: str):
    col = getattr(spec.model, spec.key)
    return db.session.scalars(select(spec.model).where(func.lower(col) == key.lower())).first()


def _apply(spec: Entity, data: dict) -> str:
    key = data[spec.key]
    barcodes = data.pop("barcodes", None)
    version = data.pop("version", None)
    obj = _find(spec, key)
    if obj is None:
        missing = [f for f in spec.required if f not in data]
        if missing:
            raise ValidationFailed("Missing required values.", zh="缺少必填的值。",
                                   errors={f: [row_text("Required for a new row.")] for f in missing})
        if barcodes:
            data["barcodes"] = barcodes
        spec.create(data)
        return "created"
    changes = {f: v for f, v in data.items() if f != spec.key and _differs(obj, f, v)}
    new_codes = []
    if barcodes:
        have = {b.code for b in obj.barcodes}
        new_codes = [b for b in barcodes if b["code"] not in have]
    if version is not None and version != obj.version:
        raise StaleVersion(errors={"version": {"expected": version, "current": obj.version}})
    if changes:
        spec.update(obj.id, obj.version, changes)
    for bc in new_codes:
        catalog.add_barcode(obj.id, bc)
    return "updated" if changes or new_codes else "unchanged"


def import_table(entity: str, header: list[str], rows: list[tuple[int, list]], dry_run: bool = False,
                 deadline: Deadline | None = None, skip_invalid: bool = False, source: str = "") -> dict:
    """Validate and apply every row in one transaction; any error (or dry_run) rolls it all back — unless
    ``skip_invalid``: then the rows with errors are left out (reported, counted in ``skipped``) and the
    valid ones are applied."""
    spec = ENTITIES[entity]
    deadline = deadline or Deadline(Limits.current().time_limit_seconds)
    fields = map_header(spec, header)
    report = {"entity": entity, "dry_run": dry_run, "rows": len(rows), "created": 0, "updated": 0,
              "unchanged": 0, "skipped": 0, "errors": []}
    seen: dict[str, int] = {}
    try:
        with transaction() as session:
            for n, cells in rows:
                deadline.check()  # raises inside the transaction: everything rolls back
                data, errs = parse_row(spec, fields, cells)
                key = data.get(spec.key)
                if not key and spec.key not in errs:
                    errs[spec.key] = [row_text("Required.")]
                if key and key.lower() in seen:
                    errs[spec.key] = [row_text(f"Same {spec.key} as row {seen[key.lower()]}.")]
                if key:
                    seen.setdefault(key.lower(), n)
                if errs:
                    report["errors"].append({"row": n, "key": key, "code": "validation_error",
                                             "message": row_text("Invalid values."), "errors": errs})
                    continue
                try:
                    with session.begin_nested():
                        outcome = _apply(spec, data)
                    report[outcome] += 1
                except DomainError as exc:
                    report["errors"].append({"row": n, "key": key, "code": exc.code, "message": pick(exc.message, exc.message_zh),
                                             "errors": exc.errors})
            if dry_run or (report["errors"] and not skip_invalid):
                raise _DryRun
            report["skipped"] = len(report["errors"])
            if report["created"] or report["updated"]:  # re-importing an unchanged export leaves no trace
                record_event("import", entity, "import", {
                    "file": source[:200], "rows": report["rows"], "created": report["created"],
                    "updated": report["updated"], "unchanged": report["unchanged"], "skipped": report["skipped"],
                    "skipped_rows": [e["row"] for e in report["errors"]][:200]})
    except _DryRun:
        pass
    report["ok"] = not report["errors"]
    if report["errors"] and not dry_run and not skip_invalid:
        raise ValidationFailed(f"{len(report['errors'])} row(s) have errors; nothing was imported.",
                               zh=f"{len(report['errors'])} 行有错误；未导入任何数据。",
                               code="import_failed", errors={"rows": report["errors"]}, report=report)
    return report


def import_file(entity: str, filename: str, content: bytes, dry_run: bool = False,
                skip_invalid: bool = False) -> dict:
    """Read and import an upload within one time budget (``IMPORT_TIME_LIMIT_SECONDS``)."""
    deadline = Deadline(Limits.current().time_limit_seconds)
    header, rows = read_table(filename, content, deadline)
    if not header:
        raise ValidationFailed("The file has no header row.", zh="文件没有表头行。", code="bad_columns",
                               errors={"expected": list(ENTITIES[entity].columns)})
    return import_table(entity, header, rows, dry_run, deadline, skip_invalid=skip_invalid, source=filename)
