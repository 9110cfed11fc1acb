"""The memory copy of one live migration, one clock step at a time: pre-copy against the guest's dirty rate.

QEMU copies the guest's memory while the guest keeps writing to it. Seen from libvirt's job
statistics (what KubeVirt's migration monitor and its metrics read), the data still to send falls by
what the link carries and rises by what the guest dirties again: while the bandwidth beats the dirty
rate it falls, and the migration switches over once what is left fits in the allowed downtime; when
the guest dirties as fast as the link carries, it stops falling and the migration never converges.

Post-copy (allowPostCopy at the completion timeout) moves the guest to the target and pulls the rest
on demand, so the remainder only drains; a paused guest (allowWorkloadDisruption) dirties nothing.
KubeVirt's progress check compares each sample of the remaining data with the previous one: a
migration makes progress only while that number falls.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

PRE_COPY = "PreCopy"
POST_COPY = "PostCopy"
PAUSED = "Paused"

# libvirt's default maximum downtime for the final stop-and-copy (migrate-setmaxdowntime).
MAX_DOWNTIME_SECONDS = 0.3


@dataclass(frozen=True)
class MemoryCopy:
    """Where a migration's memory transfer stands. Byte counts are what libvirt's job statistics report."""

    total: int  # bytes the migration moves: guest memory (plus local disks in a block migration)
    dirty_rate: int  # bytes per second the guest dirties
    remaining: float
    processed: float = 0.0
    mode: str = PRE_COPY
    elapsed: float = 0.0  # seconds since the copy started
    transfer_rate: float = 0.0  # bytes per second in the last step
    watermark: float | None = None  # the previous sample of `remaining`
    last_progress: float = 0.0  # `elapsed` when `remaining` last fell
    silent_for: float = 0.0  # seconds without traffic between the two hosts
    done: bool = False

    @classmethod
    def start(cls, total: int, dirty_rate: int) -> "MemoryCopy":
        return cls(total=max(total, 0), dirty_rate=max(dirty_rate, 0), remaining=float(max(total, 0)))

    @property
    def stuck_for(self) -> float:
        """Seconds since the remaining data last fell (what progressTimeout is compared with)."""
        return self.elapsed - self.last_progress

    @property
    def effective_dirty_rate(self) -> int:
        return 0 if self.mode in (PAUSED, POST_COPY) else self.dirty_rate


def advance(copy: MemoryCopy, seconds: float, bandwidth: float) -> MemoryCopy:
    """The copy `seconds` later with the link carrying `bandwidth` bytes per second (0: no traffic)."""
    if copy.done or seconds <= 0:
        return copy
    bandwidth = max(bandwidth, 0.0)
    dirtied = copy.effective_dirty_rate * seconds
    backlog = copy.remaining + dirtied
    sent = min(bandwidth * seconds, backlog)
    remaining = min(max(backlog - sent, 0.0), float(copy.total))
    elapsed = copy.elapsed + seconds
    last_progress = copy.last_progress
    if copy.watermark is None or remaining < copy.watermark:
        last_progress = elapsed
    silent_for = 0.0 if bandwidth > 0 else copy.silent_for + seconds
    done = False
    if bandwidth > 0:
        if copy.mode == POST_COPY:
            done = remaining <= 0
        elif remaining <= bandwidth * MAX_DOWNTIME_SECONDS:
            # What is left fits in the downtime: the guest stops, the rest is sent, the target resumes.
            sent += remaining
            remaining = 0.0
            done = True
    return replace(
        copy,
        remaining=remaining,
        processed=copy.processed + sent,
        elapsed=elapsed,
        transfer_rate=sent / seconds,
        watermark=remaining,
        last_progress=last_progress,
        silent_for=silent_for,
        done=done,
    )


def switch_mode(copy: MemoryCopy, mode: str) -> MemoryCopy:
    return replace(copy, mode=mode)
