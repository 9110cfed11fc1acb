"""Object metadata validation as the API server applies it: names, generateName, labels, annotations."""

from __future__ import annotations

import re
from typing import Any

from tui.sim.status import field_invalid, field_required

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

QUALIFIED_NAME_MESSAGE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MESSAGE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def label_key_problem(key: str) -> str | None:
    """Why `key` is not a valid label (or annotation) key, or None when it is."""
    prefix, _, name = key.rpartition("/")
    if "/" in prefix:
        return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    if "/" in key and not prefix:
        return "prefix part must be non-empty"
    if prefix and (len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)):
        return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _QUALIFIED_NAME.match(name):
        return QUALIFIED_NAME_MESSAGE
    return None


def label_value_problem(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _LABEL_VALUE.match(value):
        return LABEL_VALUE_MESSAGE
    return None


def name_problem(name: str, dns_label: bool = False) -> str | None:
    """Why `name` is not a valid object name (a DNS-1123 subdomain, or label for namespaces)."""
    if dns_label:
        if len(name) > 63:
            return "must be no more than 63 characters"
        return None if DNS1123_LABEL.match(name) else LABEL_MESSAGE
    if len(name) > 253:
        return "must be no more than 253 characters"
    return None if DNS1123_SUBDOMAIN.match(name) else SUBDOMAIN_MESSAGE


def metadata_problems(metadata: Any, dns_label: bool = False, check_name: bool = True) -> list[dict[str, str]]:
    """Causes (for a 422 Invalid) found in an object's metadata; empty when it is valid."""
    if not isinstance(metadata, dict):
        return [field_required("metadata", "metadata is required")]
    causes: list[dict[str, str]] = []
    name = metadata.get("name")
    if check_name:
        if not name:
            causes.append(field_required("metadata.name", "name or generateName is required"))
        elif not isinstance(name, str):
            causes.append(field_invalid("metadata.name", name, "must be a string"))
        else:
            problem = name_problem(name, dns_label)
            if problem:
                causes.append(field_invalid("metadata.name", name, problem))
    for field_name, check_values in (("labels", True), ("annotations", False)):
        causes.extend(_string_map_problems(metadata.get(field_name), f"metadata.{field_name}", check_values))
    finalizers = metadata.get("finalizers")
    if finalizers is not None and not (isinstance(finalizers, list) and all(isinstance(f, str) for f in finalizers)):
        causes.append(field_invalid("metadata.finalizers", str(finalizers), "must be a list of strings"))
    return causes


def _string_map_problems(value: Any, field_name: str, check_values: bool) -> list[dict[str, str]]:
    """Problems of a labels or annotations map: qualified-name keys, string values (label values checked)."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return [field_invalid(field_name, str(value), "must be a map of strings")]
    causes: list[dict[str, str]] = []
    for key, item in value.items():
        problem = label_key_problem(str(key))
        if problem:
            causes.append(field_invalid(field_name, key, problem))
        if not isinstance(item, str):
            causes.append(field_invalid(f"{field_name}.{key}", str(item), "must be a string"))
        elif check_values:
            problem = label_value_problem(item)
            if problem:
                causes.append(field_invalid(field_name, item, problem))
    return causes
