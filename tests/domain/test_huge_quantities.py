"""A memory quantity no machine has (a typo such as "1e400") is shown by its order of magnitude, not
as a number of hundreds of digits."""

from __future__ import annotations

import pytest

from tui.domain.quantity import bytes_of
from tui.domain.units import human_bytes


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("1e400", "1e400 B"), ("12e24", "1.2e25 B"), ("-1e400", "-1e400 B"), ("8Ei", "8 EiB")],
)
def test_a_huge_memory_is_shown_by_its_order_of_magnitude(raw: str, shown: str) -> None:
    assert human_bytes(bytes_of(raw)) == shown


def test_a_huge_memory_fits_a_column() -> None:
    assert len(human_bytes(bytes_of("1e400"))) <= 10
