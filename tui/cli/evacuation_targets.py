"""`livemig evacuate NODE --to NODE[,NODE...]`: the chosen nodes as given, and why they cannot be used
(an unknown node, the node being emptied, one no VM may go to, or a KubeVirt that cannot pin a node)."""

from __future__ import annotations

from tui.cli.output import EXIT_FAILED, EXIT_USAGE, UsageError
from tui.cli.pinning import pinning_refusal
from tui.cluster.session import ClusterSession
from tui.domain.evacuation import EvacuationPlan
from tui.domain.evacuation_targets import eligible_nodes
from tui.domain.snapshot import ClusterSnapshot
from tui.view.evacuation import node_not_found


def chosen_nodes(values: list[str] | None) -> tuple[str, ...]:
    """The nodes of every --to, repeated or comma-separated, each once, in the order given."""
    if values is None:
        return ()
    names = [name.strip() for value in values for name in value.split(",")]
    chosen = tuple(dict.fromkeys(name for name in names if name))
    if not chosen:
        raise UsageError("--to needs at least one node name: --to NODE[,NODE...]")
    return chosen


def refuse_chosen(
    session: ClusterSession, snapshot: ClusterSnapshot, plan: EvacuationPlan, chosen: tuple[str, ...]
) -> tuple[str, int] | None:
    """None when the VMs may be sent onto the chosen nodes, else the sentence and the exit code."""
    for name in chosen:
        if name not in snapshot.nodes:
            return f"livemig: {node_not_found(name, sorted(snapshot.nodes))}", EXIT_USAGE
    if plan.node in chosen:
        return f"livemig: {plan.node} is the node being emptied: leave it out of --to.", EXIT_USAGE
    refused = pinning_refusal(session, f"the migrations to {', '.join(chosen)}")
    if refused is not None:
        return refused
    if not plan.movable:
        return None
    eligible = eligible_nodes(plan)
    for name in chosen:
        if name in eligible:
            continue
        node = snapshot.nodes[name]
        why = (
            "it is cordoned" if node.unschedulable else f"livemig plan NAMESPACE/VM says why for each VM on {plan.node}"
        )
        can = ", ".join(eligible)
        return (
            f"livemig: {name} can take none of the VMs that move off {plan.node} ({why}); "
            f"the nodes that can take at least one: {can}.",
            EXIT_FAILED,
        )
    return None
