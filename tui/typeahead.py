"""Keys typed ahead, taken one at a time (the rules are in tui.widgets.keystrokes): the app's own key
dispatch. Textual hands every key to the focused widget on arrival; `TypeAhead` overrides the app's
`on_event` to queue the keys from the terminal and hand out the next only once the one before has
passed through the widgets, so each acts on what the key before it left on screen."""

from __future__ import annotations

from functools import partial
from typing import Any

from textual import events
from textual.app import App

from tui.widgets.keystrokes import KEY_PASS_TIMEOUT, KeyPassed, KeyQueue, typed_before


class TypeAhead(App[int]):
    """An App whose keys from the terminal act one at a time, in order (a base of the UI's app)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keys = KeyQueue()

    def keys_done(self) -> None:
        """Called when no key waits any more (the app takes up what it held back for the keys)."""

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            if not event.is_forwarded:
                # From the terminal: wait for the keys before it to act first.
                self._keys.add(event)
                await self._hand_out_keys()
                return
            if self._keys.strayed(event, self.screen) or self._dropped(event):
                # Back from the widgets, but the screen it was meant for is gone: not for this one.
                self._ring_once()
                return
        await super().on_event(event)

    async def _hand_out_keys(self) -> None:
        while (key := self._keys.next()) is not None:
            if self._dropped(key):
                self._ring_once()
                continue
            screen = self.screen
            await super().on_event(key)  # priority bindings, else handed to the focused widget
            if key.is_forwarded:
                turn = self._keys.handed_out(key, screen)
                (self.focused or self.screen).post_message(KeyPassed(turn))
                self.set_timer(KEY_PASS_TIMEOUT, partial(self._key_passed, turn), name="key pass")
        if not self._keys.pending:
            self.keys_done()

    async def on_key_passed(self, message: KeyPassed) -> None:
        await self._key_passed(message.turn)

    async def _key_passed(self, turn: int) -> None:
        if self._keys.passed(turn):
            await self._hand_out_keys()

    def _dropped(self, key: events.Key) -> bool:
        """A key typed before the question now on screen appeared is not an answer to it."""
        return typed_before(self.screen, key)

    def _ring_once(self) -> None:
        # One bell per screen says keys were dropped, however many there were.
        if self._keys.rang_for != id(self.screen):
            self._keys.rang_for = id(self.screen)
            self.bell()
