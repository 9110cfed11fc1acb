"""The UI's colours: which theme to start with (what the terminal announces) and livemig's 16-colour theme."""

from __future__ import annotations

from collections.abc import Mapping

from textual.theme import BUILTIN_THEMES, Theme

from tui.widgets.literal import clean

DARK_THEME = "textual-dark"
SIXTEEN_COLOUR_THEME = "livemig-16"


def sixteen_colour_theme() -> Theme:
    """A theme of the terminal's own 16 colours (Textual's ansi-dark), for terminals without 256 colours."""
    base = BUILTIN_THEMES["ansi-dark"]
    variables = dict(base.variables)
    variables.update(
        {
            "footer-key-foreground": "ansi_bright_cyan",
            "footer-description-foreground": "ansi_default",
            "text-muted": "ansi_bright_black",
        }
    )
    return Theme(
        name=SIXTEEN_COLOUR_THEME,
        primary=base.primary,
        secondary=base.secondary,
        warning=base.warning,
        error=base.error,
        success=base.success,
        accent="ansi_cyan",
        foreground=base.foreground,
        background=base.background,
        surface=base.surface,
        panel=base.panel,
        boost=base.boost,
        dark=True,
        variables=variables,
        ansi=True,
    )


def terminal_colours(environ: Mapping[str, str]) -> int:
    """How many colours the terminal announces: 16777216 (COLORTERM truecolor), 256, or 16."""
    if environ.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit"):
        return 16_777_216
    term = environ.get("TERM", "").strip().lower()
    if term.endswith(("256color", "-direct")) or term in ("xterm-kitty", "alacritty", "wezterm", "xterm-ghostty"):
        return 256
    return 16


def choose_theme(requested: str | None, environ: Mapping[str, str]) -> str:
    """The theme to start with: the one asked for, else 16 colours unless the terminal announces more."""
    if requested:
        return requested
    return DARK_THEME if terminal_colours(environ) > 16 else SIXTEEN_COLOUR_THEME


def theme_names() -> list[str]:
    return sorted(set(BUILTIN_THEMES) | {SIXTEEN_COLOUR_THEME})


def check_theme(name: str | None) -> str | None:
    """None when `name` is a known theme (or not given), else a sentence saying which themes exist."""
    if not name or name in theme_names():
        return None
    return f'there is no theme "{clean(name)}"; themes: {", ".join(theme_names())}'
