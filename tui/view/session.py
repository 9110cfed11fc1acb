"""What the UI needs of a cluster session: a small protocol the real `ClusterSession` satisfies, and so
can a stand-in holding a fixed snapshot (tests/ui/fake_session.py), so a screen runs without a server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from tui.cluster.access import Permission
from tui.cluster.actions import ActionResult
from tui.cluster.connection import ConnectionState
from tui.cluster.metrics import MonitoringState
from tui.cluster.store import ChangeBatch
from tui.domain.progress import ByteCounters
from tui.domain.snapshot import ClusterSnapshot


class Store(Protocol):
    """The watched objects: a snapshot, the watches' states, and change batches as they come."""

    @property
    def server_went_back(self) -> int: ...
    def snapshot(self) -> ClusterSnapshot: ...
    def states(self) -> dict[str, ConnectionState]: ...
    def state(self, kind: str) -> ConnectionState: ...
    def subscribe(self, callback: Callable[[ChangeBatch], None]) -> None: ...


class Metrics(Protocol):
    """Byte counters of running migrations, and whether they can be had."""

    @property
    def state(self) -> MonitoringState: ...
    def counters(self, namespace: str, vmi: str) -> tuple[ByteCounters | None, ByteCounters | None]: ...
    def subscribe(self, callback: Callable[[], None]) -> None: ...


class Access(Protocol):
    """What the user may do (access reviews), asked per action and namespace."""

    def check(self, action: str, namespace: str) -> Permission: ...
    def refresh(self) -> None: ...


class Actions(Protocol):
    """The two changes livemig makes: create a migration, abort one."""

    def migrate(self, namespace: str, vm: str, target: str | None = None) -> ActionResult: ...
    def abort(
        self, namespace: str, migration_name: str, uid: str, resource_version: str | None = None
    ) -> ActionResult: ...


class Session(Protocol):
    """One cluster as the UI sees it."""

    @property
    def store(self) -> Store: ...
    @property
    def metrics(self) -> Metrics: ...
    @property
    def access(self) -> Access: ...
    @property
    def actions(self) -> Actions: ...
    @property
    def context_name(self) -> str: ...
    @property
    def namespaces(self) -> tuple[str, ...] | None: ...
    @property
    def scope_text(self) -> str: ...
    @property
    def readonly(self) -> bool: ...
    def now(self) -> datetime: ...
