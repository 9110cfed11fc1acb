"""Faults the simulated cluster can be told to suffer, for tests and demos: a registry of named handlers
and the request-level state (failing or stalled requests) the API server consults on every request.

Built in (registered by the API server): `restart`, `compact`, `stall`, `fail`; the running cluster
adds `reset` (tui.sim.runtime). The simulated controller adds its own (`cut-network`,
`node-not-ready`) with `register`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

FaultHandler = Callable[[dict], Any]


class FaultError(ValueError):
    """A fault that cannot be triggered as asked (unknown name, bad parameter); the message says why."""

    def __init__(self, message: str, code: int = 400) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class FailingRequests:
    """The next `remaining` requests answer `code` (500 or 429, the latter with Retry-After)."""

    remaining: int
    code: int
    retry_after: int


class FaultBoard:
    """Named fault handlers, and the failure and stall state of the request path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: dict[str, FaultHandler] = {}
        self._failing = FailingRequests(0, 500, 1)
        self._stalled_until = 0.0

    def register(self, name: str, handler: FaultHandler) -> None:
        """Make `handler(params) -> result` available as fault `name` (over HTTP, the CLI and Python)."""
        with self._lock:
            self._handlers[name] = handler

    @property
    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._handlers)

    def trigger(self, name: str, params: dict | None = None) -> Any:
        with self._lock:
            handler = self._handlers.get(name)
        if handler is None:
            raise FaultError(f'unknown fault "{name}"; known faults: {", ".join(self.names)}', code=404)
        return handler(dict(params or {}))

    # Request-path state -------------------------------------------------------------------------

    def fail_next(self, count: int, code: int, retry_after: int = 1) -> None:
        if code not in (429, 500):
            raise FaultError("code must be 500 or 429")
        if count < 0:
            raise FaultError("count must not be negative")
        with self._lock:
            self._failing = FailingRequests(count, code, retry_after)

    def take_failure(self) -> FailingRequests | None:
        """Consume one failure for the request at hand, if any are left."""
        with self._lock:
            if self._failing.remaining <= 0:
                return None
            current = self._failing
            self._failing = FailingRequests(current.remaining - 1, current.code, current.retry_after)
            return current

    def stall_for(self, seconds: float) -> None:
        if seconds < 0:
            raise FaultError("seconds must not be negative")
        with self._lock:
            self._stalled_until = time.monotonic() + seconds

    def stall_remaining(self) -> float:
        """Wall seconds the request path stays silent from now."""
        with self._lock:
            return max(0.0, self._stalled_until - time.monotonic())


def number_param(params: dict, name: str, default: float | None = None, minimum: float = 0) -> float:
    """A numeric fault parameter, with a FaultError naming it when it is missing or not a number."""
    value = params.get(name, default)
    if value is None:
        raise FaultError(f'parameter "{name}" is required')
    if isinstance(value, bool):
        raise FaultError(f'parameter "{name}" must be a number')
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FaultError(f'parameter "{name}" must be a number, not {value!r}') from None
    if number < minimum:
        raise FaultError(f'parameter "{name}" must be at least {minimum:g}')
    return number
