"""The `livemig-sim` command: serve, fault, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest
import urllib3
import yaml

from tui.sim.tls import CERTIFICATE_PEM

COMMAND = [sys.executable, "-c", "import sys; from tui.sim.cli import main; sys.exit(main())"]


def livemig_sim(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=60, env={"HOME": str(home), "PATH": "/usr/bin:/bin"}
    )


def start_serving(home: Path, *args: str) -> tuple[subprocess.Popen, list[str]]:
    process = subprocess.Popen(
        [*COMMAND, "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    lines = [process.stdout.readline() for _ in range(3)]
    return process, lines


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    home = tmp_path_factory.mktemp("served")
    process, lines = start_serving(home, "--scenario", "empty", "--kubeconfig-out", str(home / "kubeconfig"))
    yield home, lines
    process.terminate()
    process.wait(timeout=20)


def test_serve_prints_the_url_and_the_kubeconfig_it_wrote(served):
    home, lines = served
    assert lines[0].startswith("livemig-sim: serving scenario empty at https://127.0.0.1:")
    assert lines[1] == f"livemig-sim: kubeconfig {home / 'kubeconfig'} (contexts sim-admin, sim-viewer)\n"


def test_the_written_kubeconfig_reaches_the_server_as_admin(served):
    home, lines = served
    kubeconfig = yaml.safe_load((home / "kubeconfig").read_text())
    assert kubeconfig["current-context"] == "sim-admin"
    server = kubeconfig["clusters"][0]["cluster"]["server"]
    token = next(u["user"]["token"] for u in kubeconfig["users"] if u["name"] == "admin")
    pool = urllib3.PoolManager(ca_cert_data=CERTIFICATE_PEM, cert_reqs="CERT_REQUIRED")
    response = pool.request("GET", f"{server}/api/v1/namespaces/default", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200 and json.loads(response.data)["metadata"]["name"] == "default"


def test_fault_reaches_the_served_cluster(served):
    home, _ = served
    result = livemig_sim("fault", "fail", "count=0", "code=429", "--kubeconfig", str(home / "kubeconfig"), home=home)
    assert result.returncode == 0 and json.loads(result.stdout) == {"failing": 0, "code": 429}


def test_fault_reset_brings_the_served_cluster_back_to_its_start(served):
    home, _ = served
    kubeconfig = home / "kubeconfig"
    first = livemig_sim("fault", "reset", "--kubeconfig", str(kubeconfig), home=home)
    again = livemig_sim("fault", "reset", "--kubeconfig", str(kubeconfig), home=home)
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert json.loads(first.stdout)["resourceVersion"] == json.loads(again.stdout)["resourceVersion"]


def test_an_unknown_fault_is_a_one_line_error(served):
    home, _ = served
    result = livemig_sim("fault", "meteor", "--kubeconfig", str(home / "kubeconfig"), home=home)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith('livemig-sim: error: fault meteor refused: unknown fault "meteor"')


def test_a_fault_with_a_bad_parameter_is_a_one_line_usage_error(served):
    home, _ = served
    result = livemig_sim("fault", "stall", "seconds=soon", "--kubeconfig", str(home / "kubeconfig"), home=home)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith('livemig-sim: error: fault stall refused: parameter "seconds" must be a number')


def test_sigterm_stops_serving_cleanly(tmp_path):
    process, lines = start_serving(tmp_path, "--scenario", "empty", "--kubeconfig-out", str(tmp_path / "kc"))
    assert "serving" in lines[0]
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 0
    assert stdout == "livemig-sim: stopped\n" and "Traceback" not in stderr


def test_a_bad_scenario_is_one_line_naming_the_document_and_exit_2(tmp_path):
    scenario = tmp_path / "lab.yaml"
    scenario.write_text(
        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n---\napiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: Bad_VM}\n"
    )
    result = livemig_sim("serve", "--scenario", str(scenario), home=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        'livemig-sim: error: bad scenario: document 2 (VirtualMachine Bad_VM): metadata.name: Invalid value: "Bad_VM": '
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and "
        "end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    ]


def test_a_bad_argument_is_one_line_and_exit_2(tmp_path):
    result = livemig_sim("serve", "--port", "eighty", home=tmp_path)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert "argument --port: invalid int value: 'eighty'" in result.stderr


def test_fault_without_a_running_server_says_so(tmp_path):
    result = livemig_sim("fault", "compact", home=tmp_path)
    assert result.returncode == 2 and "is `livemig-sim serve` running?" in result.stderr


def test_control_characters_from_a_scenario_never_reach_the_terminal(tmp_path):
    scenario = tmp_path / "lab.yaml"
    scenario.write_text('apiVersion: v1\nkind: Node\nmetadata: {name: "evil\\e[31mred"}\n')
    result = livemig_sim("serve", "--scenario", str(scenario), home=tmp_path)
    assert result.returncode == 2 and "\x1b" not in result.stderr and "evil\\x1b[31mred" in result.stderr


def test_serve_without_a_scenario_serves_the_built_in_default_cluster(tmp_path):
    process, lines = start_serving(tmp_path, "--kubeconfig-out", str(tmp_path / "kubeconfig"))
    try:
        assert process.poll() is None, process.stderr.read()
        config = yaml.safe_load((tmp_path / "kubeconfig").read_text())
        server = config["clusters"][0]["cluster"]["server"]
        token = next(u["user"]["token"] for u in config["users"] if u["name"].endswith("admin"))
        http = urllib3.PoolManager(ca_cert_data=CERTIFICATE_PEM, cert_reqs="CERT_REQUIRED")
        answer = http.request(
            "GET", f"{server}/apis/kubevirt.io/v1/virtualmachines", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status == 200
        assert json.loads(answer.data)["items"], "the default scenario has virtual machines"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_scenarios_lists_the_built_in_ones():
    result = subprocess.run([*COMMAND, "scenarios"], capture_output=True, text=True, timeout=60)
    names = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert result.returncode == 0
    assert {"default", "old-kubevirt", "large", "empty"} <= set(names)


# -- fault: its help, its kubeconfig, the README's example -------------------------------------------


def help_of(*args: str) -> str:
    return subprocess.run([*COMMAND, *args, "--help"], capture_output=True, text=True, timeout=60).stdout


def test_fault_help_lists_every_fault_the_default_cluster_knows_with_its_parameters():
    from tui.sim.runtime import SimCluster

    cluster = SimCluster.start("default", manual_clock=True)
    try:
        names = cluster.faults.names
    finally:
        cluster.stop()
    text = help_of("fault")
    assert {"restart", "compact", "stall", "fail", "cut-network", "node-not-ready", "node-ready"} <= set(names)
    for name in names:
        assert f"\n  {name} " in text, name
    for parameter in ("seconds=S", "count=N", "code=C", "nodes=A,B", "node=N"):
        assert parameter in text


@pytest.mark.parametrize("command", [(), ("serve",), ("fault",)], ids=["top", "serve", "fault"])
def test_livemig_sim_help_states_its_exit_codes_within_80_columns(command):
    text = help_of(*command)
    assert "exit codes:" in text and "\n  1  " in text and "\n  2  a usage problem" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def readme_fault_example() -> list[str]:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    line = next(line for line in readme.splitlines() if line.startswith("livemig-sim fault "))
    return line.split("#")[0].split()[2:]


def test_the_readmes_fault_example_works_on_the_default_scenario(tmp_path):
    process, lines = start_serving(tmp_path, "--kubeconfig-out", str(tmp_path / "kubeconfig"))
    try:
        assert "serving" in lines[0], process.stderr.read()
        result = livemig_sim(
            "fault", *readme_fault_example(), "--kubeconfig", str(tmp_path / "kubeconfig"), home=tmp_path
        )
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["cut"] == ["harvester-node-0", "harvester-node-1"]


def test_fault_reads_the_kubeconfig_named_in_the_environment(served, tmp_path):
    home, _ = served
    environment = {
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "KUBECONFIG": f"{tmp_path / 'missing'}:{home / 'kubeconfig'}",
    }
    result = subprocess.run([*COMMAND, "fault", "compact"], capture_output=True, text=True, timeout=60, env=environment)
    assert result.returncode == 0, result.stderr
    assert "compactedResourceVersion" in json.loads(result.stdout)


# -- the kubeconfig serve writes holds every user's token: only its owner may read it ----------------


def test_serve_makes_an_existing_world_readable_kubeconfig_private(tmp_path):
    target = tmp_path / "kubeconfig"
    target.write_text("old: contents\n")
    target.chmod(0o644)
    process, lines = start_serving(tmp_path, "--scenario", "empty", "--kubeconfig-out", str(target))
    try:
        assert "serving" in lines[0], process.stderr.read()
        mode = target.stat().st_mode & 0o777
        kubeconfig = yaml.safe_load(target.read_text())
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert mode == 0o600 and kubeconfig["kind"] == "Config"
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")] == []


def test_serve_makes_the_default_kubeconfig_private_too(tmp_path):
    target = tmp_path / ".cache" / "livemig-sim" / "kubeconfig"
    target.parent.mkdir(parents=True)
    target.write_text("old: contents\n")
    target.chmod(0o644)
    process, lines = start_serving(tmp_path, "--scenario", "empty")
    try:
        assert f"kubeconfig {target} " in lines[1], process.stderr.read()
        mode = target.stat().st_mode & 0o777
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert mode == 0o600


def test_serve_can_write_its_kubeconfig_to_a_pipe(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    process = subprocess.Popen(
        [*COMMAND, "serve", "--scenario", "empty", "--kubeconfig-out", str(pipe)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    read: list[str] = []
    reader = threading.Thread(target=lambda: read.append(pipe.read_text()), daemon=True)
    reader.start()
    try:
        line = process.stdout.readline()
        reader.join(30)  # bounded: a server that replaced the pipe by a file would leave it unread
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "serving" in line and read and yaml.safe_load(read[0])["kind"] == "Config"
