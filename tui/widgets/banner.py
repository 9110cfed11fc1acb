"""The connection banner: a lost connection or an unreadable kind in one line, and the data marked stale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from textual.content import Content
from textual.widgets import Static

from tui.cluster.store import ConnectionState, ConnectionStatus
from tui.widgets.literal import clean

# Kinds whose absence changes what the screens say; the others (policies, NADs, namespaces) only refine it.
_IMPORTANT = ("vms", "vmis", "migrations", "nodes", "pods", "kubevirts")
_KIND_WORDS = {
    "vms": "VirtualMachines",
    "vmis": "VirtualMachineInstances",
    "migrations": "migrations",
    "nodes": "nodes",
    "pods": "pods",
    "kubevirts": "the KubeVirt CR",
    "policies": "MigrationPolicies",
    "nads": "NetworkAttachmentDefinitions",
    "namespaces": "namespaces",
}

LEVEL_OK = "ok"
LEVEL_STARTING = "starting"
LEVEL_LOST = "lost"
LEVEL_LIMITED = "limited"


@dataclass(frozen=True)
class ConnectionSummary:
    """The connection in a word for the header and, when something is wrong, a sentence for the banner."""

    level: str  # LEVEL_*
    short: str  # "connected", "reconnecting", "listing…", "partial view"
    banner: str = ""  # "" when there is nothing to say

    @property
    def stale(self) -> bool:
        return self.level == LEVEL_LOST

    @property
    def symbol(self) -> str:
        return {LEVEL_OK: "●", LEVEL_STARTING: "…", LEVEL_LOST: "✗", LEVEL_LIMITED: "◐"}[self.level]

    @property
    def tone_style(self) -> str:
        return {
            LEVEL_OK: "$text-success",
            LEVEL_STARTING: "$text-warning",
            LEVEL_LOST: "bold $text-error",
            LEVEL_LIMITED: "$text-warning",
        }[self.level]


def connection_summary(states: Mapping[str, ConnectionState]) -> ConnectionSummary:
    """What the header and the banner say about the reflectors' states."""
    lost = [s for s in states.values() if s.status == ConnectionStatus.RECONNECTING]
    if lost:
        worst = max(lost, key=lambda s: (s.attempt, s.kind))
        error = clean(worst.last_error) or "no answer from the API server"
        return ConnectionSummary(
            LEVEL_LOST,
            "reconnecting",
            f"⚠ Connection lost: reconnecting, attempt {worst.attempt}: {error}. The data shown may be stale.",
        )
    if any(s.status == ConnectionStatus.STARTING for s in states.values()):
        return ConnectionSummary(LEVEL_STARTING, "listing…")
    missing = [
        s for kind in _IMPORTANT if (s := states.get(kind)) is not None and s.status in (ConnectionStatus.FORBIDDEN, ConnectionStatus.ABSENT)
    ]
    partial = [s for kind in _IMPORTANT if (s := states.get(kind)) is not None and s.partial]
    if missing or partial:
        notes = [f"{_KIND_WORDS.get(s.kind, s.kind)} not readable ({clean(s.last_error) or s.status})" for s in missing]
        notes += [f"{_KIND_WORDS.get(s.kind, s.kind)}: {clean(s.partial)}" for s in partial]
        return ConnectionSummary(LEVEL_LIMITED, "partial view", "◐ " + "; ".join(notes) + ".")
    return ConnectionSummary(LEVEL_OK, "connected")


class ConnectionBanner(Static):
    """One line under the header while something is wrong with the connection; hidden otherwise."""

    DEFAULT_CSS = """
    ConnectionBanner { height: auto; max-height: 2; display: none; padding: 0 1; }
    ConnectionBanner.-lost { display: block; background: $error-muted; color: $text; text-style: bold; }
    ConnectionBanner.-limited { display: block; background: $warning-muted; color: $text; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)

    def show(self, summary: ConnectionSummary) -> None:
        self.set_class(summary.level == LEVEL_LOST, "-lost")
        self.set_class(summary.level == LEVEL_LIMITED, "-limited")
        self.update(Content(summary.banner))
