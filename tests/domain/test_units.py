"""Numbers in an operator's words: durations rounded for a glance, and exact where the sum is shown."""

from __future__ import annotations

import pytest

from tui.domain.units import exact_duration, human_bytes, human_duration


@pytest.mark.parametrize(
    "seconds, shown",
    [
        (0, "0 seconds"),
        (45, "45 seconds"),
        (60, "1 minute"),
        (750, "12 minutes and 30 seconds"),
        (1350, "22 minutes and 30 seconds"),
        (3600, "1 hour"),
        (6400, "1 hour, 46 minutes and 40 seconds"),
        (7200, "2 hours"),
        (3601, "1 hour and 1 second"),
        (749.2, "12 minutes and 30 seconds"),
        (-90, "-1 minute and 30 seconds"),
        (3 * 86400 + 5, "3 days and 5 seconds"),
        (None, "unknown"),
        (float("nan"), "unknown"),
    ],
)
def test_an_exact_duration_keeps_every_unit_and_never_rounds_down(seconds, shown):
    assert exact_duration(seconds) == shown


@pytest.mark.parametrize(
    "seconds, shown",
    [
        (45, "45 seconds"),
        (150, "2 minutes and 30 seconds"),
        (750, "12 minutes"),
        (6400, "1 hour and 47 minutes"),
        (7200, "2 hours"),
        (None, "unknown"),
    ],
)
def test_a_glance_duration_stays_rounded_to_what_matters(seconds, shown):
    assert human_duration(seconds) == shown


@pytest.mark.parametrize(
    "amount, shown",
    [(0, "0 B"), (500, "500 B"), (1024, "1 KiB"), (2863311530, "2.7 GiB"), (4 * 1024**3, "4 GiB"), (-2048, "-2 KiB")],
)
def test_sizes_are_1024_based_with_one_decimal_when_it_helps(amount, shown):
    assert human_bytes(amount) == shown


def test_an_absurd_size_is_its_order_of_magnitude():
    assert human_bytes(10**30 * 1024**6) == "1.1e48 B"
    assert human_bytes(None) == "unknown"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(36_500 * 86400, "36,500 days"), (5.3e16 * 1200 / 2**30, "685,556 days"), (1e300, "1.1e295 days")],
)
def test_an_absurd_duration_is_its_days(seconds, shown):
    # humanize subtracts a duration from today's date, which overflows past about a century: a mangled
    # object (a guest memory of 5e16) must still read as a number of days, never stop livemig.
    assert human_duration(seconds) == shown
    assert exact_duration(seconds) == shown
