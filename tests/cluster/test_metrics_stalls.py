"""Stall warnings from a Prometheus that scrapes every 30 s: a healthy migration is never called stalled, one
whose guest dirties memory faster than the network carries it is, before KubeVirt gives up on it.

The demo cluster runs with KubeVirt; livemig reads it over HTTP, polls Prometheus every 5 s of the cluster's
clock and keeps the migration ledger the screens show."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tests.cluster.simulated import connect, eventually
from tui.cluster.metrics import MigrationMetrics
from tui.sim.runtime import SimCluster
from tui.sim.scenario import load_scenario
from tui.view.ledger import MigrationLedger

HEALTHY = "default/db-primary"  # dirties 24Mi/s of a 128Mi/s link
BUSY = "default/kafka-broker-2"  # dirties 512Mi/s: it never converges


def migration(vmi: str) -> dict:
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstanceMigration",
        "metadata": {"name": f"{vmi}-x7k2p", "namespace": "default"},
        "spec": {"vmiName": vmi},
    }


def caught_up(session, cluster: SimCluster, namespace: str, name: str, migration_name: str) -> bool:
    """The session's store holds the server's current VMI and migration."""
    snapshot = session.store.snapshot()
    pairs = (
        (snapshot.vmis, "virtualmachineinstances", name),
        (snapshot.migrations, "virtualmachineinstancemigrations", migration_name),
    )
    for objects, plural, object_name in pairs:
        theirs = (
            cluster.store.get(plural, namespace, object_name)["metadata"]["resourceVersion"]
            if cluster.store.exists(plural, namespace, object_name)
            else None
        )
        mine = objects.get(f"{namespace}/{object_name}")
        if (mine.meta.resource_version if mine is not None else None) != theirs:
            return False
    return True


def stall_warnings(tmp_path: Path, vm: str, scrape_interval: float) -> tuple[list[bool], str]:
    """Whether the ledger said stalled at each poll while `vm` migrated; and how the migration ended."""
    scenario = load_scenario("default")
    scenario = dataclasses.replace(
        scenario, simulation=dataclasses.replace(scenario.simulation, scrape_interval=scrape_interval)
    )
    namespace, name = vm.split("/")
    key = f"{namespace}/{name}-x7k2p"
    said: list[bool] = []
    with SimCluster.start(scenario, manual_clock=True, bookmark_interval=0.2) as cluster:
        kubeconfig = cluster.write_kubeconfig(tmp_path / "kube" / "config")
        with connect(kubeconfig) as session:
            session.metrics.stop()  # the test polls on the cluster's clock
            metrics = MigrationMetrics(session.transport, session.store, interval=5.0)
            ledger = MigrationLedger(cluster.clock.now())
            cluster.store.create("virtualmachineinstancemigrations", migration(name), namespace)
            for _ in range(120):
                cluster.advance(5)
                eventually(lambda: caught_up(session, cluster, namespace, name, f"{name}-x7k2p"))
                metrics.poll()
                snapshot = session.store.snapshot()
                ledger.update(snapshot, None, snapshot.vmis.keys(), metrics.counters, cluster.clock.now())
                view = ledger.view(key)
                if view is None:
                    continue
                if view.final:
                    return said, view.progress.outcome
                if view.counters is not None:
                    said.append(view.stalled)
    return said, "still running"


def test_a_healthy_migration_is_never_called_stalled_between_scrapes(tmp_path):
    said, outcome = stall_warnings(tmp_path, HEALTHY, scrape_interval=30.0)
    assert outcome == "Succeeded"
    assert len(said) >= 6  # it was watched over several scrapes
    assert not any(said)


def test_a_migration_that_never_converges_is_called_stalled_before_kubevirt_aborts_it(tmp_path):
    said, outcome = stall_warnings(tmp_path, BUSY, scrape_interval=30.0)
    assert outcome in ("TimedOut", "Stuck")
    assert any(said)
