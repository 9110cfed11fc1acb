"""Text from the cluster made safe for a terminal: control characters shown, never interpreted.

One function for both faces of livemig: the command line prints a control character as `\\xNN` and
keeps tabs and line breaks (its text is wrapped lines); the terminal UI's cells are one line each, so
there a line break or a tab becomes a space, ESC the visible `␛` and every other control `�`.
Neither is markup: Rich and Textual text is built from the result with `Text(...)`, never parsed.
"""

from __future__ import annotations

import re

# C0 controls but tab and line feed, DEL and C1 controls: what a printed line must not carry raw.
_CONTROL_IN_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Every C0 control (tab and line feed too: a table cell is one line), DEL and C1 controls.
_CONTROL_IN_A_CELL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SPACES = frozenset((0x09, 0x0A, 0x0D))


def _escaped(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def _stand_in(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x1B:
        return "␛"
    if code in _SPACES:
        return " "
    return "�"


def clean(value: object, *, one_line: bool = False) -> str:
    """`value` as text that shows every character it holds and sends no control sequence: control
    characters become `\\xNN` (tab and line feed kept), or with `one_line` visible stand-ins on one
    line. None is the empty string."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if one_line:
        return _CONTROL_IN_A_CELL.sub(_stand_in, text)
    return _CONTROL_IN_LINES.sub(_escaped, text)


def clean_line(value: object) -> str:
    """`clean(value, one_line=True)`: what a table cell, a header or a toast shows of cluster text."""
    return clean(value, one_line=True)
