"""SIGTERM and SIGHUP stop a command as Ctrl-C does, so its cleanup runs."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

from tui.cli.output import Terminated


@contextlib.contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Terminated, as Ctrl-C raises KeyboardInterrupt, so context managers
    clean up (the demo's temporary kubeconfig holds tokens). A second signal during the cleanup is
    ignored. Only the main thread can take signals; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = [name for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    numbers = [getattr(signal, name) for name in names]

    def stop(signum: int, frame: FrameType | None) -> None:
        for number in numbers:
            with contextlib.suppress(ValueError, OSError):
                signal.signal(number, signal.SIG_IGN)
        raise Terminated(signal.Signals(signum).name)

    previous: dict[int, Any] = {}
    for number in numbers:
        with contextlib.suppress(ValueError, OSError):
            previous[number] = signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(number, handler)
