"""livemig's evacuation plan against what the simulated KubeVirt does when a drain evicts each VM.

For every VM on a node of the `default` scenario, the plan says what a drain would do with it: evict
it (the guest shuts down), refuse and start an evacuation migration, refuse because it cannot migrate,
or leave it to its owner. The simulator decides with its own eviction admitter and evacuation
controller (tui/sim/kubevirt/evacuation.py, written from KubeVirt's sources): here each launcher pod
is evicted over HTTP as `kubectl drain` does, and the answer must be the one the plan gave; every VM
the plan moves must be one KubeVirt evacuates.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.ui.harness import connect_as, simulated
from tui.cluster.errors import ApiError
from tui.domain.evacuation import DRAIN_EVACUATES, DRAIN_EVICTS, DRAIN_LEFT_TO_OWNER, DRAIN_REFUSED, evacuation_plan

REFUSED = {DRAIN_EVACUATES, DRAIN_REFUSED, DRAIN_LEFT_TO_OWNER}


def launcher_pod(cluster, namespace: str, vmi: str, node: str) -> str:
    [pod] = [
        p["metadata"]["name"]
        for p in cluster.store.list("pods", namespace)
        if p["metadata"].get("labels", {}).get("kubevirt.io") == "virt-launcher"
        and p["metadata"].get("annotations", {}).get("kubevirt.io/domain") == vmi
        and p.get("spec", {}).get("nodeName") == node
        and p.get("status", {}).get("phase") not in ("Succeeded", "Failed")
    ]
    return pod


def evict(session, namespace: str, pod: str) -> int:
    """POST the policy/v1 Eviction as kubectl drain does; the HTTP status."""
    body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": pod, "namespace": namespace}}
    try:
        session.transport.request("POST", f"/api/v1/namespaces/{namespace}/pods/{pod}/eviction", body=body)
    except ApiError as error:
        return error.code
    return 201


@pytest.mark.parametrize("node", ["harvester-node-1", "harvester-node-2", "harvester-node-3"])
def test_the_plan_says_what_a_drain_does_with_each_vm(node: str) -> None:
    with simulated("default") as cluster, tempfile.TemporaryDirectory() as directory:
        session = connect_as(cluster, Path(directory), all_namespaces=True)
        try:
            plan = evacuation_plan(session.store.snapshot(), node, session.now())
            expected = {str(item.key): DRAIN_EVACUATES for item in plan.movable}
            expected |= {str(item.key): item.drain for item in plan.unmovable}
            assert expected, f"nothing runs on {node}"
            answered = {}
            for key in expected:
                namespace, _, name = key.partition("/")
                code = evict(session, namespace, launcher_pod(cluster, namespace, name, node))
                answered[key] = DRAIN_EVICTS if code in (200, 201) else "refused" if code == 429 else str(code)
            assert answered == {key: "refused" if drain in REFUSED else drain for key, drain in expected.items()}
            cluster.advance(2)
            evacuated = {
                f"{m['metadata']['namespace']}/{m['spec']['vmiName']}"
                for m in cluster.store.list("virtualmachineinstancemigrations", None)
                if m["metadata"]["name"].startswith("kubevirt-evacuation-")
            }
            wanted = {key for key, drain in expected.items() if drain == DRAIN_EVACUATES}
            # KubeVirt starts at most 2 out of a node at once: those it started are among those the plan named.
            assert evacuated and evacuated <= wanted
            assert {str(item.key) for item in plan.movable} <= wanted
        finally:
            session.stop()
