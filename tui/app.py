"""The terminal UI's app: themes, keys, the live view of the cluster, and the workers that call the API.

    code = run_app(session, readonly=False, theme=None)   # blocks until the operator quits

The app never blocks on the network: store change batches arrive from the store's thread and are
gathered in an inbox, applied at most ~10 times a second and only for the VMs that changed; every
API call (migrate, abort, access reviews) runs in a thread worker that reports back with a message.
Time is the session's `now()`, the cluster's clock.

Keys come first: a batch waits in the inbox while keys wait or one is on its way through the widgets,
and is applied once they have acted and the screen shows it (at most BATCH_HOLD_SECONDS late), so a
key answers in the time it takes itself, whatever the cluster does. A batch's snapshot is taken in a
thread first; where a batch is still slow to apply, batches are spaced by three times what it took the
UI thread, so changes coalesce and the UI thread stays mostly free.

Rows come before verdicts: in a large cluster a changed VM's row shows its new facts at once (with
the verdict it had, or "pending"), and verdicts are made in a thread a chunk at a time, the rows on
screen and the cursor's VM first (`_make_verdicts`), since the first verdict of a snapshot builds its
indexes.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer

from tui.cluster.access import ABORT, MIGRATE, SET_CPU_MODEL, Permission
from tui.cluster.actions import ActionResult
from tui.cluster.connection import ConnectionStatus
from tui.cluster.metrics import UNAVAILABLE
from tui.cluster.store import ChangeBatch
from tui.config import merged_keymap
from tui.crash_report import CrashReport
from tui.domain.phases import Outcome
from tui.domain.plan import VMSummary, plan_for, vm_summary
from tui.domain.reasons import NO_ELIGIBLE_NODE
from tui.domain.snapshot import ClusterSnapshot
from tui.evacuation_flow import EvacuationFlow
from tui.exit_report import still_running
from tui.messages import (
    AbortRequested,
    ByteProgressChanged,
    ChangesPrepared,
    ClusterChanged,
    MigrationStarted,
    PermissionChecked,
    VerdictsMade,
    ViewUpdated,
)
from tui.screens import scopes
from tui.screens.commands import LivemigCommands
from tui.screens.question import holds_notices, is_question
from tui.themes import choose_theme, sixteen_colour_theme
from tui.typeahead import TypeAhead
from tui.view.inbox import ChangeInbox
from tui.view.ledger import MigrationView
from tui.view.model import PLAN_KINDS, LiveView
from tui.widgets.dialog_keys import bound_keys
from tui.widgets.keymap import (
    Scope,
    clashes,
    keyless,
    lost_keys,
    parse_keymap,
)
from tui.widgets.literal import clean

TICK_SECONDS = 1.0
OUTCOME_NOTICE_SECONDS = 6.0
# Cluster changes wait for keys being typed at most this long: the list never lags further behind.
BATCH_HOLD_SECONDS = 0.5
# A batch waits at least this many times as long as the last one took the UI thread (at most the maximum).
BATCH_SPACING = 3.0
BATCH_GAP_MAX_SECONDS = 1.0
# The cycle collector's thresholds once the first lists are frozen (Python's are 700, 10, 10).
GC_THRESHOLDS = (2000, 10, 100)
# Pending verdicts are made in a thread, this many at a time (the rows on screen first), the next chunk
# at once while a backlog lasts, else after this many times as long as the last one took.
VERDICT_CHUNK = 500
VERDICT_GAP_SECONDS = 0.005
VERDICT_SPACING = 4.0


def process_age() -> float | None:
    """Seconds since this process started (Linux /proc), None where that cannot be read."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat, open("/proc/uptime", encoding="ascii") as uptime:
            fields = stat.read().rpartition(")")[2].split()
            started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
            return max(float(uptime.read().split()[0]) - started, 0.0)
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def styles_dir() -> Path:
    """The .tcss files: inside the package when installed from a wheel, else the source tree's styles/."""
    packaged = Path(__file__).resolve().parent / "styles"
    if (packaged / "livemig.tcss").is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "styles"


@dataclass(frozen=True)
class _Notice:
    message: str
    title: str
    severity: SeverityLevel
    timeout: float | None
    markup: bool


class LivemigApp(TypeAhead, CrashReport, EvacuationFlow):
    """livemig's terminal UI over one `ClusterSession`."""

    TITLE = "livemig"
    CSS_PATH = [styles_dir() / "livemig.tcss"]
    COMMANDS = App.COMMANDS | {LivemigCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        # Ctrl+C quits, as in k9s or htop (Textual's own ctrl+c only says which key quits): the same action
        # as q, so the same words after quitting. A priority key, so it quits from a question, help or the
        # filter too.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.interrupt"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("M", "migrations", "Migrations", id="app.migrations"),
        Binding("K", "switch_context", "Context", show=False, id="app.context"),
        Binding("n", "switch_namespace", "Namespace", show=False, id="app.namespace"),
        Binding("N", "nodes", "Nodes", show=False, id="app.nodes"),
        # Textual's own palette binding has no id, so a keymap could not move it: this one replaces it.
        Binding(
            App.COMMAND_PALETTE_BINDING,
            "command_palette",
            "palette",
            show=False,
            key_display=App.COMMAND_PALETTE_DISPLAY,
            priority=True,
            id="app.command_palette",
        ),
    ]

    def __init__(
        self,
        session: Any,
        *,
        readonly: bool = False,
        theme: str | None = None,
        environ: Mapping[str, str] | None = None,
        tick_seconds: float = TICK_SECONDS,
        freeze_first_lists: bool = False,
    ) -> None:
        self.launched = time.perf_counter()
        super().__init__(driver_class=terminal_driver())
        self.session = session
        self.readonly = bool(readonly or getattr(session, "readonly", False))
        self.register_theme(sixteen_colour_theme())
        self.theme = choose_theme(theme, os.environ if environ is None else environ)
        self.tick_seconds = tick_seconds
        # gc.freeze() once the first lists are in: for the process that runs the UI only (run_app), as it
        # keeps whatever is alive then, this app included, from the cycle collector for good.
        self.freeze_first_lists = freeze_first_lists
        self.live = LiveView(session, self.readonly)  # what the screens read
        self._batch_held_since: float | None = None  # when a batch began to wait for keys
        self._preparing = False  # a thread prepares the changes taken from the inbox
        self._prepared: ChangesPrepared | None = None  # prepared, waiting to be applied
        self._wake_timer: Timer | None = None  # takes a waiting batch up again
        self._apply_cost = 0.0  # seconds the last batch took to apply
        self._verdicts_due: Timer | None = None  # verdicts are to be made, or being made
        self._verdict_job: tuple[ClusterSnapshot, int, list[str]] | None = None  # for the verdicts' worker
        self._prepare_job: tuple[dict[str, set[str]], bool, str | None] | None = None  # for `_prepare`
        self._verdicts_frozen = False  # the first verdicts were made and frozen (freeze_first_lists)
        self._applied_at = 0.0  # when it was applied (time.monotonic)
        self.keymap: dict[str, str] = {}
        self.keymap_notes: list[str] = []  # what LIVEMIG_KEYMAP could not do, said at start
        self.config_problem = ""  # why the config file is not used, said at start
        self.first_list_seconds: float | None = None  # from this app's creation to the first full VM list
        self.ready_after: float | None = None  # from the process's start, where the system says when that was
        self._inbox = ChangeInbox()
        self._monitoring_told = False
        self._server_went_back_told = 0
        self._held_notices: list[_Notice] = []  # said while a question or help was open, shown once it closes
        # While True, cluster changes wait in the inbox: the picture holds still (snapshots, screenshots).
        self.updates_paused = False

    # -- start and stop --------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        """The VM list is the bottom of the screen stack: going back always ends there."""
        from tui.screens.vm_list import VMListScreen

        return VMListScreen()

    def on_mount(self) -> None:
        self.session.store.subscribe(self._store_changed)
        self.session.metrics.subscribe(self._metrics_changed)
        self._apply(full=True)
        self.set_interval(self.tick_seconds, self._tick, name="countdown")
        self._tell_keymap()
        if self.config_problem:
            self.notify(clean(self.config_problem), title="Config file", severity="warning", timeout=30, markup=False)

    def _store_changed(self, batch: ChangeBatch) -> None:
        # The store's dispatcher thread: gather, and wake the UI only if it is not already coming.
        if self._inbox.add(batch):
            self.post_message(ClusterChanged())

    async def action_help_quit(self) -> None:
        """Textual's own ctrl+c binding (should a keymap move app.interrupt away) quits too, as q does."""
        await self.action_quit()

    def _metrics_changed(self) -> None:
        self.post_message(ByteProgressChanged())

    def set_keymap(self, keymap: Mapping[str, str]) -> None:
        self.keymap = dict(keymap)
        super().set_keymap(keymap)

    def use_keymap(self, text: str) -> list[str]:
        """Take LIVEMIG_KEYMAP's text: what works is used; what was ignored, and the keys one binding
        now takes from another, are returned and told in a toast when the UI starts."""
        if not text.strip():
            return []  # nothing to rebind: the screens' bindings need not be gathered (nor imported) now
        keymap, notes = parse_keymap(text, binding_ids())
        if keymap:
            self.set_keymap(keymap)
            notes += clashes(keymap, key_scopes(), priority_bindings())
        self.keymap_notes = notes
        return notes

    def keys_lost(self) -> dict[str, dict[str, list[str]]]:
        """binding id -> key -> screens where the keymap gave that key to another binding."""
        return lost_keys(self.keymap, key_scopes(), priority_bindings()) if self.keymap else {}

    def _tell_keymap(self) -> None:
        if self.keymap_notes:
            # A sentence starts with a capital unless it starts with a binding id ("vms.sort: ...").
            told = "\n".join(
                clean(f"{note[:1].upper() if '.' not in note.split()[0] else note[:1]}{note[1:]}.")
                for note in self.keymap_notes
            )
            self.notify(told, title="LIVEMIG_KEYMAP", severity="warning", timeout=30, markup=False)

    # -- applying changes ------------------------------------------------------------------------

    def on_cluster_changed(self, message: ClusterChanged) -> None:
        if self.updates_paused:
            return
        # Behind the keys already in the app's queue: they go first.
        self.call_later(self._apply_inbox)

    def _apply_inbox(self) -> None:
        """Take the next step with the changes gathered: hold them for keys, space them, prepare them in
        a thread, apply them. Called on ClusterChanged, by timers, when keys are done and when a batch
        is prepared."""
        if self.updates_paused or not self.screen_stack:  # no screens: the app is closing
            return
        now = time.monotonic()
        if self._keys.pending and (self._prepared is not None or self._inbox.waiting()):
            if self._batch_held_since is None:
                self._batch_held_since = now
            left = BATCH_HOLD_SECONDS - (now - self._batch_held_since)
            if left > 0:
                self._wake_in(left)  # or sooner, when the keys have acted (keys_done)
                return
        if self._prepared is not None:
            ready, self._prepared = self._prepared, None
            self._batch_held_since = None
            started = time.perf_counter()
            self._apply(
                changed=ready.changed, connection=ready.connection, snapshot=ready.snapshot, prepared=ready.summaries
            )
            ready.snapshot, ready.summaries = None, None  # a message may outlive its handling in a cycle
            self._apply_cost = time.perf_counter() - started  # the UI thread's share: preparing runs beside it
            self._applied_at = time.monotonic()
            if self._inbox.waiting():
                self._wake_in(min(BATCH_SPACING * self._apply_cost, BATCH_GAP_MAX_SECONDS))
            return
        if self._preparing:
            return  # taken up again when it is prepared
        # Where applying a batch is slow (thousands of VMs), batches are spaced so that applying them
        # takes at most about a tenth of the time; the changes meanwhile gather in the inbox.
        gap = min(BATCH_SPACING * self._apply_cost, BATCH_GAP_MAX_SECONDS) - (now - self._applied_at)
        if gap > 0:
            self._wake_in(gap)
            return
        changed, connection = self._inbox.take()
        if not (changed or connection):
            return
        self._preparing = True
        focus = getattr(self.screen, "highlighted", None) or getattr(self.screen, "vm_key", None)
        # As for verdicts: the job is left here, not passed (@work would spell out thousands of keys).
        self._prepare_job = (changed, connection, focus if isinstance(focus, str) else None)
        self.run_worker(self._prepare, thread=True, exit_on_error=False, group="changes", description="changes")

    def _prepare(self) -> None:
        """In a thread: the snapshot of the changes left by `_apply_inbox`, with what applying them needs
        already made (a small cluster's changed VMs' summaries, the focused VM's plan), so the UI thread
        only puts them on screen."""
        started = time.perf_counter()
        job, self._prepare_job = self._prepare_job, None
        if job is None:
            return
        changed, connection, focus = job
        snapshot: ClusterSnapshot | None = None
        summaries: dict[str, VMSummary] = {}
        try:
            snapshot = self.session.store.snapshot()
            # In a large cluster the changed VMs' verdicts are made apart (_make_verdicts): here the
            # first would build the new snapshot's indexes, and every batch would wait for that.
            if len(snapshot.vms) <= self.live.vm_list.immediate:
                for key in set(changed.get("vms", ())) | set(changed.get("vmis", ())):
                    vm = snapshot.vms.get(key)
                    if vm is not None:
                        summaries[key] = vm_summary(snapshot, vm)
            if focus and PLAN_KINDS & changed.keys():
                namespace, _, name = focus.partition("/")
                plan_for(snapshot, namespace, name, self.session.now())
        except Exception:  # preparing is only an advance: the UI thread computes what it needs anyway,
            pass  # and the changes must reach it whatever happened here
        self.post_message(ChangesPrepared(changed, connection, snapshot, time.perf_counter() - started, summaries))

    def on_changes_prepared(self, message: ChangesPrepared) -> None:
        self._preparing = False
        self._prepared = message
        self._apply_inbox()

    def _wake_in(self, seconds: float) -> None:
        if self._wake_timer is None:
            self._wake_timer = self.set_timer(max(seconds, 0.01), self._woken, name="batch waits")

    def _woken(self) -> None:
        self._wake_timer = None
        self._apply_inbox()

    def keys_done(self) -> None:
        """No key waits any more: a batch held for them is applied once the screen shows what they did."""
        if self._batch_held_since is not None or self._prepared is not None:
            self.call_after_refresh(self._apply_inbox)

    def _apply(
        self,
        changed: dict[str, set[str]] | None = None,
        connection: bool = False,
        full: bool = False,
        snapshot: ClusterSnapshot | None = None,
        prepared: dict[str, VMSummary] | None = None,
    ) -> None:
        vm_keys, connection = self.live.apply(changed, connection, full, snapshot, prepared)
        self._tell_endings()
        self._tell_server_went_back(self.session.store.server_went_back)
        if self.first_list_seconds is None and self.live.connection.level != ConnectionStatus.STARTING:
            self.first_list_seconds = time.perf_counter() - self.launched
            age = process_age()
            self.ready_after = age if age is not None else self.first_list_seconds
            if self.freeze_first_lists:
                # The first lists are most of what stays in memory: out of the collector's sight, a full
                # collection no longer walks them (at 10,000 VMs one froze the screen for 1.5 s).
                # Replaced objects still go when their last reference does.
                gc.freeze()
                # With so little left in its sight, the collector would make a full collection every ten
                # young ones, each walking every object made since (a cluster that changes all the time
                # replaces them all): ~3 s of 20 in pauses of up to 0.4 s at 10,000 VMs. Rarer full
                # collections; what they find is little, as snapshots and verdicts are freed by reference.
                gc.set_threshold(*GC_THRESHOLDS)
        self._broadcast(ViewUpdated(vm_keys, connection=connection))
        self._verdicts_soon()

    def _verdicts_soon(self, after: float = VERDICT_GAP_SECONDS) -> None:
        """Have the pending verdicts made in a thread, a chunk at a time, the rows on screen first."""
        if self._verdicts_due is None and self.live.vm_list.pending and self.live.vm_list.verdicts_ready:
            self._verdicts_due = self.set_timer(after, self._make_verdicts_now, name="verdicts")

    def _make_verdicts_now(self) -> None:
        if self.updates_paused or not self.screen_stack:  # no screens: the app is closing
            self._verdicts_due = None
            return
        first: list[str] = []
        focus = getattr(self.screen, "vm_key", None) or getattr(self.screen, "highlighted", None)
        if isinstance(focus, str):
            first.append(focus)
        for screen in reversed(self.screen_stack):
            shown = getattr(screen, "visible_keys", None)
            if callable(shown):
                first += shown()
                break
        # The rows on screen alone first, so they are final as soon as can be; then chunks of the rest.
        pending = self.live.vm_list.pending
        limit = len(first) if any(key in pending for key in first) else VERDICT_CHUNK
        snapshot, epoch, keys = self.live.verdicts_due(tuple(first), limit)
        if not keys:
            self._verdicts_due = None
            return
        # The worker finds its job here, not in its arguments: a worker object outlives its run in reference
        # cycles, and a snapshot (with its indexes, thousands of objects) held there would wait for the
        # cycle collector; @work's description would also spell out the snapshot's repr.
        self._verdict_job = (snapshot, epoch, keys)
        self.run_worker(
            self._make_verdicts,
            thread=True,
            exit_on_error=False,
            group="verdicts",
            description="verdicts",
        )

    def _make_verdicts(self) -> None:
        """In a thread: the verdicts of the job `_make_verdicts_now` left."""
        started = time.perf_counter()
        job, self._verdict_job = self._verdict_job, None
        if job is None:
            return
        snapshot, epoch, keys = job
        made: dict[str, VMSummary] = {}
        try:
            for key in keys:
                vm = snapshot.vms.get(key)
                if vm is not None:
                    made[key] = vm_summary(snapshot, vm)
        finally:  # whatever happened, the UI learns the chunk ended (what was not made stays pending)
            self.post_message(VerdictsMade(snapshot, epoch, made, time.perf_counter() - started, len(keys)))

    def on_verdicts_made(self, message: VerdictsMade) -> None:
        self._verdicts_due = None
        if not self.updates_paused:
            left = len(self.live.vm_list.pending)
            if message.snapshot is not None:
                made = self.live.verdicts_made(message.snapshot, message.epoch, message.summaries)
                if made or len(self.live.vm_list.pending) != left:  # the header counts the verdicts left
                    self._broadcast(ViewUpdated(made))
        message.snapshot, message.summaries = None, {}  # a message may outlive its handling in a cycle
        if self.freeze_first_lists and not self._verdicts_frozen and not self.live.vm_list.pending:
            # The first verdicts and rows (tens of thousands of objects at 10,000 VMs) join the first lists
            # out of the cycle collector's sight: else every full collection walks them again.
            self._verdicts_frozen = True
            gc.freeze()
        # A full chunk is a backlog (the first lists): the next at once. A few changed VMs are made again
        # at most every so often, so a cluster that changes all the time costs a bounded share of the CPU.
        backlog = len(self.live.vm_list.pending) >= VERDICT_CHUNK
        self._verdicts_soon(
            VERDICT_GAP_SECONDS if backlog else max(VERDICT_SPACING * message.seconds, VERDICT_GAP_SECONDS)
        )

    def _tell_server_went_back(self, count: int) -> None:
        """Once per time the API server was found to have come back with other state."""
        if count <= self._server_went_back_told:
            return
        self._server_went_back_told = count
        self.notify(
            "The API server came back with other state (restored, failed over or recreated): everything was "
            "listed again, and migrations it no longer knows are no longer shown.",
            title="Cluster state changed",
            severity="warning",
            timeout=20,
            markup=False,
        )

    def _tell_endings(self) -> None:
        """One notice per migration that ended while livemig watched it, whatever screen is open."""
        for view in self.live.ledger.take_endings():
            outcome = view.progress.outcome
            severity = (
                "information" if outcome == Outcome.SUCCEEDED else "warning" if outcome == Outcome.ABORTED else "error"
            )
            title = {Outcome.SUCCEEDED: "Migrated", Outcome.ABORTED: "Migration aborted"}.get(
                outcome, "Migration failed"
            )
            self.notify(
                clean(f"{view.vm_key}: {view.progress.outcome_message}"),
                title=title,
                severity=severity,
                # Brief: at 80x24 a toast covers the list, and the outcome stays on the row and the Migrations screen.
                timeout=OUTCOME_NOTICE_SECONDS,
                markup=False,
            )

    def _tick(self) -> None:
        if self.updates_paused or not self.live.ledger.running_count():
            return
        self._broadcast(ViewUpdated(self.live.tick(), ticked=True))

    def on_byte_progress_changed(self, message: ByteProgressChanged) -> None:
        if self.updates_paused:
            return
        state = self.session.metrics.state
        if state.status == UNAVAILABLE and not self._monitoring_told and self.live.ledger.running_count():
            self._monitoring_told = True
            self.notify(clean(state.message), title="Progress by phase only", severity="information", markup=False)
        self._broadcast(ViewUpdated(self.live.refresh_counters(), ticked=True))

    def _broadcast(self, message: ViewUpdated) -> None:
        for screen in self.screen_stack:
            screen.post_message(ViewUpdated(message.vm_keys, message.connection, message.ticked))

    def ensure_permissions(self, namespace: str) -> None:
        """Ask once per namespace whether migrate and abort are allowed (in a worker)."""
        if self.live.needs_permissions(namespace):
            self._check_access(namespace)

    @work(thread=True, exit_on_error=False, group="access")
    def _check_access(self, namespace: str) -> None:
        for action in (MIGRATE, ABORT, SET_CPU_MODEL):
            try:
                permission = self.session.access.check(action, namespace)
            except Exception as error:  # the server decides then; say so instead of failing the worker
                permission = Permission(
                    True, f"could not be checked ({error}); the API server will decide", checked=False
                )
            self.post_message(PermissionChecked(action, namespace, permission))

    def on_permission_checked(self, message: PermissionChecked) -> None:
        self.live.permission_checked(message.action, message.namespace, message.permission)
        for screen in self.screen_stack:
            screen.refresh_bindings()
        self._broadcast(ViewUpdated(frozenset()))

    def refresh_permissions(self) -> None:
        self.session.access.refresh()
        self.live.forget_permissions()
        self._broadcast(ViewUpdated(frozenset()))

    # -- migrate ---------------------------------------------------------------------------------

    def begin_migration(self, vm_key: str | None) -> None:
        """The migrate key: the node picker, then the confirmation, then the API call."""
        from tui.screens.node_picker import NodePickerScreen

        if is_question(self.screen):
            return  # nothing opens over a question (a key or command that raced it): it is answered first
        state, reason = self.live.action_state(MIGRATE, vm_key)
        if not state or vm_key is None:
            self.bell()
            self.notify(clean(reason), title="Cannot migrate", severity="warning", markup=False)
            return
        plan = self.live.plan(vm_key)
        if plan is None:
            return
        # With no node able to take it, the picker still opens: it shows every node's reasons.
        blocking = [r for r in plan.blockers if r.code != NO_ELIGIBLE_NODE]
        if blocking:
            self.bell()
            why = "; ".join(f"{r.code}: {r.message}" for r in blocking)
            self.notify(
                clean(f"{plan.name} cannot be migrated: {why}"),
                title="Cannot migrate",
                severity="warning",
                markup=False,
            )
            return
        self.push_screen(NodePickerScreen(plan), partial(self._node_chosen, vm_key))

    def _node_chosen(self, vm_key: str, target: str | None) -> None:
        from tui.screens.questions import migration_question

        if target is None:
            return
        plan = self.live.plan(vm_key)
        if plan is None:
            return
        self.push_screen(migration_question(plan, target), partial(self._migration_confirmed, vm_key, target))

    def _migration_confirmed(self, vm_key: str, target: str, confirmed: bool | None) -> None:
        if confirmed:
            self.start_migration(vm_key, target or None)

    def start_migration(self, vm_key: str, target: str | None) -> bool:
        """Create the migration in a worker; refused (False) while one of this VM is starting or running."""
        state, reason = self.live.action_state(MIGRATE, vm_key)
        if not state:
            self.notify(clean(reason), title="Not started", severity="warning", markup=False)
            return False
        self.live.migration_asked(vm_key)
        self.refresh_bindings()
        namespace, _, name = vm_key.partition("/")
        self._create_migration(namespace, name, target)
        return True

    @work(thread=True, exit_on_error=False, group="migrate")
    def _create_migration(self, namespace: str, name: str, target: str | None) -> None:
        try:
            result = self.session.actions.migrate(namespace, name, target)
        except Exception as error:  # never lose the answer: the UI must learn the call ended
            result = ActionResult(ok=False, message=f"Migration of {namespace}/{name}: {type(error).__name__}: {error}")
        self.post_message(MigrationStarted(namespace, name, target, result))

    def on_migration_started(self, message: MigrationStarted) -> None:
        vm_key = f"{message.namespace}/{message.vm}"
        result = message.result
        if result.ok:
            self.live.migration_answered(vm_key, result.name)
            self.notify(clean(result.message), title="Migration started", markup=False)
            if result.warning:
                self.notify(
                    clean(result.warning), title="Target not pinned", severity="warning", timeout=20, markup=False
                )
        else:
            self.live.migration_answered(vm_key, None)
            title = "Not allowed" if result.forbidden else "Migration not started"
            self.notify(clean(result.message), title=title, severity="error", timeout=20, markup=False)
        self.refresh_bindings()
        self._broadcast(ViewUpdated(frozenset({vm_key})))

    # -- abort -----------------------------------------------------------------------------------

    def begin_abort(self, vm_key: str | None) -> None:
        from tui.screens.questions import abort_question

        if is_question(self.screen):
            return
        state, reason = self.live.action_state(ABORT, vm_key)
        if not state or vm_key is None:
            self.bell()
            self.notify(clean(reason), title="Cannot abort", severity="warning", markup=False)
            return
        view = self.live.ledger.running_for_vm(vm_key)
        if view is None:
            return
        self.push_screen(abort_question(view), partial(self._abort_confirmed, view.key))

    def _abort_confirmed(self, migration_key: str, confirmed: bool | None) -> None:
        if not confirmed:
            return
        view = self.live.ledger.view(migration_key)
        if view is None or view.final:
            self.notify("The migration already ended; there is nothing to abort.", title="Not aborted", markup=False)
            return
        self.abort_migration(view)

    def abort_migration(self, view: MigrationView) -> bool:
        if view.key in self.live.aborting:
            return False
        self.live.aborting.add(view.key)
        self.refresh_bindings()
        self._delete_migration(view.namespace, view.vm, view.name, view.uid)
        return True

    @work(thread=True, exit_on_error=False, group="abort")
    def _delete_migration(self, namespace: str, vm: str, name: str, uid: str) -> None:
        try:
            result = self.session.actions.abort(namespace, name, uid)
        except Exception as error:
            result = ActionResult(
                ok=False, name=name, message=f"Abort of migration {name}: {type(error).__name__}: {error}"
            )
        self.post_message(AbortRequested(namespace, vm, name, result))

    def on_abort_requested(self, message: AbortRequested) -> None:
        result = message.result
        if result.ok:
            self.notify(clean(result.message), title="Abort requested", markup=False)
        else:
            self.live.aborting.discard(f"{message.namespace}/{message.migration}")
            if result.ended_meanwhile:
                # Nothing was deleted: the migration had ended before the abort reached it.
                self.notify(
                    clean(result.message), title="Nothing to abort", severity="warning", timeout=20, markup=False
                )
            else:
                title = "Not allowed" if result.forbidden else "Abort failed"
                self.notify(clean(result.message), title=title, severity="error", timeout=20, markup=False)
        self.refresh_bindings()
        self._broadcast(ViewUpdated(frozenset({f"{message.namespace}/{message.vm}"})))

    # -- another context or namespace ------------------------------------------------------------

    def action_switch_context(self) -> None:
        from tui.screens.contexts import begin_context_switch

        begin_context_switch(self)

    def action_switch_namespace(self) -> None:
        from tui.screens.contexts import begin_namespace_switch

        begin_namespace_switch(self)

    def switch_session(self, session: Any, where: str = "") -> None:
        """Show `session` (connected, started) instead of the current one, whose threads then stop: its
        store stops first, so none of its changes reach the new view; a batch of it being prepared is
        waited for and dropped."""
        if self._preparing:
            self.set_timer(0.05, partial(self.switch_session, session, where))
            return
        old = self.session
        old.store.close()  # its dispatcher ends: no more of its batches
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.session = session
        self.live = LiveView(session, self.readonly)
        self._inbox = ChangeInbox()
        self._prepared = None
        self._batch_held_since = None
        self._server_went_back_told = 0
        self._monitoring_told = False
        session.store.subscribe(self._store_changed)
        session.metrics.subscribe(self._metrics_changed)
        self._apply(full=True)
        self.refresh_bindings()
        self.run_worker(partial(old.stop, 5.0), thread=True, group="old-session", exit_on_error=False)
        self.notify(clean(f"Now showing {where or session.context_name}."), title="Switched", markup=False)

    # -- navigation ------------------------------------------------------------------------------

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_migrations(self) -> None:
        from tui.screens.migrations import MigrationsScreen

        if isinstance(self.screen, MigrationsScreen):
            self.pop_screen()
            return
        for screen in self.screen_stack:
            if isinstance(screen, MigrationsScreen):
                while not isinstance(self.screen, MigrationsScreen):
                    self.pop_screen()
                return
        self.push_screen(MigrationsScreen())

    def open_vm(self, vm_key: str) -> None:
        from tui.screens.vm_detail import VMDetailScreen

        if self.live.plan(vm_key) is None or is_question(self.screen):
            return
        # One details screen at a time (a second enter, or enter on the migrations screen opened from
        # the details): go back to it and show this VM there.
        for screen in self.screen_stack:
            if isinstance(screen, VMDetailScreen):
                while self.screen is not screen:
                    self.pop_screen()
                screen.show_vm(vm_key)
                return
        self.push_screen(VMDetailScreen(vm_key))

    # -- notices ---------------------------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A toast; while a question is open it waits, since at 80x24 it would cover the question's
        buttons or reasons."""
        notice = _Notice(message, title, severity, timeout, markup)
        if holds_notices(self.screen):
            self._held_notices.append(notice)
            return
        self._show(notice)

    def _show(self, notice: _Notice) -> None:
        super().notify(
            notice.message, title=notice.title, severity=notice.severity, timeout=notice.timeout, markup=notice.markup
        )

    def show_held_notices(self) -> None:
        """The toasts held while a question or help was open (called when one closes; another may have opened)."""
        if holds_notices(self.screen):
            return
        held, self._held_notices = self._held_notices, []
        for notice in held:
            self._show(notice)

    def on_key(self, event: events.Key) -> None:
        """A dimmed key still says why it does nothing. Handled here, after the bindings, so it sees the
        cursor where the keys typed before it left it."""
        active = self.screen.active_bindings.get(event.key)
        if active is None:
            if self.readonly and self._change_key(event):
                # Read-only hides migrate and abort; their keys still say why they do nothing.
                self.bell()
                self.notify(
                    "livemig runs read-only (--readonly): it changes nothing.",
                    title="Read-only",
                    severity="warning",
                    markup=False,
                )
            return
        if active.enabled:
            return
        explain = getattr(active.node, "explain_unavailable", None)
        reason = explain(active.binding.action) if callable(explain) else ""
        if reason:
            self.bell()
            title = {"migrate": "Cannot migrate", "abort": "Cannot abort", "cpu_model": "Cannot set the CPU model"}.get(
                active.binding.action, "Not available"
            )
            self.notify(clean(reason), title=title, severity="warning", markup=False)

    def _change_key(self, event: events.Key) -> bool:
        """Whether `event` is a key the current screen binds to migrate or abort (keymap included)."""
        for binding in getattr(self.screen, "BINDINGS", ()):
            if isinstance(binding, Binding) and binding.action in (MIGRATE, ABORT):
                keys = set(bound_keys(self, binding))
                if event.key in keys or (event.character is not None and event.character in keys):
                    return True
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("migrations", "nodes"):
            from tui.screens.confirm import ConfirmScreen
            from tui.screens.node_picker import NodePickerScreen

            return not isinstance(self.screen, (ConfirmScreen, NodePickerScreen)) and not is_question(self.screen)
        return True

    # -- command palette -------------------------------------------------------------------------

    def action_command_palette(self) -> None:
        from tui.screens.commands import LivemigPalette

        if self.use_command_palette and not LivemigPalette.is_open(self):
            self.push_screen(LivemigPalette(id="--command-palette"))

    def commands_for(self, screen: Any) -> Iterable[tuple[str, str, Any]]:
        """(title, help, callback) the command palette offers on `screen`."""
        offered = getattr(screen, "palette_commands", None)
        if callable(offered):
            yield from offered()
        yield ("Show migrations", "Running migrations and those finished since livemig started", self.action_migrations)
        yield ("Show nodes", "Every node; evacuate, cordon or uncordon one", self.action_nodes)
        yield ("Help: keys", "Every key, grouped", self.action_help)
        if not self.readonly:
            yield ("Check permissions again", "Ask the API server again what you may do", self.refresh_permissions)
        yield (
            "Switch kubeconfig context",
            "Reconnect to another context of the kubeconfig",
            self.action_switch_context,
        )
        yield ("Switch namespace", "Show one namespace, or all of them", self.action_switch_namespace)
        if not self.readonly:
            from tui.screens.cpu_model import begin_cpu_model_change

            yield (
                "Set the cluster default CPU model",
                "KubeVirt's spec.configuration.cpuModel, for VMs without a model of their own; asks first",
                partial(begin_cpu_model_change, self, None),
            )
        yield from self._keyless_commands(screen)

    def _keyless_commands(self, screen: Any) -> Iterable[tuple[str, str, Any]]:
        """What the keymap left without a key on `screen`: still there, in the palette. (Migrate and abort
        are offered above, with the VM's name, when they apply; Quit is Textual's own command.)"""
        if not self.keymap:
            return
        scope = next(
            (s for s in key_scopes() if type(screen) in s.owners or any(isinstance(screen, o) for o in s.owners)), None
        )
        if scope is None:
            return
        for owner, binding in keyless(scope, self.keymap, priority_bindings()):
            if binding.action in ("migrate", "abort", "quit"):
                continue
            target = (
                self if owner is LivemigApp else screen if isinstance(screen, owner) else screen.query(owner).first()
            )
            yield (
                binding.description,
                f"No key here under LIVEMIG_KEYMAP ({binding.id})",
                partial(self.run_action, binding.action, target),
            )


def key_scopes() -> tuple[Scope, ...]:
    """Where the app's bindings are active together (tui.screens.scopes)."""
    return scopes.key_scopes(LivemigApp)


def priority_bindings() -> list[Binding]:
    """Keys that act before any other, on every screen: the app's and Textual's ctrl+q."""
    return scopes.priority_bindings(LivemigApp)


def binding_ids() -> set[str]:
    """Every binding id of the UI (what a keymap may name)."""
    return scopes.binding_ids(LivemigApp)


def terminal_driver() -> type[Driver] | None:
    """The driver for a real terminal: Textual's Linux one with an output that outlives the terminal
    (tui/terminal_driver.py); elsewhere (Windows) the one Textual picks."""
    if sys.platform == "win32":
        return None
    from tui.terminal_driver import LivemigDriver

    return LivemigDriver


def release_input_thread(app: App[Any]) -> None:
    """Stop the driver's input thread if it still runs once the app has ended. When the terminal went
    away (a dropped SSH session, a closed tmux pane) Textual can end without telling it to stop, and the
    thread, which the process waits for, then reads end-of-file from the dead terminal in a busy loop:
    livemig never exits and spins (Textual 8.2; its driver is not public API, hence the care)."""
    driver = getattr(app, "_driver", None)
    thread = getattr(driver, "_key_thread", None)
    stop = getattr(driver, "exit_event", None)
    if isinstance(thread, threading.Thread) and thread.is_alive() and isinstance(stop, threading.Event):
        stop.set()
        thread.join(timeout=1.0)


def run_app(
    session: Any,
    readonly: bool = False,
    theme: str | None = None,
    *,
    kubeconfig: str | None = None,
    demo: bool = False,
    keymap_file: Mapping[str, str] | None = None,
    config_problem: str = "",
) -> int:
    """Run the terminal UI over a started session until the operator quits; returns the exit code.

    `kubeconfig` is the file the operator named (--kubeconfig), if any, and `demo` says the session
    runs against the built-in simulated cluster: both only shape what is printed after quitting while
    migrations run. LIVEMIG_KEYMAP rebinds keys by binding id ("vms.migrate=x;app.quit=ctrl+q");
    help (?) lists the ids. `keymap_file` is the config file's keymap (LIVEMIG_KEYMAP wins binding by
    binding), and `config_problem` why the config file is not used (told in a toast).
    """
    app = LivemigApp(session, readonly=readonly, theme=theme, freeze_first_lists=True)
    app.config_problem = config_problem
    # Said on stderr (left on the terminal after quitting) and in a toast once the UI is up.
    for note in app.use_keymap(merged_keymap(keymap_file or {}, os.environ.get("LIVEMIG_KEYMAP", ""))):
        print(f"livemig: LIVEMIG_KEYMAP: {note}", file=sys.stderr)
    try:
        app.run()
    finally:
        release_input_thread(app)
    if app.session is not session:  # switched to another context or namespace: that one ends here
        app.session.stop(2.0)
    for line in still_running(app.live.ledger.views(), app.session.context_name, kubeconfig=kubeconfig, demo=demo):
        print(line)
    return app.return_code or 0
