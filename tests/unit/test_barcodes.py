from hypothesis import given
from hypothesis import strategies as st

from backend.domain.barcodes import (
    gtin_check_digit,
    internal_ean13,
    is_valid_gtin,
    validate_code,
)


def test_known_ean13_check_digits():
    assert gtin_check_digit("400638133393") == "1"  # 4006381333931
    assert is_valid_gtin("4006381333931") and not is_valid_gtin("4006381333932")
    assert is_valid_gtin("036000291452")  # UPC-A


@given(st.integers(min_value=1, max_value=10**10 - 1))
def test_internal_ean13_is_valid_and_in_the_internal_range(n):
    code = internal_ean13(n)
    assert len(code) == 13 and code.startswith("20") and is_valid_gtin(code)


def test_validate_code_rejects_bad_check_digit_and_wrong_lengths():
    assert validate_code("4006381333932", "ean13")
    assert validate_code("12345", "ean8")
    assert validate_code("ABC-1", "code128") is None
    assert validate_code("", "code128")
