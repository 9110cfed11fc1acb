"""The command palette's livemig commands: only what makes sense on the screen it was opened from.

Command titles can carry cluster text (a VM's name), so they are shown as plain Content with the
match highlighted by offset, never through markup.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

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
                yield Hit(score, _highlighted(title, offsets, "bold reverse"), callback, text=title, help=escape(help_text))
