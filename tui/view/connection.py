"""The connection in a word for the header and, when something is wrong, a sentence for the banner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tui.cluster.connection import ConnectionState, ConnectionStatus
from tui.domain.kinds import KINDS, words_for
from tui.text import clean_line as clean

# The kinds whose absence changes what the screens say (the registry's `important`), in the order the
# banner names them: what the list shows first.
_BANNER_ORDER = ("vms", "vmis", "migrations", "nodes", "pods", "kubevirts")
_IMPORTANT = tuple(name for name in _BANNER_ORDER if name in {k.name for k in KINDS if k.important}) + tuple(
    k.name for k in KINDS if k.important and k.name not in _BANNER_ORDER
)


@dataclass(frozen=True)
class ConnectionSummary:
    """The connection in a word for the header and, when something is wrong, a sentence for the banner."""

    level: ConnectionStatus  # CONNECTED, STARTING, RECONNECTING (the data may be stale) or LIMITED
    short: str  # "connected", "reconnecting", "listing…", "partial view"
    banner: str = ""  # "" when there is nothing to say

    @property
    def stale(self) -> bool:
        return self.level == ConnectionStatus.RECONNECTING

    @property
    def symbol(self) -> str:
        return _SYMBOLS.get(self.level, "?")

    @property
    def tone_style(self) -> str:
        return _TONES.get(self.level, "$text-warning")


_SYMBOLS = {
    ConnectionStatus.CONNECTED: "●",
    ConnectionStatus.STARTING: "…",
    ConnectionStatus.RECONNECTING: "✗",
    ConnectionStatus.LIMITED: "◐",
}
_TONES = {
    ConnectionStatus.CONNECTED: "$text-success",
    ConnectionStatus.STARTING: "$text-warning",
    ConnectionStatus.RECONNECTING: "bold $text-error",
    ConnectionStatus.LIMITED: "$text-warning",
}


ERROR_LENGTH = 140  # with the sentence around it, three lines at 80 columns


def shortened(text: str, limit: int = ERROR_LENGTH) -> str:
    """`text` cut at a word before `limit` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


def connection_summary(states: Mapping[str, ConnectionState]) -> ConnectionSummary:
    """What the header and the banner say about the reflectors' states."""
    lost = [s for s in states.values() if s.status == ConnectionStatus.RECONNECTING]
    if any(s.rejected for s in lost):
        # What start-up says of a 401, and what to do: retrying alone rarely helps.
        return ConnectionSummary(
            ConnectionStatus.RECONNECTING,
            "credentials rejected",
            "⚠ The API server rejects the credentials (401 Unauthorized): the token or certificate may have "
            "expired or been revoked. Get a fresh kubeconfig (or log in again) and restart livemig; it tries "
            "again every minute meanwhile. The data shown may be stale.",
        )
    if lost:
        worst = max(lost, key=lambda s: (s.attempt, s.kind))
        error = shortened(clean(worst.last_error).rstrip(".")) or "no answer from the API server"
        # What matters first, so a narrow terminal shows it even when the error runs long.
        return ConnectionSummary(
            ConnectionStatus.RECONNECTING,
            "reconnecting",
            f"⚠ Connection lost, the data shown may be stale. Reconnecting (attempt {worst.attempt}): {error}.",
        )
    if any(s.status == ConnectionStatus.STARTING for s in states.values()):
        return ConnectionSummary(ConnectionStatus.STARTING, "listing…")
    missing = [
        s
        for kind in _IMPORTANT
        if (s := states.get(kind)) is not None and s.status in (ConnectionStatus.FORBIDDEN, ConnectionStatus.ABSENT)
    ]
    partial = [s for kind in _IMPORTANT if (s := states.get(kind)) is not None and s.partial]
    if missing or partial:
        notes = [f"{words_for(s.kind)} not readable ({clean(s.last_error) or s.status})" for s in missing]
        notes += [f"{words_for(s.kind)}: {clean(s.partial)}" for s in partial]
        return ConnectionSummary(ConnectionStatus.LIMITED, "partial view", "◐ " + "; ".join(notes) + ".")
    return ConnectionSummary(ConnectionStatus.CONNECTED, "connected")
