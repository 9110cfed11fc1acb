"""The connection banner: a lost connection or an unreadable kind, and the data marked stale.

It wraps (at most three lines): what matters comes first, and a long error is shortened at a word, so
80 columns show the whole sentence."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tui.cluster.connection import ConnectionStatus
from tui.view.connection import ConnectionSummary


class ConnectionBanner(Static):
    """One line under the header while something is wrong with the connection; hidden otherwise."""

    DEFAULT_CSS = """
    ConnectionBanner { height: auto; max-height: 3; display: none; padding: 0 1; }
    ConnectionBanner.-lost { display: block; background: $error-muted; color: $text; text-style: bold; }
    ConnectionBanner.-limited { display: block; background: $warning-muted; color: $text; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)

    def show(self, summary: ConnectionSummary) -> None:
        self.set_class(summary.level == ConnectionStatus.RECONNECTING, "-lost")
        self.set_class(summary.level == ConnectionStatus.LIMITED, "-limited")
        self.update(Content(summary.banner))
