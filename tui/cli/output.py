"""What the command line prints and how it ends: exit codes, safe lines and JSON, and the failures that stop a command."""

from __future__ import annotations

import contextlib
import json
import os
import re
from typing import TextIO

from tui.cluster.redaction import redact
from tui.text import clean as _shown

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
# The width help, plans and refusals are wrapped to.
WIDTH = 80


class UsageError(Exception):
    """Arguments that parse but make no sense together; printed with exit code 2."""


class ServerSilent(Exception):
    """migrate --wait had no answer from the API server for as long as it may wait."""

    def __init__(self, since: str, waited: float) -> None:
        super().__init__(since)
        self.since, self.waited = since, waited


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: stop as on Ctrl-C, so the cleanup (the demo's files, the connections) runs."""


def clean(text: object) -> str:
    """Cluster text made safe for a terminal: control characters shown as \\xNN, never interpreted
    (tui/text.py), and no credential (tui/cluster/redaction.py)."""
    return _shown(redact(str(text)))


def safe_json(value: object) -> str:
    """JSON whose strings carry no raw control characters (C1 and DEL escaped as \\u00NN too)."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


def say(stream: TextIO, text: str = "") -> None:
    stream.write(text + "\n")
    stream.flush()


def silence(out: TextIO) -> None:
    """Point a closed output at /dev/null, so nothing fails writing to it again at exit."""
    with contextlib.suppress(Exception):
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
