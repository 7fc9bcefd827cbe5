"""Reports fixtures: a small shop built through the HTTP API (purchases, sales, returns) plus backdated
opening stock, with figures computed by hand in the tests."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from report_world import shop  # noqa: F401 (fixture)
