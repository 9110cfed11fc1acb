"""Object metadata validation as the API server applies it: names, generateName, labels, annotations."""

from __future__ import annotations

import re
from typing import Any

from tui.sim.selectors import label_key_problem, label_value_problem
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
    labels = metadata.get("labels")
    if labels is not None:
        if not isinstance(labels, dict):
            causes.append(field_invalid("metadata.labels", str(labels), "must be a map of strings"))
        else:
            for key, value in labels.items():
                problem = label_key_problem(str(key))
                if problem:
                    causes.append(field_invalid("metadata.labels", key, problem))
                if not isinstance(value, str):
                    causes.append(field_invalid(f"metadata.labels.{key}", str(value), "must be a string"))
                else:
                    problem = label_value_problem(value)
                    if problem:
                        causes.append(field_invalid("metadata.labels", value, problem))
    annotations = metadata.get("annotations")
    if annotations is not None:
        if not isinstance(annotations, dict):
            causes.append(field_invalid("metadata.annotations", str(annotations), "must be a map of strings"))
        else:
            for key, value in annotations.items():
                problem = label_key_problem(str(key))
                if problem:
                    causes.append(field_invalid("metadata.annotations", key, problem))
                if not isinstance(value, str):
                    causes.append(field_invalid(f"metadata.annotations.{key}", str(value), "must be a string"))
    finalizers = metadata.get("finalizers")
    if finalizers is not None and not (isinstance(finalizers, list) and all(isinstance(f, str) for f in finalizers)):
        causes.append(field_invalid("metadata.finalizers", str(finalizers), "must be a list of strings"))
    return causes
