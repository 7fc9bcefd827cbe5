"""Finance tests reuse the sales world (customer, warehouse, stocked products) and order helpers."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "sales"))

from sales_helpers import approved_so, make_so, stock_in, world  # noqa: F401 (fixtures)
