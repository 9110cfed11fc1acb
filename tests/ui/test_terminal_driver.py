"""When the terminal goes away, writing to it fails with EIO: livemig's output drops what follows, so
Textual's writer thread goes on emptying its queue and the UI thread never waits for room in it."""

from __future__ import annotations

import errno
import io
import threading

from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

from tests.ui.fake_session import fake_session
from tui.app import LivemigApp, terminal_driver
from tui.terminal_driver import LivemigDriver, SurvivingOutput


class TerminalThatGoesAway(io.StringIO):
    """A terminal that takes `lasts` writes, then fails as a hung-up pty does."""

    def __init__(self, lasts: int) -> None:
        super().__init__()
        self.lasts = lasts

    def write(self, text: str) -> int:
        if self.lasts <= 0:
            raise OSError(errno.EIO, "Input/output error")
        self.lasts -= 1
        return super().write(text)

    def flush(self) -> None:
        if self.lasts <= 0:
            raise OSError(errno.EIO, "Input/output error")


def test_frames_drawn_after_the_terminal_went_away_are_dropped_and_never_wait():
    terminal = TerminalThatGoesAway(lasts=3)
    output = SurvivingOutput(terminal)
    writer = WriterThread(output)  # type: ignore[arg-type]  # Textual's own writer thread
    writer.start()
    returned = threading.Event()

    def draw() -> None:  # as the UI thread draws frames, far more than the writer's queue holds
        for frame in range(10 * MAX_QUEUED_WRITES):
            writer.write(f"frame {frame}\n")
        returned.set()

    threading.Thread(target=draw, daemon=True).start()
    assert returned.wait(5), "the UI thread waited for a writer that had stopped"
    writer.stop()  # ends: its queue was emptied
    assert not writer.is_alive()
    assert output.gone
    assert terminal.getvalue() == "frame 0\nframe 1\nframe 2\n"


def test_the_output_is_the_terminal_while_it_is_there():
    terminal = TerminalThatGoesAway(lasts=100)
    output = SurvivingOutput(terminal)
    assert output.write("drawn") == 5
    output.flush()
    assert terminal.getvalue() == "drawn" and not output.gone
    assert output.closed is False  # anything else is the terminal's own


def test_the_app_draws_on_a_real_terminal_through_that_output():
    assert terminal_driver() is LivemigDriver
    assert LivemigApp(fake_session(), environ={}).driver_class is LivemigDriver
