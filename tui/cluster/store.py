"""The store: the watched objects of one cluster, indexed, versioned, with coalesced change batches."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tui.cluster.connection import ConnectionState, ConnectionStatus
from tui.domain.kinds import NAMES
from tui.domain.objects import KubeVirt
from tui.domain.snapshot import ClusterSnapshot, deployed_kubevirt


@dataclass(frozen=True)
class ListingProgress:
    """How far the list of one kind got: objects held, how many more the server said were left to page
    through (None when it did not say), and whether the kind was ever listed whole."""

    held: int
    remaining: int | None
    complete: bool

    @property
    def expected(self) -> int | None:
        """Objects held plus those still to come, while a list pages; None when unknown."""
        return None if self.remaining is None else self.held + self.remaining


@dataclass(frozen=True)
class ChangeBatch:
    """What changed since the previous batch: keys per kind (deleted keys included), and connection news."""

    version: int
    changed: dict[str, frozenset[str]] = field(default_factory=dict)
    deleted: dict[str, frozenset[str]] = field(default_factory=dict)
    connection_changed: bool = False
    events: int = 0  # how many store changes this batch coalesces

    def touches(self, kind: str) -> bool:
        return kind in self.changed or kind in self.deleted


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Store:
    """Thread-safe current state of the watched kinds.

    Reflector threads call `replace` (after a list) and `apply` (per watch event); readers take a
    `snapshot()` (an immutable ClusterSnapshot, cached until the next change) and subscribe to
    change batches, delivered from one dispatcher thread at most `max_batches_per_second` times a
    second however many events arrive.
    """

    def __init__(self, max_batches_per_second: float = 10.0) -> None:
        self._lock = threading.Lock()
        self._objects: dict[str, dict[str, Any]] = {kind: {} for kind in NAMES}
        self._states: dict[str, ConnectionState] = {kind: ConnectionState(kind, since=_now()) for kind in NAMES}
        self._version = 0
        self._server_went_back = 0  # how often a reflector found the server behind what it had served
        self._snapshot: ClusterSnapshot | None = None
        self._snapshot_version = -1
        # pending changes for the next batch
        self._pending_changed: dict[str, set[str]] = {}
        self._pending_deleted: dict[str, set[str]] = {}
        self._pending_connection = False
        self._pending_events = 0
        self._wake = threading.Condition(self._lock)
        self._subscribers: list[Callable[[ChangeBatch], None]] = []
        self._min_interval = 1.0 / max_batches_per_second
        self._closed = False
        self._dispatcher: threading.Thread | None = None
        self._harvester_server_version = ""
        # Kinds listed whole at least once (until then the objects held may be the first pages only).
        self._complete: set[str] = set()
        self._remaining: dict[str, int | None] = {}  # a paging list's remainingItemCount, per kind

    # -- writers (reflectors) --------------------------------------------------------------------

    def replace(self, kind: str, objects: Iterable[Any]) -> None:
        """Replace everything of a kind (after a list or re-list); what vanished is reported as deleted."""
        fresh = {obj.meta.key: obj for obj in objects}
        with self._lock:
            current = self._objects[kind]
            vanished = current.keys() - fresh.keys()
            changed = {
                key
                for key, obj in fresh.items()
                if key not in current or current[key].meta.resource_version != obj.meta.resource_version
            }
            self._objects[kind] = fresh
            self._complete.add(kind)
            self._remaining.pop(kind, None)
            if vanished or changed:
                self._note(kind, changed, vanished)

    def put_page(self, kind: str, objects: Iterable[Any], remaining: int | None = None) -> None:
        """One page of a list as it arrives: its objects added or updated at once (so the screen can show
        them while the rest is paged through); `remaining` is the server's remainingItemCount.
        `end_list` then removes what the whole list did not hold. Until a kind's first list ends, its
        state stays "starting" and `listing_progress(kind).complete` is False."""
        with self._lock:
            current = self._objects[kind]
            changed = set()
            for obj in objects:
                key = obj.meta.key
                held = current.get(key)
                if held is None or held.meta.resource_version != obj.meta.resource_version:
                    changed.add(key)
                current[key] = obj
            self._remaining[kind] = remaining
            if changed:
                self._note(kind, changed, set())

    def end_list(self, kind: str, listed: Collection[str]) -> None:
        """The list whose pages `put_page` delivered is complete, holding the keys `listed`: whatever else
        the store held of the kind vanished, and is reported as deleted (a re-list after a 410)."""
        with self._lock:
            current = self._objects[kind]
            vanished = {key for key in current if key not in listed}
            for key in vanished:
                del current[key]
            self._complete.add(kind)
            self._remaining.pop(kind, None)
            if vanished:
                self._note(kind, set(), vanished)
            else:
                self._version += 1
                self._wake.notify_all()

    def listing_progress(self, kind: str) -> ListingProgress:
        """How far the list of `kind` got: what the screen can say while a big list pages in ("3,500 of
        10,000 VMs listed"). A kind's state (`state(kind).status`) says whether it is still starting."""
        with self._lock:
            return ListingProgress(
                held=len(self._objects[kind]), remaining=self._remaining.get(kind), complete=kind in self._complete
            )

    def objects_of(self, kind: str) -> dict[str, Any]:
        """A copy of every object of `kind` held now, by key."""
        with self._lock:
            return dict(self._objects[kind])

    def apply(self, kind: str, event_type: str, obj: Any) -> None:
        """One watch event: ADDED, MODIFIED or DELETED."""
        key = obj.meta.key
        with self._lock:
            objects = self._objects[kind]
            if event_type == "DELETED":
                if objects.pop(key, None) is not None:
                    self._note(kind, set(), {key})
            else:
                objects[key] = obj
                self._note(kind, {key}, set())

    def set_harvester_server_version(self, value: str) -> None:
        """Harvester's server-version setting, as read at connect ("" when not readable)."""
        with self._lock:
            if value != self._harvester_server_version:
                self._harvester_server_version = value
                self._version += 1

    def note_server_went_back(self) -> None:
        """A reflector found the API server behind what it had served before (restored, failed over
        or recreated at the same address) and lists again; callers compare `server_went_back`."""
        with self._lock:
            self._server_went_back += 1

    @property
    def server_went_back(self) -> int:
        """How often the server was found to have come back with other (older) state."""
        with self._lock:
            return self._server_went_back

    def set_state(self, state: ConnectionState) -> None:
        with self._lock:
            previous = self._states.get(state.kind)
            if previous == state:
                return
            self._states[state.kind] = state
            self._pending_connection = True
            self._version += 1
            self._wake.notify_all()

    def _note(self, kind: str, changed: set[str], deleted: set[str]) -> None:
        # Called with the lock held.
        self._version += 1
        if changed:
            self._pending_changed.setdefault(kind, set()).update(changed)
        if deleted:
            self._pending_deleted.setdefault(kind, set()).update(deleted)
            if kind in self._pending_changed:
                self._pending_changed[kind] -= deleted
        self._pending_events += 1
        self._wake.notify_all()

    # -- readers ---------------------------------------------------------------------------------

    @property
    def version(self) -> int:
        with self._lock:
            return self._version

    def get(self, kind: str, key: str) -> Any | None:
        with self._lock:
            return self._objects[kind].get(key)

    def count(self, kind: str) -> int:
        with self._lock:
            return len(self._objects[kind])

    def keys(self, kind: str) -> list[str]:
        with self._lock:
            return list(self._objects[kind])

    def wait_for_change(self, seen: int, timeout: float) -> int:
        """Wait until the version differs from `seen` (an object or a connection state changed) or
        `timeout` passed; returns the version now."""
        with self._lock:
            if self._version == seen and not self._closed:
                self._wake.wait(timeout)
            return self._version

    def states(self) -> dict[str, ConnectionState]:
        with self._lock:
            return dict(self._states)

    def state(self, kind: str) -> ConnectionState:
        with self._lock:
            return self._states[kind]

    def snapshot(self) -> ClusterSnapshot:
        """An immutable view of everything now; the same object until something changes."""
        with self._lock:
            if self._snapshot is not None and self._snapshot_version == self._version:
                return self._snapshot
            kubevirts: list[KubeVirt] = sorted(self._objects["kubevirts"].values(), key=lambda k: k.meta.key)
            pods_state = self._states["pods"].status
            snapshot = ClusterSnapshot(
                nodes=dict(self._objects["nodes"]),
                vms=dict(self._objects["vms"]),
                vmis=dict(self._objects["vmis"]),
                migrations=dict(self._objects["migrations"]),
                pods=dict(self._objects["pods"]),
                kubevirt=deployed_kubevirt(kubevirts),
                policies=dict(self._objects["policies"]),
                nads=dict(self._objects["nads"]),
                namespaces=dict(self._objects["namespaces"]),
                # Pods are "known" once listed; a lost watch keeps the last list (marked stale by state).
                pods_known=pods_state in (ConnectionStatus.CONNECTED, ConnectionStatus.RECONNECTING)
                and self._objects_listed("pods"),
                nodes_known=self._states["nodes"].status in (ConnectionStatus.CONNECTED, ConnectionStatus.RECONNECTING)
                and self._objects_listed("nodes"),
                namespaces_known=self._objects_listed("namespaces"),
                harvester_server_version=self._harvester_server_version,
            )
            self._snapshot, self._snapshot_version = snapshot, self._version
            return snapshot

    def _objects_listed(self, kind: str) -> bool:
        state = self._states[kind]
        if state.partial or kind not in self._complete:
            return False
        return state.status == ConnectionStatus.CONNECTED or (
            state.status == ConnectionStatus.RECONNECTING and state.since is not None and bool(self._objects[kind])
        )

    # -- change batches --------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[ChangeBatch], None]) -> None:
        """Call `callback(batch)` from the dispatcher thread after changes, at most ~10 times a second."""
        with self._lock:
            self._subscribers.append(callback)
            if self._dispatcher is None:
                self._dispatcher = threading.Thread(target=self._dispatch_loop, name="store-batches", daemon=True)
                self._dispatcher.start()

    def take_batch(self) -> ChangeBatch | None:
        """Take the pending changes now (for callers that poll instead of subscribing)."""
        with self._lock:
            return self._take_locked()

    def _take_locked(self) -> ChangeBatch | None:
        if not (self._pending_changed or self._pending_deleted or self._pending_connection):
            return None
        batch = ChangeBatch(
            version=self._version,
            changed={kind: frozenset(keys) for kind, keys in self._pending_changed.items() if keys},
            deleted={kind: frozenset(keys) for kind, keys in self._pending_deleted.items() if keys},
            connection_changed=self._pending_connection,
            events=self._pending_events,
        )
        self._pending_changed, self._pending_deleted = {}, {}
        self._pending_connection, self._pending_events = False, 0
        return batch

    def _dispatch_loop(self) -> None:
        last = 0.0
        while True:
            with self._lock:
                while not self._closed and not (
                    self._pending_changed or self._pending_deleted or self._pending_connection
                ):
                    self._wake.wait()
                if self._closed:
                    return
            # Let a burst gather: never more often than the minimum interval.
            delay = self._min_interval - (time.monotonic() - last)
            if delay > 0:
                time.sleep(delay)
            with self._lock:
                batch = self._take_locked()
                subscribers = list(self._subscribers)
            last = time.monotonic()
            if batch is None:
                continue
            for callback in subscribers:
                try:
                    callback(batch)
                except Exception:  # noqa: BLE001, S112 - a subscriber's bug must not stop the others or the dispatcher
                    continue

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._wake.notify_all()
        if self._dispatcher is not None and self._dispatcher is not threading.current_thread():
            self._dispatcher.join(timeout=2)
