"""Kubernetes resource quantities ("8Gi", "125m", "1e3"), parsed and formatted as resource.Quantity does."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXP = {exp: suffix for suffix, exp in _DECIMAL.items()}

# <sign><digits>[.<digits>]<suffix>, exactly the grammar of apimachinery's resource.ParseQuantity.
_QUANTITY = re.compile(
    r"^(?P<sign>[+-])?(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)

# apimachinery rounds anything finer than nano up to the next nano.
_NANO = Fraction(1, 10**9)
# Exponents beyond this are refused: Kubernetes caps quantities far below, and a huge exponent would
# make exact arithmetic allocate without bound.
_MAX_EXPONENT = 64


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

    Never raises: a bad value is unknown to the caller, who says so.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return Quantity(Fraction(raw), QuantityFormat.DECIMAL_SI)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return None
        return Quantity(_round_up_to_nano(Fraction(raw)), QuantityFormat.DECIMAL_SI)
    if not isinstance(raw, str):
        return None
    match = _QUANTITY.match(raw.strip()) if len(raw) < 128 else None
    if match is None:
        return None
    number = Fraction(match["number"]) if match["number"] != "." else None
    if number is None:
        return None
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
    return Quantity(_round_up_to_nano(value), fmt)


def _round_up_to_nano(value: Fraction) -> Fraction:
    if (value / _NANO).denominator == 1:
        return value
    return Fraction(math.ceil(value / _NANO)) * _NANO


def format_quantity(quantity: Quantity) -> str:
    """Canonical text, as Quantity.String() writes it: "1536Mi", "500m", "1k", "1e3"."""
    value = quantity.value
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    magnitude = -value if value < 0 else value

    if quantity.format == QuantityFormat.BINARY_SI and magnitude >= 1024 and magnitude.denominator == 1:
        whole, power = int(magnitude), 0
        while power < 6 and whole % 1024 == 0:
            whole //= 1024
            power += 1
        if power > 0:
            suffix = next(s for s, p in _BINARY.items() if p == power)
            return f"{sign}{whole}{suffix}"
        # Not a multiple of 1024: Kubernetes falls back to decimal SI.

    # Both decimal forms keep the exponent a multiple of 3 (AsCanonicalBytes): 1.2e7 is "12e6".
    mantissa, exponent = _decimal_mantissa(magnitude)
    while exponent % 3 != 0:
        mantissa *= 10
        exponent -= 1
    if quantity.format == QuantityFormat.DECIMAL_EXPONENT:
        return f"{sign}{mantissa}" if exponent == 0 else f"{sign}{mantissa}e{exponent}"
    while exponent > 18:  # no SI suffix above E
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
