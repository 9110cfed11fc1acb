"""Another kubeconfig context or namespace for a running session: the contexts the kubeconfig names,
the namespaces to offer, and a new session connected and started with everything else as it was.

    entries = kubeconfig_contexts(session)           # the current one marked
    other = connect_elsewhere(session.options, context="prod", namespace=None)   # ConnectError
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from tui.cluster.errors import ConnectError
from tui.cluster.session import ClusterSession, ConnectOptions

ALL_NAMESPACES = "*"  # what the namespace chooser answers for "all namespaces" (no namespace is named so)
# A namespace name is a DNS-1123 label (Kubernetes' ValidateNamespaceName).
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
FIRST_LIST_SECONDS = 5.0  # how long a new session waits for its VMs before the screen shows it


@dataclass(frozen=True)
class ContextEntry:
    """One context of the kubeconfig: its name, cluster, user and namespace, and whether it is in use."""

    name: str
    cluster: str
    user: str
    namespace: str
    current: bool


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def kubeconfig_contexts(config: Any, in_use: str) -> list[ContextEntry]:
    """The contexts of a merged kubeconfig (ClusterTarget.config), in its order, `in_use` marked."""
    entries = []
    for entry in config.get("contexts", []) if isinstance(config, dict) else []:
        name = _text(entry.get("name")) if isinstance(entry, dict) else ""
        if not name:
            continue
        body = entry.get("context") if isinstance(entry.get("context"), dict) else {}
        entries.append(
            ContextEntry(
                name=name,
                cluster=_text(body.get("cluster")),
                user=_text(body.get("user")),
                namespace=_text(body.get("namespace")),
                current=name == in_use,
            )
        )
    return entries


def namespace_problem(name: str) -> str:
    """Why `name` cannot be a namespace ("" when it can)."""
    if len(name) > 63 or not _DNS_LABEL.fullmatch(name):
        return (
            f'"{name}" is no namespace name: lower-case letters, digits and "-", starting and ending with a '
            "letter or digit, at most 63 characters."
        )
    return ""


def namespace_choices(known: Iterable[str], watched: tuple[str, ...] | None) -> list[str]:
    """The namespaces to offer: those the cluster lists, and those watched now, sorted."""
    return sorted(set(known) | set(watched or ()))


def options_for(options: ConnectOptions, context: str, namespace: str | None) -> ConnectOptions:
    """`options` for `context`, with `namespace` (None: the context's own; ALL_NAMESPACES: all)."""
    if namespace == ALL_NAMESPACES:
        return replace(options, context=context, namespace=None, all_namespaces=True)
    return replace(options, context=context, namespace=namespace, all_namespaces=False)


def connect_elsewhere(options: ConnectOptions, first_list_seconds: float = FIRST_LIST_SECONDS) -> ClusterSession:
    """A session connected with `options`, started, its VMs listed (or `first_list_seconds` passed).
    Raises ConnectError, one paragraph for the operator, when the context cannot connect."""
    session = ClusterSession.connect(options)
    try:
        session.start()
        session.wait_until_listed(("vms", "vmis"), first_list_seconds)
    except BaseException:
        session.stop(1.0)
        raise
    return session


__all__ = [
    "ALL_NAMESPACES",
    "ConnectError",
    "ContextEntry",
    "connect_elsewhere",
    "kubeconfig_contexts",
    "namespace_choices",
    "namespace_problem",
    "options_for",
]
