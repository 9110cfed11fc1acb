"""Text from the cluster, made safe to show: never read as markup, never sent as escape sequences."""

from __future__ import annotations

import re

from rich.text import Text

# C0 controls (tab and newline included: a table cell is one line), DEL and C1 controls.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x1B:
        return "␛"
    if code in (0x09, 0x0A, 0x0D):
        return " "
    return "�"


def clean(value: object) -> str:
    """A one-line string with every control character replaced by a visible stand-in."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return _CONTROL.sub(_visible, text)


def literal(value: object, style: str = "") -> Text:
    """A rich Text that shows `value` exactly: `[bold]x[/]` stays those characters."""
    return Text(clean(value), style=style, no_wrap=True, end="")
