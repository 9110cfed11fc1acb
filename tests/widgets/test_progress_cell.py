"""Progress as text: the bar in eighths, the countdown, outcomes with their symbols."""

from __future__ import annotations

import pytest

from tui.view.progress_cell import bar, countdown, outcome_text, short_countdown


@pytest.mark.parametrize(
    "fraction, shown",
    [
        (0.0, "░░░░░░░░"),
        (0.5, "████░░░░"),
        (1.0, "████████"),
        (0.0625, "▌░░░░░░░"),
        (1.7, "████████"),
        (float("nan"), "░░░░░░░░"),
    ],
)
def test_the_bar_fills_in_eighths_of_a_cell(fraction, shown):
    assert bar(fraction, 8) == shown


@pytest.mark.parametrize(
    "seconds, shown",
    [(45, "0:45"), (44.2, "0:45"), (724, "12:04"), (6372, "1:46:12"), (-1, "overdue"), (None, "")],
)
def test_the_countdown_ticks_in_seconds(seconds, shown):
    assert countdown(seconds) == shown


def test_the_short_countdown_fits_a_list_cell_from_an_hour_up():
    assert short_countdown(6372) == "1h46m"
    assert short_countdown(724) == "12:04"


@pytest.mark.parametrize(
    "outcome, shown, tone",
    [
        ("Succeeded", "✓ Succeeded", "ok"),
        ("Aborted", "■ Aborted", "warning"),
        ("TimedOut", "✗ Timed out", "error"),
        ("Stuck", "✗ Stuck", "error"),
    ],
)
def test_every_outcome_has_a_symbol_and_a_word_besides_its_colour(outcome, shown, tone):
    text = outcome_text(outcome)
    assert (text.plain, text.style) == (shown, tone)


def test_time_left_says_when_the_timeout_has_passed():
    from tui.view.progress_cell import time_left

    assert time_left(724) == "12:04 left"
    assert time_left(-3) == "past the timeout"
    assert time_left(None) == ""
