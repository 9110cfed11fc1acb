"""Risks that stop neither the scheduler nor KubeVirt (a host-passthrough VM onto another host CPU), and
warnings about the VM itself (paused, not Ready), as lines under what they qualify."""

from __future__ import annotations

from collections.abc import Iterable

from tui.widgets.literal import clean


def caution_lines(cautions: Iterable[str]) -> list[str | tuple[str, str]]:
    """Content.assemble parts: one "⚠ " line per caution (the move may still fail)."""
    parts: list[str | tuple[str, str]] = []
    for caution in cautions:
        parts += ["\n", ("⚠ ", "bold $text-warning"), clean(caution)]
    return parts
