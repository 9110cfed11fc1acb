"""What the UI shows of each migration: progress, time left before KubeVirt's timeout, stalls, outcomes.

`MigrationLedger` follows every migration the store shows. It remembers the last state of each, so a
migration that is deleted (an abort removes the object once KubeVirt is done with it) still shows how
it ended, and it tracks when the remaining byte count of each running one last shrank, so a stall is
noticed.
It is the UI's memory of what it saw, not a copy of cluster truth: every view is recomputed from the
current snapshot, the byte counters and the cluster's clock.

Stalls are judged on Prometheus samples, by their own times: each new sample (a later sample time)
is compared with the one before it, as KubeVirt's progress watermark does; a stall is a run of
samples without a shrink spanning at least two observed scrape intervals, and never less than
STALL_WARNING_SECONDS. A value repeated between scrapes is the same sample, not a stall, and a
migration whose every sample shrank is never called stalled, however late the next sample comes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from tui.domain.budget import CompletionBudget, completion_budget, remaining_seconds
from tui.domain.migration_origin import MigrationOrigin, migration_origin
from tui.domain.objects import VMI, Migration
from tui.domain.progress import (
    ByteCounters,
    MigrationProgress,
    migration_progress,
    migration_state_of,
)
from tui.domain.snapshot import ClusterSnapshot
from tui.domain.trouble import low_on_time, observe_sample

CountersOf = Callable[[str, str], "tuple[ByteCounters | None, ByteCounters | None]"]


@dataclass(frozen=True)
class MigrationView:
    """One migration as the screens show it, at one moment of the cluster's clock."""

    key: str  # namespace/name of the VirtualMachineInstanceMigration
    uid: str
    namespace: str
    name: str
    vm: str
    progress: MigrationProgress
    requested_target: str  # the node asked for (addedNodeSelector), "" when the scheduler chooses
    budget: CompletionBudget | None
    remaining: float | None  # seconds before KubeVirt's completion timeout; None when not counting
    elapsed: float | None  # seconds since the migration was created (until it finished)
    stalled_for: (
        float | None
    )  # seconds since the remaining data last shrank, once a later sample did not; None without bytes
    counters: ByteCounters | None
    created: datetime | None
    finished: datetime | None
    deleted: bool = False  # gone from the cluster; `progress` is its last state
    stalled: bool = False  # samples without a shrink for at least the stall threshold (see the module docstring)
    origin: MigrationOrigin | None = None  # who started it (KubeVirt's evacuation, a workload update, a user)

    @property
    def vm_key(self) -> str:
        return f"{self.namespace}/{self.vm}"

    @property
    def final(self) -> bool:
        return self.progress.final

    @property
    def aborting(self) -> bool:
        return not self.final and self.progress.abort_requested

    @property
    def low_on_time(self) -> bool:
        """Less than a fifth of the completion budget left (or overdue)."""
        return low_on_time(self.remaining, self.budget)

    @property
    def source(self) -> str:
        return self.progress.source_node

    @property
    def target(self) -> str:
        return self.progress.target_node or self.requested_target


@dataclass
class _Record:
    """What the ledger remembers of one migration."""

    migration: Migration
    seen_running: bool  # seen not final by this UI
    deleted_at: datetime | None = None
    last_sample: ByteCounters | None = None  # the newest sample seen
    last_at: datetime | None = None  # its time
    last_remaining: int | None = None  # the remaining data at that sample
    shrunk_at: datetime | None = None  # time of the last sample below the one before it (or of the first)
    scrape_interval: float | None = None  # seconds between the last two samples seen
    view: MigrationView | None = None
    server_epoch: int = 0  # the store's server_went_back when this migration was last seen


@dataclass
class MigrationLedger:
    """Every migration seen since the UI started; views recomputed for the ones that changed."""

    started_at: datetime
    _records: dict[str, _Record] = field(default_factory=dict)
    _by_vm: dict[str, list[str]] = field(default_factory=dict)
    _ended: list[MigrationView] = field(default_factory=list)

    # -- updates ---------------------------------------------------------------------------------

    def update(
        self,
        snapshot: ClusterSnapshot,
        migration_keys: Iterable[str] | None,
        vmi_keys: Iterable[str],
        counters_of: CountersOf,
        now: datetime,
        server_epoch: int = 0,
    ) -> set[str]:
        """Take the changed migrations (None: all) and VMIs from `snapshot`; returns the VM keys whose
        migration view changed.

        `server_epoch` is the store's `server_went_back`: a migration that vanishes after the API server
        came back with other state (restored, failed over, recreated) was not deleted by anyone, so it is
        forgotten instead of being reported as aborted (the VM list shows where the VM is now)."""
        touched: set[str] = set()
        if migration_keys is None:
            keys = set(snapshot.migrations) | {k for k, r in self._records.items() if r.deleted_at is None}
        else:
            keys = set(migration_keys)
        for key in keys:
            migration = snapshot.migrations.get(key)
            record = self._records.get(key)
            if migration is None:
                if record is not None and record.deleted_at is None and server_epoch > record.server_epoch:
                    self._forget(key, record)
                    touched.add(self._vm_key(record.migration))
                elif record is not None and record.deleted_at is None:
                    record.deleted_at = now
                    touched.add(self._vm_key(record.migration))
                continue
            if record is None or record.migration.meta.uid != migration.meta.uid:
                record = _Record(migration, seen_running=not migration.is_final)
                self._records[key] = record
                self._by_vm.setdefault(self._vm_key(migration), [])
                if key not in self._by_vm[self._vm_key(migration)]:
                    self._by_vm[self._vm_key(migration)].append(key)
            else:
                record.migration = migration
                record.seen_running = record.seen_running or not migration.is_final
            record.server_epoch = server_epoch
            touched.add(self._vm_key(migration))
        touched.update(key for key in vmi_keys if key in self._by_vm)
        for vm_key in touched:
            for key in self._by_vm.get(vm_key, ()):
                self._refresh(self._records[key], snapshot, counters_of, now)
        return touched

    def _forget(self, key: str, record: _Record) -> None:
        del self._records[key]
        keys = self._by_vm.get(self._vm_key(record.migration), [])
        if key in keys:
            keys.remove(key)

    def tick(self, snapshot: ClusterSnapshot, counters_of: CountersOf, now: datetime) -> set[str]:
        """Recompute the running migrations (their clocks moved); returns their VM keys."""
        touched = set()
        for record in self._records.values():
            if record.view is not None and not record.view.final:
                self._refresh(record, snapshot, counters_of, now)
                touched.add(self._vm_key(record.migration))
        return touched

    def refresh_counters(self, snapshot: ClusterSnapshot, counters_of: CountersOf, now: datetime) -> set[str]:
        """New byte counters arrived: same as a tick."""
        return self.tick(snapshot, counters_of, now)

    # -- reading ---------------------------------------------------------------------------------

    def view(self, key: str) -> MigrationView | None:
        record = self._records.get(key)
        return record.view if record is not None else None

    def views(self) -> list[MigrationView]:
        """Running migrations (oldest first), then those that finished since the UI started (newest first)."""
        running, finished = self._split(self._finished_since_start)
        return running + finished

    def cluster_views(self) -> tuple[list[MigrationView], list[MigrationView]]:
        """(running oldest first, finished newest first): the finished ones are those still in the cluster
        (KubeVirt keeps the last five of each VMI) and those that ended since the UI started."""
        return self._split(lambda record, view: record.deleted_at is None or self._finished_since_start(record, view))

    def _split(
        self, shows_finished: Callable[[_Record, MigrationView], bool]
    ) -> tuple[list[MigrationView], list[MigrationView]]:
        running, finished = [], []
        for record in self._records.values():
            view = record.view
            if view is None:
                continue
            if not view.final:
                running.append(view)
            elif shows_finished(record, view):
                finished.append(view)
        running.sort(key=lambda v: (_stamp(v.created), v.key))
        finished.sort(key=lambda v: (_stamp(v.finished), v.key), reverse=True)
        return running, finished

    def ended_since_start(self, view: MigrationView) -> bool:
        """Whether a finished migration ended while the UI was up (else it is older history)."""
        record = self._records.get(view.key)
        return record is not None and self._finished_since_start(record, view)

    def running_count(self) -> int:
        return sum(1 for r in self._records.values() if r.view is not None and not r.view.final)

    def for_vm(self, vm_key: str) -> MigrationView | None:
        """The migration the VM list shows for a VM: the newest running one, else the newest that
        finished since the UI started; None otherwise."""
        best: MigrationView | None = None
        for key in self._by_vm.get(vm_key, ()):
            record = self._records[key]
            view = record.view
            if view is None:
                continue
            if view.final and not self._finished_since_start(record, view):
                continue
            if best is None or (not view.final, _stamp(view.created)) > (not best.final, _stamp(best.created)):
                best = view
        return best

    def take_endings(self) -> list[MigrationView]:
        """The migrations seen running that have ended since the last call (for one notice each)."""
        ended, self._ended = self._ended, []
        return ended

    def running_for_vm(self, vm_key: str) -> MigrationView | None:
        view = self.for_vm(vm_key)
        return view if view is not None and not view.final else None

    # -- internals -------------------------------------------------------------------------------

    @staticmethod
    def _vm_key(migration: Migration) -> str:
        return f"{migration.namespace}/{migration.vmi_name}"

    def _finished_since_start(self, record: _Record, view: MigrationView) -> bool:
        """Seen running by this UI (so it ended while the UI was up), or ended after the UI started."""
        return record.seen_running or (view.finished is not None and _stamp(view.finished) >= _stamp(self.started_at))

    def _refresh(self, record: _Record, snapshot: ClusterSnapshot, counters_of: CountersOf, now: datetime) -> None:
        migration = record.migration
        vmi = snapshot.vmis.get(self._vm_key(migration))
        if record.deleted_at is not None and not migration.is_final:
            migration = ended_by_deletion(migration, vmi, record.deleted_at)
        counters = previous = None
        if migration.phase == "Running" and record.deleted_at is None:
            counters, previous = counters_of(migration.namespace, migration.vmi_name)
        budget = completion_budget(snapshot, vmi) if vmi is not None else None
        # The budget lets an abort KubeVirt did on its own be told apart: a timeout or a stall.
        progress = migration_progress(migration, vmi, counters, previous, budget=budget)
        if not progress.source_node and record.view is not None and record.view.source:
            # Ended before hand-off: the migration never recorded a source; the VM was where we saw it.
            progress = replace(progress, source_node=record.view.source)
        state = migration_state_of(migration, vmi)
        remaining = None
        if budget is not None and progress.started is not None and not progress.final:
            remaining = remaining_seconds(budget, state, now)
        created = migration.meta.created
        finished = _finished_at(migration, progress, record.deleted_at) if progress.final else None
        elapsed = ((finished or now) - created).total_seconds() if created is not None else None
        stalled_for, stalled = self._stall(record, counters, now) if not progress.final else (None, False)
        was_running = record.view is not None and not record.view.final
        record.view = MigrationView(
            key=migration.key,
            uid=migration.meta.uid,
            namespace=migration.namespace,
            name=migration.name,
            vm=migration.vmi_name,
            progress=progress,
            requested_target=migration.pinned_node,
            budget=budget,
            remaining=remaining,
            elapsed=max(elapsed, 0.0) if elapsed is not None else None,
            stalled_for=stalled_for,
            counters=counters,
            created=created,
            finished=finished,
            deleted=record.deleted_at is not None,
            stalled=stalled,
            origin=migration_origin(migration, vmi, snapshot.nodes),
        )
        if was_running and record.view.final:
            self._ended.append(record.view)

    @staticmethod
    def _stall(record: _Record, counters: ByteCounters | None, now: datetime) -> tuple[float | None, bool]:
        """(seconds since the remaining data last shrank, stalled): tui.domain.trouble's rule."""
        return observe_sample(record, counters, now)


def ended_by_deletion(migration: Migration, vmi: VMI | None, deleted_at: datetime | None) -> Migration:
    """A migration deleted before the store saw it end, as it really ended: the VMI's migration state
    for its uid says whether the VM moved (completed, not failed, no abort succeeded), whatever the
    deletion suggests; without such a state it was deleted before it finished (an abort, or a deletion
    by someone else). The UI's ledger and `livemig migrate --wait` both judge it here."""
    meta = migration.meta if migration.meta.deleted is not None else replace(migration.meta, deleted=deleted_at)
    state = vmi.migration_state if vmi is not None else None
    if state is not None and migration.meta.uid and state.migration_uid == migration.meta.uid and state.completed:
        moved = not state.failed and state.abort_status != "Succeeded"
        return replace(migration, phase="Succeeded" if moved else "Failed", meta=meta, migration_state=state)
    return replace(migration, phase="Failed", meta=meta)


def _finished_at(migration: Migration, progress: MigrationProgress, deleted_at: datetime | None) -> datetime | None:
    for transition in reversed(migration.phase_transitions):
        if transition.phase in ("Succeeded", "Failed") and transition.at is not None:
            return transition.at
    return progress.ended or deleted_at or migration.meta.deleted


def _stamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else 0.0
