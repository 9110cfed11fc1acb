"""Helpers for testing livemig's cluster layer against the simulated cluster over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tui.cluster.reflector import ReflectorTimings
from tui.cluster.session import ClusterSession, ConnectOptions
from tui.sim.runtime import SimCluster

FIXTURES = Path(__file__).parent / "fixtures"
HARVESTER = FIXTURES / "harvester.yaml"

# Short timeouts and back-off so reconnects happen in fractions of a second; pages of 2 so every
# list is paged.
FAST = ReflectorTimings(
    page_size=2,
    connect_timeout=2.0,
    list_read_timeout=5.0,
    watch_idle_timeout=3.0,
    watch_timeout_range=(30, 60),
    backoff_initial=0.05,
    backoff_max=0.5,
    backoff_reset_after=5.0,
    recheck_after=0.5,
)

# The store's kinds and the simulated server's resource plurals.
RESOURCES = {
    "nodes": "nodes",
    "vms": "virtualmachines",
    "vmis": "virtualmachineinstances",
    "migrations": "virtualmachineinstancemigrations",
    "kubevirts": "kubevirts",
    "policies": "migrationpolicies",
    "nads": "network-attachment-definitions",
    "pods": "pods",
    "namespaces": "namespaces",
}

T = TypeVar("T")


def start_cluster(scenario: str | Path = HARVESTER, controller: bool = False, **kwargs: Any) -> SimCluster:
    """A simulated cluster with a manual clock; without the KubeVirt controller unless asked."""
    kwargs.setdefault("bookmark_interval", 0.2)
    return SimCluster.start(scenario, manual_clock=True, installers=None if controller else [], **kwargs)


def options(kubeconfig: Path | str | None, **kwargs: Any) -> ConnectOptions:
    settings: dict[str, Any] = {
        "kubeconfig": str(kubeconfig) if kubeconfig else None,
        "probe_interval": 0.2,
        "probe_timeout": 1.0,
        "metrics_interval": 0.2,
        "timings": FAST,
        "environ": {},
    }
    settings.update(kwargs)
    return ConnectOptions(**settings)


def connect(kubeconfig: Path | str | None, start: bool = True, **kwargs: Any) -> ClusterSession:
    session = ClusterSession.connect(options(kubeconfig, **kwargs))
    if start:
        session.start()
        assert session.wait_until_synced(30), "the first lists did not end"
    return session


def eventually(check: Callable[[], T], timeout: float = 20.0, interval: float = 0.05) -> T:
    """Poll `check` until it returns something truthy (threads and HTTP take their time); fail after `timeout`."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"not reached within {timeout} s; last value: {value!r}")
        time.sleep(interval)


def server_state(cluster: SimCluster, kind: str) -> dict[str, str]:
    """key -> resourceVersion of every object of a kind on the simulated server."""
    found = {}
    for obj in cluster.store.list(RESOURCES[kind], None):
        meta = obj["metadata"]
        key = f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]
        found[key] = meta["resourceVersion"]
    return found


def store_state(session: ClusterSession, kind: str) -> dict[str, str]:
    snapshot_objects = {
        "nodes": session.store.snapshot().nodes,
        "vms": session.store.snapshot().vms,
        "vmis": session.store.snapshot().vmis,
        "migrations": session.store.snapshot().migrations,
        "policies": session.store.snapshot().policies,
        "nads": session.store.snapshot().nads,
        "pods": session.store.snapshot().pods,
        "namespaces": session.store.snapshot().namespaces,
    }
    if kind == "kubevirts":
        return {
            key: session.store.get("kubevirts", key).meta.resource_version for key in session.store.keys("kubevirts")
        }
    return {key: obj.meta.resource_version for key, obj in snapshot_objects[kind].items()}


def differences(session: ClusterSession, cluster: SimCluster) -> dict[str, tuple[dict, dict]]:
    """Kinds whose objects (keys and resourceVersions) differ between the store and the server."""
    found = {}
    for kind in RESOURCES:
        mine, theirs = store_state(session, kind), server_state(cluster, kind)
        if mine != theirs:
            found[kind] = (mine, theirs)
    return found


def in_step(session: ClusterSession, cluster: SimCluster) -> bool:
    return not differences(session, cluster)
