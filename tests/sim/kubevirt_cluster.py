"""Small Harvester clusters for the simulated KubeVirt's tests: scenario YAML, a running SimCluster, clients.

A cluster is written as a dump would be: a Simulation document, the KubeVirt CR, nodes and VMs, as
`kubectl get -o yaml` prints them (trimmed to what matters). Tests pick the VMs they need.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import yaml
from kubernetes import client, config

import tui.sim.controller  # noqa: F401  (registers the simulated KubeVirt and the built-in scenarios)
from tui.sim.kubevirt.simulation import KubeVirtSimulation, simulation_of
from tui.sim.runtime import SimCluster
from tui.sim.scenario import parse_scenario

KUBEVIRT = ("kubevirt.io", "v1")
START = "2026-03-02T09:00:00Z"

SIMULATION = """
apiVersion: livemig.io/v1alpha1
kind: Simulation
kubevirtVersion: "{version}"
migrationBandwidth: {bandwidth}
defaultDirtyRate: 16Mi
dirtyRates: {dirty_rates}
monitoring: true
startTime: "{start}"
nodeCPUs:
  node-a: &xyz {{hostModel: XYZ, models: ["123", XYZ], features: [vmx, avx512f, pdpe1gb], requiredFeatures: [avx512f, pdpe1gb]}}
  node-b: *xyz
  node-c: {{hostModel: ABC, models: ["123", ABC], features: [vmx, pdpe1gb, sha-ni], requiredFeatures: [pdpe1gb, sha-ni]}}
"""

KUBEVIRT_CR = """
apiVersion: kubevirt.io/v1
kind: KubeVirt
metadata: {{name: kubevirt, namespace: harvester-system}}
spec:
  configuration:
    additionalGuestMemoryOverheadRatio: "1.5"
    migrations: {migrations}
status:
  observedKubeVirtVersion: {build}
  phase: Deployed
"""

NODE = """
apiVersion: v1
kind: Node
metadata:
  name: {name}
  labels: {{kubernetes.io/hostname: {name}, kubernetes.io/arch: amd64, kubernetes.io/os: linux, rack: {rack}}}
spec: {{podCIDR: "10.52.{index}.0/24"}}
status:
  addresses: [{{address: "10.115.48.{index}", type: InternalIP}}]
  allocatable: {{cpu: "16", memory: {memory}, pods: "110", nvidia.com/GA102GL_A10: "1"}}
  capacity: {{cpu: "16", memory: {memory}, pods: "110", nvidia.com/GA102GL_A10: "1"}}
"""

VM = """
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: {name}
  namespace: default
  annotations:
    harvesterhci.io/volumeClaimTemplates: '{claims}'
  labels: {{harvesterhci.io/creator: harvester}}
spec:
  runStrategy: {run}
  template:
    metadata:
      labels: {labels}
    spec:
      domain:
        cpu: {cpu}
        devices:
          disks:
          - {{bootOrder: 1, disk: {{bus: virtio}}, name: disk-0}}
          - {{disk: {{bus: virtio}}, name: cloudinitdisk}}
          interfaces: [{{{binding}: {{}}, model: virtio, name: default}}]
          hostDevices: {host_devices}
        machine: {{type: q35}}
        memory: {{guest: {memory}}}
        resources:
          limits: {{cpu: "2", memory: {memory}}}
          requests: {{cpu: 125m, memory: {memory}}}
      evictionStrategy: LiveMigrateIfPossible
      networks: [{{name: default, pod: {{}}}}]
      nodeSelector: {node_selector}
      affinity: {affinity}
      volumes:
      - {{name: disk-0, persistentVolumeClaim: {{claimName: {name}-disk-0}}}}
      - {{name: cloudinitdisk, cloudInitNoCloud: {{secretRef: {{name: {name}-cloudinit}}}}}}
"""


def node(name: str, index: int, rack: str = "r1", memory: str = "64Gi", **spec: Any) -> str:
    text = NODE.format(name=name, index=index, rack=rack, memory=memory)
    if spec:
        obj = yaml.safe_load(text)
        obj["spec"].update(spec)
        return yaml.safe_dump(obj, sort_keys=False)
    return text


def vm(
    name: str,
    model: str | None = "123",
    memory: str = "2Gi",
    access: str = "ReadWriteMany",
    binding: str = "masquerade",
    host_device: bool = False,
    node_selector: dict | None = None,
    on_node: str | None = None,
    labels: dict | None = None,
    run: str = "RerunOnFailure",
) -> str:
    """A Harvester VM; `on_node` pins where it starts (required node affinity on the hostname)."""
    claims = [
        {
            "metadata": {"name": f"{name}-disk-0"},
            "spec": {"accessModes": [access], "resources": {"requests": {"storage": "10Gi"}}, "volumeMode": "Block"},
        }
    ]
    cpu = {"cores": 2, "sockets": 1, "threads": 1}
    if model:
        cpu["model"] = model
    affinity: dict = {}
    if on_node:
        # Preferred, not required: a required hostname affinity would pin the migration target too.
        affinity = {
            "nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "preference": {
                            "matchExpressions": [
                                {"key": "kubernetes.io/hostname", "operator": "In", "values": [on_node]}
                            ]
                        },
                    }
                ]
            }
        }
    return VM.format(
        name=name,
        claims=json.dumps(claims, separators=(",", ":")),
        run=run,
        labels=json.dumps({"harvesterhci.io/vmName": name, **(labels or {})}),
        cpu=json.dumps(cpu),
        binding=binding,
        host_devices=json.dumps([{"deviceName": "nvidia.com/GA102GL_A10", "name": "gpu-1"}] if host_device else []),
        memory=memory,
        node_selector=json.dumps(node_selector or {}),
        affinity=json.dumps(affinity),
    )


def scenario_text(
    *documents: str, version: str = "1.6.3", migrations: dict | None = None, bandwidth: str = "1Gi"
) -> str:
    # busy-vm dirties memory faster than the network carries it, when a test has it (a scenario's
    # dirtyRates may only name VMs it holds).
    busy = any("name: busy-vm" in document for document in documents)
    dirty_rates = "{default/busy-vm: 2Gi}" if busy else "{}"
    head = [
        SIMULATION.format(version=version, bandwidth=bandwidth, start=START, dirty_rates=dirty_rates),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: harvester-system}\n",
        KUBEVIRT_CR.format(migrations=json.dumps(migrations or {}), build=f"{version}-150700.3.13.1"),
        node("node-a", 1),
        node("node-b", 2),
        node("node-c", 3, rack="r2"),
    ]
    return "\n---\n".join(head + list(documents))


@contextmanager
def running(*documents: str, **options: Any) -> Iterator[SimCluster]:
    """A SimCluster (manual clock) of node-a, node-b (host model XYZ) and node-c (ABC) with `documents`."""
    with SimCluster.start(
        parse_scenario(scenario_text(*documents, **options), name="test"), manual_clock=True
    ) as cluster:
        yield cluster


def kubevirt_of(cluster: SimCluster) -> KubeVirtSimulation:
    found = simulation_of(cluster)
    assert found is not None, "the cluster runs no simulated KubeVirt"
    return found


@contextmanager
def api_client(cluster: SimCluster, directory: Path, context: str = "sim-admin") -> Iterator[client.ApiClient]:
    path = cluster.write_kubeconfig(directory / "kubeconfig")
    api = config.new_client_from_config(config_file=str(path), context=context)
    try:
        yield api
    finally:
        api.close()


def migrate(
    api: client.ApiClient, vmi: str, target: str | None = None, name: str | None = None, annotations: dict | None = None
) -> dict:
    """Create a VirtualMachineInstanceMigration through the API, as livemig does."""
    body: dict[str, Any] = {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstanceMigration",
        "metadata": {"generateName": f"{vmi}-"},
        "spec": {"vmiName": vmi},
    }
    if name:
        body["metadata"] = {"name": name}
    if annotations:
        body["metadata"]["annotations"] = annotations
    if target:
        body["spec"]["addedNodeSelector"] = {"kubernetes.io/hostname": target}
    return client.CustomObjectsApi(api).create_namespaced_custom_object(
        *KUBEVIRT, "default", "virtualmachineinstancemigrations", body
    )


def phase_of(cluster: SimCluster, name: str) -> str:
    return cluster.store.get("virtualmachineinstancemigrations", "default", name).get("status", {}).get("phase", "")


def advance_until(cluster: SimCluster, name: str, phases: tuple[str, ...], limit: int = 900) -> str:
    """Step the clock a second at a time until migration `name` is in one of `phases` (or `limit` seconds pass)."""
    for _ in range(limit):
        phase = (
            phase_of(cluster, name)
            if cluster.store.exists("virtualmachineinstancemigrations", "default", name)
            else "<gone>"
        )
        if phase in phases:
            return phase
        cluster.advance(1)
    return phase_of(cluster, name)


def vmi_of(cluster: SimCluster, name: str, namespace: str = "default") -> dict:
    return cluster.store.get("virtualmachineinstances", namespace, name)


def events_about(cluster: SimCluster, name: str, namespace: str = "default") -> list[tuple[str, str, str]]:
    """(type, reason, message) of every event about the object `name`, in the order they were first seen."""
    events = cluster.store.list("events", namespace, field_selector=f"involvedObject.name={name}")
    events.sort(key=lambda e: (e["firstTimestamp"], e["metadata"]["name"]))
    return [(e["type"], e["reason"], e["message"]) for e in events]


def condition(obj: dict, type_: str) -> dict:
    for found in obj.get("status", {}).get("conditions", []):
        if found.get("type") == type_:
            return found
    return {}
