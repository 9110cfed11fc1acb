"""The live view of the cluster the screens read, without Textual: the snapshot, the migrations ledger,
the VM list model, the connection, the permissions, the guards on migrate and abort, and what each
action may do now.

The app feeds it (change batches, clock ticks, byte counters, access answers, action results) and
tells the screens what changed; screens read it and never reach the session for what it holds.
"""

from __future__ import annotations

import time

from tui.cluster.access import ABORT, MIGRATE, Permission
from tui.domain.plan import Plan, VMSummary, plan_for
from tui.domain.reasons import NO_ELIGIBLE_NODE
from tui.domain.snapshot import ClusterSnapshot
from tui.view.connection import ConnectionSummary, connection_summary, listing, listing_words, settled
from tui.view.header import HeaderFacts
from tui.view.ledger import MigrationLedger
from tui.view.pending_rows import VERDICT_KINDS, is_pending
from tui.view.session import Session
from tui.view.vm_list import VMListModel

# A migration asked for is guarded (no second one of that VM) until the store shows it, or this long.
STARTING_GUARD_SECONDS = 30.0
# The kinds a plan reads beyond its own VM and VMI: a change of any makes every plan again.
PLAN_KINDS = frozenset({"nodes", "pods", "migrations", "kubevirts", "policies", "nads", "namespaces"})

READONLY_REASON = "livemig runs read-only (--readonly)"


class LiveView:
    """What the UI shows of one session, updated by `apply`, `tick` and `refresh_counters`."""

    def __init__(self, session: Session, readonly: bool) -> None:
        self.session = session
        self.readonly = readonly
        self.started_at = session.now()
        self.ledger = MigrationLedger(self.started_at)
        self.vm_list = VMListModel()
        self.snapshot = ClusterSnapshot()
        # The snapshot plans are made from: the newest one that differs from `snapshot` only in the VMs
        # and VMIs of `_plan_changed`. A plan reads no other VM's objects, so it is the same there for
        # any other VM, and the indexes it built (pods by node, node usage) are kept.
        self._plan_base = self.snapshot
        self._plan_changed: set[str] = set()
        self._blockers: dict[str, str] = {}  # VM key -> its plan's first blocker, while still true
        states = session.store.states()
        self.connection: ConnectionSummary = connection_summary(states)
        self._listed = settled(states)  # kinds that were listed (or refused) at least once
        self.listing: tuple[str, ...] = listing(states, self._listed)  # kinds not listed yet
        self._permissions: dict[tuple[str, str], Permission] = {}
        self._checking: set[str] = set()  # namespaces whose permissions are asked or known
        self.starting: dict[str, float] = {}  # VM key -> when its migration was asked for (time.monotonic)
        self._started_names: dict[str, str] = {}  # VM key -> migration created, until the store shows it
        self.aborting: set[str] = set()  # migration keys whose abort is on its way

    # -- updates ---------------------------------------------------------------------------------

    def apply(
        self,
        changed: dict[str, set[str]] | None = None,
        connection: bool = False,
        full: bool = False,
        snapshot: ClusterSnapshot | None = None,
        prepared: dict[str, VMSummary] | None = None,
    ) -> tuple[frozenset[str] | None, bool]:
        """Take a change batch (or everything, `full`); returns the VM keys whose rows changed (None:
        all) and whether the connection is to be shown again. `prepared`: VM summaries already made
        from `snapshot`."""
        store = self.session.store
        if full or connection:
            # The kinds listed, then a snapshot that holds at least what they listed (a snapshot taken
            # before a kind's list was stored would show its objects missing, and as listed).
            states = store.states()
            self._listed |= settled(states)
            self.listing = listing(states, self._listed)
            snapshot, prepared = None, None
        snapshot = snapshot if snapshot is not None else store.snapshot()
        self.snapshot = snapshot
        if full or connection or PLAN_KINDS & (changed or {}).keys():
            self._plan_base, self._plan_changed = snapshot, set()
            self._blockers.clear()
        else:
            for kind in ("vms", "vmis"):
                for key in (changed or {}).get(kind, ()):
                    self._plan_changed.add(key)
                    self._blockers.pop(key, None)
        now = self.session.now()
        counters = self.session.metrics.counters
        changed = changed or {}
        if full:
            touched = self.ledger.update(snapshot, None, snapshot.vmis.keys(), counters, now, store.server_went_back)
            self.vm_list.update(snapshot, None, self.ledger, listing=self.listing, prepared=prepared)
            self.vm_list.refresh_migrations(touched, self.ledger)
            vm_keys: frozenset[str] | None = None
            connection = True
        else:
            touched = set()
            if "migrations" in changed or "vmis" in changed:
                touched = self.ledger.update(
                    snapshot,
                    changed.get("migrations", ()),
                    changed.get("vmis", ()),
                    counters,
                    now,
                    store.server_went_back,
                )
            keys = set(changed.get("vms", ())) | set(changed.get("vmis", ()))
            recomputed = self.vm_list.update(
                snapshot,
                keys | touched,
                self.ledger,
                nodes_changed=bool({"nodes", "nads"} & changed.keys()),
                kubevirt_changed="kubevirts" in changed,
                listing=self.listing,
                prepared=prepared,
            )
            vm_keys = None if recomputed is None else frozenset(recomputed | touched)
            if recomputed is None:
                self.vm_list.refresh_migrations(touched, self.ledger)
        self.settle_guards()
        if connection:
            self.connection = connection_summary(store.states())
        return vm_keys, connection

    def settle(self, first: tuple[str, ...] = (), limit: int = 1000) -> frozenset[str]:
        """Make up to `limit` pending verdicts now, `first` first; returns the VM keys shown anew."""
        return frozenset(self.vm_list.settle(self.snapshot, self.ledger, first, limit))

    def verdicts_due(self, first: tuple[str, ...] = (), limit: int = 1000) -> tuple[ClusterSnapshot, int, list[str]]:
        """What to make verdicts from (apart, in a thread): the snapshot, the model's epoch, the VM keys."""
        return self.snapshot, self.vm_list.epoch, self.vm_list.due(first, limit)

    def verdicts_made(self, made_from: ClusterSnapshot, epoch: int, summaries: dict[str, VMSummary]) -> frozenset[str]:
        """Take verdicts made apart (see `verdicts_due`); returns the VM keys shown anew."""
        return frozenset(self.vm_list.accept(made_from, epoch, summaries, self.snapshot, self.ledger))

    def tick(self) -> frozenset[str]:
        """The cluster's clock moved: the running migrations' views again; returns their VM keys."""
        touched = self.ledger.tick(self.snapshot, self.session.metrics.counters, self.session.now())
        self.vm_list.refresh_migrations(touched, self.ledger)
        return frozenset(touched)

    def refresh_counters(self) -> frozenset[str]:
        """New byte counters arrived; returns the VM keys whose migration view changed."""
        touched = self.ledger.refresh_counters(self.snapshot, self.session.metrics.counters, self.session.now())
        self.vm_list.refresh_migrations(touched, self.ledger)
        return frozenset(touched)

    def settle_guards(self) -> None:
        """Forget a migration's start guard once the store shows it (or it never came)."""
        now = time.monotonic()
        for vm_key, name in list(self._started_names.items()):
            namespace = vm_key.partition("/")[0]
            if (
                f"{namespace}/{name}" in self.snapshot.migrations
                or now - self.starting.get(vm_key, 0.0) > STARTING_GUARD_SECONDS
            ):
                self._started_names.pop(vm_key, None)
                self.starting.pop(vm_key, None)
        for key in list(self.aborting):
            migration = self.snapshot.migrations.get(key)
            if migration is None or migration.meta.deleted is not None or migration.is_final:
                self.aborting.discard(key)

    # -- migrate and abort guards ----------------------------------------------------------------

    def migration_asked(self, vm_key: str) -> None:
        self.starting[vm_key] = time.monotonic()

    def migration_answered(self, vm_key: str, created: str | None) -> None:
        """The create call answered: the migration's name, or None when none was created."""
        if created is not None:
            self._started_names[vm_key] = created
        else:
            self.starting.pop(vm_key, None)
        self.settle_guards()

    # -- permissions -----------------------------------------------------------------------------

    def permission(self, action: str, namespace: str) -> Permission | None:
        if self.readonly:
            return Permission(False, READONLY_REASON)
        return self._permissions.get((action, namespace))

    def needs_permissions(self, namespace: str) -> bool:
        """Whether the permissions of `namespace` are still to be asked (then they count as asked)."""
        if self.readonly or not namespace or namespace in self._checking:
            return False
        self._checking.add(namespace)
        return True

    def permission_checked(self, action: str, namespace: str, permission: Permission) -> None:
        self._permissions[(action, namespace)] = permission

    def forget_permissions(self) -> None:
        self._permissions.clear()
        self._checking.clear()

    # -- what screens ask ------------------------------------------------------------------------

    def plan(self, vm_key: str) -> Plan | None:
        namespace, _, name = vm_key.partition("/")
        if vm_key not in self.snapshot.vms and vm_key not in self.snapshot.vmis:
            return None
        if vm_key in self._plan_changed:
            self._plan_base, self._plan_changed = self.snapshot, set()
        return plan_for(self._plan_base, namespace, name, self.session.now())

    def known_blocker(self, vm_key: str) -> str | None:
        """The first reason the VM's plan gives why it cannot move ("" for none), if the plan was made
        since the VM or what plans read last changed; None when it must be made again."""
        return self._blockers.get(vm_key)

    def first_blocker(self, vm_key: str) -> str:
        """The first reason the VM's plan gives why it cannot move ("" for none), made now if not known."""
        known = self._blockers.get(vm_key)
        if known is None:
            plan = self.plan(vm_key)
            first = plan.blockers[0] if plan is not None and not plan.migratable and plan.blockers else None
            known = self._blockers[vm_key] = f"{first.code}: {first.message}" if first is not None else ""
        return known

    def header_facts(self, shown: int | None = None, sort: str = "", filter_text: str = "") -> HeaderFacts:
        counts = self.vm_list.counts(self.snapshot, self.ledger)
        kubevirt = self.snapshot.kubevirt
        version = ".".join(str(p) for p in kubevirt.version) if kubevirt is not None and kubevirt.version else ""
        return HeaderFacts(
            context=self.session.context_name,
            scope=self.scope_words(),
            kubevirt=version or (kubevirt.version_text if kubevirt is not None else ""),
            readonly=self.readonly,
            connection=self.connection,
            vms=counts.vms,
            running=counts.running,
            migrating=counts.migrating,
            nodes=counts.nodes,
            nodes_ready=counts.nodes_ready,
            shown=shown,
            sort=sort,
            filter_text=filter_text,
            checking=len(self.vm_list.pending) if self.vm_list.verdicts_ready else 0,
        )

    def pending_words(self) -> str:
        """Why verdicts are not made yet, in a few words: the kinds they wait for, or the checks left."""
        waiting = [kind for kind in self.listing if kind in VERDICT_KINDS]
        if waiting:
            return listing_words(tuple(waiting)) + " first"
        return f"{len(self.vm_list.pending):,} VMs left to check"

    def scope_words(self) -> str:
        """The namespaces shown, in a few words for the header."""
        namespaces = self.session.namespaces
        if not namespaces:
            return "all namespaces"
        return ("namespace " if len(namespaces) == 1 else "namespaces ") + ", ".join(namespaces)

    def action_state(self, action: str, vm_key: str | None) -> tuple[bool | None, str]:
        """Whether migrate or abort applies to the VM now: True, None (shown dimmed) or False (hidden),
        and when not, why, in a sentence."""
        if self.readonly:
            return False, f"{READONLY_REASON}: it changes nothing."
        if not vm_key:
            return None, "No VM is selected."
        namespace, _, name = vm_key.partition("/")
        if self.connection.stale:
            # What is shown may be out of date, and the answer to a change might not come back.
            return None, "The connection to the API server is lost; wait until it is back (see the banner)."
        permission = self.permission(action, namespace)
        if permission is not None and not permission.allowed:
            return None, f"Not allowed: {permission.reason}."
        if action == MIGRATE:
            if vm_key in self.starting:
                return None, f"A migration of {name} is being started."
            running = self.ledger.running_for_vm(vm_key)
            if running is not None:
                return None, f"{name} is being migrated now ({running.name}); wait for it to end or abort it."
            summary = self.vm_list.summaries.get(vm_key)
            if summary is None:
                return None, f"{name} is not in the list."
            if is_pending(summary):
                return None, f"{name} is still being checked: {self.pending_words()}."
            # With no node able to take it, the key still opens the picker: it shows every node's reasons.
            if not summary.migratable and summary.reason_code != NO_ELIGIBLE_NODE:
                return None, f"{name} cannot be migrated: {summary.reason}. Press enter for every reason."
            return True, ""
        if action == ABORT:
            running = self.ledger.running_for_vm(vm_key)
            if running is None:
                return None, f"{name} has no running migration to abort."
            if running.aborting or running.key in self.aborting:
                return None, f"Migration {running.name} is already being aborted."
            return True, ""
        return True, ""
