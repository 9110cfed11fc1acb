"""The evacuation plan in words, the same for the terminal UI and `livemig evacuate`, and the batches of
migrations an evacuation started (so one key can abort those not yet finished)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from tui.domain.evacuation import EvacuationPlan, Movable, Unmovable
from tui.view.ledger import MigrationLedger, MigrationView


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def headline(plan: EvacuationPlan) -> str:
    """ "1 VM will move, 2 cannot, 1 is migrating already." """
    parts = [f"{plural(len(plan.movable), 'VM')} will move", f"{len(plan.unmovable)} cannot"]
    if plan.migrating:
        parts.append(f"{len(plan.migrating)} {'is' if len(plan.migrating) == 1 else 'are'} migrating already")
    return ", ".join(parts) + "."


def cordon_words(plan: EvacuationPlan, cordon: bool = True) -> str:
    if plan.cordoned:
        return f"{plan.node} is cordoned already: no new VM or pod lands there."
    if not cordon:
        return f"{plan.node} is not cordoned: the scheduler may still place new VMs and pods there."
    return f"{plan.node} is cordoned first (spec.unschedulable), so no new VM or pod lands there."


def maintenance_words(plan: EvacuationPlan) -> str:
    """Harvester's maintenance mode, when the node is in it ("" otherwise)."""
    if not plan.maintenance:
        return ""
    return f"Harvester maintenance mode: {plan.maintenance} (annotation harvesterhci.io/maintain-status)."


def onto_words(plan: EvacuationPlan) -> str:
    """The nodes chosen to take the VMs ("" when the scheduler decides)."""
    if not plan.onto:
        return ""
    return (
        f"Onto {', '.join(plan.onto)}: each VM goes to the one of them that can take it with the most free memory left."
    )


# At most this many target nodes are named in words; the rest are counted (JSON names them all).
NAMED_TARGETS = 4


def targets_words(item: Movable) -> str:
    if item.target:
        return f"to {item.target}"
    if not item.targets:
        return "the scheduler decides (the nodes could not be read)"
    if len(item.targets) == 1:
        return f"to {item.targets[0]}"
    if len(item.targets) <= NAMED_TARGETS:
        return f"the scheduler picks one of {', '.join(item.targets)}"
    named = ", ".join(item.targets[:NAMED_TARGETS])
    return (
        f"the scheduler picks one of {len(item.targets)} nodes ({named} and {len(item.targets) - NAMED_TARGETS} more)"
    )


def node_not_found(node: str, known: list[str]) -> str:
    """The sentence for a node name that is not in the cluster: every node when there are few, else the
    nearest names."""
    if len(known) <= 10:
        return f"there is no node named {node} (nodes: {', '.join(known) or 'none'})."
    scored = ((difflib.SequenceMatcher(None, node, name).ratio(), name) for name in known)
    nearest = [name for score, name in sorted(scored, key=lambda pair: (-pair[0], pair[1])) if score >= 0.5][:3]
    hint = f"; the nearest: {', '.join(nearest)}" if nearest else ""
    return f"there is no node named {node} (the cluster has {len(known)} nodes{hint})."


def unmovable_words(item: Unmovable) -> tuple[str, str]:
    """Why it stays, and what a drain would do with it."""
    return f"{item.code}: {item.why}", item.on_drain


def queue_words(plan: EvacuationPlan) -> str:
    """What KubeVirt's parallel limits do to the batch ("" when every migration can start at once)."""
    if not plan.queued:
        return ""
    return (
        f"KubeVirt runs at most {plan.parallel_outbound_per_node} migrations out of a node at once "
        f"({plan.parallel_per_cluster} in the cluster): {plan.queued} will wait as queued (phase Pending) "
        "and start as others end."
    )


def nothing_words(plan: EvacuationPlan) -> str:
    if plan.migrating:
        return f"No VM left to move on {plan.node}: the rest are migrating already."
    return f"No VM runs on {plan.node}: nothing to move."


@dataclass(frozen=True)
class EvacuationBatch:
    """The migrations one evacuation created, by key (namespace/name)."""

    node: str
    migrations: tuple[str, ...]


class EvacuationBatches:
    """The evacuations started from this livemig, newest per node."""

    def __init__(self) -> None:
        self._by_node: dict[str, EvacuationBatch] = {}

    def started(self, node: str, migrations: tuple[str, ...]) -> None:
        self._by_node[node] = EvacuationBatch(node, migrations)

    def batch(self, node: str) -> EvacuationBatch | None:
        return self._by_node.get(node)

    def unfinished(self, node: str, ledger: MigrationLedger) -> list[MigrationView]:
        """The batch's migrations that have not ended (and are not being aborted already)."""
        batch = self._by_node.get(node)
        if batch is None:
            return []
        views = (ledger.view(key) for key in batch.migrations)
        return [view for view in views if view is not None and not view.final and not view.aborting]
