"""The connection in a word for the header and, when something is wrong, a sentence for the banner."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from tui.cluster.connection import SETTLED, ConnectionState, ConnectionStatus
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
    short: str  # "connected", "reconnecting", "listing VMIs, pods", "partial view"
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


# How the header names a kind still being listed: short, so a few fit beside the context at 80 columns.
_SHORT_WORDS = {"kubevirts": "KubeVirt", "nads": "networks", "policies": "policies"}
_LISTING_SHOWN = 3  # kinds named before "+N"


def listing(states: Mapping[str, ConnectionState], listed: Collection[str] = ()) -> tuple[str, ...]:
    """The kinds not listed yet, the list's own first (VMs, VMIs, ...), then the registry's order: those
    starting, and those whose first list failed (reconnecting, and not among the kinds `listed` before)."""
    starting = {
        kind
        for kind, state in states.items()
        if state.status == ConnectionStatus.STARTING
        or (state.status == ConnectionStatus.RECONNECTING and kind not in listed)
    }
    first = tuple(kind for kind in _BANNER_ORDER if kind in starting)
    return (
        first
        + tuple(kind.name for kind in KINDS if kind.name in starting and kind.name not in first)
        + tuple(sorted(starting - {kind.name for kind in KINDS}))
    )


def settled(states: Mapping[str, ConnectionState]) -> set[str]:
    """The kinds that have their answer (listed, forbidden or absent)."""
    return {kind for kind, state in states.items() if state.status in SETTLED}


def listing_words(kinds: tuple[str, ...]) -> str:
    """ "listing VMIs, pods" for the header; at most three kinds are named, the others counted."""
    named = [_SHORT_WORDS.get(kind) or _short_words(kind) for kind in kinds[:_LISTING_SHOWN]]
    more = len(kinds) - _LISTING_SHOWN
    return "listing " + ", ".join(named) + (f" +{more}" if more > 0 else "")


def _short_words(kind: str) -> str:
    words = words_for(kind)
    return {"VirtualMachines": "VMs", "VirtualMachineInstances": "VMIs"}.get(words, words)


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
    starting = tuple(kind for kind, state in states.items() if state.status == ConnectionStatus.STARTING)
    if starting:
        return ConnectionSummary(ConnectionStatus.STARTING, listing_words(listing(states)))
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
