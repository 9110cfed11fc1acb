"""Quantities parse and print as apimachinery's resource.Quantity does (cases from its own tests)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.domain.quantity import Quantity, QuantityFormat, bytes_of, format_quantity, millicores_of, parse_quantity

BIN, DEC, EXP = QuantityFormat.BINARY_SI, QuantityFormat.DECIMAL_SI, QuantityFormat.DECIMAL_EXPONENT


@pytest.mark.parametrize(
    "text, value, fmt",
    [
        ("0", 0, DEC),
        ("0Ki", 0, BIN),
        ("1Ki", 1024, BIN),
        ("7Mi", 7 * 1024**2, BIN),
        ("3Ei", 3 * 1024**6, BIN),
        ("5n", Fraction(5, 10**9), DEC),
        ("4u", Fraction(4, 10**6), DEC),
        ("50k", 50_000, DEC),
        ("1E", 10**18, DEC),
        ("1E-3", Fraction(1, 1000), EXP),
        ("1.3E+6", 1_300_000, EXP),
        ("100.035k", 100_035, DEC),
        ("0.5e-2", Fraction(5, 1000), EXP),
        ("3.001n", Fraction(4, 10**9), DEC),  # rounds up to the next nano
        ("0.00000012345", Fraction(124, 10**9), DEC),
        ("9Ei", 2**63 - 1, BIN),  # capped at the largest int64
        ("100.035Ki", Fraction(10243584, 100), BIN),
        ("0.000000000001Ki", Fraction(2, 10**9), DEC),  # under 1: no longer binary
        (".001", Fraction(1, 1000), DEC),
        ("1.", 1, DEC),
        ("1.G", 10**9, DEC),
        (".", 0, DEC),  # apimachinery's scanner reads no digits as zero
    ],
)
def test_parse_matches_apimachinery(text, value, fmt):
    parsed = parse_quantity(text)
    assert parsed is not None
    assert (parsed.value, parsed.format) == (Fraction(value), fmt)


@pytest.mark.parametrize("text", ["1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", ""])
def test_what_apimachinery_refuses_is_unknown(text):
    assert parse_quantity(text) is None


def test_surrounding_white_space_is_ignored_as_the_json_decoder_does():
    assert parse_quantity(" 1 ") == parse_quantity("1")


def test_a_negative_amount_finer_than_nano_rounds_away_from_zero():
    assert parse_quantity("-0.0000000001").value == Fraction(-1, 10**9)


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("1024Mi", "1Gi"),
        ("1000M", "1G"),
        (".001Ki", "1024m"),
        (".000000000001Ki", "2n"),
        ("1.5Gi", "1536Mi"),
        ("0.5", "500m"),
        ("1080m", "1080m"),
        ("1025Ki", "1025Ki"),
        ("2000Ki", "2000Ki"),
        ("1e9", "1e9"),
        ("80e-3", "80e-3"),
        ("1.2e7", "12e6"),
        ("12E", "12E"),
        ("-1536Mi", "-1536Mi"),
    ],
)
def test_format_is_the_canonical_form(text, canonical):
    assert format_quantity(parse_quantity(text)) == canonical


def test_a_binary_amount_that_is_no_multiple_of_1024_keeps_its_digits():
    assert format_quantity(Quantity(Fraction(2000), BIN)) == "2000"


def test_a_json_number_reads_as_the_text_it_was_written_as():
    assert parse_quantity(0.1).value == Fraction(1, 10)
    assert parse_quantity(3).value == 3
    assert parse_quantity(True) is None


def test_values_round_up_as_kubernetes_reads_them():
    assert bytes_of("0.5") == 1
    assert millicores_of("125m") == 125
    assert millicores_of("0.0001") == 1


@pytest.mark.parametrize("text, units", [("8G", 8), ("8Gi", 9), ("8000000001", 9), ("0", 0)])
def test_scaled_ceil_counts_whole_units_of_ten_to_the_nine(text, units):
    assert parse_quantity(text).scaled_ceil(9) == units


# -- properties ---------------------------------------------------------------------------------

_SUFFIXES = ["", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]


@st.composite
def quantity_text(draw) -> str:
    sign = draw(st.sampled_from(["", "+", "-"]))
    whole = draw(st.text("0123456789", max_size=20))
    fraction = draw(st.one_of(st.none(), st.text("0123456789", max_size=12)))
    suffix = draw(
        st.one_of(
            st.sampled_from(_SUFFIXES),
            st.builds(lambda e, s: f"{e}{s}", st.sampled_from(["e", "E", "e+", "e-"]), st.integers(0, 40)),
        )
    )
    text = f"{sign}{whole}{'' if fraction is None else '.' + fraction}{suffix}"
    return text or "0"  # the empty string is the one form apimachinery refuses


@given(quantity_text())
def test_every_well_formed_quantity_parses(text):
    assert parse_quantity(text) is not None


@given(quantity_text())
def test_format_then_parse_gives_the_same_amount(text):
    parsed = parse_quantity(text)
    again = parse_quantity(format_quantity(parsed))
    assert again is not None and again.value == parsed.value


@given(quantity_text())
def test_the_canonical_form_is_stable(text):
    canonical = format_quantity(parse_quantity(text))
    assert format_quantity(parse_quantity(canonical)) == canonical


@given(st.one_of(st.text(max_size=80), st.integers(), st.floats(), st.booleans(), st.none(), st.lists(st.integers())))
def test_no_input_makes_parse_raise(value):
    result = parse_quantity(value)
    assert result is None or isinstance(result, Quantity)
