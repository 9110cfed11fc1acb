"""Evacuating a node: the plan (which VMs will move and where, which cannot and why), the one confirmation
for the batch with the cordon asked, the abort of what it started, and the messages its workers send."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Checkbox, Static

from tui.cluster.actions import ActionResult
from tui.domain.evacuation import EvacuationPlan
from tui.domain.evacuation_targets import eligible_nodes
from tui.screens.confirm import ConfirmScreen
from tui.screens.evacuation_targets import EvacuationTargetsScreen
from tui.screens.question import Question
from tui.view.evacuation import (
    cordon_words,
    headline,
    maintenance_words,
    nothing_words,
    onto_words,
    queue_words,
    targets_words,
    unmovable_words,
)
from tui.view.ledger import MigrationView
from tui.widgets.dialog_keys import DialogKeys, keys_line, keys_of
from tui.widgets.literal import clean
from tui.widgets.scroll_pane import ScrollPane

Parts = list[str | tuple[str, str]]


class EvacuationStarted(Message, bubble=False):
    """The evacuation's worker is done: the cordon's result (None when not asked) and each migration's."""

    def __init__(self, node: str, cordon: ActionResult | None, results: list[tuple[str, ActionResult]]) -> None:
        super().__init__()
        self.node, self.cordon, self.results = node, cordon, results  # results: (VM key, result)


class CordonChanged(Message, bubble=False):
    def __init__(self, node: str, result: ActionResult) -> None:
        super().__init__()
        self.node, self.result = node, result


def plan_content(plan: EvacuationPlan) -> Content:
    """The plan, every VM with its verdict; cluster text as data."""
    parts: Parts = [(clean(headline(plan)), "bold"), "\n", clean(cordon_words(plan))]
    if maintenance := maintenance_words(plan):
        parts += ["\n", clean(maintenance)]
    if onto := onto_words(plan):
        parts += ["\n", clean(onto)]
    if plan.nothing_to_do:
        parts += ["\n", clean(nothing_words(plan))]
    if plan.movable:
        parts += ["\n\n", ("Will move", "bold $text-success")]
        for item in plan.movable:
            parts += ["\n", ("✓ ", "$text-success"), (clean(str(item.key)), "bold"), ": ", clean(targets_words(item))]
        if queued := queue_words(plan):
            parts += ["\n", ("◐ ", "$text-warning"), clean(queued)]
    if plan.unmovable:
        parts += ["\n\n", ("Cannot move", "bold $text-error")]
        for stays in plan.unmovable:
            why, on_drain = unmovable_words(stays)
            parts += ["\n", ("✗ ", "$text-error"), (clean(str(stays.key)), "bold"), ": ", clean(why)]
            parts += ["\n  ", (clean(on_drain), "$text-muted")]
    if plan.migrating:
        parts += ["\n\n", ("Migrating already", "bold")]
        for underway in plan.migrating:
            by = "KubeVirt's evacuation" if underway.by_kubevirt else "a migration"
            parts += ["\n", "→ ", (clean(str(underway.key)), "bold"), clean(f": {by} ({underway.migration})")]
    return Content.assemble(*parts)


class EvacuationPlanScreen(Question[bool]):
    """The plan for emptying a node; enter goes on to the confirmation, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", "Cancel", id="evacuation.cancel"),
        Binding("enter", "answer(True)", "Continue", id="evacuation.continue"),
        Binding("t", "choose_targets", "Target nodes", id="evacuation.choose_targets"),
    ]

    def __init__(
        self,
        plan: EvacuationPlan,
        scope_note: str = "",
        read_only: str = "",
        onto: Callable[[tuple[str, ...]], EvacuationPlan] | None = None,
        pinning_refused: str = "",
    ) -> None:
        super().__init__(id="evacuation-plan")
        self.plan = plan
        self.scheduler_plan = plan  # the plan with the scheduler deciding: what the target nodes are chosen from
        self.scope_note = scope_note  # what the plan cannot see (VMs of namespaces outside the session)
        self.read_only = read_only  # why the plan can only be read (--readonly), "" when it can be carried out
        self.onto = onto  # the plan sending the VMs onto the chosen nodes; None: nodes cannot be chosen here
        self.pinning_refused = pinning_refused  # why a migration cannot name its node (KubeVirt < 1.6), or ""
        self.chosen: tuple[str, ...] = ()  # the target nodes chosen; empty: the scheduler decides

    def compose(self) -> ComposeResult:
        with Vertical(id="evacuation-dialog", classes="dialog"):
            yield Static(
                Content.assemble("Evacuate ", (clean(self.plan.node), "bold"), "?"),
                classes="dialog-title",
                markup=False,
            )
            if self.read_only:
                yield Static(
                    Content.assemble(("⚠ ", "$text-warning"), clean(self.read_only)),
                    id="evacuation-readonly",
                    markup=False,
                )
            if self.scope_note:
                yield Static(
                    Content.assemble(("⚠ ", "$text-warning"), clean(self.scope_note)),
                    id="evacuation-scope",
                    markup=False,
                )
            note = Static(id="evacuation-targets-note", markup=False)
            note.display = False
            yield note
            with ScrollPane(id="evacuation-scroll"):
                yield Static(plan_content(self.plan), id="evacuation-body", markup=False)
        yield DialogKeys(self.keys(), id="evacuation-keys")

    def keys(self) -> Content:
        bindings = {binding.id: binding for binding in self.BINDINGS if isinstance(binding, Binding)}
        go_on = "continue" if self.plan.movable and not self.read_only else "close"
        pairs = [
            (keys_of(self.app, bindings["evacuation.continue"]), go_on),
            (keys_of(self.app, bindings["evacuation.cancel"]), "cancel"),
        ]
        if self._targets_choosable():
            pairs.append((keys_of(self.app, bindings["evacuation.choose_targets"]), "targets"))
        return keys_line([*pairs, ("↑↓", "scroll")])

    def _targets_choosable(self) -> bool:
        return self.onto is not None and bool(self.scheduler_plan.movable) and self.scheduler_plan.nodes_known

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        if not self._targets_choosable():
            return []
        return [
            (
                f"Choose the target nodes for {self.plan.node}",
                "Send the VMs only onto the nodes marked; none marked: the scheduler decides",
                self.action_choose_targets,
            )
        ]

    def action_choose_targets(self) -> None:
        if not self._targets_choosable():
            return
        if self.pinning_refused:
            self._note(f"{self.pinning_refused} Only the scheduler can choose the nodes.")
            return
        movable = self.scheduler_plan.movable
        eligible = [
            (name, sum(1 for item in movable if name in item.targets)) for name in eligible_nodes(self.scheduler_plan)
        ]
        self.app.push_screen(
            EvacuationTargetsScreen(self.plan.node, eligible, len(movable), self.chosen), self._targets_chosen
        )

    def _targets_chosen(self, chosen: tuple[str, ...] | None) -> None:
        if chosen is None or self.onto is None:
            return
        self.chosen = chosen
        self.plan = self.onto(chosen) if chosen else self.scheduler_plan
        self.query_one("#evacuation-body", Static).update(plan_content(self.plan))
        self.query_one("#evacuation-keys", DialogKeys).update(self.keys())

    def _note(self, text: str) -> None:
        note = self.query_one("#evacuation-targets-note", Static)
        note.update(Content.assemble(("⚠ ", "$text-warning"), clean(text)))
        note.display = True

    def on_mount(self) -> None:
        self.query_one(ScrollPane).focus()

    def action_answer(self, go_on: bool) -> None:
        self.answer(go_on and bool(self.plan.movable) and not self.read_only)


class EvacuationQuestion(ConfirmScreen):
    """One confirmation for the batch: how many VMs, and whether to cordon the node first (default yes,
    unless the user may not or it is cordoned already)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *ConfirmScreen.BINDINGS,
        Binding("c", "toggle_cordon", "Cordon", show=False, id="evacuation.toggle_cordon"),
    ]

    def __init__(self, plan: EvacuationPlan, cordon_refused: str = "") -> None:
        count = len(plan.movable)
        rows: list[tuple[str, Content]] = [
            ("Node", Content.assemble((clean(plan.node), "bold"))),
            ("Migrate", Content(clean(f"{count} VM{'s' if count != 1 else ''}; {_where(plan)}"))),
        ]
        if plan.unmovable:
            rows.append(
                ("Stay", Content(f"{len(plan.unmovable)} VM{'s' if len(plan.unmovable) != 1 else ''} that cannot move"))
            )
        if queued := queue_words(plan):
            rows.append(("Queue", Content(clean(queued))))
        if cordon_refused:
            rows.append(("Cordon", Content(clean(f"not possible: {cordon_refused}"))))
        super().__init__(
            "Evacuate this node?",
            rows,
            yes_label=f"Migrate {count}",
            no_label="Cancel",
            id="confirm-evacuation",
        )
        self.plan = plan
        self.cordon_allowed = not plan.cordoned and not cordon_refused
        self._cordon = self.cordon_allowed  # the box's value, kept as it changes (read after the question closed)

    @property
    def cordon(self) -> bool:
        return self.cordon_allowed and self._cordon

    def answer(self, result: bool) -> None:
        """Take the box's value as it is when the question is answered, then answer."""
        boxes = self.query("#evacuation-cordon")
        if boxes and not self.answered:
            self._cordon = boxes.first(Checkbox).value
        super().answer(result)

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title", markup=False)
            with Vertical(id="confirm-body"):
                for label, value in self.body:
                    with Horizontal(classes="confirm-row"):
                        yield Static(Content(label), classes="confirm-label", markup=False)
                        yield Static(value, classes="confirm-value", markup=False)
            if self.cordon_allowed:
                yield Checkbox(
                    Content.assemble("Cordon ", clean(self.plan.node), " first (no new VM lands there)"),
                    value=True,
                    id="evacuation-cordon",
                    compact=True,
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.no_label, id="no", variant="default", compact=True)
                yield Button(self.yes_label, id="yes", variant="primary", compact=True)
        yield DialogKeys(self.keys(), id="confirm-keys")

    def keys(self) -> Content:
        bindings = {binding.id: binding for binding in self.BINDINGS if isinstance(binding, Binding)}
        pairs = [
            ("enter", "answer"),
            ("tab ←→", "switch"),
            (keys_of(self.app, bindings["confirm.no"]), self.no_label),
            (keys_of(self.app, bindings["confirm.yes"]), self.yes_label),
        ]
        if self.cordon_allowed:
            pairs.append((keys_of(self.app, bindings["evacuation.toggle_cordon"]), "cordon on/off"))
        return keys_line(pairs)

    def action_toggle_cordon(self) -> None:
        boxes = self.query("#evacuation-cordon")
        if boxes:
            boxes.first(Checkbox).toggle()


def _where(plan: EvacuationPlan) -> str:
    if plan.onto:
        return f"onto {', '.join(plan.onto)}"
    return "the scheduler picks each target"


def abort_evacuation_question(node: str, views: list[MigrationView]) -> ConfirmScreen:
    """Confirm aborting the evacuation's migrations that have not finished; "No" is focused."""
    names = ", ".join(f"{view.vm_key} ({view.name})" for view in views)
    rows = [
        ("Node", Content.assemble((clean(node), "bold"))),
        ("Abort", Content(clean(f"{len(views)} migration{'s' if len(views) != 1 else ''}: {names}"))),
        ("", Content("Each VM keeps running where it is now; those that arrived stay where they are.")),
    ]
    return ConfirmScreen(
        "Abort the evacuation?",
        rows,
        yes_label="Abort migrations",
        no_label="No",
        danger=True,
        id="confirm-abort-evacuation",
    )
