"""The command palette: livemig's commands, only what makes sense on the screen it was opened from.

Command titles can carry cluster text (a VM's name), so they are shown as plain Content with the
match highlighted by offset, never through markup. The palette runs one command per opening: enter
typed twice in a burst would otherwise close it twice (the second time taking the screen under it
away) and run the command twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from textual import on
from textual.await_complete import AwaitComplete
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.widgets import Button, Input, OptionList

from tui.widgets.literal import clean

Command = tuple[str, str, Callable[[], Any]]


def _highlighted(text: str, offsets: Iterable[int], style: str) -> Content:
    content = Content(text)
    for offset in offsets:
        if 0 <= offset < len(text) and not text[offset].isspace():
            content = content.stylize(style, offset, offset + 1)
    return content


class LivemigCommands(Provider):
    """Migrate, abort, filter, sort, show migrations, help: as the screen offers them now."""

    def _commands(self) -> list[Command]:
        offered = getattr(self.app, "commands_for", None)
        if not callable(offered):
            return []
        return [(clean(title), clean(help_text), callback) for title, help_text, callback in offered(self.screen)]

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(Content(title), callback, text=title, help=escape(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                _, offsets = matcher.fuzzy_search.match(matcher.query, title)
                yield Hit(
                    score, _highlighted(title, offsets, "bold reverse"), callback, text=title, help=escape(help_text)
                )


class LivemigPalette(CommandPalette):
    """Textual's command palette, closed (and its command run) at most once."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.closing = False

    @on(Input.Submitted)
    @on(Button.Pressed)
    @on(OptionList.OptionSelected)
    def _once(self, event: Message) -> None:
        # Handlers of this class run before the palette's own; once it is closing, they do not run.
        if self.closing:
            event.stop()
            event.prevent_default()

    def dismiss(self, result: None = None) -> AwaitComplete:
        if self.closing:
            return AwaitComplete.nothing()
        self.closing = True
        return super().dismiss(result)
