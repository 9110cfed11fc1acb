"""livemig --demo in a real terminal (tmux at 80x24), driven by keys, read from the pane as a person reads it.

From the first screen to a finished migration, in real time (the demo's clock runs with the wall clock);
and keys typed in one burst, each acting on what the key before it left on screen.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TMUX = shutil.which("tmux")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        TMUX is None, reason="tmux is not installed: this test drives livemig in a real terminal through tmux"
    ),
]


# What a terminal sends for the named keys a burst uses.
_BYTES = {"Enter": "\r", "Escape": "\x1b"}


class Terminal:
    """One tmux session on its own server socket, 80 columns by 24 rows."""

    def __init__(self, command: str, width: int = 80, height: int = 24) -> None:
        self.socket = f"livemig-e2e-{uuid.uuid4().hex[:8]}"
        environment = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "", "LIVEMIG_DEBUG": ""}
        self._tmux("new-session", "-d", "-s", "e2e", "-x", str(width), "-y", str(height), command, env=environment)

    def _tmux(self, *args: str, env: dict | None = None) -> str:
        done = subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True, text=True, env=env, timeout=20)
        return done.stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            self._tmux("send-keys", "-t", "e2e", key)
            time.sleep(0.15)  # a person's pace: each key reaches the app on its own

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "e2e", "-l", text)

    def burst(self, *keys: str) -> None:
        """Several keys in one write to the terminal, as keys typed fast often arrive over SSH. `send-keys`
        may write each key on its own; a pasted buffer (not bracketed) reaches the pane in one write."""
        text = "".join(_BYTES.get(key, key) for key in keys)
        self._tmux("set-buffer", "-b", "burst", text)
        self._tmux("paste-buffer", "-d", "-b", "burst", "-t", "e2e")

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "e2e")

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not on screen within {timeout} s; the screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], capture_output=True, timeout=20)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    command = f"cd {ROOT} && {sys.executable} -m tui --demo; echo livemig exited $?; sleep 60"
    term = Terminal(command)
    try:
        yield term
    finally:
        term.close()


def test_an_operator_migrates_a_vm_in_the_demo_and_sees_it_finish(terminal: Terminal) -> None:
    first = terminal.wait_for("● connected", timeout=60)
    assert "web-frontend-01" in first and "12 VMs" in first and "all namespaces" in first

    terminal.keys("/")
    terminal.type("jump-host")
    terminal.keys("Enter")
    terminal.wait_for("jump-host runs on harvester-node-3")

    terminal.keys("m")
    picker = terminal.wait_for("any eligible node (the scheduler decides)")
    assert "harvester-witness" in picker and "✗ Witness" in picker

    terminal.keys("Enter")
    question = terminal.wait_for("Start this live migration?")
    assert "3 GB x 150 s/GB = 7 minutes and 30 seconds" in question

    terminal.keys("Enter")
    terminal.wait_for("Migration started")
    running = terminal.wait_for(" left", timeout=30)
    assert "jump-host" in running

    finished = terminal.wait_for("✓ Succeeded", timeout=90)
    assert "jump-host" in finished

    terminal.keys("M")
    migrations = terminal.wait_for("0 running, 1 ended since")
    # At 80 columns the route keeps the target whole and shortens the source from its start.
    assert "✓ Succeeded" in migrations and re.search(r"…ode-3 → harvester-node-\d", migrations), migrations

    terminal.keys("q")
    terminal.wait_for("livemig exited 0", timeout=20)


def test_keys_typed_in_one_burst_act_in_order_and_do_not_answer_the_picker(terminal: Terminal) -> None:
    terminal.wait_for("● connected", timeout=60)

    terminal.burst("/", "jump")  # one write: the filter opens and takes the text
    filtered = terminal.wait_for("filter jump (1 shown)")
    assert "jump-host runs on harvester-node-3" in filtered
    assert "Migrate default/" not in filtered

    terminal.burst("Enter", "m", "Enter", "Enter")  # keep the filter, open the picker; the enters came too early for it
    picker = terminal.wait_for("Migrate default/jump-host from harvester-node-3 to…")
    assert "any eligible node (the scheduler decides)" in picker
    # Keys act in order: a key sent now acts after the enters. Down moves the picker's cursor to a node
    # and the picker says whether it can take the VM: the enters left the picker on screen, unanswered.
    terminal.keys("Down")
    shown = terminal.wait_for("can take jump-host")
    assert "Migrate default/jump-host from harvester-node-3 to…" in shown
    assert "Start this live migration?" not in shown and "Migration started" not in shown

    terminal.keys("Escape", "q")
    terminal.wait_for("livemig exited 0", timeout=20)


@pytest.mark.parametrize("quit_key", ["q", "C-c"], ids=["q", "ctrl+c"])
def test_quitting_the_demo_during_a_migration_says_it_stopped_with_the_simulated_cluster(
    terminal: Terminal, quit_key: str
) -> None:
    terminal.wait_for("● connected", timeout=60)
    terminal.keys("/")
    terminal.type("db-primary")
    terminal.keys("Enter")
    terminal.wait_for("db-primary runs on")
    terminal.keys("m")
    terminal.wait_for("any eligible node (the scheduler decides)")
    terminal.keys("Enter")
    terminal.wait_for("Start this live migration?")
    terminal.keys("Enter")
    terminal.wait_for("Migration started")

    terminal.keys(quit_key)  # ctrl+c quits as q does, with the same words after
    after = terminal.wait_for("livemig exited 0", timeout=20).replace("\n", "")  # lines wrapped at 80 columns, joined
    assert "livemig: the demo's simulated cluster stopped with livemig; this migration stopped with it:" in after
    assert "default/db-primary (db-primary-" in after
    assert "livemig abort" not in after


def _running(pid: int) -> bool:
    """Whether the process is alive (a zombie waiting to be reaped has ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return not re.search(r"^State:\s+Z", status, re.M)


def test_livemig_ends_when_its_terminal_goes_away_while_it_draws() -> None:
    # As a dropped SSH session or a killed tmux server leaves it: the terminal is gone mid-frame.
    terminal = Terminal(f"cd {ROOT} && exec {sys.executable} -m tui --demo")
    try:
        terminal.wait_for("● connected", timeout=60)
        pid = int(terminal._tmux("display", "-p", "-t", "e2e", "#{pane_pid}").strip())
        terminal.keys("M")  # the Migrations screen, which redraws as the demo's clock runs
        terminal.keys("Escape")
        assert _running(pid)
    finally:
        terminal.close()
    end = time.monotonic() + 15
    while _running(pid) and time.monotonic() < end:
        time.sleep(0.1)
    assert not _running(pid), "livemig still runs 15 s after its terminal went away"
