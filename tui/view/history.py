"""What came before, as the VM's details show it: its migrations still in the cluster and its recent events.

Lines are parts for `Content.assemble` (plain strings and (text, style) pairs), so the view stays free
of Textual; every piece of cluster text goes through `clean_line` and is never parsed as markup.
"""

from __future__ import annotations

from datetime import datetime

from tui.domain.events import ClusterEvent
from tui.domain.history import KEPT_PER_VMI, HistoryEntry
from tui.domain.phases import Outcome
from tui.domain.units import human_duration
from tui.text import clean_line as clean
from tui.view.progress_cell import OUTCOME_WORDS

Part = str | tuple[str, str]

_MARKS: dict[str, tuple[str, str]] = {
    Outcome.SUCCEEDED: ("✓", "$text-success"),
    Outcome.FAILED: ("✗", "$text-error"),
    Outcome.ABORTED: ("✗", "$text-warning"),
    Outcome.ABORT_FAILED: ("✗", "$text-error"),
    Outcome.TIMED_OUT: ("✗", "$text-error"),
    Outcome.STUCK: ("✗", "$text-error"),
}


def when(moment: datetime | None) -> str:
    """ "2026-06-17 12:42" (UTC), "?" when unknown."""
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "?"


def age(moment: datetime | None, now: datetime) -> str:
    """How long ago, in kubectl's manner: "45s", "13m", "2h5m", "3d"; "?" when unknown."""
    if moment is None:
        return "?"
    seconds = max(int((now - moment).total_seconds()), 0)
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h{minutes % 60}m" if hours < 8 and minutes % 60 else f"{hours}h"
    return f"{hours // 24}d"


def history_parts(entries: tuple[HistoryEntry, ...]) -> list[Part]:
    """The history section: a title, then one entry per migration, newest first."""
    parts: list[Part] = [
        ("History", "bold"),
        (f"  {len(entries)} in the cluster; KubeVirt keeps the last {KEPT_PER_VMI} finished per VM", "$text-muted"),
    ]
    if not entries:
        parts += ["\n", ("No migration of this VM is left in the cluster.", "$text-muted")]
        return parts
    for entry in entries:
        parts.append("\n")
        parts += entry_parts(entry)
    return parts


def entry_parts(entry: HistoryEntry) -> list[Part]:
    """ "✓ 2026-06-17 12:42 harvester-01 → harvester-03, 13 s, Succeeded · user: name", and the reason below."""
    if entry.final:
        mark, style = _MARKS.get(entry.outcome, ("✗", "$text-error"))
        outcome = {str(k): v for k, v in OUTCOME_WORDS.items()}.get(entry.outcome) or clean(entry.outcome)
    else:
        mark, style = "●", "$text-accent"
        outcome = f"{clean(entry.phase) or 'New'} now"
    route = f"{clean(entry.source) or '?'} → {clean(entry.target) or 'scheduler'}"
    parts: list[Part] = [
        (mark + " ", style),
        when(entry.created),
        " ",
        route,
        f", {human_duration(entry.duration)}" if entry.duration is not None else "",
        ", ",
        (outcome, style),
        "\n  ",
        clean(entry.name),
        (" · " + clean(entry.origin.sentence), "$text-muted"),
    ]
    if entry.final and entry.outcome != Outcome.SUCCEEDED:
        reason = entry.failure_reason or entry.outcome_message
        parts += ["\n  ", ("KubeVirt: " if entry.failure_reason else "", "$text-muted"), clean(reason)]
    return parts


def events_parts(events: tuple[ClusterEvent, ...] | None, problem: str, now: datetime) -> list[Part]:
    """The events section: newest first, warnings marked; `problem` in one line when they cannot be read;
    None while they are being read for the first time."""
    parts: list[Part] = [("Events", "bold"), ("  of the VM, its VMI and its migrations, newest first", "$text-muted")]
    if problem:
        return parts + ["\n", ("◐ ", "$text-warning"), clean(problem)]
    if events is None:
        return parts + ["\n", ("Reading events…", "$text-muted")]
    if not events:
        return parts + ["\n", ("No events (the API server keeps them for an hour by default).", "$text-muted")]
    for event in events:
        repeat = f" (x{event.count} over {age(event.first, now)})" if event.count > 1 else ""
        # kubectl describe's columns, on two lines: age, type, reason and source; then the message.
        about = f" · migration {clean(event.object_name)}" if event.kind == "VirtualMachineInstanceMigration" else ""
        parts += [
            "\n",
            (f"{age(event.last, now):>5} ", "$text-muted"),
            ("⚠ " if event.warning else "  ", "bold $text-warning" if event.warning else ""),
            (clean(event.reason), "bold"),
            (f"{repeat} · {clean(event.component) or '?'}{about}", "$text-muted"),
            "\n        ",
            clean(event.message),
        ]
    return parts
