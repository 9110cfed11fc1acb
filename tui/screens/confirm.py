"""A yes/no question in a modal: the safe answer first, and focused unless the caller says otherwise."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static

from tui.screens.question import Question
from tui.widgets.dialog_keys import DialogKeys, keys_line, keys_of


class ConfirmScreen(Question[bool]):
    """Ask once; answers True only for the "yes" button or key. Escape and "n" answer False."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "No", id="confirm.no"),
        Binding("y", "answer(True)", "Yes", show=False, id="confirm.yes"),
        Binding("left,h", "app.focus_previous", "Previous", show=False, id="confirm.previous"),
        Binding("right,l", "app.focus_next", "Next", show=False, id="confirm.next"),
    ]

    def __init__(
        self,
        title: str,
        body: Content | list[tuple[str, Content]],
        yes_label: str,
        no_label: str = "No",
        *,
        focus_yes: bool = False,
        danger: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.title_text = title
        self.body = body
        self.yes_label = yes_label
        self.no_label = no_label
        self.focus_yes = focus_yes
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title", markup=False)
            if isinstance(self.body, list):
                # Labelled lines: the values wrap under themselves, not under the labels.
                with Vertical(id="confirm-body"):
                    for label, value in self.body:
                        with Horizontal(classes="confirm-row"):
                            yield Static(Content(label), classes="confirm-label", markup=False)
                            yield Static(value, classes="confirm-value", markup=False)
            else:
                yield Static(self.body, id="confirm-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.no_label, id="no", variant="default", compact=True)
                yield Button(self.yes_label, id="yes", variant="error" if self.danger else "primary", compact=True)
        yield DialogKeys(self.keys(), id="confirm-keys")

    def keys(self) -> Content:
        """What the keys do in this question (the keymap's keys for its bindings)."""
        bindings = {binding.id: binding for binding in self.BINDINGS if isinstance(binding, Binding)}
        return keys_line(
            [
                ("enter", "answer"),
                ("tab ←→", "switch"),
                (keys_of(self.app, bindings["confirm.no"]), self.no_label),
                (keys_of(self.app, bindings["confirm.yes"]), self.yes_label),
            ]
        )

    def on_mount(self) -> None:
        self.query_one("#yes" if self.focus_yes else "#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.answer(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.answer(yes)
