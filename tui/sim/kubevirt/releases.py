"""Harvester releases and the KubeVirt each ships, and what a Harvester cluster says about its version.

Facts from harvester/harvester deploy/charts/harvester/values.yaml (kubevirt-operator image tag) at
each release tag:

    Harvester v1.4.3  KubeVirt 1.3.1-150600.5.9.1
    Harvester v1.5.0  KubeVirt 1.4.0-150600.5.15.1      v1.5.2  1.4.1-150600.5.21.2
    Harvester v1.6.0  KubeVirt 1.5.2-150700.3.5.2       v1.6.1  the same
    Harvester v1.7.0  KubeVirt 1.6.3-150700.3.13.1      v1.7.3  1.6.6-150700.15.7.1
    Harvester v1.8.0  KubeVirt 1.7.0-150700.3.16.2      v1.8.2  1.7.4-150700.3.24.2

A Harvester cluster tells its release in two places: the `server-version` Setting
(settings.harvesterhci.io, harvester pkg/settings/settings.go: its default is injected at build
time, scripts/build InjectDefaults, so the object carries it as `default`), and each node's
status.nodeInfo.osImage ("Harvester v1.7.0", Harvester's OS image).
"""

from __future__ import annotations

from tui.sim.scenario import Simulation

Version = tuple[int, int, int]

# The Harvester release a scenario gets when it names none: the newest one shipping the KubeVirt minor.
HARVESTER_RELEASES = {
    (1, 3): "v1.4.3",
    (1, 4): "v1.5.2",
    (1, 5): "v1.6.1",
    (1, 6): "v1.7.0",
    (1, 7): "v1.8.0",
    (1, 8): "v1.9.0",
}
SERVER_VERSION = "server-version"
PLAIN_OS_IMAGE = "Ubuntu 24.04.2 LTS"


def harvester_release(simulation: Simulation, kubevirt_version: Version) -> str:
    """The Harvester release of the cluster ("v1.7.0")."""
    if simulation.harvester_version:
        text = simulation.harvester_version
        return text if text.startswith("v") else f"v{text}"
    return HARVESTER_RELEASES.get(kubevirt_version[:2], "v1.7.0")


def os_image(harvester: bool, release: str) -> str:
    """status.nodeInfo.osImage of a node: Harvester's OS, or an ordinary distribution elsewhere."""
    return f"Harvester {release}" if harvester else PLAIN_OS_IMAGE


def server_version_setting(release: str, created: str) -> dict:
    """Harvester's server-version Setting as the cluster holds it."""
    return {
        "apiVersion": "harvesterhci.io/v1beta1",
        "kind": "Setting",
        "metadata": {"name": SERVER_VERSION, "creationTimestamp": created},
        "default": release,
        "status": {},
    }
