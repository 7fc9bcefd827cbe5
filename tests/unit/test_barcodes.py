import pytest
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


@given(st.from_regex(r"\d{7}|\d{11}|\d{12}|\d{13}", fullmatch=True), st.integers(min_value=1, max_value=9))
def test_the_computed_check_digit_is_the_only_valid_one(body, shift):
    good = gtin_check_digit(body)
    assert is_valid_gtin(body + good)
    assert not is_valid_gtin(body + str((int(good) + shift) % 10))


def test_only_gtin_lengths_can_be_valid():
    assert is_valid_gtin("96385074")  # EAN-8
    assert is_valid_gtin("10614141000415")  # GTIN-14
    body = "1234567890"
    assert not is_valid_gtin(body + gtin_check_digit(body))  # 11 digits: no GTIN
    assert not is_valid_gtin("4OO6381333931")  # letters


def test_internal_numbers_outside_the_serial_range_are_refused():
    assert internal_ean13(1) == "2000000000015"
    for n in (0, -1, 10**10):
        with pytest.raises(ValueError):
            internal_ean13(n)


@pytest.mark.parametrize(("code", "symbology", "error"), [
    ("4006381333931", "ean13", None),
    ("400638133393", "ean13", "ean13 needs 13 digits."),
    ("036000291452", "upca", None),
    ("96385074", "ean8", None),
    ("0123456A", "ean8", "ean8 needs 8 digits."),
    ("01234565", "upce", None),
    ("21234565", "upce", "upce needs 8 digits starting with 0 or 1."),
    ("ÄBC", "code128", "code128 encodes ASCII only."),
    ("条码-1", "qr", None),  # QR carries any text
    ("A\tB", "code128", "Barcode must be 1–128 printable characters."),
    ("X" * 128, "code128", None),
    ("X" * 129, "code128", "Barcode must be 1–128 printable characters."),
])
def test_validate_code_per_symbology(code, symbology, error):
    assert validate_code(code, symbology) == error
