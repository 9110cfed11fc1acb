"""Choosing the nodes an evacuation sends its VMs to: a multi-select list of the nodes that can take at
least one of them (none chosen: the scheduler decides)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import SelectionList, Static

from tui.screens.question import Question
from tui.widgets.dialog_keys import DialogKeys, keys_line, keys_of
from tui.widgets.literal import clean


class EvacuationTargetsScreen(Question["tuple[str, ...] | None"]):
    """Space marks a node, enter takes the marked ones (none: the scheduler decides), escape cancels."""

    DEFAULT_CSS = """
    EvacuationTargetsScreen { align: center middle; }
    #targets-dialog { width: 100%; max-width: 80; height: auto; max-height: 100%; margin: 0 1; }
    #targets-note { height: auto; margin-bottom: 1; }
    #targets-list { height: auto; max-height: 12; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="evacuation_targets.cancel"),
        Binding("enter", "apply", "Apply", priority=True, id="evacuation_targets.apply"),
        Binding("s", "scheduler", "Scheduler decides", id="evacuation_targets.scheduler"),
    ]

    def __init__(self, node: str, eligible: Sequence[tuple[str, int]], total: int, chosen: Sequence[str]) -> None:
        """`eligible`: each node that can take a VM, with how many of the `total` VMs that move it can take."""
        super().__init__(id="evacuation-targets")
        self.node = node
        self.eligible = list(eligible)
        self.total = total
        self.chosen = tuple(chosen)

    def compose(self) -> ComposeResult:
        with Vertical(id="targets-dialog", classes="dialog"):
            yield Static(
                Content.assemble("Send the VMs of ", (clean(self.node), "bold"), " onto"),
                classes="dialog-title",
                markup=False,
            )
            yield Static(
                Content(
                    "Mark the nodes to use; each VM goes to the marked node that can take it with the most free "
                    "memory left. None marked: the scheduler decides."
                ),
                id="targets-note",
                markup=False,
            )
            yield SelectionList[str](
                *(
                    (Content(clean(f"{name}  can take {count} of {self.total} VMs")), name, name in self.chosen)
                    for name, count in self.eligible
                ),
                id="targets-list",
                compact=True,
            )
        yield DialogKeys(self.keys(), id="targets-keys")

    def keys(self) -> Content:
        bindings = {binding.id: binding for binding in self.BINDINGS if isinstance(binding, Binding)}
        return keys_line(
            [
                ("space", "mark"),
                (keys_of(self.app, bindings["evacuation_targets.apply"]), "apply"),
                (keys_of(self.app, bindings["evacuation_targets.scheduler"]), "scheduler decides"),
                (keys_of(self.app, bindings["evacuation_targets.cancel"]), "cancel"),
            ]
        )

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def marked(self) -> tuple[str, ...]:
        """The marked nodes, in the list's order."""
        selected = set(self.query_one(SelectionList).selected)
        return tuple(name for name, _ in self.eligible if name in selected)

    def action_apply(self) -> None:
        self.answer(self.marked())

    def action_scheduler(self) -> None:
        self.answer(())

    def action_cancel(self) -> None:
        self.answer(None)
