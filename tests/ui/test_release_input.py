"""After the app ends, an input thread the driver did not stop (the terminal went away) is stopped, so
the process can exit instead of reading end-of-file from a dead terminal in a busy loop."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from tui.app import release_input_thread


def test_an_input_thread_left_running_is_told_to_stop_and_ends():
    stop = threading.Event()
    spins = []

    def read_forever() -> None:  # as the driver's input thread does on a dead terminal
        while not stop.is_set():
            spins.append(1)
            stop.wait(0.01)

    thread = threading.Thread(target=read_forever, name="textual-input")
    thread.start()
    app = SimpleNamespace(_driver=SimpleNamespace(_key_thread=thread, exit_event=stop))
    release_input_thread(app)  # type: ignore[arg-type]
    assert not thread.is_alive()
    assert spins


def test_an_app_whose_driver_stopped_its_thread_or_never_had_one_is_left_alone():
    release_input_thread(SimpleNamespace(_driver=None))  # type: ignore[arg-type]
    ended = threading.Thread(target=lambda: None)
    ended.start()
    ended.join()
    stop = threading.Event()
    release_input_thread(SimpleNamespace(_driver=SimpleNamespace(_key_thread=ended, exit_event=stop)))  # type: ignore[arg-type]
    assert not stop.is_set()
