"""Reading an upload: CSV (UTF-8 or GBK, sniffed dialect) or XLSX, within the limits of ``limits.Limits``."""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile

from openpyxl import load_workbook

from backend.errors import (
    DomainError,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from backend.services.importexport.limits import Deadline, Limits, too_large

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


