"""SimCluster: installers, ticks on the server's loop, kubeconfig, stopping."""

from __future__ import annotations

import socket
import threading

import urllib3
import yaml

from tui.sim.runtime import SimCluster
from tui.sim.tls import CERTIFICATE_PEM, certificate_authority_data

EVENT = {
    "apiVersion": "v1",
    "kind": "Event",
    "metadata": {"generateName": "vm1."},
    "involvedObject": {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstance",
        "name": "vm1",
        "namespace": "default",
    },
    "reason": "Migrating",
    "message": "VirtualMachineInstance is migrating.",
    "type": "Normal",
    "source": {"component": "virt-handler", "host": "harv2"},
}


def test_installers_run_before_serving_and_their_ticks_follow_the_manual_clock():
    seen: list[tuple[str, bool]] = []

    def install(cluster: SimCluster) -> None:
        def record(now) -> None:
            seen.append((threading.current_thread().name, cluster.store.lock._is_owned()))  # type: ignore[attr-defined]
            cluster.store.create("events", {**EVENT, "lastTimestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ")}, "default")

        cluster.clock.on_tick(record)

    with SimCluster.start("empty", manual_clock=True, installers=[install]) as cluster:
        cluster.advance(3)
        events = cluster.store.list("events", "default", field_selector="involvedObject.name=vm1,reason=Migrating")
    assert len(events) == 3
    assert seen == [("livemig-sim", True)] * 3


def test_the_kubeconfig_has_a_context_per_user_and_trusts_the_servers_certificate(tmp_path):
    with SimCluster.start("empty", manual_clock=True, installers=[]) as cluster:
        written = yaml.safe_load(cluster.write_kubeconfig(tmp_path / "nested" / "config").read_text())
        assert (tmp_path / "nested" / "config").stat().st_mode & 0o777 == 0o600
        assert written["current-context"] == "sim-admin"
        assert [c["name"] for c in written["contexts"]] == ["sim-admin", "sim-viewer"]
        assert written["clusters"][0]["cluster"] == {
            "server": cluster.url,
            "certificate-authority-data": certificate_authority_data(),
        }
        assert {u["name"]: u["user"]["token"] for u in written["users"]} == cluster.tokens


def test_stop_ends_open_watches_and_frees_the_port():
    cluster = SimCluster.start("empty", manual_clock=True, installers=[])
    http = urllib3.PoolManager(ca_cert_data=CERTIFICATE_PEM, cert_reqs="CERT_REQUIRED", retries=False)
    response = http.request(
        "GET",
        f"{cluster.url}/api/v1/namespaces?watch=true",
        headers={"Authorization": f"Bearer {cluster.tokens['admin']}"},
        preload_content=False,
        timeout=urllib3.Timeout(connect=5, read=20),
    )
    cluster.stop()
    try:
        for _ in response.stream(65536):
            pass
        ending = "closed"
    except urllib3.exceptions.ReadTimeoutError:
        ending = "still open"
    except urllib3.exceptions.ProtocolError:
        ending = "dropped"
    assert ending in ("closed", "dropped")
    with socket.socket() as probe:
        # SO_REUSEADDR, as a server sets it: a connection the server closed may linger in TIME_WAIT on
        # the port, but no socket may still listen there.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", cluster.port))
        probe.listen()


def test_the_same_seed_generates_the_same_names_and_uids():
    def generated(seed: int) -> tuple[str, str]:
        with SimCluster.start("empty", manual_clock=True, seed=seed) as cluster:
            created = cluster.store.create(
                "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"generateName": "team-"}}
            )
            return created["metadata"]["name"], created["metadata"]["uid"]

    assert generated(7) == generated(7)
    assert generated(7) != generated(8)


def test_stopping_during_a_restart_outage_leaves_nothing_behind():
    import subprocess
    import sys

    script = (
        "from tui.sim.runtime import SimCluster\n"
        "cluster = SimCluster.start('empty', manual_clock=True)\n"
        "cluster.fault('restart', seconds=30)\n"
        "cluster.stop()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stderr == ""
