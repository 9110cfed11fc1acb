"""The controller-level faults: `cut-network` between two nodes and `node-not-ready`.

    livemig-sim fault cut-network nodes=harvester-node-0,harvester-node-1 seconds=20
    livemig-sim fault node-not-ready node=harvester-node-2 seconds=120

A cut stops the migration traffic between the two nodes: libvirt's keepalive (5 s x 5 probes) drops a
migration whose peer stays silent for about 30 s, a shorter cut only delays it. A node that is not
ready has every kubelet condition Unknown and the unreachable taints, and nothing reaches it either;
without `seconds` it stays down until restored (`node-ready`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from tui.sim.faults import FaultError, number_param
from tui.sim.kubevirt.index import ClusterIndex
from tui.sim.kubevirt.nodes import NodeAgents
from tui.sim.store import format_time


class NetworkCuts:
    """Pairs of nodes that cannot reach each other, until when."""

    def __init__(self) -> None:
        self._cuts: dict[frozenset[str], datetime] = {}

    def cut(self, first: str, second: str, until: datetime) -> None:
        self._cuts[frozenset((first, second))] = until

    def is_cut(self, first: str, second: str, now: datetime) -> bool:
        until = self._cuts.get(frozenset((first, second)))
        if until is None:
            return False
        if now >= until:
            del self._cuts[frozenset((first, second))]
            return False
        return True


def _node_names(params: dict, index: ClusterIndex, key: str, count: int) -> list[str]:
    raw = params.get(key)
    if isinstance(raw, str):
        names = [part.strip() for part in raw.split(",") if part.strip()]
    elif isinstance(raw, list) and all(isinstance(part, str) for part in raw):
        names = list(raw)
    else:
        raise FaultError(
            f'parameter "{key}" is required: {"two node names, comma-separated" if count == 2 else "a node name"}'
        )
    if len(names) != count:
        raise FaultError(f'parameter "{key}" must name {"two nodes" if count == 2 else "one node"}, not {len(names)}')
    if count == 2 and names[0] == names[1]:
        raise FaultError(f'parameter "{key}" must name two different nodes')
    for name in names:
        if index.node(name) is None:
            raise FaultError(f'no node named "{name}"', code=404)
    return names


def register_faults(
    register: Callable[[str, Callable[[dict], Any]], None],
    index: ClusterIndex,
    cuts: NetworkCuts,
    nodes: NodeAgents,
    now: Callable[[], datetime],
) -> None:
    """Add cut-network, node-not-ready and node-ready to the cluster's faults."""

    def cut_network(params: dict) -> dict:
        first, second = _node_names(params, index, "nodes", 2)
        seconds = number_param(params, "seconds", minimum=0)
        until = now() + timedelta(seconds=seconds)
        cuts.cut(first, second, until)
        return {"cut": [first, second], "until": format_time(until)}

    def node_not_ready(params: dict) -> dict:
        (name,) = _node_names(params, index, "node", 1)
        seconds = number_param(params, "seconds", default=0, minimum=0)
        nodes.make_not_ready(name, now(), seconds or None)
        return {"node": name, "until": format_time(now() + timedelta(seconds=seconds)) if seconds else None}

    def node_ready(params: dict) -> dict:
        (name,) = _node_names(params, index, "node", 1)
        nodes.restore(name, now())
        return {"node": name}

    register("cut-network", cut_network)
    register("node-not-ready", node_not_ready)
    register("node-ready", node_ready)
