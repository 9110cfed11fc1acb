"""A server that comes back with other state (an etcd restore, a failover to a server behind, a cluster
recreated at the same address): livemig notices it is behind what it served, lists every kind again
and shows what the server holds now; migrate --wait says the migration is gone."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.simulated import (
    HARVESTER,
    RESOURCES,
    connect,
    eventually,
    start_cluster,
)
from tui.cli import main
from tui.sim.runtime import SimCluster


@pytest.fixture
def cluster() -> Iterator[SimCluster]:
    with start_cluster() as running:
        running.server.too_large_wait = 0.2  # kube-apiserver waits 3 s before its 504; the answer is the same
        yield running


def held(session, kind: str) -> dict[str, str]:
    return {key: session.store.get(kind, key).meta.resource_version for key in session.store.keys(kind)}


def on_server(cluster: SimCluster, kind: str) -> dict[str, str]:
    found = {}
    for obj in cluster.store.list(RESOURCES[kind], None):
        meta = obj["metadata"]
        key = f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]
        found[key] = meta["resourceVersion"]
    return found


def same_as_server(session, cluster: SimCluster, kinds=("vms", "vmis", "migrations", "nodes")) -> bool:
    return all(held(session, kind) == on_server(cluster, kind) for kind in kinds)


def test_after_a_reset_the_store_holds_what_the_server_holds_now(cluster: SimCluster, kubeconfig: Path) -> None:
    with connect(kubeconfig) as session:
        created = cluster.store.create(
            "virtualmachineinstancemigrations",
            {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachineInstanceMigration",
                "metadata": {"name": "web-1-mig", "namespace": "default"},
                "spec": {"vmiName": "web-1"},
            },
        )
        vmi = cluster.store.get("virtualmachineinstances", "default", "web-1")
        vmi["status"]["nodeName"] = "harv-2"
        cluster.store.update_status("virtualmachineinstances", vmi, "default")
        eventually(lambda: session.store.get("migrations", "default/web-1-mig") is not None)
        eventually(lambda: session.store.get("vmis", "default/web-1").node_name == "harv-2")
        assert created["metadata"]["name"] == "web-1-mig"

        cluster.fault("reset")

        eventually(lambda: session.store.get("migrations", "default/web-1-mig") is None)
        eventually(lambda: session.store.get("vmis", "default/web-1").node_name == "harv-1")
        eventually(lambda: same_as_server(session, cluster))
        assert session.store.server_went_back >= 1
        # Every kind was listed again, not only those that noticed.
        listed = [r for r in session.reflectors if session.store.state(r.kind.kind).status == "connected"]
        assert len(listed) >= 5
        eventually(lambda: all(reflector.lists >= 2 for reflector in listed))


def test_after_a_reset_with_the_port_closed_a_while_the_store_is_relisted(
    cluster: SimCluster, kubeconfig: Path
) -> None:
    with connect(kubeconfig) as session:
        cluster.store.delete("virtualmachines", "default", "build-1")
        eventually(lambda: session.store.get("vms", "default/build-1") is None)
        cluster.fault("reset", seconds=1)
        eventually(lambda: session.store.get("vms", "default/build-1") is not None)
        eventually(lambda: same_as_server(session, cluster))


def test_migrate_wait_says_the_migration_is_gone_after_a_reset_and_exits_2(
    cluster: SimCluster, kubeconfig: Path
) -> None:
    out, err = io.StringIO(), io.StringIO()
    codes: list[int] = []
    command = threading.Thread(
        target=lambda: codes.append(
            main(["migrate", "default/web-1", "--wait", "--kubeconfig", str(kubeconfig)], out=out, err=err)
        ),
        daemon=True,
    )
    command.start()
    name = eventually(lambda: cluster.store.list("virtualmachineinstancemigrations", "default"))[0]["metadata"]["name"]
    cluster.store.patch(
        "virtualmachineinstancemigrations", "default", name, {"status": {"phase": "Running"}}, status=True
    )
    eventually(lambda: "Copying memory" in out.getvalue())
    cluster.fault("reset")
    command.join(60)
    assert codes == [2], out.getvalue() + err.getvalue()
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith(f"Migration {name} is gone: the API server came back with other state")
    assert "livemig plan default/web-1" in last


def test_a_cluster_recreated_at_the_same_address_is_told_from_a_deletion(cluster: SimCluster, kubeconfig: Path) -> None:
    """A new cluster (new kube-system uid) answers the old resourceVersion with 410: livemig lists again
    and counts it as a server that came back with other state, so migrate --wait says so."""
    with connect(kubeconfig) as session:
        identity = session.store.get("namespaces", "kube-system").meta.uid
        cluster.store.delete("virtualmachines", "default", "build-1")
        eventually(lambda: session.store.get("vms", "default/build-1") is None)
        cluster.fault("reset", scenario=str(HARVESTER))
        eventually(lambda: session.store.get("vms", "default/build-1") is not None)
        eventually(lambda: session.store.get("namespaces", "kube-system").meta.uid != identity)
        assert session.store.server_went_back >= 1
        eventually(lambda: same_as_server(session, cluster))


def test_a_recreated_cluster_at_the_same_resource_version_is_noticed_by_its_identity(
    cluster: SimCluster, kubeconfig: Path
) -> None:
    with connect(kubeconfig) as session:
        identity = session.store.get("namespaces", "kube-system").meta.uid
        vms = session.reflector("vms")
        cluster.fault("reset", scenario=str(HARVESTER))  # nothing changed before: the same resourceVersion
        eventually(lambda: session.store.get("namespaces", "kube-system").meta.uid != identity)
        assert session.store.server_went_back >= 1
        eventually(lambda: vms.lists >= 2)
        eventually(lambda: same_as_server(session, cluster))
