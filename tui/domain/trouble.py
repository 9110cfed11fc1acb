"""When a running migration is in trouble: its copy stalled, or little of its completion budget is left.

Stalls are judged on Prometheus samples, by their own times: each new sample (a later sample time)
is compared with the one before it, as KubeVirt's progress watermark does; a stall is a run of
samples without a shrink spanning at least two observed scrape intervals, and never less than
STALL_WARNING_SECONDS. A value repeated between scrapes is the same sample, not a stall, and a
migration whose every sample shrank is never called stalled, however late the next sample comes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tui.domain.budget import CompletionBudget
from tui.domain.progress import ByteCounters

# The least time the remaining data may go without shrinking before a stall is warned of.
STALL_WARNING_SECONDS = 15.0
# ...and the least number of scrape intervals: one sample that did not shrink is not yet a stall.
STALL_WARNING_SCRAPES = 2
# Below this share of the completion budget left, the countdown turns to a warning.
LOW_TIME_SHARE = 0.2


class SampleMemory(Protocol):
    """What is remembered of one migration's samples to judge a stall (updated by `observe_sample`)."""

    last_sample: ByteCounters | None  # the newest sample seen
    last_at: datetime | None  # its time
    last_remaining: int | None  # the remaining data at that sample
    shrunk_at: datetime | None  # time of the last sample below the one before it (or of the first)
    scrape_interval: float | None  # seconds between the last two samples seen


@dataclass
class CopyWatermark:
    """A SampleMemory of its own, for a follower that keeps nothing else of the migration."""

    last_sample: ByteCounters | None = None
    last_at: datetime | None = None
    last_remaining: int | None = None
    shrunk_at: datetime | None = None
    scrape_interval: float | None = None


def stall_threshold(scrape_interval: float | None) -> float:
    """Seconds of samples without a shrink that make a stall: two observed scrape intervals, at least 15 s."""
    return max(STALL_WARNING_SECONDS, STALL_WARNING_SCRAPES * (scrape_interval or 0.0))


def observe_sample(memory: SampleMemory, counters: ByteCounters | None, now: datetime) -> tuple[float | None, bool]:
    """Take in the current counters; (seconds since the remaining data last shrank, stalled). Only
    samples with different times are compared, each with the one before it (KubeVirt's "progress
    watermark"); without a sample time, a change of the counters is a new sample taken `now`."""
    if counters is None or counters.remaining is None:
        return None, False
    if counters.at is not None:
        at = counters.at
        new = memory.last_at is None or at > memory.last_at
    else:
        at = now
        new = counters != memory.last_sample
    if new:
        if memory.last_at is not None and at > memory.last_at:
            memory.scrape_interval = (at - memory.last_at).total_seconds()
        if memory.last_remaining is None or counters.remaining < memory.last_remaining:
            memory.shrunk_at = at
        memory.last_sample, memory.last_at, memory.last_remaining = counters, at, counters.remaining
    assert memory.shrunk_at is not None and memory.last_at is not None
    flat = (memory.last_at - memory.shrunk_at).total_seconds()  # sample time without a shrink
    if flat <= 0:
        return 0.0, False
    return max((now - memory.shrunk_at).total_seconds(), flat), flat >= stall_threshold(memory.scrape_interval)


def low_on_time(remaining: float | None, budget: CompletionBudget | None) -> bool:
    """Less than a fifth of the completion budget left (or overdue)."""
    if remaining is None or budget is None or not budget.seconds:
        return False
    return remaining < LOW_TIME_SHARE * budget.seconds
