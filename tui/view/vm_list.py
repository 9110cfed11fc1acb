"""The VM list's rows: one summary per VM, recomputed only for the VMs that changed, then filtered and sorted."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from rich.text import Text

from tui.domain.placement import DRAIN_REQUESTED_ANNOTATION, MAINTAIN_STATUS_ANNOTATION
from tui.domain.plan import VMSummary, vm_summary
from tui.domain.reasons import NOT_LIVE_MIGRATABLE, NOT_RUNNING
from tui.domain.snapshot import ClusterSnapshot
from tui.domain.units import human_bytes
from tui.text import clean_line as clean
from tui.view.ledger import MigrationLedger, MigrationView
from tui.view.pending_rows import FACT_KINDS, LISTING, VERDICT_KINDS, facts_summary, is_pending, with_verdict_of
from tui.view.progress_cell import bar, copied_percent, outcome_text, short_countdown
from tui.view.table import Column, TableRow

COLUMNS = (
    Column("name", "Name", 14, priority=0, flex=3),
    Column("namespace", "Namespace", 10, priority=4, flex=1),
    Column("status", "Status", 9, priority=0),
    Column("node", "Node", 16, priority=2, flex=1),
    Column("cpu", "CPU model", 10, priority=5, flex=1),
    Column("memory", "Memory", 8, priority=6, align="right"),
    Column("migratable", "Migratable", 12, priority=3, flex=2),
    Column("migration", "Migration", 20, priority=1),
)
SORTABLE = ("name", "namespace", "status", "node", "cpu", "memory", "migratable", "migration")
SORT_LABELS = {column.key: column.label for column in COLUMNS}

_STATUS_TONE = {
    "Running": "ok",
    "Migrating": "accent bold",
    "Stopped": "dim",
    "Stopping": "dim",
    "Starting": "warning",
    "Provisioning": "warning",
    "Paused": "warning",
    "WaitingForVolumeBinding": "warning",
    "Terminating": "warning",
    LISTING: "dim",
}
# In a cluster of at most this many VMs verdicts are made as changes are applied; in a larger one they
# are made apart, off the UI thread (`VMListModel.due` and `accept`), the rows shown first.
IMMEDIATE_VERDICTS = 200


# Thousands of rows have a few distinct memory sizes: each is worded once.
_memory_text = lru_cache(maxsize=4096)(human_bytes)


def status_text(status: str) -> Text:
    """The VM's status word, coloured; error-like states (ErrorUnschedulable, CrashLoopBackOff, ...) in red."""
    tone = _STATUS_TONE.get(status, "error")
    return Text(clean(status), style=tone)


def short_reason(summary: VMSummary) -> str:
    """The list's reason in a few words: KubeVirt's "DisksNotLiveMigratable" becomes "disks"."""
    reason = summary.reason
    if summary.reason_code == NOT_LIVE_MIGRATABLE and reason.endswith("NotLiveMigratable") and len(reason) > 17:
        words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", reason[: -len("NotLiveMigratable")])
        return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words) or reason
    return reason


def migratable_text(summary: VMSummary) -> Text:
    if is_pending(summary):
        return Text("… pending", style="dim")
    if summary.migratable and summary.warning:
        return Text(f"⚠ yes, {clean(summary.warning)}", style="warning")
    if summary.migratable:
        return Text("✓ yes", style="ok")
    return Text(f"✗ {clean(short_reason(summary))}", style="dim" if summary.reason_code == NOT_RUNNING else "")


def migration_cell(view: MigrationView | None) -> Text:
    """The Migration column: phase or percent and the countdown while one runs; the outcome after."""
    if view is None:
        return Text("")
    progress = view.progress
    if view.final:
        return outcome_text(progress.outcome)
    if view.aborting:
        return Text("Aborting…", style="warning")
    clock = short_countdown(view.remaining)
    warn = view.low_on_time or view.stalled or progress.converging is False
    prefix = "⚠ " if warn else ""
    style = "warning" if warn else "accent"
    if progress.phase == "Running":
        if progress.byte_fraction is not None:
            percent = copied_percent(progress)
            body = f"{bar(progress.byte_fraction, 4)} {percent}"  # the bar is the percentage beside it
        else:
            body = "Copying"
        tail = (" overdue" if clock == "overdue" else f" {clock} left") if clock else ""
        return Text(f"{prefix}{body}{tail}", style=style)
    step = f"{progress.step}/{progress.total_steps} " if progress.step is not None else ""
    return Text(f"{prefix}{step}{clean(progress.phase or 'New')}", style=style)


def node_facts(snapshot: ClusterSnapshot) -> tuple[object, ...]:
    """What the list's node check reads of the cluster: every node's labels, taints, readiness, cordon
    and Harvester maintenance annotations, whether pods are known, and the networks. Rows are
    recomputed when it changes; a node's heartbeat alone changes nothing here."""
    return (
        snapshot.pods_known,
        tuple(sorted(snapshot.nads)),
        tuple(
            sorted(
                (
                    node.name,
                    node.ready,
                    node.unschedulable,
                    frozenset(node.labels.items()),
                    node.taints,
                    node.annotations.get(MAINTAIN_STATUS_ANNOTATION),
                    node.annotations.get(DRAIN_REQUESTED_ANNOTATION),
                )
                for node in snapshot.nodes.values()
            )
        ),
    )


@dataclass(frozen=True)
class ListCounts:
    vms: int
    running: int
    migrating: int
    nodes: int
    nodes_ready: int


def _sort_value(column: str, summary: VMSummary, view: MigrationView | None) -> tuple[Any, ...]:
    key = (summary.namespace, summary.name)
    if column == "name":
        return (summary.name, summary.namespace)
    if column == "namespace":
        return key
    if column == "status":
        return (summary.status, *key)
    if column == "node":
        return (summary.node or "\uffff", *key)
    if column == "cpu":
        return (summary.cpu_model, *key)
    if column == "memory":
        return (summary.memory_bytes if summary.memory_bytes is not None else -1, *key)
    if column == "migratable":
        return (not summary.migratable, summary.reason, *key)
    if column == "migration":
        if view is None:
            rank, left = 2, 0.0
        elif view.final:
            rank, left = 1, 0.0
        else:
            rank, left = 0, view.remaining if view.remaining is not None else float("inf")
        return (rank, left, *key)
    return key


class VMListModel:
    """Summaries and table rows per VM key ("namespace/name"); only changed keys are recomputed.

    A row is shown as soon as its VM is listed; its verdict (the Migratable cell) is made at once for a
    few changed VMs, else left pending and made by `settle` in slices, the keys asked first before the
    others, so the list is on screen before every verdict is made."""

    def __init__(self, immediate: int = IMMEDIATE_VERDICTS) -> None:
        self.immediate = immediate  # at most this many verdicts are made at once in `update`
        self.summaries: dict[str, VMSummary] = {}
        self._rows: dict[str, TableRow] = {}
        self._haystacks: dict[str, str] = {}
        self._node_facts: tuple[object, ...] | None = None
        self._order: list[str] | None = None
        self._order_key: tuple[str, bool] | None = None
        # What rows are sorted by, per key, for the column `_sort_column`; `_unsorted` holds the keys whose
        # value is to be made again (their row or migration changed). A re-sort then reads a dict instead
        # of making 50,000 values, and starts from the last order, which Timsort takes in long runs.
        self._sort_values: dict[str, tuple[Any, ...]] = {}
        self._sort_column: str | None = None
        self._unsorted: set[str] = set()
        self._last_order: list[str] = []
        self._listing: frozenset[str] = frozenset()  # kinds not listed yet when the rows were made
        self.pending: set[str] = set()  # VM keys whose verdict is still to be made
        self._queue: deque[str] = deque()  # the pending keys, in the order `due` offers them
        self._running: set[str] = set()  # VM keys whose status is Running
        self.epoch = 0  # counts the changes that call for every verdict again (nodes, KubeVirt CR, lists)
        self._changes = 0  # counts the rows made or removed (what a filter matched may have changed)
        # The last filter: the order it filtered, `_changes` then, its words, the keys it matched.
        self._matched: tuple[list[str], int, tuple[str, ...], list[str]] | None = None

    def __len__(self) -> int:
        return len(self.summaries)

    @property
    def verdicts_ready(self) -> bool:
        """Whether every kind a verdict reads is listed (before, verdicts stay pending)."""
        return not (self._listing & VERDICT_KINDS)

    def update(
        self,
        snapshot: ClusterSnapshot,
        vm_keys: Iterable[str] | None,
        ledger: MigrationLedger,
        nodes_changed: bool = False,
        kubevirt_changed: bool = False,
        listing: Collection[str] = frozenset(),
        prepared: Mapping[str, VMSummary] | None = None,
    ) -> set[str] | None:
        """Recompute the given VMs (None: every VM); also every VM's verdict when the node facts, the
        KubeVirt CR or the kinds still `listing` changed. `prepared` holds summaries already made from
        this snapshot (in a thread). Returns the keys recomputed (None when all were)."""
        listing = frozenset(listing)
        # Rows read the VMIs and the KubeVirt CR (the CPU model); verdicts read a few kinds more.
        facts_listing_changed = listing & FACT_KINDS != self._listing & FACT_KINDS
        verdicts_listing_changed = listing & VERDICT_KINDS != self._listing & VERDICT_KINDS
        self._listing = listing
        everything = vm_keys is None or kubevirt_changed or verdicts_listing_changed
        pods_known_changed = self._node_facts is not None and self._node_facts[0] != snapshot.pods_known
        if nodes_changed or everything or pods_known_changed:
            facts = node_facts(snapshot)
            if facts != self._node_facts:
                self._node_facts = facts
                everything = True
        named = set(vm_keys or ())
        keys = set(snapshot.vms) | set(self.summaries) if everything else named
        if everything:
            self.epoch += 1  # verdicts made from an earlier snapshot read other nodes or rules
        # In a small cluster verdicts are made now; in a large one, where the first verdict of a snapshot
        # builds its indexes, they are made apart (`due`, then `accept`), the rows shown meanwhile with
        # what is known of them and the verdict they had.
        at_once = self.verdicts_ready and len(snapshot.vms) <= self.immediate
        prepared = prepared or {}
        changed = set()
        reorder = False
        sort = self._order_key[0] if self._order_key is not None else ""
        for key in keys:
            vm = snapshot.vms.get(key)
            before = self.summaries.get(key)
            if vm is None:
                if self.summaries.pop(key, None) is not None:
                    self._changes += 1
                    self._rows.pop(key, None)
                    self._haystacks.pop(key, None)
                    self._sort_values.pop(key, None)
                    self._running.discard(key)
                    changed.add(key)
                    reorder = True
                self.pending.discard(key)
                continue
            summary = prepared.get(key) if self.verdicts_ready else None
            if summary is not None or at_once:
                summary = summary or vm_summary(snapshot, vm)
                self.pending.discard(key)
            else:
                if key not in self.pending:
                    self.pending.add(key)
                    self._queue.append(key)
                if before is not None and key not in named and not facts_listing_changed and vm_keys is not None:
                    # Nothing of its own changed: its row stays as it is until its verdict is made again.
                    continue
                summary = facts_summary(snapshot, vm, listing)
                if before is not None and not is_pending(before):
                    summary = with_verdict_of(summary, before)
            view = ledger.for_vm(key)
            self._put(key, summary, view)
            changed.add(key)
            # Sorting 10,000 rows costs more than the rest of a batch: only when a row's place may move.
            if before is None or _sort_value(sort, before, view) != _sort_value(sort, summary, view):
                reorder = True
        if reorder:
            self._order = None
        return None if everything else changed

    def due(self, first: Iterable[str] = (), limit: int = 1000) -> list[str]:
        """The pending verdicts to make next: those of `first` (the rows on screen, the cursor's VM), then
        the others in the order they became pending; at most `limit`. Nothing before `verdicts_ready`."""
        if not self.pending or not self.verdicts_ready:
            return []
        chosen = list(dict.fromkeys(key for key in first if key in self.pending))[:limit]
        seen = set(chosen)
        queue = self._queue
        while queue and queue[0] not in self.pending:
            queue.popleft()
        for key in queue:
            if len(chosen) >= limit:
                break
            if key in self.pending and key not in seen:
                chosen.append(key)
                seen.add(key)
        return chosen

    def accept(
        self,
        made_from: ClusterSnapshot,
        epoch: int,
        summaries: Mapping[str, VMSummary],
        snapshot: ClusterSnapshot,
        ledger: MigrationLedger,
    ) -> set[str]:
        """Take verdicts made from `made_from` when the model's `epoch` was `epoch`: those of VMs whose VM
        and VMI are still the same objects in `snapshot` (the others stay pending). Returns the keys shown anew."""
        if epoch != self.epoch:
            return set()
        sort = self._order_key[0] if self._order_key is not None else ""
        changed: set[str] = set()
        for key, summary in summaries.items():
            before = self.summaries.get(key)
            if (
                key not in self.pending
                or before is None
                or snapshot.vms.get(key) is not made_from.vms.get(key)
                or snapshot.vmis.get(key) is not made_from.vmis.get(key)
            ):
                continue
            self.pending.discard(key)
            view = ledger.for_vm(key)
            if summary != before:
                self._put(key, summary, view)
                changed.add(key)
                if _sort_value(sort, before, view) != _sort_value(sort, summary, view):
                    self._order = None
        if not self.pending:
            self._queue.clear()
        return changed

    def settle(
        self, snapshot: ClusterSnapshot, ledger: MigrationLedger, first: Iterable[str] = (), limit: int = 1000
    ) -> set[str]:
        """Make up to `limit` pending verdicts now, `first` first (see `due`); returns the keys shown anew."""
        made = {}
        for key in self.due(first, limit):
            vm = snapshot.vms.get(key)
            if vm is not None:
                made[key] = vm_summary(snapshot, vm)
        return self.accept(snapshot, self.epoch, made, snapshot, ledger)

    def _put(self, key: str, summary: VMSummary, view: MigrationView | None) -> None:
        self._changes += 1
        self.summaries[key] = summary
        self._haystacks[key] = " ".join((summary.name, summary.namespace, summary.node, summary.status)).lower()
        self._rows[key] = self._row(key, summary, view)
        self._unsorted.add(key)
        if summary.status == "Running":
            self._running.add(key)
        else:
            self._running.discard(key)

    def refresh_migrations(self, vm_keys: Iterable[str], ledger: MigrationLedger) -> None:
        """Rebuild the rows of these VMs from their (re-computed) migration views."""
        for key in vm_keys:
            summary = self.summaries.get(key)
            if summary is not None:
                self._rows[key] = self._row(key, summary, ledger.for_vm(key))
                self._unsorted.add(key)
        if self._order_key is not None and self._order_key[0] == "migration":
            self._order = None

    def _row(self, key: str, summary: VMSummary, view: MigrationView | None) -> TableRow:
        # Made when drawn: a list of 10,000 VMs is remade whole as its lists arrive, and shows a few dozen.
        return TableRow(key, make=partial(_vm_cells, summary, view))

    def rows(
        self, filter_text: str, sort: str, reverse: bool, view_of: Callable[[str], MigrationView | None]
    ) -> list[TableRow]:
        """The rows to show: those matching every word of `filter_text` (name, namespace, node, status),
        sorted by column `sort`."""
        if self._order is None or self._order_key != (sort, reverse):
            self._order, self._order_key = self._sorted(sort, reverse, view_of), (sort, reverse)
        words = tuple(filter_text.lower().split())
        if not words:
            return [self._rows[key] for key in self._order]
        # Typing a filter narrows it: the keys the last one matched, while nothing changed since, are
        # all that the longer one can match (50,000 rows are not searched again on each key).
        keys: list[str] = self._order
        last = self._matched
        if last is not None and last[0] is self._order and last[1] == self._changes:
            if all(any(old in word for word in words) for old in last[2]):
                keys = last[3]
        haystacks = self._haystacks
        matched = [key for key in keys if all(word in haystacks[key] for word in words)]
        self._matched = (self._order, self._changes, words, matched)
        return [self._rows[key] for key in matched]

    def _sorted(self, sort: str, reverse: bool, view_of: Callable[[str], MigrationView | None]) -> list[str]:
        summaries, values = self.summaries, self._sort_values
        if sort != self._sort_column:
            values.clear()
            self._sort_column = sort
            self._unsorted = set(summaries)
        for key in self._unsorted:
            summary = summaries.get(key)
            if summary is not None:
                values[key] = _sort_value(sort, summary, view_of(key))
        self._unsorted = set()
        # The last order with the rows gone since left out and the new ones after it: long sorted runs.
        base = [key for key in self._last_order if key in summaries]
        if len(base) < len(summaries):
            known = set(base)
            base += [key for key in summaries if key not in known]
        keys = sorted(base, key=values.__getitem__, reverse=reverse)
        self._last_order = keys
        return keys

    def counts(self, snapshot: ClusterSnapshot, ledger: MigrationLedger) -> ListCounts:
        # "running" and "migrating" add up as the Status column reads: a VM being migrated is counted once,
        # as migrating, even while its status still says Running.
        migrating_running = {view.vm_key for view in ledger.views() if not view.final and view.vm_key in self._running}
        running = len(self._running) - len(migrating_running)
        nodes_ready = sum(1 for node in snapshot.nodes.values() if node.ready is True)
        return ListCounts(len(self.summaries), running, ledger.running_count(), len(snapshot.nodes), nodes_ready)


def _vm_cells(summary: VMSummary, view: MigrationView | None) -> Mapping[str, object]:
    cells: Mapping[str, object] = {
        "name": summary.name,
        "namespace": summary.namespace,
        "status": status_text(summary.status),
        "node": summary.node or "-",
        "cpu": summary.cpu_model,
        "memory": (
            LISTING
            if summary.node == LISTING
            else _memory_text(summary.memory_bytes)
            if summary.memory_bytes is not None
            else "-"
        ),
        "migratable": migratable_text(summary),
        "migration": migration_cell(view),
    }
    return cells
