"""The VM details' "what came before" pane: the VM's migrations still in the cluster and its recent events.

The events are not watched: the pane reads them (in a worker, one request per object name, as
`kubectl describe` does) when the details open, again every few seconds while it is shown, and when
the VM's migrations change. The text scrolls: at 80x24 a history of six migrations and its events
need more room than the pane has.
"""

from __future__ import annotations

import time
from datetime import datetime

from textual import work
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static

from tui.cluster.events import EventsReading, read_events
from tui.domain.history import HistoryEntry, migration_history
from tui.domain.snapshot import ClusterSnapshot
from tui.view.history import events_parts, history_parts
from tui.widgets.scroll_pane import ScrollPane

REFRESH_SECONDS = 5.0  # while shown
SOONEST_SECONDS = 1.0  # between two reads asked by changes of the VM's migrations
NO_CONNECTION = "Events are not available: livemig has no API connection here."


class HistoryPane(ScrollPane):
    """History and events of one VM; hidden until asked for."""

    DEFAULT_CSS = """
    HistoryPane {
        height: 1fr;
        min-height: 3;
        border-top: solid $primary-muted;
        display: none;
    }
    HistoryPane:focus {
        border-top: solid $accent;
    }
    HistoryPane > #detail-history {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.vm_key = ""
        self.entries: tuple[HistoryEntry, ...] = ()
        self.events: EventsReading | None = None
        self._names: tuple[str, ...] = ()
        self._states: tuple[tuple[str, str], ...] = ()
        self._now: datetime | None = None
        self._read_at = 0.0
        self._transport: object | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="detail-history", markup=False)

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self._refresh_while_shown, name="events")

    # -- what it shows ---------------------------------------------------------------------------

    def show(self, snapshot: ClusterSnapshot, vm_key: str, now: datetime, transport: object | None) -> None:
        """The history of `vm_key` now; the events are read again when its migrations changed."""
        if vm_key != self.vm_key:
            self.vm_key, self.events, self._names = vm_key, None, ()
        self._transport = transport
        self._now = now
        self.entries = migration_history(snapshot, vm_key)
        names = (vm_key.partition("/")[2], *sorted(entry.name for entry in self.entries))
        states = tuple((entry.name, entry.phase) for entry in self.entries)
        if names != self._names or states != self._states:
            self._names, self._states = names, states
            if self.events is None or time.monotonic() - self._read_at >= SOONEST_SECONDS:
                self.read_events()
        self._render_text()

    def _render_text(self) -> None:
        now = self._now or datetime.now().astimezone()
        reading = self.events
        parts = [
            *history_parts(self.entries),
            "\n\n",
            *events_parts(reading.events if reading is not None else None, reading.problem if reading else "", now),
        ]
        self.query_one("#detail-history", Static).update(Content.assemble(*parts))

    # -- reading the events ----------------------------------------------------------------------

    def read_events(self) -> None:
        if not self.vm_key:
            return
        if self._transport is None:
            self.events = EventsReading(problem=NO_CONNECTION)
            return
        self._read_at = time.monotonic()
        namespace = self.vm_key.partition("/")[0]
        self._read(self._transport, self.vm_key, namespace, self._names)

    def _refresh_while_shown(self) -> None:
        if self.display and self.vm_key:
            self.read_events()

    @work(thread=True, exclusive=True, exit_on_error=False, group="events")
    def _read(self, transport: object, vm_key: str, namespace: str, names: tuple[str, ...]) -> None:
        try:
            reading = read_events(transport, namespace, names)  # type: ignore[arg-type]
        except Exception as error:  # noqa: BLE001 - a bonus section: it says what went wrong, the screen stays
            reading = EventsReading(problem=f"Events could not be read: {error}")
        self.app.call_from_thread(self._got, vm_key, reading)

    def _got(self, vm_key: str, reading: EventsReading) -> None:
        if vm_key != self.vm_key:
            return  # read for the VM shown before
        self.events = reading
        self._render_text()
