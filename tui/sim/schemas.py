"""Type checks of the status KubeVirt's CRDs declare, refused with the 422 kube-apiserver answers.

A CRD with a structural schema has every write checked against it: a field of the wrong type is
422 Invalid, one cause per field, worded by kube-openapi's InvalidType ("<path> in body must be of
type <type>: \"<type found>\"") and carried as a FieldValueTypeInvalid cause
(k8s.io/apiextensions-apiserver/pkg/apiserver/validation/validation.go kubeOpenAPIResultToFieldErrors).

crd_status_types.json holds the type tree of the status of each CRD served here, taken from KubeVirt
v1.6.3 pkg/virt-operator/resource/generate/components/validations_generated.go: an object is a
mapping of its properties ("*" for additionalProperties), an array a one-element list of its item
type, a leaf one of string, integer, number, boolean, int-or-string (x-kubernetes-int-or-string) or
any (x-kubernetes-preserve-unknown-fields). Fields it does not name are not checked; null is
accepted everywhere (the server prunes nulls of fields that are not nullable).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from tui.sim import status as st
from tui.sim.resources import ResourceType

TYPES_FILE = Path(__file__).with_name("crd_status_types.json")


@lru_cache(maxsize=1)
def _status_types() -> dict[str, Any]:
    return json.loads(TYPES_FILE.read_text(encoding="utf-8"))


def json_type(value: Any) -> str:
    """The JSON type name kube-openapi reports for a decoded value (a whole number is an integer)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


_ACCEPTS = {
    "string": ("string",),
    "integer": ("integer",),
    "number": ("integer", "number"),
    "boolean": ("boolean",),
    "int-or-string": ("integer", "string"),
}
_SHOWN = {"int-or-string": "integer,string"}


def type_problems(expected: Any, value: Any, path: str) -> list[dict[str, str]]:
    """FieldValueTypeInvalid causes for every place in `value` whose type `expected` refuses."""
    if value is None or expected == "any":
        return []
    found = json_type(value)
    if isinstance(expected, str):
        if found in _ACCEPTS.get(expected, (expected,)):
            return []
        return [_type_invalid(path, _SHOWN.get(expected, expected), found)]
    if isinstance(expected, list):
        if found != "array":
            return [_type_invalid(path, "array", found)]
        return [
            problem
            for index, item in enumerate(value)
            for problem in type_problems(expected[0], item, f"{path}[{index}]")
        ]
    if found != "object":
        return [_type_invalid(path, "object", found)]
    problems: list[dict[str, str]] = []
    for key, item in value.items():
        inner = expected.get(key, expected.get("*"))
        if inner is not None:
            problems += type_problems(inner, item, f"{path}.{key}")
    return problems


def _type_invalid(path: str, wanted: str, found: str) -> dict[str, str]:
    return {
        "reason": "FieldValueTypeInvalid",
        "message": f'Invalid value: "{found}": {path} in body must be of type {wanted}: "{found}"',
        "field": path,
    }


def check_status(resource: ResourceType, obj: Any) -> None:
    """ApiError 422 when `obj`'s status has a field of a type its CRD's schema refuses."""
    expected = _status_types().get(resource.plural) if not resource.builtin else None
    if expected is None or not isinstance(obj, dict) or "status" not in obj:
        return
    problems = type_problems(expected, obj["status"], "status")
    if problems:
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        raise st.invalid(resource.kind, resource.group, str(meta.get("name") or ""), problems)
