"""livemig with stderr redirected (`livemig --demo 2>/dev/null`) in a real terminal (a pty): Textual
draws on stderr, so the UI would draw nowhere and swallow keys. livemig refuses to start and says so
on stdout, the terminal, with exit code 2, as it does without a terminal on stdin or stdout."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")]


def run_on_a_terminal(*args: str, stderr_to_null: bool) -> tuple[int, str]:
    """Run livemig with stdin and stdout on a fresh pty (stderr there too, or /dev/null); what the terminal showed."""
    controller, terminal = pty.openpty()
    environment = {**os.environ, "TERM": "xterm-256color", "LIVEMIG_DEBUG": ""}
    with open(os.devnull, "wb") as null:
        process = subprocess.Popen(
            [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())", *args],
            stdin=terminal,
            stdout=terminal,
            stderr=null if stderr_to_null else terminal,
            cwd=ROOT,
            env=environment,
            close_fds=True,
        )
    os.close(terminal)
    shown = b""
    try:
        # Until the terminal's last writer exits; a UI that started instead waits for keys forever.
        while select.select([controller], [], [], 30)[0]:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if process.poll() is None:
            process.kill()
        code = process.wait(timeout=30)
        os.close(controller)
    return code, shown.decode("utf-8", "replace")


def test_with_stderr_redirected_the_ui_refuses_to_start_saying_so_on_stdout() -> None:
    code, shown = run_on_a_terminal("--demo", stderr_to_null=True)
    assert code == 2
    assert "the terminal UI draws on stderr, which is redirected" in shown
    assert "\x1b[?1049h" not in shown  # no full-screen mode was entered


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_in_tmux_with_stderr_redirected_the_pane_says_why_and_livemig_exits_2() -> None:
    socket = f"livemig-e2e-{uuid.uuid4().hex[:8]}"
    tmux = [shutil.which("tmux") or "tmux", "-L", socket]
    command = f"cd {ROOT} && {sys.executable} -m tui --demo 2>/dev/null; echo livemig exited $?; sleep 60"
    environment = {**os.environ, "TERM": "xterm-256color", "LIVEMIG_DEBUG": ""}
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", command],
        env=environment,
        check=True,
        timeout=20,
    )
    try:
        deadline = time.monotonic() + 60
        shown = ""
        while time.monotonic() < deadline and "livemig exited" not in shown:
            time.sleep(0.2)
            shown = subprocess.run(
                [*tmux, "capture-pane", "-p", "-J", "-t", "e2e"], capture_output=True, text=True, timeout=20
            ).stdout
        assert "livemig exited 2" in shown, shown
        assert "the terminal UI draws on stderr, which is redirected" in " ".join(shown.split())
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, timeout=20)
