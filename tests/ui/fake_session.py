"""A session without a server, for screen tests: it satisfies tui.view.session.Session with a snapshot
the test sets, and records the migrate and abort calls instead of making them.

The store's watches are replaced by `change()`, which hands the app a change batch as the real store's
thread would; connection states are all "connected". Nothing here talks HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from tui.cluster.access import Permission
from tui.cluster.actions import ActionResult
from tui.cluster.connection import ConnectionState, ConnectionStatus
from tui.cluster.metrics import MonitoringState
from tui.cluster.store import ChangeBatch
from tui.domain.kinds import KINDS
from tui.domain.progress import ByteCounters
from tui.domain.snapshot import ClusterSnapshot

NOW = datetime(2026, 3, 2, 9, 0, 0, tzinfo=timezone.utc)
FIXTURE = Path(__file__).parent / "fixtures" / "fake_cluster.yaml"


def fixture_objects() -> list[dict[str, Any]]:
    return yaml.safe_load(FIXTURE.read_text())


class FakeStore:
    def __init__(self, snapshot: ClusterSnapshot) -> None:
        self._snapshot = snapshot
        self._subscribers: list[Callable[[ChangeBatch], None]] = []
        self._version = 0
        self.server_went_back = 0

    def snapshot(self) -> ClusterSnapshot:
        return self._snapshot

    def states(self) -> dict[str, ConnectionState]:
        return {kind.name: ConnectionState(kind.name, ConnectionStatus.CONNECTED) for kind in KINDS}

    def state(self, kind: str) -> ConnectionState:
        return ConnectionState(kind, ConnectionStatus.CONNECTED)

    def subscribe(self, callback: Callable[[ChangeBatch], None]) -> None:
        self._subscribers.append(callback)

    def change(self, snapshot: ClusterSnapshot, **changed: set[str]) -> None:
        """The cluster is now `snapshot`; `changed` names the keys per kind ("vms", "vmis", ...)."""
        self._snapshot = snapshot
        self._version += 1
        batch = ChangeBatch(self._version, {kind: frozenset(keys) for kind, keys in changed.items()})
        for callback in self._subscribers:
            callback(batch)


class FakeMetrics:
    state = MonitoringState()

    def counters(self, namespace: str, vmi: str) -> tuple[ByteCounters | None, ByteCounters | None]:
        return None, None

    def subscribe(self, callback: Callable[[], None]) -> None:
        pass


@dataclass
class FakeAccess:
    allowed: bool = True

    def check(self, action: str, namespace: str) -> Permission:
        return Permission(self.allowed, "" if self.allowed else f"{action} is not granted in {namespace}")

    def refresh(self) -> None:
        pass


@dataclass
class FakeActions:
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def migrate(self, namespace: str, vm: str, target: str | None = None) -> ActionResult:
        self.calls.append(("migrate", namespace, vm, target or ""))
        return ActionResult(ok=True, name=f"{vm}-fake", message=f"Migration {vm}-fake of {namespace}/{vm} created.")

    def abort(self, namespace: str, migration_name: str, uid: str, resource_version: str | None = None) -> ActionResult:
        self.calls.append(("abort", namespace, migration_name))
        return ActionResult(ok=True, name=migration_name, message=f"Abort of {migration_name} requested.")


@dataclass
class FakeSession:
    store: FakeStore
    metrics: FakeMetrics = field(default_factory=FakeMetrics)
    access: FakeAccess = field(default_factory=FakeAccess)
    actions: FakeActions = field(default_factory=FakeActions)
    context_name: str = "fake-context"
    namespaces: tuple[str, ...] | None = None
    scope_text: str = "all namespaces"
    readonly: bool = False

    def now(self) -> datetime:
        return NOW


def fake_session(objects: list[dict[str, Any]] | None = None, **options: Any) -> FakeSession:
    snapshot = ClusterSnapshot.from_objects(fixture_objects() if objects is None else objects)
    return FakeSession(FakeStore(snapshot), **options)
