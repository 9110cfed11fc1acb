"""The generated `large` scenario: N Harvester VMs over one node per 30 VMs, two CPU generations, built in Python.

Objects are built directly (no YAML to parse), so 10,000 VMs are ready in a fraction of a second.
Nodes alternate between host models XYZ and ABC, both running model "123"; a third of the VMs use
host-model, the rest model "123"; one in twenty is stopped. VMs are spread over ten namespaces.
"""

from __future__ import annotations

import json
import math
from types import MappingProxyType

from tui.sim.scenario import NodeCPU, Scenario, Simulation

VMS_PER_NODE = 30
NAMESPACES = 10
XYZ = NodeCPU(
    host_model="XYZ",
    models=("123", "XYZ"),
    features=("vmx", "avx2", "avx512f", "pdpe1gb"),
    required_features=("avx512f", "pdpe1gb"),
)
ABC = NodeCPU(
    host_model="ABC",
    models=("123", "ABC"),
    features=("vmx", "avx2", "pdpe1gb", "sha-ni"),
    required_features=("pdpe1gb", "sha-ni"),
)
MEMORY_GIB = (2, 4, 4, 8)


def _node(index: int) -> dict:
    name = f"harvester-{index:04d}"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "creationTimestamp": "2026-01-10T08:00:00Z",
            "labels": {
                "harvesterhci.io/managed": "true",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "network.harvesterhci.io/mgmt": "true",
                "node.kubernetes.io/instance-type": "rke2",
                "topology.kubernetes.io/zone": f"zone-{'ab'[index % 2]}",
            },
        },
        "spec": {"podCIDR": f"10.{52 + index // 250}.{index % 250}.0/24", "providerID": f"rke2://{name}"},
        "status": {
            "addresses": [
                {"address": f"10.115.{48 + index // 250}.{index % 250 + 1}", "type": "InternalIP"},
                {"address": name, "type": "Hostname"},
            ],
            "allocatable": {"cpu": "63", "memory": "263147740Ki", "pods": "250", "ephemeral-storage": "553842776040"},
            "capacity": {"cpu": "64", "memory": "263147740Ki", "pods": "250", "ephemeral-storage": "569328512Ki"},
        },
    }


def _vm(index: int) -> dict:
    name = f"vm-{index:05d}"
    namespace = f"team-{index % NAMESPACES:02d}"
    gib = MEMORY_GIB[index % len(MEMORY_GIB)]
    claim = f"{name}-disk-0-{index:05x}"
    claims = [
        {
            "metadata": {"name": claim, "annotations": {"harvesterhci.io/imageId": "default/image-sles15sp6"}},
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "resources": {"requests": {"storage": "40Gi"}},
                "volumeMode": "Block",
                "storageClassName": "longhorn-image-sles15sp6",
            },
        }
    ]
    cpu: dict = {"cores": 2, "sockets": 1, "threads": 1}
    if index % 3:
        cpu["model"] = "123"
    run = "Halted" if index % 20 == 19 else "RerunOnFailure"
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "creationTimestamp": "2026-02-01T00:00:00Z",
            "annotations": {
                "harvesterhci.io/vmRunStrategy": run,
                "harvesterhci.io/volumeClaimTemplates": json.dumps(claims, separators=(",", ":")),
            },
            "labels": {"harvesterhci.io/creator": "harvester"},
        },
        "spec": {
            "runStrategy": run,
            "template": {
                "metadata": {"labels": {"harvesterhci.io/vmName": name}},
                "spec": {
                    "domain": {
                        "cpu": cpu,
                        "devices": {
                            "disks": [
                                {"bootOrder": 1, "disk": {"bus": "virtio"}, "name": "disk-0"},
                                {"disk": {"bus": "virtio"}, "name": "cloudinitdisk"},
                            ],
                            "interfaces": [{"masquerade": {}, "model": "virtio", "name": "default"}],
                        },
                        "machine": {"type": "q35"},
                        "memory": {"guest": f"{gib * 1024 - 100}Mi"},
                        "resources": {
                            "limits": {"cpu": "2", "memory": f"{gib}Gi"},
                            "requests": {"cpu": "125m", "memory": f"{gib * 1024 * 2 // 3}Mi"},
                        },
                    },
                    "evictionStrategy": "LiveMigrateIfPossible",
                    "networks": [{"name": "default", "pod": {}}],
                    "volumes": [
                        {"name": "disk-0", "persistentVolumeClaim": {"claimName": claim}},
                        {"cloudInitNoCloud": {"secretRef": {"name": f"{name}-cloudinit"}}, "name": "cloudinitdisk"},
                    ],
                },
            },
        },
    }


def _kubevirt() -> dict:
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "KubeVirt",
        "metadata": {"name": "kubevirt", "namespace": "harvester-system"},
        "spec": {
            "configuration": {
                "additionalGuestMemoryOverheadRatio": "1.5",
                "migrations": {
                    "completionTimeoutPerGiB": 150,
                    "parallelMigrationsPerCluster": 5,
                    "parallelOutboundMigrationsPerNode": 2,
                },
            }
        },
    }


def generate(vms: int) -> Scenario:
    """A cluster of `vms` VMs on ceil(vms / 30) nodes (at least three)."""
    vms = max(vms, 0)
    node_count = max(3, math.ceil(vms / VMS_PER_NODE))
    nodes = [_node(i) for i in range(node_count)]
    objects = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"team-{i:02d}"}} for i in range(NAMESPACES)
    ]
    objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "harvester-system"}})
    objects.append(_kubevirt())
    objects.extend(nodes)
    objects.extend(_vm(i) for i in range(vms))
    simulation = Simulation(
        kubevirt_version="1.6.3",
        migration_bandwidth=128 * 1024 * 1024,
        default_dirty_rate=4 * 1024 * 1024,
        monitoring=True,
        history_size=20000,
        node_cpus=MappingProxyType(
            {node["metadata"]["name"]: (XYZ if i % 2 == 0 else ABC) for i, node in enumerate(nodes)}
        ),
    )
    return Scenario(name="large", objects=tuple(objects), simulation=simulation)
