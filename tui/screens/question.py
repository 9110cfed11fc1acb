"""A question on top of the screen (the node picker, a confirmation): answered once, and read before it acts.

- It answers at most once, so a key pressed twice cannot answer twice.
- It carries `opened_at`: the app drops keys typed before it opened (see tui.widgets.keystrokes),
  since the operator could not have read it.
- Toasts would sit over its buttons and reasons at 80x24: those on screen are cleared when it opens
  (what they said stays on the VM list and the migrations screen), and the app holds new ones until
  it closes. Help does the same (`Covering`), without being a question.
"""

from __future__ import annotations

from typing import TypeVar

from textual.notifications import Notifications
from textual.screen import ModalScreen

from tui.widgets.keystrokes import opened_now

Answer = TypeVar("Answer")


class Covering(ModalScreen[Answer]):
    """A modal no toast covers: those showing are cleared when it opens, new ones wait until it closes."""

    def on_mount(self) -> None:
        self.app.clear_notifications()
        # The toasts of the screens under it show through its dimmed backdrop: those go too.
        for screen in self.app.screen_stack:
            if screen is not self:
                for rack in screen.query("ToastRack"):
                    rack.show(Notifications())  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        show_held = getattr(self.app, "show_held_notices", None)
        if callable(show_held):
            # After the screen under it (or the next question) is in place.
            self.app.call_after_refresh(show_held)


class Question(Covering[Answer]):
    """A modal that asks one thing."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.answered = False
        self.opened_at = opened_now()

    def answer(self, result: Answer) -> None:
        """Dismiss with `result`, unless already answered."""
        if self.answered:
            return
        self.answered = True
        self.dismiss(result)


def is_question(screen: object) -> bool:
    return isinstance(screen, Question)


def holds_notices(screen: object) -> bool:
    """Whether toasts wait while `screen` is on top (a question, help)."""
    return isinstance(screen, Covering)
