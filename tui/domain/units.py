"""Numbers in an operator's words: bytes, CPU and durations as short text ("2.7 GiB", "125m", "1 h 46 min")."""

from __future__ import annotations

import math

_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def human_bytes(amount: float | None) -> str:
    """1024-based, one decimal when it helps: 2863311530 -> "2.7 GiB"; None -> "unknown"."""
    if amount is None or not _finite(amount):
        return "unknown"
    sign = "-" if amount < 0 else ""
    if abs(amount) >= 1024 ** len(_BINARY_UNITS):
        # Beyond 1024 EiB no machine has it (a typo such as "1e400"): its order of magnitude, not
        # hundreds of digits.
        return f"{sign}{_scientific(abs(amount))} B"
    value = float(abs(amount))
    unit = 0
    while value >= 1024 and unit < len(_BINARY_UNITS) - 1:
        value /= 1024
        unit += 1
    if unit == 0:
        return f"{sign}{int(value)} B"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{sign}{text} {_BINARY_UNITS[unit]}"


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


def human_duration(seconds: float | None) -> str:
    """Rounded to what matters: 45 -> "45 s", 600 -> "10 min", 6400 -> "1 h 47 min", 7200 -> "2 h"."""
    if seconds is None or not _finite(seconds):
        return "unknown"
    sign = "-" if seconds < 0 else ""
    total = round(abs(seconds))
    if total < 60:
        return f"{sign}{total} s"
    if total < 3600:
        minutes, rest = divmod(total, 60)
        return f"{sign}{minutes} min" + (f" {rest} s" if rest and minutes < 10 else "")
    hours, rest = divmod(total, 3600)
    minutes = round(rest / 60)
    if minutes == 60:
        hours, minutes = hours + 1, 0
    return f"{sign}{hours} h" + (f" {minutes} min" if minutes else "")


def exact_duration(seconds: float | None) -> str:
    """Every unit, never rounded down: 750 -> "12 min 30 s", 6400 -> "1 h 46 min 40 s", 7200 -> "2 h".

    For a result shown next to the numbers it is computed from (a budget's "5 GB x 150 s/GB = ..."),
    where a rounded figure would read as a wrong product. A fraction of a second counts as a second.
    """
    if seconds is None or not _finite(seconds):
        return "unknown"
    sign = "-" if seconds < 0 else ""
    total = math.ceil(abs(seconds))
    hours, rest = divmod(total, 3600)
    minutes, rest = divmod(rest, 60)
    parts = [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes else []
    parts += [f"{rest} s"] if rest or not parts else []
    return sign + " ".join(parts)


def _finite(value: float) -> bool:
    return isinstance(value, int) or math.isfinite(value)
