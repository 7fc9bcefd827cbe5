"""The size of every quantity and money figure: NUMERIC(18,4) columns, and the inputs bounded by them.

A domain rule (what a figure may be), so both the models (column types) and the input rules import it
from here."""
from __future__ import annotations

from decimal import Decimal

NUMERIC_PRECISION, NUMERIC_SCALE = 18, 4  # every quantity and money column: NUMERIC(18,4)
QTY_SCALE = Decimal(1).scaleb(-NUMERIC_SCALE)  # 0.0001
MONEY_SCALE = Decimal("0.01")
# The largest magnitude the columns hold; every Decimal input field and every stored value is bounded by it.
NUMERIC_MAX = Decimal(10) ** (NUMERIC_PRECISION - NUMERIC_SCALE) - QTY_SCALE  # 99999999999999.9999
