"""How the connection to the API server stands: one word (ConnectionStatus) and one value (ConnectionState).

A reflector has a state per kind; the cluster as a whole has a status too (`overall_status`), which
the header and the banner show: listing, connected, reconnecting, or limited (a kind that matters
could not be read, or only partly).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from tui.domain.kinds import KIND_BY_NAME


class ConnectionStatus(str, Enum):
    """A kind's connection, or (with LIMITED) the whole cluster's. Members equal their words ("starting")."""

    STARTING = "starting"  # not listed yet
    CONNECTED = "connected"  # listed, watching
    RECONNECTING = "reconnecting"  # lost the watch or the list failed; retrying with back-off
    FORBIDDEN = "forbidden"  # RBAC denies list/watch: the kind stays empty, and the UI says why
    ABSENT = "absent"  # the API server does not serve the kind (CRD not installed)
    STOPPED = "stopped"
    # Of the whole cluster only: connected, but a kind whose absence changes what the screens say is
    # forbidden, absent or partly read.
    LIMITED = "limited"

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


# A kind in one of these has its answer, whatever it is: waiting longer changes nothing.
SETTLED = frozenset({ConnectionStatus.CONNECTED, ConnectionStatus.FORBIDDEN, ConnectionStatus.ABSENT})


@dataclass(frozen=True)
class ConnectionState:
    """How one reflector's connection to the API server stands, as data the UI can show."""

    kind: str
    status: ConnectionStatus = ConnectionStatus.STARTING
    since: datetime | None = None  # when this status began
    attempt: int = 0  # reconnect attempts since the last success
    last_error: str = ""  # the last error, in one line
    # Set when only part of the kind could be read, saying what is missing and why (e.g. only the
    # virt-launcher pods of one namespace: pods in all namespaces are forbidden). "" when complete.
    partial: str = ""
    # RECONNECTING because the server rejects the credentials (401): retried only now and then, and
    # what helps is a fresh kubeconfig, not patience.
    rejected: bool = False

    @property
    def healthy(self) -> bool:
        return self.status in SETTLED

    @property
    def important(self) -> bool:
        """Its absence changes what the screens say (tui/domain/kinds.py)."""
        kind = KIND_BY_NAME.get(self.kind)
        return kind is not None and kind.important


def overall_status(states: Mapping[str, ConnectionState]) -> ConnectionStatus:
    """The cluster's status from its kinds': RECONNECTING while any reconnects, STARTING while any is
    not listed yet, LIMITED when an important kind is forbidden, absent or partial, else CONNECTED."""
    if any(state.status == ConnectionStatus.RECONNECTING for state in states.values()):
        return ConnectionStatus.RECONNECTING
    if any(state.status == ConnectionStatus.STARTING for state in states.values()):
        return ConnectionStatus.STARTING
    unreadable = (ConnectionStatus.FORBIDDEN, ConnectionStatus.ABSENT)
    if any(state.important and (state.status in unreadable or state.partial) for state in states.values()):
        return ConnectionStatus.LIMITED
    return ConnectionStatus.CONNECTED
