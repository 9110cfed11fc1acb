"""Whether a migration may name its target node on this cluster (`--to`), and the refusal in words when not:
the same for `livemig migrate --to` and `livemig evacuate --to`."""

from __future__ import annotations

from tui.cli.output import EXIT_FAILED, EXIT_USAGE
from tui.cluster.session import ClusterSession
from tui.domain.kinds import KUBEVIRTS
from tui.domain.plan import PINNING_ADDED_NODE_SELECTOR, target_pinning

LEAVE_OUT = "or leave out --to: the scheduler then chooses the node"


def pinning_refusal(session: ClusterSession, what: str) -> tuple[str, int] | None:
    """None when migrations may name their node, else the sentence (`what`: "the migration to NODE") and
    the exit code: 2 when the KubeVirt version could not be read, 1 when it is older than 1.6."""
    kubevirt = session.store.snapshot().kubevirt
    pinning, reason = target_pinning(kubevirt)
    if pinning == PINNING_ADDED_NODE_SELECTOR:
        return None
    if kubevirt is None:
        state = session.store.state(KUBEVIRTS.name)
        why = state.last_error.rstrip(".") or state.status
        return (
            f"livemig: cannot send {what}: the KubeVirt version is unknown ({why}), and only KubeVirt 1.6 or "
            f"later lets a migration name its node. Ask for read access to kubevirts.kubevirt.io, {LEAVE_OUT}.",
            EXIT_USAGE,
        )
    return f"livemig: cannot send {what}: {reason}", EXIT_FAILED
