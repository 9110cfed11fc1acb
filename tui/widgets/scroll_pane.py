"""A scrolling pane for text longer than its room (a node's reasons, help) whose keys add up.

Textual's scroll keys move a pane after the next refresh, each from where the pane was before it: six
downs typed together move it one line. Here every key moves it at once, so six downs move six lines.
"""

from __future__ import annotations

from textual.actions import SkipAction
from textual.containers import VerticalScroll


class ScrollPane(VerticalScroll):
    """A VerticalScroll whose keys (↑↓, page up/down, home/end) each scroll it at once."""

    def scroll_lines(self, lines: float) -> None:
        """Scroll by `lines` (negative: up), within the content; now, not after the next refresh."""
        if not self.allow_vertical_scroll:
            raise SkipAction()  # nothing to scroll: the key goes on to the screen's bindings
        self.scroll_to(y=max(0.0, min(self.scroll_y + lines, self.max_scroll_y)), animate=False, immediate=True)

    def to_top(self) -> None:
        self.scroll_to(y=0, animate=False, immediate=True)

    def action_scroll_up(self) -> None:
        self.scroll_lines(-1)

    def action_scroll_down(self) -> None:
        self.scroll_lines(1)

    def action_page_up(self) -> None:
        self.scroll_lines(-max(1, self.scrollable_content_region.height - 1))

    def action_page_down(self) -> None:
        self.scroll_lines(max(1, self.scrollable_content_region.height - 1))

    def action_scroll_home(self) -> None:
        self.scroll_lines(-self.max_scroll_y)

    def action_scroll_end(self) -> None:
        self.scroll_lines(self.max_scroll_y)
