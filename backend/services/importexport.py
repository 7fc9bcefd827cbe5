"""CSV/XLSX import and export of base data: products (with barcodes), suppliers, customers, warehouses.

Export writes the same columns the import reads, so a file can round-trip through Excel. Import matches
rows on ``sku``/``code``: a known key updates that row (only the cells that differ; blank cells leave a
value unchanged), an unknown key creates it — through the same services as the API, so rules, audit log
and webhook events are identical. The whole file is one transaction: any row error rolls everything back
and every error is reported with its spreadsheet row number; ``dry_run`` runs the same path and always
rolls back.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Boolean, Integer, Numeric, Text, TypeDecorator, func, select
from sqlalchemy.orm import Session

from backend.errors import (
    DomainError,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from backend.extensions import db
from backend.models.base import NUMERIC_MAX
from backend.models.catalog import Product
from backend.models.partners import Customer, Supplier
from backend.models.warehouses import Warehouse
from backend.services import catalog, crud
from backend.services.spreadsheet import csv_text, has_control_chars, xlsx_value
from backend.services.uow import transaction

MAX_DECIMAL = NUMERIC_MAX  # what the NUMERIC(18,4) columns hold
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TRUE = {"1", "true", "yes", "y", "t", "是", "启用", "有效", "√"}
FALSE = {"0", "false", "no", "n", "f", "否", "停用", "无效", "×"}
IGNORED_COLUMNS = {"id", "created_at", "updated_at"}


@dataclass(frozen=True)
class Entity:
    name: str
    model: type
    key: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    view_perm: str
    write_perm: str
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    limits: dict[str, tuple[Decimal | int | None, Decimal | int | None]] = field(default_factory=dict)
    create: Callable[[dict], Any] | None = None
    update: Callable[[int, int, dict], Any] | None = None


_COMMON_ALIASES = {"name": ("名称",), "notes": ("备注",), "is_active": ("启用", "是否启用", "状态"),
                   "address": ("地址",)}
_PARTNER_ALIASES = {**_COMMON_ALIASES, "code": ("编码", "代码", "编号"), "contact": ("联系人",),
                    "phone": ("电话", "手机", "联系电话"), "email": ("邮箱", "电子邮件"), "tax_id": ("税号",),
                    "payment_terms_days": ("账期", "账期天数"), "credit_limit": ("信用额度",),
                    "name": ("名称", "供应商名称", "客户名称")}
_PARTNER_COLS = ("code", "name", "contact", "phone", "email", "address", "tax_id", "payment_terms_days", "notes",
                 "is_active")


def _partner_create(model):
    return lambda data: crud.create(model, data, ("code",))


def _partner_update(model):
    return lambda obj_id, version, data: crud.update(model, obj_id, version, data, ("code",))


ENTITIES: dict[str, Entity] = {
    "products": Entity(
        "products", Product, "sku",
        ("sku", "name", "name_en", "model", "spec", "unit", "category", "purchase_price", "sale_price", "tax_rate",
         "reorder_point", "reorder_qty", "is_active", "notes", "barcodes"),
        ("sku", "name"), "product.view", "product.write",
        aliases={**_COMMON_ALIASES, "sku": ("编码", "商品编码", "货号", "sku编码"), "name": ("名称", "商品名称", "品名"),
                 "name_en": ("英文名", "英文名称"), "model": ("型号",), "spec": ("规格",), "unit": ("单位",),
                 "category": ("分类", "类别"), "purchase_price": ("进价", "采购价"), "sale_price": ("售价", "销售价"),
                 "tax_rate": ("税率",), "reorder_point": ("补货点", "安全库存"), "reorder_qty": ("补货量",),
                 "barcodes": ("条码", "条形码")},
        limits={"tax_rate": (Decimal(0), Decimal(1))},
        create=catalog.create_product, update=catalog.update_product),
    "suppliers": Entity("suppliers", Supplier, "code", _PARTNER_COLS, ("code", "name"), "partner.view",
                        "supplier.write", aliases=_PARTNER_ALIASES, limits={"payment_terms_days": (0, 3650)},
                        create=_partner_create(Supplier), update=_partner_update(Supplier)),
    "customers": Entity("customers", Customer, "code", (*_PARTNER_COLS[:-2], "credit_limit", *_PARTNER_COLS[-2:]),
                        ("code", "name"), "partner.view", "customer.write", aliases=_PARTNER_ALIASES,
                        limits={"payment_terms_days": (0, 3650)},
                        create=_partner_create(Customer), update=_partner_update(Customer)),
    "warehouses": Entity("warehouses", Warehouse, "code", ("code", "name", "address", "notes", "is_active"),
                         ("code", "name"), "warehouse.view", "warehouse.write",
                         aliases={**_COMMON_ALIASES, "code": ("编码", "仓库编码"), "name": ("名称", "仓库名称")},
                         create=_partner_create(Warehouse), update=_partner_update(Warehouse)),
}


def _cfg(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


def limits() -> tuple[int, int]:
    """(max upload bytes, max data rows) for an import."""
    return int(_cfg("IMPORT_MAX_BYTES", 5 * 1024 * 1024)), int(_cfg("IMPORT_MAX_ROWS", 5000))


@dataclass(frozen=True)
class Limits:
    """What one import may cost (config ``IMPORT_*``; see docs/operations.md)."""

    max_bytes: int
    max_rows: int  # data rows (non-empty)
    max_sheet_rows: int  # rows read, empty ones included
    max_columns: int
    max_line_chars: int  # characters of one CSV record
    max_unpacked_bytes: int  # sum of the uncompressed sizes of an .xlsx's zip members
    time_limit_seconds: float

    @classmethod
    def current(cls) -> Limits:
        max_bytes, max_rows = limits()
        return cls(max_bytes, max_rows, int(_cfg("IMPORT_MAX_SHEET_ROWS", 20000)),
                   int(_cfg("IMPORT_MAX_COLUMNS", 64)), int(_cfg("IMPORT_MAX_LINE_CHARS", 20000)),
                   int(_cfg("IMPORT_MAX_XLSX_UNPACKED_BYTES", 32 * 1024 * 1024)),
                   float(_cfg("IMPORT_TIME_LIMIT_SECONDS", 120)))


def too_large(limit: str, value: Any, en: str, zh: str, **more: Any) -> ValidationFailed:
    """422 ``import_too_large``: ``errors`` names the limit and its value."""
    return ValidationFailed(en, zh=zh, code="import_too_large", errors={"limit": limit, "value": value, **more})


class Deadline:
    """A time budget for one import, checked while the file is read and while rows are applied (the work
    stops even when the client has gone away)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise too_large("time_limit_seconds", self.seconds,
                            f"The import took longer than its time limit of {self.seconds:g} s; "
                            "split the file and import the parts.",
                            f"导入超过时间限制（{self.seconds:g} 秒），请拆分文件后分别导入。")


# ---------------------------------------------------------------- export

def _fmt(v: Any) -> Any:
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


def _export_query(entity: str):
    spec = ENTITIES[entity]
    stmt = select(spec.model).order_by(getattr(spec.model, spec.key))
    if spec.model is Warehouse:
        from backend.services.warehouses import visible_warehouse_ids

        ids = visible_warehouse_ids()
        if ids is not None:
            stmt = stmt.where(Warehouse.id.in_(ids))
    return spec, stmt.execution_options(yield_per=500)


def export_columns(spec: Entity) -> list[str]:
    """The exported columns for the current user: cost columns (``info=COST``) only with cost.view."""
    from backend.auth.visibility import can_see_costs, cost_columns

    hidden = set() if can_see_costs() else cost_columns(spec.model)
    return [c for c in spec.columns if c not in hidden]


def _row(cols: list[str], obj: Any) -> list[Any]:
    return [(_barcodes_cell(obj) if c == "barcodes" else getattr(obj, c)) for c in cols]


def export_rows(entity: str) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows (Python values) of an entity, ordered by key (read in the current session)."""
    spec, stmt = _export_query(entity)
    cols = export_columns(spec)
    return cols, (_row(cols, obj) for obj in db.session.scalars(stmt))


def safe_cell(v: Any) -> str:
    """Text that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    return csv_text("" if v is None else str(_fmt(v)))


def csv_chunks(entity: str) -> Iterator[str]:
    """UTF-8 CSV with BOM (Excel then reads Chinese correctly), formula-safe, in chunks.

    The query (and the user's warehouse scope) is fixed now; rows are read while the chunks are consumed.
    """
    spec, stmt = _export_query(entity)
    cols = export_columns(spec)  # now, in the request: who sees costs
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


def xlsx_bytes(entity: str, template: bool = False) -> bytes:
    """An .xlsx workbook (one sheet, header row frozen); text cells never become formulas."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    header, rows = export_rows(entity)
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
                v = xlsx_value(_fmt(v))  # a control character in a name must not break the download
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


# ---------------------------------------------------------------- reading files
# Every read is bounded: the upload's bytes, an .xlsx's uncompressed zip members, the rows read (empty
# ones included), the columns, a CSV record's length and the time. Nothing trusts what a file declares
# about itself (an .xlsx's <dimension>, a zip member's size is checked before it is inflated).

# C0 controls besides tab, LF, CR (and form feed / SUB, which old exports leave) never occur in CSV text.
_BINARY_RE = re.compile(rb"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")
_XML_DTD_RE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_MAX_ZIP_MEMBERS = 1000


def _not_supported() -> UnsupportedMediaType:
    return UnsupportedMediaType("The file is neither CSV text nor an .xlsx workbook.",
                                zh="文件既不是 CSV 文本，也不是 .xlsx 工作簿。",
                                errors={"file": ["Use .xlsx or .csv (UTF-8 or GBK)."]})


def _decode_csv(content: bytes) -> str:
    if _BINARY_RE.search(content[:65536]):
        raise _not_supported()
    content = content.removeprefix(codecs.BOM_UTF8)
    for enc in ("utf-8", "gb18030"):  # Excel on Chinese Windows saves "CSV" as GBK
        try:
            return content.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed("The CSV file is neither UTF-8 nor GBK text.", zh="CSV 文件既不是 UTF-8 也不是 GBK 编码的文本。",
                           errors={"file": ["Unknown encoding."]})


def _sheet_rows_error(lim: Limits) -> ValidationFailed:
    return too_large("max_sheet_rows", lim.max_sheet_rows,
                     f"The sheet has more than {lim.max_sheet_rows} rows (empty rows included); "
                     "delete the unused rows or split the file.",
                     f"工作表超过 {lim.max_sheet_rows} 行（含空行），请删除多余的行或拆分文件。")


def _columns_error(lim: Limits, where: int) -> ValidationFailed:
    return too_large("max_columns", lim.max_columns,
                     f"Row {where} has more than {lim.max_columns} columns.",
                     f"第 {where} 行超过 {lim.max_columns} 列。", row=where)


def _rows_error(lim: Limits) -> ValidationFailed:
    return too_large("max_rows", lim.max_rows, f"The file has more than {lim.max_rows} rows; split it.",
                     f"文件超过 {lim.max_rows} 行数据，请拆分文件。")


def _read_csv(content: bytes, lim: Limits, deadline: Deadline) -> tuple[list, list[tuple[int, list]]]:
    text = _decode_csv(content)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows: list[tuple[int, list]] = []
    header = None
    try:
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        for cells in reader:
            if reader.line_num > lim.max_sheet_rows:
                raise _sheet_rows_error(lim)
            if len(cells) > lim.max_columns:
                raise _columns_error(lim, reader.line_num)
            if sum(len(c) for c in cells) > lim.max_line_chars:
                raise too_large("max_line_chars", lim.max_line_chars,
                                f"Line {reader.line_num} is longer than {lim.max_line_chars} characters.",
                                f"第 {reader.line_num} 行超过 {lim.max_line_chars} 个字符。", row=reader.line_num)
            if reader.line_num % 256 == 0:
                deadline.check()
            if header is None:
                header = cells
                continue
            if not any((c or "").strip() for c in cells):
                continue
            rows.append((reader.line_num, cells))
            if len(rows) > lim.max_rows:
                raise _rows_error(lim)
    except csv.Error as exc:
        raise ValidationFailed(f"The CSV file cannot be read: {exc}.", zh=f"无法读取 CSV 文件：{exc}。",
                               errors={"file": [str(exc)]}) from exc
    return header or [], rows


def _bad_xlsx(detail: str) -> ValidationFailed:
    return ValidationFailed("The file is not a valid .xlsx workbook.", zh="文件不是有效的 .xlsx 工作簿。",
                            errors={"file": [detail[:200]]})


def _check_zip(content: bytes, lim: Limits, deadline: Deadline) -> None:
    """An OOXML spreadsheet whose parts inflate to a bounded size and carry no DTD (entity bombs)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise _bad_xlsx("Bad zip.") from exc
    if len(infos) > _MAX_ZIP_MEMBERS:
        raise too_large("max_zip_members", _MAX_ZIP_MEMBERS, "The workbook has too many parts.",
                        "工作簿包含的部件过多。")
    # zipfile never inflates a member beyond its declared size (and checks the CRC), so the sum of the
    # declared sizes bounds what the parser can be fed.
    unpacked = sum(i.file_size for i in infos)
    if unpacked > lim.max_unpacked_bytes:
        raise too_large("max_unpacked_bytes", lim.max_unpacked_bytes,
                        f"The workbook unpacks to {unpacked} bytes, more than the limit of {lim.max_unpacked_bytes}.",
                        f"工作簿解压后为 {unpacked} 字节，超过 {lim.max_unpacked_bytes} 字节的限制。",
                        unpacked_bytes=unpacked)
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names:
        raise _not_supported()
    try:
        with zf.open("[Content_Types].xml") as f:
            types = f.read(1 << 20)
        if b"spreadsheetml" not in types and b"ms-excel" not in types:
            raise _not_supported()  # another OOXML document (.docx, .pptx) or some zip
        for info in infos:  # a DTD (and so any entity) has no place in OOXML; it sits before the root
            if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                with zf.open(info) as f:
                    if _XML_DTD_RE.search(f.read(65536)):
                        raise ValidationFailed(
                            "The workbook contains an XML document type declaration, which is not allowed.",
                            zh="工作簿包含不允许的 XML 文档类型声明（DTD）。", errors={"file": [info.filename]})
                deadline.check()
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _bad_xlsx(str(exc) or "Bad zip.") from exc


def _read_xlsx(content: bytes, lim: Limits, deadline: Deadline) -> tuple[list, list[tuple[int, list]]]:
    _check_zip(content, lim, deadline)
    from openpyxl import load_workbook

    header, rows = None, []
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            ws.reset_dimensions()  # never trust <dimension ref="A1:XFD1048576">: rows come as they are stored
            # Row n of this iterator is spreadsheet row n (gaps come as empty rows, counted against the cap).
            for n, cells in enumerate(ws.iter_rows(values_only=True), 1):
                if n > lim.max_sheet_rows:
                    raise _sheet_rows_error(lim)
                if n % 256 == 0:
                    deadline.check()
                if len(cells) > lim.max_columns:
                    if any(c not in (None, "") for c in cells[lim.max_columns:]):
                        raise _columns_error(lim, n)
                    cells = cells[:lim.max_columns]  # styled but empty cells to the right
                if not any(c not in (None, "") and str(c).strip() for c in cells):
                    continue
                if header is None:
                    header = list(cells)
                    continue
                rows.append((n, list(cells)))
                if len(rows) > lim.max_rows:
                    raise _rows_error(lim)
        finally:
            wb.close()
    except DomainError:
        raise
    except Exception as exc:  # openpyxl raises many kinds (KeyError, ValueError, defusedxml's …)
        raise _bad_xlsx(str(exc) or type(exc).__name__) from exc
    return header or [], rows


def read_table(filename: str, content: bytes, deadline: Deadline | None = None
               ) -> tuple[list[str], list[tuple[int, list]]]:
    """(header, [(row number, cells)]) of a CSV or XLSX upload, within the limits (``Limits``).

    The kind is sniffed from the bytes, not taken from the file name.
    """
    lim = Limits.current()
    deadline = deadline or Deadline(lim.time_limit_seconds)
    if len(content) > lim.max_bytes:
        raise PayloadTooLarge(f"The file is larger than {lim.max_bytes} bytes.",
                              zh=f"文件大于 {lim.max_bytes} 字节。",
                              errors={"limit": "max_bytes", "value": lim.max_bytes, "max_bytes": lim.max_bytes})
    if not content.strip():
        raise ValidationFailed("The file is empty.", zh="文件为空。", errors={"file": ["Empty."]})
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedMediaType("Old .xls workbooks are not supported; save as .xlsx or CSV.",
                                   zh="不支持旧版 .xls 工作簿，请另存为 .xlsx 或 CSV。",
                                   errors={"file": ["Use .xlsx or .csv."]})
    if content.startswith(b"PK"):
        header, rows = _read_xlsx(content, lim, deadline)
    else:
        header, rows = _read_csv(content, lim, deadline)
    return [("" if h is None else str(h)) for h in header], rows


# ---------------------------------------------------------------- parsing rows

def _norm(h: str) -> str:
    return re.sub(r"[\s\-]+", "_", h.replace("\ufeff", "").strip().lower())


def map_header(spec: Entity, header: list[str]) -> list[str | None]:
    """Column index → field name (None: ignored column); 422 on unknown or duplicate columns."""
    lookup = {c: c for c in spec.columns}
    lookup["version"] = "version"
    for fld, names in spec.aliases.items():
        if fld in spec.columns:
            for n in names:
                lookup.setdefault(_norm(n), fld)
    out, unknown, seen = [], [], set()
    for h in header:
        n = _norm(h)
        if not n or n in IGNORED_COLUMNS:
            out.append(None)
            continue
        fld = lookup.get(n)
        if fld is None:
            unknown.append(h)
        elif fld in seen:
            raise ValidationFailed(f"Column {h!r} appears twice.", zh=f"列 {h!r} 出现了两次。", code="bad_columns", errors={"columns": [h]})
        seen.add(fld)
        out.append(fld)
    if unknown:
        raise ValidationFailed("The file has columns this import does not know.", code="bad_columns",
                               errors={"unknown": unknown, "expected": list(spec.columns)})
    if spec.key not in seen:
        raise ValidationFailed(f"The file needs a {spec.key!r} column.", zh=f"文件需要 {spec.key!r} 列。", code="bad_columns",
                               errors={"missing": [spec.key], "expected": list(spec.columns)})
    return out


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        return v.isoformat()
    s = str(v).strip()
    if len(s) > 1 and s[0] == "'" and s[1] in "=+-@":  # undo our own formula guard
        s = s[1:]
    return s


def _decimal(raw: Any, percent_ok: bool) -> Decimal:
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        d = Decimal(raw)
    elif isinstance(raw, float):
        d = Decimal(repr(raw))
    else:
        s = _text(raw).replace(",", "").replace("¥", "").replace("￥", "").replace(" ", "")
        pct = s.endswith("%")
        if pct:
            s = s[:-1]
        d = Decimal(s)
        if pct and percent_ok:
            d = d / 100
        elif pct:
            raise InvalidOperation
    if not d.is_finite():
        raise InvalidOperation
    return d


def _parse_barcodes(s: str) -> list[dict]:
    out = []
    for part in re.split(r"[|;；\n]+", s):
        part = part.strip()
        if not part:
            continue
        code, _, qty = part.partition("*")
        spec = {"code": code.strip()}
        if qty.strip():
            spec["quantity"] = Decimal(qty.strip())
            if spec["quantity"] <= 0:
                raise InvalidOperation
        out.append(spec)
    return out


def parse_row(spec: Entity, fields: list[str | None], cells: list) -> tuple[dict, dict]:
    """Cells → (data with only the non-blank cells, field errors)."""
    data, errors = {}, {}
    table = spec.model.__table__
    for fld, raw in zip(fields, cells):
        if fld is None:
            continue
        s = _text(raw)
        if s == "":
            continue
        try:
            if fld == "barcodes":
                data[fld] = _parse_barcodes(s)
                continue
            if fld == "version":
                data[fld] = int(s)
                continue
            t = table.c[fld].type
            while isinstance(t, TypeDecorator):
                t = t.impl_instance
            lo, hi = spec.limits.get(fld, (None, None))
            if isinstance(t, Boolean):
                low = s.lower()
                if low not in TRUE | FALSE:
                    raise ValueError("Must be true/false (是/否).")
                data[fld] = low in TRUE
            elif isinstance(t, Integer):
                n = int(_decimal(raw, False).to_integral_exact())
                if (lo is not None and n < lo) or (hi is not None and n > hi):
                    raise ValueError(f"Must be between {lo} and {hi}.")
                data[fld] = n
            elif isinstance(t, Numeric):
                d = _decimal(raw, percent_ok=(fld == "tax_rate"))
                if d < (lo if lo is not None else 0) or d > (hi if hi is not None else MAX_DECIMAL):
                    raise ValueError(f"Must be between {lo if lo is not None else 0} and "
                                     f"{hi if hi is not None else MAX_DECIMAL}.")
                if d != d.quantize(Decimal("0.0001")):
                    raise ValueError("At most 4 decimal places.")
                data[fld] = d
            else:
                if has_control_chars(s):
                    raise ValueError("Must not contain control characters (other than tab and newline).")
                maxlen = getattr(t, "length", None) or (2000 if isinstance(t, Text) else None)
                if maxlen and len(s) > maxlen:
                    raise ValueError(f"At most {maxlen} characters.")
                if fld == "email" and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", s):
                    raise ValueError("Not a valid email address.")
                data[fld] = s
        except (ValueError, InvalidOperation, ArithmeticError) as exc:
            msg = str(exc) if isinstance(exc, ValueError) and str(exc) and not str(exc).startswith(
                ("invalid literal", "could not convert")) else "Not a valid number."
            errors[fld] = [msg]
    return data, errors


# ---------------------------------------------------------------- import

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
            raise ValidationFailed("Missing required values.", errors={f: ["Required for a new row."] for f in missing})
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
        from backend.errors import StaleVersion

        raise StaleVersion(errors={"version": {"expected": version, "current": obj.version}})
    if changes:
        spec.update(obj.id, obj.version, changes)
    for bc in new_codes:
        catalog.add_barcode(obj.id, bc)
    return "updated" if changes or new_codes else "unchanged"


def import_table(entity: str, header: list[str], rows: list[tuple[int, list]], dry_run: bool = False,
                 deadline: Deadline | None = None) -> dict:
    """Validate and apply every row in one transaction; any error (or dry_run) rolls it all back."""
    spec = ENTITIES[entity]
    deadline = deadline or Deadline(Limits.current().time_limit_seconds)
    fields = map_header(spec, header)
    report = {"entity": entity, "dry_run": dry_run, "rows": len(rows), "created": 0, "updated": 0,
              "unchanged": 0, "errors": []}
    seen: dict[str, int] = {}
    try:
        with transaction() as session:
            for n, cells in rows:
                deadline.check()  # raises inside the transaction: everything rolls back
                data, errs = parse_row(spec, fields, cells)
                key = data.get(spec.key)
                if not key and spec.key not in errs:
                    errs[spec.key] = ["Required."]
                if key and key.lower() in seen:
                    errs[spec.key] = [f"Same {spec.key} as row {seen[key.lower()]}."]
                if key:
                    seen.setdefault(key.lower(), n)
                if errs:
                    report["errors"].append({"row": n, "key": key, "code": "validation_error",
                                             "message": "Invalid values.", "errors": errs})
                    continue
                try:
                    with session.begin_nested():
                        outcome = _apply(spec, data)
                    report[outcome] += 1
                except DomainError as exc:
                    report["errors"].append({"row": n, "key": key, "code": exc.code, "message": exc.message,
                                             "errors": exc.errors})
            if dry_run or report["errors"]:
                raise _DryRun
    except _DryRun:
        pass
    report["ok"] = not report["errors"]
    if report["errors"] and not dry_run:
        raise ValidationFailed(f"{len(report['errors'])} row(s) have errors; nothing was imported.",
                               zh=f"{len(report['errors'])} 行有错误；未导入任何数据。",
                               code="import_failed", errors={"rows": report["errors"]}, report=report)
    return report


def import_file(entity: str, filename: str, content: bytes, dry_run: bool = False) -> dict:
    """Read and import an upload within one time budget (``IMPORT_TIME_LIMIT_SECONDS``)."""
    deadline = Deadline(Limits.current().time_limit_seconds)
    header, rows = read_table(filename, content, deadline)
    if not header:
        raise ValidationFailed("The file has no header row.", zh="文件没有表头行。", code="bad_columns",
                               errors={"expected": list(ENTITIES[entity].columns)})
    return import_table(entity, header, rows, dry_run, deadline)


def iter_entities() -> Iterable[Entity]:
    return ENTITIES.values()
