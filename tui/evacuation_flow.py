"""Emptying a node from the terminal UI (a base of the UI's app, as TypeAhead is): the Nodes screen, the
evacuation plan, the one confirmation, the cordon and the migrations in a worker, and the abort of the
batch's migrations not yet finished. Cordon and uncordon from the Nodes screen too.

Every API call runs in a thread worker that reports back with a message; nothing opens over a
question; --readonly and the access reviews gate every change, and a refused one says why.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from textual import work
from textual.app import App

from tui.cluster.access import MIGRATE, Action, Permission
from tui.cluster.actions import ActionResult
from tui.cluster.node_actions import NodeActions
from tui.domain.evacuation import EvacuationPlan, evacuation_plan
from tui.domain.evacuation_targets import memory_facts, onto_chosen
from tui.domain.plan import PINNING_ADDED_NODE_SELECTOR, target_pinning
from tui.messages import PermissionChecked, ViewUpdated
from tui.screens.evacuation import CordonChanged, EvacuationStarted
from tui.screens.question import is_question
from tui.view.evacuation import EvacuationBatches
from tui.view.model import READONLY_REASON
from tui.widgets.literal import clean


class EvacuationFlow(App[int]):
    """The Nodes screen and evacuations; expects the UI's app (`live`, `session`, `readonly`, ...)."""

    live: Any
    session: Any
    readonly: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.evacuations = EvacuationBatches()
        self._node_permissions_asked = False

    # -- the screen ------------------------------------------------------------------------------

    def action_nodes(self) -> None:
        from tui.screens.nodes import NodesScreen

        if is_question(self.screen):
            return
        if isinstance(self.screen, NodesScreen):
            self.pop_screen()
            return
        for screen in self.screen_stack:
            if isinstance(screen, NodesScreen):
                while not isinstance(self.screen, NodesScreen):
                    self.pop_screen()
                return
        self.push_screen(NodesScreen())

    def ensure_node_permissions(self) -> None:
        """Ask once whether the user may cordon nodes (in a worker)."""
        if self.readonly or self._node_permissions_asked:
            return
        self._node_permissions_asked = True
        self._check_cordon_access()

    @work(thread=True, exit_on_error=False, group="access")
    def _check_cordon_access(self) -> None:
        try:
            permission = self.session.access.check(Action.CORDON, "")
        except Exception as error:  # the server decides then
            permission = Permission(True, f"could not be checked ({error}); the API server will decide", checked=False)
        self.post_message(PermissionChecked(Action.CORDON, "", permission))

    def _node_actions(self) -> NodeActions | None:
        transport = getattr(self.session, "transport", None)
        if transport is None:
            return None
        return NodeActions(transport, getattr(self.session, "store", None), readonly=self.readonly)

    def _refused(self, title: str, why: str) -> None:
        self.bell()
        self.notify(clean(why), title=title, severity="warning", markup=False)

    def _change_refused(self) -> str:
        """Why no change can be made now ("" when one can)."""
        if self.readonly:
            return f"{READONLY_REASON}: it changes nothing."
        if self.live.connection.stale:
            return "The connection to the API server is lost; wait until it is back (see the banner)."
        return ""

    # -- evacuate --------------------------------------------------------------------------------

    def begin_evacuation(self, node: str | None) -> None:
        """The evacuate key: the plan, then the confirmation, then the cordon and the migrations."""
        from tui.screens.evacuation import EvacuationPlanScreen

        if is_question(self.screen) or node is None:
            return
        refused = self._change_refused()
        if refused and not self.readonly:
            self._refused("Cannot evacuate", refused)
            return
        plan = evacuation_plan(self.live.snapshot, node, self.session.now())
        for namespace in sorted({item.namespace for item in plan.movable}):
            self.ensure_permissions(namespace)  # type: ignore[attr-defined]
        pinning, pinning_reason = target_pinning(self.live.snapshot.kubevirt)
        screen = EvacuationPlanScreen(
            plan,
            self._scope_note(node),
            read_only=refused,
            onto=partial(self._evacuation_plan, node),
            pinning_refused="" if pinning == PINNING_ADDED_NODE_SELECTOR else pinning_reason,
        )
        self.push_screen(screen, partial(self._evacuation_planned, node, screen))

    def _evacuation_plan(self, node: str, chosen: tuple[str, ...]) -> EvacuationPlan:
        """The plan for emptying `node` as the cluster is now, onto the `chosen` nodes (none: the scheduler decides)."""
        snapshot = self.live.snapshot
        plan = evacuation_plan(snapshot, node, self.session.now())
        return onto_chosen(plan, chosen, memory_facts(snapshot, plan)) if chosen else plan

    def _scope_note(self, node: str) -> str:
        """What the plan cannot see when the session shows some namespaces only ("" when it shows all)."""
        if not self.session.namespaces:
            return ""
        return (
            f"Only the VMs of {self.live.scope_words()} are known here: VMs of other namespaces on {node} are not "
            "in this plan and stay. Start livemig with -A to empty the node of every VM."
        )

    def _forbidden_namespaces(self, plan: EvacuationPlan) -> list[str]:
        found = []
        for namespace in sorted({item.namespace for item in plan.movable}):
            permission = self.live.permission(MIGRATE, namespace)
            if permission is not None and not permission.allowed:
                found.append(f"{namespace} ({permission.reason})")
        return found

    def _evacuation_planned(self, node: str, screen: Any, go_on: bool | None) -> None:
        from tui.screens.evacuation import EvacuationQuestion

        if not go_on:
            return
        plan = self._evacuation_plan(node, tuple(screen.chosen))  # as it is now
        if not plan.movable:
            self.notify(clean(f"No VM on {node} can move now."), title="Nothing to evacuate", markup=False)
            return
        forbidden = self._forbidden_namespaces(plan)
        if forbidden:
            self._refused("Cannot evacuate", f"Not allowed to create migrations in: {', '.join(forbidden)}.")
            return
        permission = self.live.permission(Action.CORDON, "")
        cordon_refused = permission.reason if permission is not None and not permission.allowed else ""
        question = EvacuationQuestion(plan, cordon_refused)
        self.push_screen(question, partial(self._evacuation_confirmed, plan, question))

    def _evacuation_confirmed(self, plan: EvacuationPlan, question: Any, confirmed: bool | None) -> None:
        if not confirmed:
            return
        cordon = bool(question.cordon)
        keys = [str(item.key) for item in plan.movable]
        for key in keys:
            self.live.migration_asked(key)
        self.refresh_bindings()
        self._run_evacuation(plan.node, cordon, keys, {str(item.key): item.target for item in plan.movable})

    @work(thread=True, exit_on_error=False, group="evacuate")
    def _run_evacuation(self, node: str, cordon: bool, vm_keys: list[str], targets: dict[str, str]) -> None:
        cordoned: ActionResult | None = None
        results: list[tuple[str, ActionResult]] = []
        try:
            if cordon:
                actions = self._node_actions()
                cordoned = (
                    actions.cordon(node)
                    if actions is not None
                    else ActionResult(ok=False, message="This session cannot cordon nodes.", refused=True)
                )
            if cordoned is None or cordoned.ok:
                for key in vm_keys:
                    namespace, _, name = key.partition("/")
                    try:
                        result = self.session.actions.migrate(namespace, name, targets.get(key) or None)
                    except Exception as error:  # never lose the answer: the UI must learn the call ended
                        result = ActionResult(ok=False, message=f"Migration of {key}: {type(error).__name__}: {error}")
                    results.append((key, result))
        finally:
            tried = {key for key, _ in results}
            results += [
                (key, ActionResult(ok=False, message="Not tried: the cordon failed.", refused=True))
                for key in vm_keys
                if key not in tried
            ]
            self.post_message(EvacuationStarted(node, cordoned, results))

    def on_evacuation_started(self, message: EvacuationStarted) -> None:
        created = []
        for key, result in message.results:
            self.live.migration_answered(key, result.name if result.ok else None)
            if result.ok:
                created.append(f"{key.partition('/')[0]}/{result.name}")
        if message.cordon is not None and not message.cordon.ok:
            title = "Not allowed" if message.cordon.forbidden else "Cordon failed"
            self.notify(
                clean(f"{message.cordon.message} No VM was migrated."),
                title=title,
                severity="error",
                timeout=20,
                markup=False,
            )
        failed = [f"{key}: {result.message}" for key, result in message.results if not result.ok and not result.refused]
        if created:
            self.evacuations.started(message.node, tuple(created))
            cordon = f" {message.cordon.message}" if message.cordon is not None and message.cordon.ok else ""
            self.notify(
                clean(
                    f"{len(created)} migration{'s' if len(created) != 1 else ''} off {message.node} created.{cordon}"
                ),
                title="Evacuation started",
                markup=False,
            )
        if failed:
            self.notify(clean("\n".join(failed)), title="Not started", severity="error", timeout=20, markup=False)
        self.refresh_bindings()
        self._broadcast(ViewUpdated(None))  # type: ignore[attr-defined]
        if created:
            self.action_migrations()  # type: ignore[attr-defined]

    # -- cordon ----------------------------------------------------------------------------------

    def begin_cordon(self, node: str | None) -> None:
        """Cordon the node, or uncordon it when it is cordoned (no question: both are undone by the other)."""
        if is_question(self.screen) or node is None:
            return
        refused = self._change_refused()
        permission = self.live.permission(Action.CORDON, "")
        if not refused and permission is not None and not permission.allowed:
            refused = f"Not allowed: {permission.reason}."
        if refused:
            self._refused("Cannot cordon", refused)
            return
        found = self.live.snapshot.nodes.get(node)
        if found is None:
            return
        self._set_cordon(node, not found.unschedulable)

    @work(thread=True, exit_on_error=False, group="cordon")
    def _set_cordon(self, node: str, cordon: bool) -> None:
        actions = self._node_actions()
        try:
            if actions is None:
                result = ActionResult(ok=False, message="This session cannot cordon nodes.", refused=True)
            else:
                result = actions.cordon(node) if cordon else actions.uncordon(node)
        except Exception as error:
            result = ActionResult(ok=False, message=f"Cordon of {node}: {type(error).__name__}: {error}")
        self.post_message(CordonChanged(node, result))

    def on_cordon_changed(self, message: CordonChanged) -> None:
        result = message.result
        if result.ok:
            self.notify(clean(result.message), title="Node", markup=False)
        else:
            title = "Not allowed" if result.forbidden else "Cordon failed"
            self.notify(clean(result.message), title=title, severity="error", timeout=20, markup=False)

    # -- abort the batch -------------------------------------------------------------------------

    def begin_abort_evacuation(self, node: str | None) -> None:
        from tui.screens.evacuation import abort_evacuation_question

        if is_question(self.screen) or node is None:
            return
        refused = self._change_refused()
        if refused:
            self._refused("Cannot abort", refused)
            return
        views = self.evacuations.unfinished(node, self.live.ledger)
        if not views:
            self._refused("Nothing to abort", f"No evacuation of {node} started here has a migration left to abort.")
            return
        self.push_screen(abort_evacuation_question(node, views), partial(self._abort_evacuation_confirmed, node))

    def _abort_evacuation_confirmed(self, node: str, confirmed: bool | None) -> None:
        if not confirmed:
            return
        for view in self.evacuations.unfinished(node, self.live.ledger):  # as they are now
            self.abort_migration(view)  # type: ignore[attr-defined]
