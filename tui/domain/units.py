"""Numbers in an operator's words: bytes, CPU and durations ("2.7 GiB", "125m", "1 hour and 47 minutes").

Sizes and durations are worded by the `humanize` package (naturalsize, 1024-based; precisedelta),
within the rounding each helper promises; livemig only guards what humanize does not (unknown values,
absurd sizes) and keeps sizes as short as table cells need ("B" for bytes, no ".0").
"""

from __future__ import annotations

import math
from datetime import timedelta

import humanize

_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")  # as far as sizes are worded


def human_bytes(amount: float | None) -> str:
    """1024-based, one decimal when it helps: 2863311530 -> "2.7 GiB"; None -> "unknown"."""
    if amount is None or not _finite(amount):
        return "unknown"
    sign = "-" if amount < 0 else ""
    if abs(amount) >= 1024 ** len(_BINARY_UNITS):
        # Beyond 1024 EiB no machine has it (a typo such as "1e400"): its order of magnitude, not
        # hundreds of digits.
        return f"{sign}{_scientific(abs(amount))} B"
    if abs(amount) < 1024:
        return f"{sign}{int(abs(amount))} B"  # humanize says "Bytes": "B" fits a table cell
    number, _, unit = humanize.naturalsize(abs(amount), binary=True, format="%.1f").partition(" ")
    return f"{sign}{number.removesuffix('.0')} {unit}"


def _scientific(amount: float) -> str:
    """A huge amount as "1e400" or "1.2e25", exact in its first two digits (ints may not fit a float)."""
    digits = str(int(amount))
    head = digits[0] + ("." + digits[1] if digits[1:2] not in ("", "0") else "")
    return f"{head}e{len(digits) - 1}"


def human_cpu(millicores: int | None) -> str:
    """Kubernetes' own notation: 125 -> "125m", 2000 -> "2"; None -> "unknown"."""
    if millicores is None:
        return "unknown"
    if millicores % 1000 == 0:
        return str(millicores // 1000)
    return f"{millicores}m"


_HUMANIZED_DAYS_MAX = 36_500  # humanize subtracts a duration from today's date: past ~100 years it overflows


def _words(seconds: int, minimum_unit: str) -> str:
    """humanize's precisedelta of whole seconds, in days at most (a timeout has no months)."""
    if seconds >= _HUMANIZED_DAYS_MAX * 86400:  # a mangled object's absurd figure: its days, not a traceback
        days = seconds // 86400
        return f"{_scientific(days) if days >= 10**9 else format(days, ',')} days"
    return humanize.precisedelta(
        timedelta(seconds=seconds), minimum_unit=minimum_unit, suppress=("years", "months"), format="%0.0f"
    )


def human_duration(seconds: float | None) -> str:
    """Rounded to what matters: 45 -> "45 seconds", 150 -> "2 minutes and 30 seconds", 750 -> "12 minutes",
    6400 -> "1 hour and 47 minutes", 7200 -> "2 hours"."""
    if seconds is None or not _finite(seconds):
        return "unknown"
    sign = "-" if seconds < 0 else ""
    total = round(abs(seconds))
    if total < 600:  # under ten minutes the seconds still matter
        return sign + _words(total, "seconds")
    if total < 3600:
        return sign + _words(total // 60 * 60, "minutes")
    return sign + _words(round(total / 60) * 60, "minutes")


def exact_duration(seconds: float | None) -> str:
    """Every unit, never rounded down: 750 -> "12 minutes and 30 seconds", 6400 -> "1 hour, 46 minutes
    and 40 seconds", 7200 -> "2 hours".

    For a result shown next to the numbers it is computed from (a budget's "5 GB x 150 s/GB = ..."),
    where a rounded figure would read as a wrong product. A fraction of a second counts as a second.
    """
    if seconds is None or not _finite(seconds):
        return "unknown"
    sign = "-" if seconds < 0 else ""
    return sign + _words(math.ceil(abs(seconds)), "seconds")


def _finite(value: float) -> bool:
    return isinstance(value, int) or math.isfinite(value)
