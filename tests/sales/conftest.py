"""Sales fixtures: a customer/warehouse/products world, stock, and helpers that drive orders through the API."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from sales_helpers import approved_so, make_so, stock_in, world  # noqa: F401 (fixtures)
