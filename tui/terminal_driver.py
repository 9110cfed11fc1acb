"""The terminal as livemig draws on it: Textual's Linux driver, with an output that outlives the terminal.

When the terminal goes away (an SSH session dropped, a tmux server killed) writing to it fails with
EIO. Textual's writer thread dies on that error, and its queue holds only 30 writes: the next frames
the app draws then wait for room forever, the UI thread with them, so neither SIGHUP nor SIGTERM can
end livemig (the handler's own cleanup draws again). Here the output swallows the errors of a
terminal that is gone and drops what is written after, so the writer keeps emptying its queue and the
app ends as it should (SIGHUP, or the input thread failing on the same terminal).
"""

from __future__ import annotations

import threading
from typing import Any, TextIO

from textual.drivers.linux_driver import LinuxDriver


class SurvivingOutput:
    """A text stream that, once a write or flush fails (the terminal is gone), drops everything after."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._gone = threading.Event()

    @property
    def gone(self) -> bool:
        """Whether a write or flush has failed: the terminal went away."""
        return self._gone.is_set()

    def write(self, text: str) -> int:
        if not self._gone.is_set():
            try:
                return self._stream.write(text)
            except (OSError, ValueError):  # EIO, EPIPE; ValueError: the stream was closed
                self._gone.set()
        return len(text)

    def flush(self) -> None:
        if not self._gone.is_set():
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._gone.set()

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding: the terminal's own
        return getattr(self._stream, name)


class LivemigDriver(LinuxDriver):
    """Textual's Linux driver writing through a SurvivingOutput."""

    def __init__(self, app: Any, *, debug: bool = False, mouse: bool = True, size: tuple[int, int] | None = None):
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        if self._file is not None:
            self._file = SurvivingOutput(self._file)
