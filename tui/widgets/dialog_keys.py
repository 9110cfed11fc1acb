"""The keys of an open dialog (a question, the node picker, help), on the terminal's last line.

The dialog's backdrop lets the screen beneath show through, footer included: a footer offering keys
that do nothing in the dialog. This line sits over it and says what the dialog's own keys do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.app import App
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static


def bound_keys(app: App, binding: Binding) -> list[str]:
    """`binding`'s keys ("escape", "n"), after the app's keymap (LIVEMIG_KEYMAP)."""
    keymap: Mapping[str, str] = getattr(app, "keymap", {}) or {}
    return [key.strip() for key in keymap.get(binding.id or "", binding.key).split(",") if key.strip()]


def keys_of(app: App, binding: Binding) -> str:
    """How `binding`'s keys are shown ("esc n"), after the app's keymap (LIVEMIG_KEYMAP)."""
    shown = [app.get_key_display(Binding(key, "")) for key in bound_keys(app, binding)]
    return " ".join(dict.fromkeys(shown))


def keys_line(pairs: Sequence[tuple[str, str]]) -> Content:
    """("enter", "choose"), ("esc", "cancel") -> "enter choose  esc cancel", the keys bold."""
    parts: list[str | tuple[str, str]] = []
    for index, (keys, what) in enumerate(pairs):
        if index:
            parts.append("  ")
        parts += [(keys, "bold"), f" {what}"]
    return Content.assemble(*parts)


class DialogKeys(Static):
    """One line docked at the bottom of a dialog's screen: the dialog's own keys (or what it says instead)."""

    DEFAULT_CSS = """
    DialogKeys {
        dock: bottom;
        height: 1;
        width: 100%;
        padding: 0 1;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    """

    def __init__(self, content: Content, *, id: str | None = None) -> None:
        super().__init__(content, id=id, markup=False)
