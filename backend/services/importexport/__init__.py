"""CSV/XLSX import and export of base data: products (with barcodes), suppliers, customers, warehouses.

Export writes the same columns the import reads, so a file can round-trip through Excel. Import matches
rows on ``sku``/``code``: a known key updates that row (only the cells that differ; blank cells leave a
value unchanged), an unknown key creates it — through the same services as the API, so rules, audit log
and webhook events are identical. The whole file is one transaction: any row error rolls everything back
and every error is reported with its spreadsheet row number; ``dry_run`` runs the same path and always
rolls back.

Modules: ``entities`` (what can be imported), ``limits`` (what an import may cost), ``files`` (reading
CSV/XLSX uploads), ``parsers`` (header and cells, one parser per column type), ``load`` (applying rows)
and ``export``.
"""
from __future__ import annotations

from backend.services.importexport.entities import (
    ENTITIES,
    XLSX_MIME,
    Entity,
    iter_entities,
)
from backend.services.importexport.export import (
    CSV_MIME,
    csv_chunks,
    csv_template,
    export_columns,
    export_file,
    export_rows,
    safe_cell,
    xlsx_bytes,
)
from backend.services.importexport.files import read_table
from backend.services.importexport.limits import Deadline, Limits, limits, too_large
from backend.services.importexport.load import import_file, import_table
from backend.services.importexport.parsers import map_header, parse_row

__all__ = ["CSV_MIME", "ENTITIES", "XLSX_MIME", "Deadline", "Entity", "Limits", "csv_chunks", "csv_template", "export_columns", "export_file",
           "export_rows", "import_file", "import_table", "iter_entities", "limits", "map_header", "parse_row",
           "read_table", "safe_cell", "too_large", "xlsx_bytes"]
