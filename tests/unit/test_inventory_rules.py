"""Inventory rules (backend.domain.inventory) without a database."""
from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from backend.domain.inventory import reason_sign_ok, suggested_order_qty, transfer_status_after_receipt


@pytest.mark.parametrize(("reason", "qty", "allowed"), [
    ("damage", "-1", True), ("damage", "1", False),
    ("loss", "-0.5", True), ("sample", "2", False),
    ("found", "3", True), ("found", "-3", False),
    ("opening_balance", "10", True), ("opening_balance", "-10", False),
    ("other", "4", True), ("other", "-4", True),
    ("unknown_reason", "1", True),  # no declared sign: either (the schema refuses unknown reasons)
])
def test_each_reason_has_its_sign(reason, qty, allowed):
    assert reason_sign_ok(reason, D(qty)) is allowed


@pytest.mark.parametrize("reason", ["damage", "found", "other"])
def test_a_zero_adjustment_is_never_allowed(reason):
    assert not reason_sign_ok(reason, D(0))


def _lines(*open_qtys):
    return [SimpleNamespace(open_qty=D(q)) for q in open_qtys]


def test_a_transfer_stays_partially_received_while_anything_is_unaccounted():
    assert transfer_status_after_receipt(_lines("0", "2"), open_discrepancies=1) == "partially_received"


def test_a_fully_received_transfer_is_done_or_waits_on_its_discrepancies():
    assert transfer_status_after_receipt(_lines("0", "0"), open_discrepancies=0) == "done"
    assert transfer_status_after_receipt(_lines("0", "0"), open_discrepancies=2) == "discrepancy"
    assert transfer_status_after_receipt([], open_discrepancies=0) == "done"


@pytest.mark.parametrize(("on_hand", "incoming", "point", "qty", "expected"), [
    ("20", "0", "10", "50", "0"),    # above the reorder point: nothing
    ("10", "0", "10", "50", "50"),   # at the point: the reorder quantity
    ("4", "3", "10", "50", "50"),    # incoming counts as available
    ("4", "7", "10", "50", "0"),
    ("-30", "0", "10", "25", "40"),  # the reorder quantity would still leave it below the point: more
])
def test_suggested_order_quantity(on_hand, incoming, point, qty, expected):
    assert suggested_order_qty(D(on_hand), D(incoming), D(point), D(qty)) == D(expected)
