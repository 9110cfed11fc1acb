"""Kubernetes resource quantities ("8Gi", "125m", "1e3"), parsed and formatted as resource.Quantity does."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXP = {exp: suffix for suffix, exp in _DECIMAL.items()}

# <sign><digits>[.<digits>]<suffix>, the grammar apimachinery's parseQuantityString scans. Its scanner
# also takes a number with no digits at all ("", ".", "+", "-." before a suffix) as zero: so does this.
_QUANTITY = re.compile(
    r"^(?P<sign>[+-])?(?P<number>[0-9]*(?:\.[0-9]*)?)"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)

# apimachinery rounds anything finer than nano up (away from zero) to the next nano.
_NANO = Fraction(1, 10**9)
# BinarySI amounts are capped at the largest int64, as ParseQuantity caps them.
_MAX_BINARY = Fraction(2**63 - 1)
# Kubernetes takes any int32 exponent; exponents beyond this are refused (unknown) so that exact
# arithmetic cannot be made to allocate without bound. No real resource comes near.
_MAX_EXPONENT = 1000
# Longer text is refused for the same reason (Kubernetes has no limit).
_MAX_LENGTH = 1024


class QuantityFormat:
    BINARY_SI = "BinarySI"
    DECIMAL_SI = "DecimalSI"
    DECIMAL_EXPONENT = "DecimalExponent"


@dataclass(frozen=True)
class Quantity:
    """An exact amount (a fraction, never a float) and the suffix family it was written in."""

    value: Fraction
    format: str = QuantityFormat.DECIMAL_SI

    def __str__(self) -> str:
        return format_quantity(self)

    def ceil(self) -> int:
        """Rounded up to a whole number (what Value() returns)."""
        return math.ceil(self.value)

    def milli(self) -> int:
        """Rounded up to thousandths (what MilliValue() returns): CPU in millicores."""
        return math.ceil(self.value * 1000)

    def scaled_ceil(self, exponent: int) -> int:
        """Rounded up to whole units of 10**exponent (ScaledValue): 8Gi at exponent 9 is 9."""
        return math.ceil(self.value / Fraction(10) ** exponent)


def parse_quantity(raw: object) -> Quantity | None:
    """Parse what the API sends (a string, or a number in hand-written YAML); None when it is not a quantity.

    Follows resource.Quantity's UnmarshalJSON: surrounding white space is ignored, a JSON number is
    read as the text it was written as. Never raises: a bad value is unknown to the caller, who says so.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return Quantity(Fraction(raw), QuantityFormat.DECIMAL_SI)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return None
        # repr() is the shortest text that reads back as this float: what the JSON said ("0.1", "1e+22").
        raw = repr(raw)
    if not isinstance(raw, str) or len(raw) > _MAX_LENGTH:
        return None
    return _parse_text(raw)


@lru_cache(maxsize=4096)
def _parse_text(raw: str) -> Quantity | None:
    # Cached: a cluster's objects repeat the same few quantities ("2", "4Gi", "125m") thousands of
    # times, and exact Fraction arithmetic is most of the cost of parsing a big list.
    text = raw.strip()
    if not text:
        return None
    match = _QUANTITY.match(text)
    if match is None:
        return None
    digits = match["number"]
    whole, _, decimals = digits.partition(".")
    number = Fraction(int(whole or "0") * 10 ** len(decimals) + int(decimals or "0"), 10 ** len(decimals))
    if match["sign"] == "-":
        number = -number
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        value, fmt = number * 1024 ** _BINARY[suffix], QuantityFormat.BINARY_SI
    elif suffix in _DECIMAL:
        value, fmt = number * Fraction(10) ** _DECIMAL[suffix], QuantityFormat.DECIMAL_SI
    else:
        exponent = int(suffix[1:])
        if abs(exponent) > _MAX_EXPONENT:
            return None
        value, fmt = number * Fraction(10) ** exponent, QuantityFormat.DECIMAL_EXPONENT
    value = _round_up_to_nano(value)
    if fmt == QuantityFormat.BINARY_SI:
        if abs(value) > _MAX_BINARY:
            value = _MAX_BINARY if value > 0 else -_MAX_BINARY
        if 0 < abs(value) < 1:
            fmt = QuantityFormat.DECIMAL_SI  # as ParseQuantity does: "0.5Ki" is no binary amount
    return Quantity(value, fmt)


def _round_up_to_nano(value: Fraction) -> Fraction:
    """Away from zero, as inf.RoundUp on the magnitude: -0.1n becomes -1n, not 0."""
    scaled = value / _NANO
    if scaled.denominator == 1:
        return value
    magnitude = math.ceil(abs(scaled))
    return Fraction(magnitude if value > 0 else -magnitude) * _NANO


def format_quantity(quantity: Quantity) -> str:
    """Canonical text, as Quantity.String() writes it: "1536Mi", "500m", "1k", "1e3"."""
    value = quantity.value
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    magnitude = -value if value < 0 else value

    if quantity.format == QuantityFormat.BINARY_SI and magnitude >= 1024 and magnitude.denominator == 1:
        # Whole numbers stay binary (a multiple of 1024 gets its suffix, "2000" stays "2000");
        # fractions and amounts under 1Ki are written as decimal SI, as CanonicalizeBytes does.
        whole, power = int(magnitude), 0
        while power < 6 and whole % 1024 == 0:
            whole //= 1024
            power += 1
        suffix = next((s for s, p in _BINARY.items() if p == power), "")
        return f"{sign}{whole}{suffix}"

    # Both decimal forms keep the exponent a multiple of 3 (AsCanonicalBytes): 1.2e7 is "12e6".
    mantissa, exponent = _decimal_mantissa(magnitude)
    while exponent % 3 != 0:
        mantissa *= 10
        exponent -= 1
    if quantity.format == QuantityFormat.DECIMAL_EXPONENT:
        return f"{sign}{mantissa}" if exponent == 0 else f"{sign}{mantissa}e{exponent}"
    while exponent > 18:
        # There is no SI suffix above E. apimachinery then writes the bare mantissa (losing the
        # exponent); writing "1000E" instead keeps the value.
        mantissa *= 1000
        exponent -= 3
    return f"{sign}{mantissa}{_DECIMAL_BY_EXP[exponent]}"


def _decimal_mantissa(magnitude: Fraction) -> tuple[int, int]:
    """magnitude = mantissa * 10**exponent with the smallest integer mantissa (magnitude is nano-exact)."""
    exponent = 0
    while magnitude.denominator != 1:
        magnitude *= 10
        exponent -= 1
    mantissa = int(magnitude)
    while mantissa % 10 == 0 and mantissa != 0:
        mantissa //= 10
        exponent += 1
    return mantissa, exponent


def bytes_of(raw: object) -> int | None:
    """A memory quantity in whole bytes (rounded up), or None when unknown."""
    parsed = parse_quantity(raw)
    return None if parsed is None else parsed.ceil()


def millicores_of(raw: object) -> int | None:
    """A CPU quantity in millicores (rounded up), or None when unknown."""
    parsed = parse_quantity(raw)
    return None if parsed is None else parsed.milli()
