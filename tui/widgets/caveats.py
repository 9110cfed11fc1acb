"""The VM's scheduling rules livemig does not evaluate, as lines under a node that looks able to take it."""

from __future__ import annotations

from collections.abc import Iterable

from tui.widgets.literal import clean


def caveat_lines(unchecked: Iterable[str]) -> list[str | tuple[str, str]]:
    """Content.assemble parts: one "? " line per rule not checked (the scheduler may still refuse)."""
    parts: list[str | tuple[str, str]] = []
    for rule in unchecked:
        parts += ["\n", ("? ", "bold $text-warning"), clean(rule)]
    return parts
