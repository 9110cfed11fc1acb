"""The default cluster at other releases: KubeVirt 1.3 to 1.7 on its own, and Harvester 1.5 to 1.8.

Each is the `default` scenario with its KubeVirt CR reporting another build and the Simulation
running that version's rules (tui.sim.kubevirt: machine-type selector from 1.5.1, addedNodeSelector
from 1.6, the completion timeout default, the data size of migrated volumes from 1.7.2, ...).
The CR's spec.configuration.migrations is dropped, so each release's own migration defaults apply
(Harvester's chart sets none either). A Harvester release keeps the CR in harvester-system, its server-version Setting and its nodes'
OS image say the release; a plain KubeVirt cluster has its CR in the `kubevirt` namespace, no
Harvester Setting, and nodes running an ordinary distribution.

The builds Harvester ships are its chart's (harvester deploy/charts/harvester/values.yaml
kubevirt-operator tag): v1.5.2 ships 1.4.1-150600.5.21.2, v1.6.1 1.5.2-150700.3.5.2, v1.7.0
1.6.3-150700.3.13.1, v1.8.0 1.7.0-150700.3.16.2.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tui.sim.scenario import Scenario, ScenarioOptions, register_scenario
from tui.sim.store import copy_object

PLAIN_NAMESPACE = "kubevirt"


@dataclass(frozen=True)
class Release:
    """One scenario: the KubeVirt build it runs, and the Harvester release around it ("" for none)."""

    name: str
    kubevirt: str  # e.g. "1.5.2"
    build: str  # what the KubeVirt CR reports, e.g. "1.5.2-150700.3.5.2"
    harvester: str = ""  # e.g. "v1.6.1"

    @property
    def description(self) -> str:
        if self.harvester:
            return f"the default cluster on Harvester {self.harvester} (KubeVirt {self.kubevirt})"
        return f"the default cluster's VMs on plain KubeVirt {self.kubevirt} (no Harvester)"


RELEASES = (
    Release("release-kubevirt-1.3", "1.3.1", "v1.3.1"),
    Release("release-kubevirt-1.4", "1.4.1", "v1.4.1"),
    Release("release-kubevirt-1.5.0", "1.5.0", "v1.5.0"),
    Release("release-kubevirt-1.5.2", "1.5.2", "v1.5.2"),
    Release("release-kubevirt-1.6", "1.6.3", "v1.6.3"),
    Release("release-kubevirt-1.7", "1.7.2", "v1.7.2"),
    Release("release-harvester-1.5", "1.4.1", "1.4.1-150600.5.21.2", "v1.5.2"),
    Release("release-harvester-1.6", "1.5.2", "1.5.2-150700.3.5.2", "v1.6.1"),
    Release("release-harvester-1.7", "1.6.3", "1.6.3-150700.3.13.1", "v1.7.0"),
    Release("release-harvester-1.8", "1.7.0", "1.7.0-150700.3.16.2", "v1.8.0"),
)


HARVESTER_PREFIX = "harvesterhci.io/"


def _rewrite(obj: dict, release: Release) -> dict | None:
    """The object as the release's cluster holds it; None when that cluster has no such object."""
    kind = obj.get("kind")
    if kind == "KubeVirt":
        obj = copy_object(obj)
        status = obj.setdefault("status", {})
        status["observedKubeVirtVersion"] = status["targetKubeVirtVersion"] = release.build
        status["operatorVersion"] = f"v{release.kubevirt}"
        # No migration settings of its own: each release's defaults apply (completionTimeoutPerGiB...).
        obj.get("spec", {}).get("configuration", {}).pop("migrations", None)
        if not release.harvester:
            obj["metadata"]["namespace"] = PLAIN_NAMESPACE
            for field in ("labels", "annotations"):
                obj["metadata"].pop(field, None)
            for field in ("observedKubeVirtRegistry", "targetKubeVirtRegistry"):
                status[field] = "quay.io/kubevirt"
        return obj
    if kind == "Node":
        obj = copy_object(obj)
        info = obj.setdefault("status", {}).setdefault("nodeInfo", {})
        info.pop("osImage", None)  # the simulated kubelet reports the release's
        if not release.harvester:
            # No Harvester manages these nodes: none of its own marks (managed, maintenance, drain).
            for field in ("labels", "annotations"):
                marks = obj["metadata"].get(field) or {}
                for key in [key for key in marks if key.startswith(HARVESTER_PREFIX)]:
                    del marks[key]
        return obj
    if kind == "Setting" and obj.get("metadata", {}).get("name") == "server-version":
        return None  # the simulated Harvester writes the release's
    return obj


def release_scenario(release: Release, options: ScenarioOptions = ScenarioOptions()) -> Scenario:
    from tui.sim.scenarios import default_scenario

    base = default_scenario(options)
    objects = [rewritten for rewritten in (_rewrite(obj, release) for obj in base.objects) if rewritten is not None]
    if not release.harvester:
        objects.insert(
            0,
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": PLAIN_NAMESPACE, "labels": {"kubernetes.io/metadata.name": PLAIN_NAMESPACE}},
            },
        )
    simulation = replace(base.simulation, kubevirt_version=release.kubevirt, harvester_version=release.harvester)
    return Scenario(name=release.name, objects=tuple(objects), simulation=simulation)


def register_releases() -> None:
    for release in RELEASES:
        register_scenario(
            release.name, lambda options, release=release: release_scenario(release, options), release.description
        )
