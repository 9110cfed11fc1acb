"""Progress as text cells: a bar of block characters, a countdown, and a migration's one-cell summary.

Every state is said in words or symbols as well as colour (a 16-colour or NO_COLOR terminal loses
nothing): "✓ Succeeded", "✗ Timed out", "⚠ 3:12 left", "Aborting…". Styles are semantic names
("ok", "accent", "warning", "error", "dim") that RowTable resolves against the theme.
"""

from __future__ import annotations

import math

from rich.text import Text

from tui.domain.phases import Outcome
from tui.domain.progress import (
    MigrationProgress,
)
from tui.text import clean_line as clean

_EIGHTHS = " ▏▎▍▌▋▊▉"
FULL = "█"
EMPTY = "░"

OUTCOME_WORDS = {
    Outcome.SUCCEEDED: "Succeeded",
    Outcome.FAILED: "Failed",
    Outcome.ABORTED: "Aborted",
    Outcome.ABORT_FAILED: "Abort failed",
    Outcome.TIMED_OUT: "Timed out",
    Outcome.STUCK: "Stuck",
}


def bar(fraction: float, width: int) -> str:
    """`width` cells filled in eighths: bar(0.5, 8) == "████░░░░"."""
    if width <= 0:
        return ""
    fraction = 0.0 if not math.isfinite(fraction) else min(max(fraction, 0.0), 1.0)
    eighths = int(round(fraction * width * 8))
    full, part = divmod(eighths, 8)
    text = FULL * full
    if part and full < width:
        text += _EIGHTHS[part]
    return text + EMPTY * (width - len(text))


def copied_percent(progress: MigrationProgress) -> str:
    """The one percentage livemig shows of a migration, in the VM list, on the Migrations screen and
    on `livemig migrate --wait`'s line: the share of its memory copied (1 - remaining/total from
    KubeVirt's counters), in whole percent; "" while unknown (the phase step says how far it is)."""
    share = progress.byte_fraction
    if share is None or not math.isfinite(share):
        return ""
    return f"{min(max(share, 0.0), 1.0) * 100:.0f}%"


def countdown(seconds: float | None) -> str:
    """A clock that ticks every second: "1:46:12", "12:04", "0:45"; "overdue" below zero; "" when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    if seconds < 0:
        return "overdue"
    total = int(math.ceil(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def time_left(seconds: float | None, before: str = " left") -> str:
    """The countdown in words: "12:04 left", or "past the timeout" once it has run out; "" when unknown."""
    clock = countdown(seconds)
    if not clock:
        return ""
    return "past the timeout" if clock == "overdue" else clock + before


def short_countdown(seconds: float | None) -> str:
    """A countdown that fits a list cell: "12:04", "0:45", and "1h46m" from an hour up."""
    if seconds is not None and math.isfinite(seconds) and seconds >= 3600:
        total = int(math.ceil(seconds))
        return f"{total // 3600}h{(total % 3600) // 60:02d}m"
    return countdown(seconds)


def outcome_symbol(outcome: str) -> str:
    if outcome == Outcome.SUCCEEDED:
        return "✓"
    if outcome == Outcome.ABORTED:
        return "■"
    return "✗"


def outcome_tone(outcome: str) -> str:
    """The semantic style of an outcome: "ok", "warning" (aborted on request) or "error"."""
    if outcome == Outcome.SUCCEEDED:
        return "ok"
    if outcome == Outcome.ABORTED:
        return "warning"
    return "error"


def outcome_text(outcome: str) -> Text:
    """A finished migration's outcome with its symbol: "✓ Succeeded", "✗ Timed out", "■ Aborted"."""
    word = OUTCOME_WORDS.get(outcome, clean(outcome) or "Finished")
    return Text(f"{outcome_symbol(outcome)} {word}", style=outcome_tone(outcome))
