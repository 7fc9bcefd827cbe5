"""Moving weighted average cost (backend.domain.costing) without a database."""
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from backend.domain.costing import average, issue, q4, receive


def test_q4_rounds_half_up_to_four_places():
    assert q4(D("1.00005")) == D("1.0001")
    assert q4(D("1.00004999")) == D("1.0000")
    assert q4(D("-1.00005")) == D("-1.0001")  # half away from zero, also below zero
    assert q4(D("2.00025")) == D("2.0003")  # not banker's rounding (which gives 2.0002)


def test_a_receipt_adds_quantity_and_its_rounded_value():
    assert receive(D(10), D(20), D(3), D("1.33335")) == (D(13), D("24.0001"), D("4.0001"))


def test_an_issue_is_valued_at_the_average():
    # 30 units worth 100.00: the average is 3.3333…; 10 out = 33.3333
    assert issue(D(30), D(100), D(10)) == (D(20), D("66.6667"), D("-33.3333"))


def test_issuing_everything_unit_by_unit_takes_exactly_the_value():
    # 10.00 over 3 units: a rounded average (3.3333 a unit) would leave 0.0001 of value with no stock
    qty, value, moves = D(3), D(10), []
    for _ in range(3):
        qty, value, move = issue(qty, value, D(1))
        moves.append(move)
    assert moves == [D("-3.3333"), D("-3.3334"), D("-3.3333")]
    assert (qty, value) == (D(0), D(0))


def test_an_issue_from_nothing_has_no_value():
    assert issue(D(0), D(0), D(2)) == (D(-2), D(0), D(0))


def test_the_average_falls_back_when_there_is_no_stock():
    assert average(D(3), D(10), D(99)) == D("3.3333")
    assert average(D(0), D(0), D(7)) == D(7)
    assert average(D(-1), D(5), D(7)) == D(7)


_qty = st.integers(min_value=1, max_value=500).map(D)
_cost = st.decimals(min_value=D("0.0001"), max_value=D(1000), places=4)


@given(st.lists(st.tuples(st.booleans(), _qty, _cost), max_size=40))
def test_value_is_the_sum_of_move_values_and_never_outlives_the_stock(steps):
    qty = value = total = D(0)
    for is_receipt, dq, unit_cost in steps:
        if is_receipt:
            qty, value, move = receive(qty, value, dq, unit_cost)
            assert move >= 0
        else:
            dq = min(dq, qty)
            if not dq:
                continue
            qty, value, move = issue(qty, value, dq)
            assert move <= 0
        total += move
        assert value == total  # no value appears or vanishes outside the moves
        assert qty >= 0 and value >= 0
        if qty == 0:
            assert value == 0
