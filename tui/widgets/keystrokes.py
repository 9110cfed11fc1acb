"""Keys typed in one burst, taken one at a time: each acts on what the key before it left on screen.

A terminal (an SSH session above all) often delivers several keys at once. Textual hands each key to
the widget focused when the key arrives and resolves its bindings later, when it has bubbled back
to the app; a key that opens something (the filter, the node picker) has not acted yet when the
keys after it are handed out, so those land on whatever was focused before. The app therefore
hands out one key at a time: the next only once the one before has passed through the widgets
(`KeyPassed` comes back behind it), so "/jump" types "jump" into the filter.

A key belongs to the screen it was handed to: if another screen came up or went away before the key
came back to the app (an enter that chose a node closes the picker a moment later), the key is
dropped rather than taken as a key for the screen now on top.

A question (the node picker, a confirmation) must not act on keys typed before it appeared: the
operator could not have read it. Such screens carry `opened_at`, on the clock Textual stamps key
events with, and `typed_before` tells the app to drop those keys.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from textual import events
from textual.message import Message

try:  # the clock Textual stamps every event's `time` with
    from textual._time import get_time as key_clock
except ImportError:  # pragma: no cover - Textual uses time.monotonic() on every POSIX system
    from time import monotonic as key_clock

# A key whose KeyPassed never comes back (its widget was removed on the way) holds the keys after it
# no longer than this.
KEY_PASS_TIMEOUT = 0.25


class KeyPassed(Message):
    """Follows a key through the widgets it was handed to; reaching the app, the key has acted."""

    def __init__(self, turn: int) -> None:
        super().__init__()
        self.turn = turn


class KeyQueue:
    """Keys the app has received and not yet handed out, and whether one is on its way."""

    def __init__(self) -> None:
        self._waiting: deque[events.Key] = deque()
        self.turn = 0  # counts keys handed out; a KeyPassed for an older turn is late and ignored
        self.busy = False
        self.key: events.Key | None = None  # the key on its way
        self.screen: Any = None  # the screen it was handed to
        self.rang_for: int | None = None  # the screen whose dropped keys were already answered with a bell

    def __len__(self) -> int:
        return len(self._waiting)

    @property
    def pending(self) -> bool:
        """Whether a key waits, or one is on its way through the widgets."""
        return self.busy or bool(self._waiting)

    def add(self, key: events.Key) -> None:
        self._waiting.append(key)

    def next(self) -> events.Key | None:
        """The next key to hand out, or None while one is on its way or none waits."""
        if self.busy or not self._waiting:
            return None
        return self._waiting.popleft()

    def handed_out(self, key: events.Key, screen: Any) -> int:
        """`key` went to a widget of `screen`: hold the others until its turn ends. Returns the turn."""
        self.turn += 1
        self.busy = True
        self.key, self.screen = key, screen
        return self.turn

    def passed(self, turn: int) -> bool:
        """The key of `turn` has acted (or its time ran out); True when that frees the queue."""
        if turn != self.turn or not self.busy:
            return False
        self.busy = False
        self.key = self.screen = None
        return True

    def strayed(self, key: events.Key, screen: Any) -> bool:
        """True when `key` is back from the widgets with `screen` on top, not the screen it was handed to."""
        return key is self.key and screen is not self.screen


def opened_now() -> float:
    """The moment a question opens, comparable with a key event's `time`."""
    return key_clock()


def typed_before(screen: Any, key: events.Key) -> bool:
    """True when `screen` is a question that opened after `key` was typed (so must not act on it)."""
    opened_at = getattr(screen, "opened_at", None)
    return opened_at is not None and key.time < opened_at
