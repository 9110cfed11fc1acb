"""What the three live screens (VM list, VM details, Migrations) share: typed access to the app's view
model and actions, the header and banner, and a redraw put off while another screen covers them.

Screens reach the app through `LiveApp`, a protocol: they import nothing of tui/app.py (which imports
them), and a test may run them on the app over any session the view model accepts.
"""

from __future__ import annotations

from typing import Protocol, cast

from textual.dom import DOMNode
from textual.screen import Screen

from tui.messages import ViewUpdated
from tui.view.header import HeaderFacts
from tui.view.model import LiveView
from tui.widgets.banner import ConnectionBanner
from tui.widgets.header import ClusterHeader


class LiveApp(Protocol):
    """What a screen asks of the app: the view model, and the actions that open questions or call the API."""

    @property
    def live(self) -> LiveView: ...
    def begin_migration(self, vm_key: str | None) -> None: ...
    def begin_abort(self, vm_key: str | None) -> None: ...
    def open_vm(self, vm_key: str) -> None: ...
    def ensure_permissions(self, namespace: str) -> None: ...
    def keys_lost(self) -> dict[str, dict[str, list[str]]]: ...


def live_app(node: DOMNode) -> LiveApp:
    """The app `node` runs in, as a screen asks of it (always livemig's app: see tui/app.py)."""
    return cast(LiveApp, node.app)


class LiveScreen(Screen[None]):
    """A screen that shows the live view: redrawn on each ViewUpdated it concerns, or once it is
    current again when it was covered meanwhile."""

    _dirty = False  # a change came while another screen covered this one

    @property
    def livemig(self) -> LiveApp:
        return live_app(self)

    @property
    def model(self) -> LiveView:
        return live_app(self).live

    def show_view(self) -> None:
        """Draw everything the screen shows from the view model."""
        raise NotImplementedError

    def concerns(self, message: ViewUpdated) -> bool:
        """Whether a change the app broadcast changes what this screen shows."""
        return True

    def on_view_updated(self, message: ViewUpdated) -> None:
        if not self.is_current:
            self._dirty = True
            return
        if self.concerns(message):
            self.show_view()

    def on_screen_resume(self) -> None:
        if self._dirty:
            self._dirty = False
            self.show_view()

    def show_connection(self, facts: HeaderFacts) -> None:
        """The header with `facts`, the banner, and the stale look while the connection is lost."""
        self.set_class(facts.connection.stale, "-stale")
        self.query_one(ClusterHeader).show(facts)
        self.query_one(ConnectionBanner).show(facts.connection)
