"""How long the headless commands wait, poll and repeat: one value, passed in, with the defaults operators get."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timings:
    """The command line's clocks, in seconds."""

    # How long a command waits for its first lists while the server answers (a kind that fails is
    # retried meanwhile); a server that stops answering is given up on as soon as the health probe says so.
    sync_timeout: float = 30.0
    # The health probe's interval and timeout: a silent server is noticed within their sum.
    probe_interval: float = 5.0
    probe_timeout: float = 5.0
    # How long migrate --wait goes on without an answer from the API server before it gives up (exit 2).
    give_up_without_answer: float = 300.0
    # Without a terminal, an unchanged step is printed again after this long.
    repeat_line_every: float = 15.0
    # Between two questions to Prometheus for the byte counters of a running migration.
    metrics_interval: float = 5.0


# What operators get.
DEFAULT_TIMINGS = Timings()
