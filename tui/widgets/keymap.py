"""The keymap (LIVEMIG_KEYMAP): read it, say what in it cannot work, and which keys each binding really has.

    keymap, problems = parse_keymap("vms.migrate=q;nonsense", binding_ids)
    problems += clashes(keymap, scopes)      # "on the VM list q now does Migrate (vms.migrate), no longer Quit"

A key works for a binding in a scope (the VM list, a question…) unless another binding takes it first,
the way Textual looks keys up: priority bindings first (the app's ctrl+c and ctrl+p, Textual's
ctrl+q), then the focused widget's, the screen's and the app's, nearest first; within one of them a
key the keymap gave a binding is that binding's alone. Only what the keymap changed is reported: the
default overlaps (q closes help, M goes back on the Migrations screen) are meant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from textual.binding import Binding

# Textual names a key typed as a character ("?" is "question_mark") with a private function, and only
# there: binding ids and LIVEMIG_KEYMAP are read with it, so they name keys as Textual does.
from textual.keys import Keys, _character_to_key, format_key, key_to_character

from tui.widgets.literal import clean

MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
_NAMED = {key.value.rpartition("+")[2] for key in Keys if not key.value.startswith("<")} | {
    "slash",
    "backslash",
    "at",
    "minus",
    "plus",
    "underscore",
}
# Textual's own priority key: ctrl+q quits whatever the keymap says.
TEXTUAL_QUIT = Binding("ctrl+q", "quit", "Quit", priority=True, id="")


@dataclass(frozen=True)
class Scope:
    """Where a set of bindings is active together: its name ("VM list"), how a sentence says where
    ("on the VM list"), and the bindings' owners, nearest the focus first."""

    name: str
    where: str
    owners: tuple[type, ...]


def normal_key(key: str) -> str:
    """A key as Textual names it: "?" -> "question_mark", " x " -> "x"."""
    key = key.strip()
    return _character_to_key(key) if len(key) == 1 else key


def key_problem(key: str) -> str | None:
    """Why `key` (as normalised) is no key a terminal sends, or None when it is one."""
    if not key:
        return "an empty key"
    *modifiers, name = key.split("+")
    unknown = [modifier for modifier in modifiers if modifier not in MODIFIERS]
    if unknown:
        return f'"{clean(key)}": "{clean(unknown[0])}" is no modifier ({", ".join(MODIFIERS[:4])})'
    if not name:
        return f'"{clean(key)}" names no key'
    if (len(name) == 1 and name.isprintable()) or name in _NAMED or key_to_character(name) is not None:
        return None
    return f'"{clean(key)}" is no key name (e.g. x, f10, ctrl+x, question_mark, pageup)'


def parse_keymap(text: str, known_ids: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """LIVEMIG_KEYMAP's "vms.migrate=x;app.quit=ctrl+q,f10": binding id -> keys, and what was ignored and why."""
    keymap: dict[str, str] = {}
    problems: list[str] = []
    known = set(known_ids)
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        binding_id, equals, keys = (piece.strip() for piece in entry.partition("="))
        if not equals or not keys:
            problems.append(f'"{clean(entry)}" is not ID=KEYS; ignored')
            continue
        if binding_id not in known:
            problems.append(f'no binding has the id "{clean(binding_id)}"; ignored')
            continue
        good: list[str] = []
        for key in (normal_key(key) for key in keys.split(",")):
            problem = key_problem(key)
            if problem:
                problems.append(f"{binding_id}: {problem}; ignored")
            elif key not in good:
                good.append(key)
        if good:
            keymap[binding_id] = ",".join(good)
        else:
            problems[-1] += f", so {binding_id} keeps its own keys"
    return keymap, problems


def _bindings(owner: type) -> list[Binding]:
    return [binding for binding in getattr(owner, "BINDINGS", ()) if isinstance(binding, Binding)]


def keys_for(binding: Binding, keymap: Mapping[str, str]) -> list[str]:
    """`binding`'s keys after the keymap, as Textual names them."""
    text = keymap.get(binding.id or "", binding.key)
    return [key for key in dict.fromkeys(normal_key(key) for key in text.split(",")) if key]


@dataclass(frozen=True)
class KeyTaken:
    """In `scope`, `key` of `loser` goes to `winner` (one of them moved there by the keymap)."""

    scope: str
    key: str
    winner: Binding
    loser: Binding


def scope_keys(
    scope: Scope, keymap: Mapping[str, str], priority: Sequence[Binding]
) -> tuple[dict[str, list[str]], list[KeyTaken]]:
    """The keys that work for each binding of `scope` (by action), and the keys the keymap made one
    binding take from another."""
    claims: list[tuple[str, Binding]] = []  # in the order Textual tries them
    for binding in priority:
        claims += [(key, binding) for key in keys_for(binding, keymap)]
    for owner in scope.owners:
        bindings = [binding for binding in _bindings(owner) if not binding.priority]
        # Within one owner a key the keymap gave a binding is that binding's: it claims first.
        for binding in sorted(bindings, key=lambda binding: binding.id not in keymap):
            claims += [(key, binding) for key in keys_for(binding, keymap)]
    working: dict[str, list[str]] = {}
    taken: list[KeyTaken] = []
    holder: dict[str, Binding] = {}
    for key, binding in claims:
        keys = working.setdefault(binding.action, [])
        winner = holder.get(key)
        if winner is None:
            holder[key] = binding
            keys.append(key)
        elif winner.action != binding.action and (winner.id in keymap or binding.id in keymap):
            taken.append(KeyTaken(scope.name, key, winner, binding))
    return working, taken


def _name(binding: Binding) -> str:
    return f"{binding.description} ({binding.id})" if binding.id else f"{binding.description} (Textual's own)"


def clashes(keymap: Mapping[str, str], scopes: Sequence[Scope], priority: Sequence[Binding]) -> list[str]:
    """One sentence per key the keymap gave a binding that another binding has instead, or took from one."""
    said: list[str] = []
    for scope in scopes:
        working, taken = scope_keys(scope, keymap, priority)
        for clash in taken:
            left = working.get(clash.loser.action, [])
            rest = (
                f", which keeps {' '.join(map(format_key, left))} there"
                if left
                else ", which has no key there now (ctrl+p, the command palette, offers it)"
            )
            sentence = (
                f"{scope.where} {format_key(clash.key)} does {_name(clash.winner)}, not {_name(clash.loser)}{rest}"
            )
            if sentence not in said:
                said.append(sentence)
    return said


def lost_keys(
    keymap: Mapping[str, str], scopes: Sequence[Scope], priority: Sequence[Binding]
) -> dict[str, dict[str, list[str]]]:
    """binding id -> key -> the scopes where the keymap made another binding take that key."""
    lost: dict[str, dict[str, list[str]]] = {}
    for scope in scopes:
        for clash in scope_keys(scope, keymap, priority)[1]:
            places = lost.setdefault(clash.loser.id or "", {}).setdefault(clash.key, [])
            if scope.name not in places:
                places.append(scope.name)
    return lost


def keyless(scope: Scope, keymap: Mapping[str, str], priority: Sequence[Binding]) -> list[tuple[type, Binding]]:
    """The bindings of `scope` (with their owner) that have no working key there."""
    working, _ = scope_keys(scope, keymap, priority)
    return [
        (owner, binding) for owner in scope.owners for binding in _bindings(owner) if not working.get(binding.action)
    ]
