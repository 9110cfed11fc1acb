"""Kubeconfig as kubectl reads it: which files, how several merge, contexts, namespaces, credentials, proxies."""

from __future__ import annotations

import json
import socket
import stat
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.simulated import connect
from tui.cluster import errors
from tui.cluster.connect import check_connection
from tui.cluster.errors import ConnectError
from tui.cluster.kubeconfig import KubeconfigChoice, choose_target, client_configuration
from tui.cluster.transport import ApiTransport
from tui.sim.tls import CERTIFICATE_PEM


def write(path: Path, config: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def config_of(
    cluster, *, current: str | None = "sim-admin", contexts: list[str] | None = None, **cluster_fields: Any
) -> dict:
    """The simulated cluster's kubeconfig, optionally trimmed to some contexts and with cluster fields replaced."""
    config = cluster.kubeconfig()
    if contexts is not None:
        config["contexts"] = [c for c in config["contexts"] if c["name"] in contexts]
    if current is None:
        config.pop("current-context", None)
    else:
        config["current-context"] = current
    for key, value in cluster_fields.items():
        if value is None:
            config["clusters"][0]["cluster"].pop(key, None)
        else:
            config["clusters"][0]["cluster"][key] = value
    return config


def target(environ: dict[str, str], **choice: Any):
    return choose_target(KubeconfigChoice(**choice), environ=environ)


# -- which files ---------------------------------------------------------------------------------


def test_the_first_file_in_kubeconfig_that_sets_current_context_wins(cluster, tmp_path):
    first = write(tmp_path / "a", config_of(cluster, current="sim-viewer"))
    second = write(tmp_path / "b", config_of(cluster, current="sim-admin"))
    chosen = target({"KUBECONFIG": f"{first}:{second}"})
    assert chosen.context_name == "sim-viewer"


def test_a_file_without_current_context_does_not_hide_a_later_one(cluster, tmp_path):
    first = write(tmp_path / "a", config_of(cluster, current=None))
    second = write(tmp_path / "b", config_of(cluster, current="sim-viewer"))
    assert target({"KUBECONFIG": f"{first}:{second}"}).context_name == "sim-viewer"


def test_the_first_definition_of_a_named_user_wins(cluster, tmp_path):
    good = config_of(cluster)
    bad = config_of(cluster)
    for user in bad["users"]:
        user["user"]["token"] = "not-the-token"
    first = write(tmp_path / "a", good)
    second = write(tmp_path / "b", bad)
    session = connect(None, start=False, environ={"KUBECONFIG": f"{first}:{second}"})
    session.stop()
    with pytest.raises(ConnectError) as raised:
        connect(None, start=False, environ={"KUBECONFIG": f"{second}:{first}"})
    assert raised.value.problem == errors.UNAUTHORIZED


def test_files_named_in_kubeconfig_that_do_not_exist_are_skipped(cluster, tmp_path):
    real = write(tmp_path / "config", config_of(cluster))
    chosen = target({"KUBECONFIG": f"{tmp_path / 'missing'}:{real}"})
    assert chosen.sources == (str(real),)


def test_kubeconfig_flag_reads_that_file_only(cluster, tmp_path):
    flagged = write(tmp_path / "flagged", config_of(cluster, current="sim-viewer"))
    other = write(tmp_path / "other", config_of(cluster, current="sim-admin"))
    chosen = target({"KUBECONFIG": str(other)}, kubeconfig=str(flagged))
    assert chosen.sources == (str(flagged),) and chosen.context_name == "sim-viewer"


def test_home_kube_config_is_read_when_kubeconfig_is_not_set(cluster, tmp_path):
    write(tmp_path / ".kube" / "config", config_of(cluster))
    assert target({"HOME": str(tmp_path)}).sources == (str(tmp_path / ".kube" / "config"),)


def test_relative_paths_are_read_relative_to_the_file_that_names_them(cluster, tmp_path, monkeypatch):
    directory = tmp_path / "conf"
    (directory / "pki").mkdir(parents=True)
    (directory / "pki" / "ca.crt").write_text(CERTIFICATE_PEM)
    (directory / "token").write_text(cluster.tokens["admin"])
    config = config_of(cluster, **{"certificate-authority-data": None, "certificate-authority": "pki/ca.crt"})
    for user in config["users"]:
        if user["name"] == "admin":
            user["user"] = {"tokenFile": "token"}
    path = write(directory / "config", config)
    monkeypatch.chdir(tmp_path)  # elsewhere: the paths must not be read from the working directory
    with connect(path, start=False) as session:
        assert session.info.kubevirt_versions == ("v1",)


def test_an_unparsable_kubeconfig_is_named_with_the_line(tmp_path):
    path = tmp_path / "config"
    path.write_text("clusters:\n- name: [unclosed\n")
    with pytest.raises(ConnectError) as raised:
        target({}, kubeconfig=str(path))
    assert raised.value.problem == errors.BAD_KUBECONFIG
    assert str(path) in raised.value.message and "line" in raised.value.message


def test_a_context_naming_a_user_the_kubeconfig_does_not_define_is_refused_before_any_request(cluster, tmp_path):
    config = config_of(cluster)
    config["contexts"][0]["context"]["user"] = "ghost"
    with pytest.raises(ConnectError) as raised:
        target({}, kubeconfig=str(write(tmp_path / "config", config)))
    assert raised.value.problem == errors.BAD_KUBECONFIG
    assert raised.value.message.startswith('The context "sim-admin" names the user "ghost", which the kubeconfig (')
    assert "(users: admin, viewer, alice, tenant, operator)" in raised.value.message


def test_a_user_entry_that_is_a_string_is_malformed_and_not_shown(cluster, tmp_path):
    config = config_of(cluster)
    config["users"][0]["user"] = "pasted-token-1234"
    with pytest.raises(ConnectError) as raised:
        target({}, kubeconfig=str(write(tmp_path / "config", config)))
    assert raised.value.problem == errors.BAD_KUBECONFIG
    assert 'The user "admin" in the kubeconfig' in raised.value.message
    assert "its user: must be a mapping of fields" in raised.value.message and "not a string" in raised.value.message
    assert "pasted-token-1234" not in raised.value.message


def test_a_context_naming_a_cluster_the_kubeconfig_does_not_define_says_so(cluster, tmp_path):
    config = config_of(cluster)
    config["contexts"][0]["context"]["cluster"] = "prod"
    with pytest.raises(ConnectError) as raised:
        target({}, kubeconfig=str(write(tmp_path / "config", config)))
    assert raised.value.message.startswith('The context "sim-admin" names the cluster "prod", which the kubeconfig (')


def test_a_server_without_a_scheme_is_https_when_the_cluster_has_a_certificate_authority(cluster, tmp_path):
    config = config_of(cluster, server=f"127.0.0.1:{cluster.port}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # urllib3 warns about URLs without a scheme
        with connect(write(tmp_path / "config", config), start=False) as session:
            assert session.server_url == f"https://127.0.0.1:{cluster.port}"


def test_a_server_without_a_scheme_or_tls_settings_is_http_as_kubectl_reads_it(cluster, tmp_path):
    config = config_of(cluster, server="api.example:6443", **{"certificate-authority-data": None})
    assert target({}, kubeconfig=str(write(tmp_path / "config", config))).server == "http://api.example:6443"


# -- contexts and namespaces ---------------------------------------------------------------------


def test_context_flag_chooses_the_context_and_its_user(cluster, kubeconfig):
    with connect(kubeconfig, start=False, context="sim-viewer") as session:
        assert session.context_name == "sim-viewer"
        assert session.user == "viewer"
        assert session.server_url == cluster.url


def test_namespace_flag_overrides_the_context_namespace(kubeconfig):
    chosen = target({}, kubeconfig=str(kubeconfig), namespace="web")
    assert chosen.namespaces == ("web",) and chosen.scope_text == "namespace web"


def test_the_context_namespace_is_used_when_no_flag_names_one(kubeconfig):
    chosen = target({}, kubeconfig=str(kubeconfig))
    assert chosen.namespaces == ("default",)
    assert chosen.scope_text == "namespace default (from context sim-admin)"


def test_all_namespaces_flag_shows_every_namespace(kubeconfig):
    chosen = target({}, kubeconfig=str(kubeconfig), all_namespaces=True)
    assert chosen.namespaces is None and chosen.scope_text == "all namespaces"


def test_a_context_without_namespace_means_all_namespaces_and_says_so(cluster, tmp_path):
    config = config_of(cluster)
    for context in config["contexts"]:
        context["context"].pop("namespace")
    chosen = target({}, kubeconfig=str(write(tmp_path / "config", config)))
    assert chosen.namespaces is None
    assert chosen.scope_text == "all namespaces (context sim-admin sets no namespace)"


# -- in-cluster ----------------------------------------------------------------------------------


def test_in_cluster_service_account_is_used_when_there_is_no_kubeconfig(cluster, tmp_path):
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text(cluster.tokens["viewer"])
    (account / "ca.crt").write_text(CERTIFICATE_PEM)
    (account / "namespace").write_text("default\n")
    environ = {
        "HOME": str(tmp_path),
        "KUBERNETES_SERVICE_HOST": "127.0.0.1",
        "KUBERNETES_SERVICE_PORT": str(cluster.port),
    }
    chosen = choose_target(KubeconfigChoice(), environ=environ, service_account_dir=str(account))
    assert chosen.in_cluster and chosen.context_name == "in-cluster" and chosen.namespaces == ("default",)
    transport = ApiTransport(client_configuration(chosen))
    try:
        assert check_connection(transport, chosen).kubevirt_versions == ("v1",)
    finally:
        transport.close()


# -- exec credential plugins ---------------------------------------------------------------------


def plugin(directory: Path, body: str) -> Path:
    script = directory / "bin" / "get-token"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(f"#!{sys.executable}\nimport json, os, sys\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def exec_config(cluster, tmp_path: Path, body: str) -> Path:
    plugin(tmp_path, body)
    config = config_of(cluster)
    for user in config["users"]:
        if user["name"] == "admin":
            user["user"] = {
                "exec": {
                    "apiVersion": "client.authentication.k8s.io/v1",
                    "command": "./bin/get-token",  # relative with a slash: resolved against the kubeconfig
                    "args": ["--cluster", "sim"],
                    "env": [{"name": "SIM_TOKEN", "value": cluster.tokens["admin"]}],
                    "interactiveMode": "Never",
                }
            }
    return write(tmp_path / "config", config)


def test_an_exec_credential_plugin_runs_while_connecting_and_its_token_is_used(cluster, tmp_path, monkeypatch):
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": "TOKEN"},
    }
    body = f"print(json.dumps({credential!r}).replace('TOKEN', os.environ['SIM_TOKEN']))"
    path = exec_config(cluster, tmp_path, body)
    monkeypatch.chdir("/")
    with connect(path, start=False) as session:
        assert session.user == "admin"
        assert session.access.check("migrate", "default").allowed


def test_a_failing_exec_credential_plugin_is_reported_with_what_it_said(cluster, tmp_path):
    path = exec_config(
        cluster, tmp_path, "sys.stderr.write('error: you must log in first (run: sso login)\\n'); sys.exit(1)"
    )
    with pytest.raises(ConnectError) as raised:
        connect(path, start=False)
    assert raised.value.problem == errors.CREDENTIALS
    assert "you must log in first" in raised.value.message
    assert "get-token" in raised.value.message


# -- proxies -------------------------------------------------------------------------------------


class ConnectProxy:
    """An HTTP CONNECT proxy on loopback that counts the tunnels it opened."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.tunnels: list[str] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            request += chunk
        method, where, _ = request.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            client.close()
            return
        host, port = where.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        self.tunnels.append(where)
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pump(source: socket.socket, sink: socket.socket) -> None:
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                for end in (source, sink):
                    try:
                        end.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        pump(client, upstream)

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def proxy():
    running = ConnectProxy()
    yield running
    running.close()


@pytest.fixture
def no_proxy_environment(monkeypatch):
    for name in (
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_kubeconfig_proxy_url_carries_every_request(cluster, tmp_path, proxy, no_proxy_environment):
    path = write(tmp_path / "config", config_of(cluster, **{"proxy-url": proxy.url}))
    with connect(path, start=False):
        assert proxy.tunnels and proxy.tunnels[0] == f"127.0.0.1:{cluster.port}"


def test_the_kubeconfig_proxy_url_is_used_even_for_hosts_in_no_proxy_as_kubectl_does(
    cluster, tmp_path, proxy, no_proxy_environment
):
    no_proxy_environment.setenv("NO_PROXY", "127.0.0.1")
    path = write(tmp_path / "config", config_of(cluster, **{"proxy-url": proxy.url}))
    with connect(path, start=False):
        assert proxy.tunnels


def test_https_proxy_from_the_environment_is_used(cluster, kubeconfig, proxy, no_proxy_environment):
    no_proxy_environment.setenv("HTTPS_PROXY", proxy.url)
    with connect(kubeconfig, start=False):
        assert proxy.tunnels


def test_no_proxy_lets_requests_to_listed_hosts_bypass_the_environment_proxy(
    cluster, kubeconfig, proxy, no_proxy_environment
):
    no_proxy_environment.setenv("HTTPS_PROXY", proxy.url)
    no_proxy_environment.setenv("NO_PROXY", "localhost,127.0.0.1")
    with connect(kubeconfig, start=False):
        assert proxy.tunnels == []


def test_exec_plugin_input_names_the_interactive_mode(cluster, tmp_path):
    # The plugin learns whether it may prompt (KUBERNETES_EXEC_INFO), as kubectl tells it.
    record = tmp_path / "exec-info.json"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": "TOKEN"},
    }
    body = (
        f"open({str(record)!r}, 'w').write(os.environ['KUBERNETES_EXEC_INFO'])\n"
        f"print(json.dumps({credential!r}).replace('TOKEN', os.environ['SIM_TOKEN']))"
    )
    with connect(exec_config(cluster, tmp_path, body), start=False):
        info = json.loads(record.read_text())
    assert info["kind"] == "ExecCredential" and "interactive" in info["spec"]
