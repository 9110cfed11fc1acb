"""Text from the cluster, made safe to show: never read as markup, never sent as escape sequences."""

from __future__ import annotations

from rich.text import Text

from tui.text import clean_line as clean


def literal(value: object, style: str = "") -> Text:
    """A rich Text that shows `value` exactly: `[bold]x[/]` stays those characters."""
    return Text(clean(value), style=style, no_wrap=True, end="")
