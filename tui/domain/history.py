"""A VM's migration history: every migration of its VMI still in the cluster, newest first.

KubeVirt keeps the five newest finished migrations per VMI and deletes older ones
(garbageCollectFinalizedMigrations, defaultFinalizedMigrationGarbageCollectionBuffer = 5, sorted by
creationTimestamp, in pkg/virt-controller/watch/migration/migration.go at v1.6.0 and v1.9.0,
pkg/virt-controller/watch/migration.go at v1.3.0), so a history holds at most five ended ones and
the running one. A finished migration's status carries its phase, phaseTransitionTimestamps and,
from KubeVirt 0.59 on, a copy of the VMI's migrationState (source and target node, start and end,
failed, failureReason: staging/src/kubevirt.io/api/core/v1/types.go, v1.6.0); one that failed
before hand-off has only `sourcePod` in it, so its route and start are unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tui.domain.migration_origin import MigrationOrigin, migration_origin
from tui.domain.objects import Migration
from tui.domain.phases import MigrationPhase
from tui.domain.progress import migration_progress
from tui.domain.snapshot import ClusterSnapshot

KEPT_PER_VMI = 5  # defaultFinalizedMigrationGarbageCollectionBuffer


@dataclass(frozen=True)
class HistoryEntry:
    """One migration of a VM, as its history lists it."""

    name: str
    uid: str
    phase: str
    final: bool
    source: str  # "" when it never got that far
    target: str  # the node it went to, else the one asked for, else ""
    created: datetime | None
    started: datetime | None  # the memory copy started (migrationState.startTimestamp)
    ended: datetime | None
    outcome: str  # an Outcome once final, else ""
    outcome_message: str
    failure_reason: str  # KubeVirt's words, verbatim (data, never markup)
    origin: MigrationOrigin

    @property
    def duration(self) -> float | None:
        """Seconds from creation (else the copy's start) to the end; None while running or unknown."""
        begin = self.created or self.started
        if begin is None or self.ended is None:
            return None
        return max((self.ended - begin).total_seconds(), 0.0)


def _ended_at(migration: Migration, fallback: datetime | None) -> datetime | None:
    for transition in reversed(migration.phase_transitions):
        if transition.phase in (MigrationPhase.SUCCEEDED, MigrationPhase.FAILED) and transition.at is not None:
            return transition.at
    return fallback


def history_entry(snapshot: ClusterSnapshot, migration: Migration) -> HistoryEntry:
    vmi = snapshot.vmis.get(f"{migration.namespace}/{migration.vmi_name}")
    progress = migration_progress(migration, vmi)
    target = progress.target_node or migration.pinned_node
    return HistoryEntry(
        name=migration.name,
        uid=migration.meta.uid,
        phase=migration.phase,
        final=migration.is_final,
        source=progress.source_node,
        target=target,
        created=migration.meta.created,
        started=progress.started,
        ended=_ended_at(migration, progress.ended) if migration.is_final else None,
        outcome=progress.outcome,
        outcome_message=progress.outcome_message,
        failure_reason=progress.failure_reason,
        origin=migration_origin(migration, vmi, snapshot.nodes),
    )


def migration_history(snapshot: ClusterSnapshot, vm_key: str) -> tuple[HistoryEntry, ...]:
    """The migrations of VM `namespace/name` in the cluster, newest first (by creation, then name)."""
    namespace, _, name = vm_key.partition("/")
    migrations = snapshot.migrations_of(namespace, name)  # oldest first
    return tuple(history_entry(snapshot, m) for m in reversed(migrations))
