"""Numbers in an operator's words: durations rounded for a glance, and exact where the sum is shown."""

from __future__ import annotations

import pytest

from tui.domain.units import exact_duration, human_duration


@pytest.mark.parametrize(
    "seconds, shown",
    [
        (0, "0 s"),
        (45, "45 s"),
        (60, "1 min"),
        (750, "12 min 30 s"),
        (1350, "22 min 30 s"),
        (3600, "1 h"),
        (6400, "1 h 46 min 40 s"),
        (7200, "2 h"),
        (3601, "1 h 1 s"),
        (749.2, "12 min 30 s"),
        (-90, "-1 min 30 s"),
        (None, "unknown"),
        (float("nan"), "unknown"),
    ],
)
def test_an_exact_duration_keeps_every_unit_and_never_rounds_down(seconds, shown):
    assert exact_duration(seconds) == shown


@pytest.mark.parametrize("seconds, shown", [(45, "45 s"), (750, "12 min"), (6400, "1 h 47 min"), (7200, "2 h")])
def test_a_glance_duration_stays_rounded_to_what_matters(seconds, shown):
    assert human_duration(seconds) == shown
