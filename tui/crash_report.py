"""Never a traceback in front of the operator: an internal error goes to a file (readable by this user
only) and the terminal gets one line saying where; LIVEMIG_DEBUG=1 prints it instead. Either way it is
redacted first: Textual's traceback shows local variables, and a credential must not leak.

Textual prints what stopped an app in `App._print_error_renderables`, a private method and the only
place that sees the error after the terminal is restored: `CrashReport` overrides it, in this module
only.
"""

from __future__ import annotations

import os
import tempfile
from io import StringIO

from rich.console import Console
from textual.app import App

from tui.cluster.redaction import redact


class CrashReport(App[int]):
    """An App whose internal errors are reported as above (a base of the UI's app)."""

    def _print_error_renderables(self) -> None:
        if not self._exit_renderables:
            super()._print_error_renderables()
            return
        buffer = StringIO()
        console = Console(file=buffer, width=120, color_system=None, markup=False)
        for renderable in self._exit_renderables:
            console.print(renderable)
        self._exit_renderables.clear()
        report = redact(buffer.getvalue())
        if os.environ.get("LIVEMIG_DEBUG"):
            self.error_console.print(report, markup=False, highlight=False)
            return
        descriptor, path = tempfile.mkstemp(prefix="livemig-crash-", suffix=".txt")
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(report)
        self.error_console.print(
            f"livemig stopped on an internal error; what happened is written to {path}", markup=False, highlight=False
        )
