"""livemig's config file: defaults for the context, the namespace, the theme, read-only and the keymap.

    path = config_path(os.environ)          # $XDG_CONFIG_HOME/livemig/config.toml, else ~/.config/...
    settings, problem = read_config(path)   # problem: one sentence naming the file and line, or ""

    context = "prod"
    namespace = "vms"
    theme = "livemig-16"
    readonly = true

    [keymap]                     # binding id = keys, as LIVEMIG_KEYMAP takes them (help lists the ids)
    "vms.migrate" = "x"
    "app.quit" = "ctrl+q,f10"

The command line and the environment win over the file (--context, -n/-A, --theme, --readonly,
LIVEMIG_KEYMAP binding by binding). A file that cannot be used (TOML syntax, an unknown key, a value
of the wrong type, an unknown theme or binding id, a key no terminal sends) is named with its line in
one sentence, and livemig goes on with the defaults: none of the file is used. Textual is not imported
here: the theme names and binding ids are passed in by the UI, which checks them; headless commands
check the rest.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

KEYS = ("context", "namespace", "theme", "readonly", "keymap")
_TYPES: dict[str, tuple[type, str]] = {
    "context": (str, "a string"),
    "namespace": (str, "a string"),
    "theme": (str, "a string"),
    "readonly": (bool, "true or false"),
    "keymap": (dict, "a table of binding id = keys"),
}
_AT_LINE = re.compile(r"\(at line (\d+)(?:, column \d+)?\)")


@dataclass(frozen=True)
class Settings:
    """What the file sets; None (or empty) where it says nothing."""

    context: str | None = None
    namespace: str | None = None
    theme: str | None = None
    readonly: bool = False
    keymap: Mapping[str, str] = field(default_factory=dict)


class ConfigProblem(ValueError):
    """Why the file cannot be used, with the line it is on (0 when no line can be named)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """$XDG_CONFIG_HOME/livemig/config.toml; without XDG_CONFIG_HOME (or with a relative one, which the
    XDG spec says to ignore), ~/.config/livemig/config.toml."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME", "")
    if not base or not os.path.isabs(base):
        home = environ.get("HOME") or os.path.expanduser("~")
        base = os.path.join(home, ".config")
    return Path(base) / "livemig" / "config.toml"


def _line_of(text: str, key: str, table: str = "") -> int:
    """The line (1-based) where `key` is set, inside [table] when given; 0 when it cannot be found."""
    current = ""
    quoted = re.escape(key)
    pattern = re.compile(rf'^\s*(?:{quoted}|"{quoted}"|\'{quoted}\')\s*=')
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1).strip().strip("\"'")
            if not table and current == key:
                return number
            continue
        if current == table and pattern.match(line):
            return number
    return 0


def parse_config(
    text: str,
    known_themes: Collection[str] | None = None,
    known_bindings: Collection[str] | None = None,
    key_problem: Callable[[str], str | None] | None = None,
) -> Settings:
    """The settings of the file's `text`; raises ConfigProblem. Themes, binding ids and keys are
    checked only when the caller passes what they may be."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        reason = str(error)
        found = _AT_LINE.search(reason)
        line = int(found.group(1)) if found else int(getattr(error, "lineno", 0) or 0)
        reason = _AT_LINE.sub("", reason).strip().rstrip(".")
        raise ConfigProblem(f"it is not valid TOML ({reason[:1].lower()}{reason[1:]})", line) from None
    for key, value in data.items():
        if key not in _TYPES:
            raise ConfigProblem(f'"{key}" is no setting (settings: {", ".join(KEYS)})', _line_of(text, key))
        kind, words = _TYPES[key]
        if not isinstance(value, kind):
            raise ConfigProblem(f"{key} must be {words}", _line_of(text, key))
        if isinstance(value, str) and not value.strip():
            raise ConfigProblem(f"{key} is empty", _line_of(text, key))
    theme = data.get("theme")
    if theme is not None and known_themes is not None and theme not in known_themes:
        raise ConfigProblem(
            f'there is no theme "{theme}" (themes: {", ".join(sorted(known_themes))})', _line_of(text, "theme")
        )
    keymap: dict[str, str] = {}
    for binding_id, keys in data.get("keymap", {}).items():
        line = _line_of(text, binding_id, "keymap")
        if not isinstance(keys, str) or not keys.strip():
            raise ConfigProblem(f'keymap "{binding_id}" must be a string of keys such as "x" or "ctrl+q,f10"', line)
        if known_bindings is not None and binding_id not in known_bindings:
            raise ConfigProblem(f'no binding has the id "{binding_id}" (help, ?, lists the ids)', line)
        if key_problem is not None:
            for key in keys.split(","):
                problem = key_problem(key.strip())
                if problem:
                    raise ConfigProblem(f"keymap {binding_id}: {problem}", line)
        keymap[binding_id] = keys.strip()
    return Settings(
        context=data.get("context"),
        namespace=data.get("namespace"),
        theme=theme,
        readonly=bool(data.get("readonly", False)),
        keymap=keymap,
    )


def problem_sentence(path: Path, problem: ConfigProblem) -> str:
    where = f"{path}, line {problem.line}" if problem.line else str(path)
    return f"The config file {where} is not used: {problem.message}; livemig starts with the defaults."


def read_config(
    path: Path,
    known_themes: Collection[str] | None = None,
    known_bindings: Collection[str] | None = None,
    key_problem: Callable[[str], str | None] | None = None,
) -> tuple[Settings, str]:
    """The file's settings and "" (no file: the defaults and ""), or the defaults and one sentence that
    says why the file is not used, naming it and its line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings(), ""
    except OSError as error:
        return (
            Settings(),
            f"The config file {path} cannot be read ({error.strerror}); livemig starts with the defaults.",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Settings(), problem_sentence(path, ConfigProblem("it is not UTF-8 text"))
    try:
        return parse_config(text, known_themes, known_bindings, key_problem), ""
    except ConfigProblem as problem:
        return Settings(), problem_sentence(path, problem)


def merged_keymap(file_keymap: Mapping[str, str], environment_text: str) -> str:
    """The keymap text to use: the file's bindings, each one LIVEMIG_KEYMAP names replaced by it."""
    named = {entry.partition("=")[0].strip() for entry in environment_text.split(";") if entry.strip()}
    kept = [f"{binding_id}={keys}" for binding_id, keys in file_keymap.items() if binding_id not in named]
    return ";".join(kept + ([environment_text] if environment_text.strip() else []))
