"""Label and field selectors as the API server parses and applies them (k8s.io/apimachinery labels, fields).

Parse errors raise `SelectorError` with wording close to apimachinery's, which the server turns into a
400 BadRequest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from tui.sim.resources import METADATA_FIELDS, ResourceType
from tui.sim.validation import label_key_problem, label_value_problem


class SelectorError(ValueError):
    """A selector the API server would refuse (400 BadRequest)."""


# ---------------------------------------------------------------------------------------------
# Label selectors
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """One requirement of a label selector: key, operator and values."""

    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.operator in ("=", "in"):
            return present and value in self.values
        if self.operator in ("!=", "notin"):
            return not present or value not in self.values
        if self.operator == "exists":
            return present
        if self.operator == "!":
            return not present
        if not present:
            return False
        try:
            number = int(value)  # type: ignore[arg-type]
        except ValueError:
            return False
        bound = int(self.values[0])
        return number > bound if self.operator == "gt" else number < bound


@dataclass(frozen=True)
class LabelSelector:
    """A parsed label selector: every requirement must hold (an empty selector matches everything)."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(requirement.matches(labels) for requirement in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


_LABEL_TOKEN = re.compile(r"\s*(!=|==|=|!|\(|\)|,|>|<|[^\s!=(),<>]+)")


def _label_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text):
        match = _LABEL_TOKEN.match(text, position)
        if not match:
            break
        if match.group(1):
            tokens.append(match.group(1))
        position = match.end()
        if text[position:].strip() == "":
            break
    return tokens


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse `a=b,c!=d,e in (f,g),!h,i` (labels.Parse); raises SelectorError."""
    if not text or not text.strip():
        return LabelSelector()
    tokens = _label_tokens(text)
    requirements: list[Requirement] = []
    index = 0

    def peek() -> str | None:
        return tokens[index] if index < len(tokens) else None

    def take() -> str | None:
        nonlocal index
        token = peek()
        index += 1
        return token

    while True:
        token = take()
        if token is None:
            raise SelectorError("found '', expected: !, identifier, or 'end of string'")
        negated = token == "!"
        if negated:
            token = take()
            if token is None or token in "!=(),<>" or token in ("==", "!="):
                raise SelectorError(f"unable to parse requirement: found '{token or ''}', expected: identifier")
        key = token
        problem = label_key_problem(key)
        if problem:
            raise SelectorError(f'unable to parse requirement: <nil>: Invalid value: "{key}": {problem}')
        operator = peek()
        if negated:
            requirements.append(Requirement(key, "!"))
        elif operator is None or operator == ",":
            requirements.append(Requirement(key, "exists"))
        elif operator in ("=", "==", "!="):
            take()
            value = peek()
            if value is None or value in (",",):
                value = ""
            elif value in ("(", ")", "!", "=", "==", "!=", "<", ">"):
                raise SelectorError(f"found '{value}', expected: identifier")
            else:
                take()
            problem = label_value_problem(value)
            if problem:
                raise SelectorError(f'unable to parse requirement: <nil>: Invalid value: "{value}": {problem}')
            requirements.append(Requirement(key, "!=" if operator == "!=" else "=", (value,)))
        elif operator in ("in", "notin"):
            take()
            if take() != "(":
                raise SelectorError(f"found '{peek() or ''}', expected: '('")
            values: list[str] = []
            while True:
                value = take()
                if value is None:
                    raise SelectorError("found '', expected: ',', ')' or identifier")
                if value == ")":
                    break
                if value == ",":
                    continue
                problem = label_value_problem(value)
                if problem:
                    raise SelectorError(f'unable to parse requirement: <nil>: Invalid value: "{value}": {problem}')
                values.append(value)
            if not values and operator == "in":
                raise SelectorError("for 'in', 'notin' operators, values set can't be empty")
            requirements.append(Requirement(key, operator, tuple(values)))
        elif operator in (">", "<"):
            take()
            value = take() or ""
            if not re.fullmatch(r"-?[0-9]+", value):
                raise SelectorError(
                    "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer"
                )
            requirements.append(Requirement(key, "gt" if operator == ">" else "lt", (value,)))
        else:
            raise SelectorError(f"found '{operator}', expected: '=', '!=', '==', 'in', notin'")
        after = take()
        if after is None:
            break
        if after != ",":
            raise SelectorError(f"found '{after}', expected: ',' or 'end of string'")
    return LabelSelector(tuple(requirements))


# ---------------------------------------------------------------------------------------------
# Field selectors
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldTerm:
    field: str
    value: str
    negated: bool = False


@dataclass(frozen=True)
class FieldSelector:
    """A parsed field selector: terms `field=value` / `field!=value`, all must hold."""

    terms: tuple[FieldTerm, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.terms

    def matches(self, resource: ResourceType, obj: Mapping[str, Any]) -> bool:
        for term in self.terms:
            actual = field_value(resource, obj, term.field)
            if (actual == term.value) == term.negated:
                return False
        return True


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    out: list[str] = []
    chars = iter(value)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            if nxt not in ("\\", ",", "="):
                raise SelectorError(f"invalid field selector value: invalid escape sequence: \\{nxt}")
            out.append(nxt)
        else:
            out.append(char)
    return "".join(out)


def _split_term(term: str) -> tuple[str, str, str] | None:
    """Split at the first operator, scanning left to right as fields.splitTerm does."""
    for index in range(len(term)):
        for operator in ("!=", "==", "="):
            if term.startswith(operator, index):
                return term[:index], operator, term[index + len(operator) :]
    return None


def parse_field_selector(text: str | None) -> FieldSelector:
    """Parse `a=b,c!=d` (fields.ParseSelector); raises SelectorError on bad syntax."""
    if not text or not text.strip():
        return FieldSelector()
    terms: list[FieldTerm] = []
    for part in _split_unescaped(text, ","):
        if not part:
            continue
        split = _split_term(part)
        if split is None or not split[0].strip():
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        key, operator, value = split
        terms.append(FieldTerm(key.strip(), _unescape(value), operator == "!="))
    return FieldSelector(tuple(terms))


def check_field_selector(resource: ResourceType, selector: FieldSelector) -> None:
    """Refuse fields this resource does not index, with the wording of the real server."""
    for term in selector.terms:
        if term.field in resource.field_selectors:
            continue
        if resource.builtin:
            raise SelectorError(f"field label not supported: {term.field}")
        raise SelectorError(
            f'"{term.field}" is not a known field selector: only "{METADATA_FIELDS[0]}", "{METADATA_FIELDS[1]}"'
        )


def _get(obj: Mapping[str, Any], dotted: str) -> Any:
    value: Any = obj
    for key in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_SPECIAL_FIELDS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "spec.hostNetwork": lambda obj: bool(_get(obj, "spec.hostNetwork")),
    "spec.unschedulable": lambda obj: bool(_get(obj, "spec.unschedulable")),
    "status.podIPs": lambda obj: _get(obj, "status.podIP"),
    "source": lambda obj: _get(obj, "source.component"),
    "metadata.namespace": lambda obj: _get(obj, "metadata.namespace") or "",
}


def field_value(resource: ResourceType, obj: Mapping[str, Any], field: str) -> str:
    """The string a field selector compares against for this object."""
    special = _SPECIAL_FIELDS.get(field)
    return _text(special(obj) if special else _get(obj, field))
