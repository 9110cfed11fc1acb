"""The simulated cluster's clock: real time from a start instant, or manual time that tests advance.

Whatever runs the simulation (the KubeVirt-like controller) registers tick callbacks; they are called
with the current simulated time about every 0.25 s of wall time in real-time mode, and by `advance()`
in steps of at most one simulated second in manual mode, so a test can jump ten minutes and every
time-dependent rule still fires in order.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable, ContextManager

log = logging.getLogger(__name__)

TickCallback = Callable[[datetime], None]
TICK_INTERVAL = 0.25
MAX_MANUAL_STEP = 1.0


class SimClock:
    """Simulated UTC time; `manual=True` freezes it until `advance()`, otherwise it follows the wall clock.

    `lock` (the object store's) is held while tick callbacks run, so a tick never interleaves with a
    request that changes the store.
    """

    def __init__(
        self,
        start: datetime | None = None,
        manual: bool = False,
        lock: ContextManager | None = None,
        speed: float = 1.0,
    ) -> None:
        start = start or datetime.now(timezone.utc).replace(microsecond=0)
        if start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
        self.start = start.astimezone(timezone.utc)
        self.manual = manual
        self.speed = speed
        self._lock = lock if lock is not None else contextlib.nullcontext()
        self._offset = 0.0  # simulated seconds since start (manual mode)
        self._wall_start = time.monotonic()
        self._callbacks: list[TickCallback] = []
        self._callbacks_lock = threading.Lock()

    def use_lock(self, lock: ContextManager) -> None:
        """Hold `lock` while ticking (set once, before ticking starts)."""
        self._lock = lock

    def now(self) -> datetime:
        """The current simulated time (UTC)."""
        return self.start + timedelta(seconds=self.elapsed())

    def elapsed(self) -> float:
        """Simulated seconds since the start instant."""
        if self.manual:
            return self._offset
        return (time.monotonic() - self._wall_start) * self.speed

    def on_tick(self, callback: TickCallback) -> Callable[[], None]:
        """Register `callback(now)`; returns a function that unregisters it."""
        with self._callbacks_lock:
            self._callbacks.append(callback)

        def remove() -> None:
            with self._callbacks_lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return remove

    def tick(self) -> None:
        """Call every tick callback once with the current time (real-time mode's periodic step)."""
        self._run_callbacks(self.now())

    def advance(self, seconds: float) -> datetime:
        """Move manual time forward, ticking at least once per simulated second; returns the new time."""
        if not self.manual:
            raise RuntimeError("advance() needs a clock created with manual=True")
        if seconds < 0:
            raise ValueError("time only moves forward")
        remaining = float(seconds)
        while True:
            step = min(MAX_MANUAL_STEP, remaining)
            self._offset += step
            remaining -= step
            self._run_callbacks(self.now())
            if remaining <= 1e-9:
                break
        return self.now()

    def _run_callbacks(self, now: datetime) -> None:
        with self._callbacks_lock:
            callbacks = list(self._callbacks)
        with self._lock:
            for callback in callbacks:
                try:
                    callback(now)
                except Exception:  # one broken rule must not stop the clock for the others
                    log.exception("tick callback %r failed", callback)
