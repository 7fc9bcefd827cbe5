"""Document money (backend.domain.money) without a database: cents half up, line figures, tax lines."""
from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from backend.domain.money import cents, line_amounts, line_figures, money_sum, tax_lines


@pytest.mark.parametrize(("value", "expected"), [
    ("0.125", "0.13"), ("0.135", "0.14"), ("0.145", "0.15"), ("-0.125", "-0.13"), ("2.5", "2.50"),
    ("0.004999", "0.00"), ("99.9999", "100.00"), (0, "0.00"), (None, "0.00")])
def test_cents_round_half_up_never_to_even(value, expected):
    assert str(cents(D(value) if isinstance(value, str) else value)) == expected


def test_a_line_rounds_gross_discount_and_tax_each_to_cents():
    # 3 × 33.3333 = 99.9999 → 100.00; 5 % off → 5.00; net 95.00; 13 % → 12.35
    assert line_amounts(D(3), D("33.3333"), D("0.05"), D("0.13")) == {
        "gross": D("100.00"), "discount": D("5.00"), "net": D("95.00"), "tax": D("12.35"), "total": D("107.35")}


def test_tax_is_computed_on_the_rounded_net_not_on_the_exact_product():
    # 2 × 0.25 = 0.50; tax 0.025 → 0.03 (banker's would give 0.02)
    assert line_amounts(2, D("0.25"), 0, D("0.05"))["tax"] == D("0.03")


def test_missing_rates_count_as_zero():
    a = line_amounts(D(1), D("9.999"), None, None)
    assert (a["gross"], a["discount"], a["tax"], a["total"]) == (D("10.00"), D("0.00"), D("0.00"), D("10.00"))


def test_purchase_line_figures_are_net_tax_total_without_discount():
    assert line_figures(D(7), D("1.4285"), D("0.13")) == (D("10.00"), D("1.30"), D("11.30"))  # 9.9995 → 10.00
    assert line_figures(D(1), D("0.125"), D(0)) == (D("0.13"), D("0.00"), D("0.13"))


def test_document_totals_are_sums_of_rounded_line_figures():
    lines = [line_figures(D(3), D("33.3333"), D("0.13")), line_figures(D(1), D("0.125"), D(0)),
             line_figures(D(2), D("0.25"), D("0.05"))]
    assert money_sum(t for _, _, t in lines) == D("113.66")  # 113.00 + 0.13 + 0.53
    assert str(money_sum([])) == "0.00"


def test_tax_lines_group_by_rate_in_rate_order():
    lines = [SimpleNamespace(tax_rate=D("0.13"), net_amount=D("10.00"), tax_amount=D("1.30")),
             SimpleNamespace(tax_rate=D("0.06"), net_amount=D("0.13"), tax_amount=D("0.01")),
             SimpleNamespace(tax_rate=D("0.13"), net_amount=D("5.00"), tax_amount=D("0.65"))]
    assert tax_lines(lines) == [{"tax_rate": D("0.06"), "base": D("0.13"), "tax": D("0.01")},
                                {"tax_rate": D("0.13"), "base": D("15.00"), "tax": D("1.95")}]
