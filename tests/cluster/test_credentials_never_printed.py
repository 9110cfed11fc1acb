"""Credentials: tokens are trimmed as kubectl trims them, no message or log ever shows one, and no
certificate or key is left in a file."""

from __future__ import annotations

import base64
import io
import json
import logging
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.simulated import connect, eventually
from tui.cli import main
from tui.cluster.errors import ConnectError, TransportError
from tui.sim.runtime import SimCluster
from tui.sim.tls import CERTIFICATE_PEM, PRIVATE_KEY_PEM

TOKEN = "s3cr3t-token-4f9a2c7e1b"
PASSWORD = "pa55-w0rd-do-not-show"
KEY_DATA = base64.b64encode(PRIVATE_KEY_PEM.encode()).decode()
KEY_LINE = PRIVATE_KEY_PEM.splitlines()[1]  # a line of the key's body, as an echo would carry it


def _jwt(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.c2lnbmF0dXJl"


ID_TOKEN = _jwt({"iss": "https://idp.example", "exp": 4102444800, "sub": "operator"})


class EchoingServer:
    """A plain-HTTP server that refuses everything with 401, quoting in its Status message the
    Authorization header it got and the text it is told to echo (as a careless proxy or webhook
    authenticator might): whatever livemig prints of that answer must carry no credential."""

    def __init__(self, echo: str = "") -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                received = self.headers.get("Authorization", "")
                decoded = ""
                if received.startswith("Basic "):
                    decoded = base64.b64decode(received[6:]).decode()
                message = f"credentials {received!r} ({decoded}) are not valid here; {outer.echo}"
                body = json.dumps(
                    {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "status": "Failure",
                        "message": message,
                        "reason": "Unauthorized",
                        "code": 401,
                    }
                )
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.echo = echo
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def echoing() -> Iterator[EchoingServer]:
    server = EchoingServer()
    yield server
    server.close()


def kubeconfig_with(path: Path, server: str, user: dict, cluster: dict | None = None) -> str:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u", "namespace": "default"}}],
        "current-context": "ctx",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    return str(path)


def exec_plugin(tmp_path: Path, token: str) -> dict:
    """An exec credential plugin (a Python script) printing `token` in an ExecCredential."""
    script = tmp_path / "plugin.py"
    credential = {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"token": token}}
    script.write_text(f"import json\nprint(json.dumps({credential!r}))\n")
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": [str(script)],
            "interactiveMode": "Never",
        }
    }


def run(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue() + err.getvalue()


# -- trimming -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["\n", "\r\n", "  \n\n"])
def test_a_token_file_ending_in_a_line_break_works_as_with_kubectl(
    cluster: SimCluster, tmp_path: Path, ending: str
) -> None:
    token_file = tmp_path / "token"
    token_file.write_bytes((cluster.tokens["admin"] + ending).encode())
    path = kubeconfig_with(
        tmp_path / "config", cluster.url, {"tokenFile": str(token_file)}, cluster.kubeconfig()["clusters"][0]["cluster"]
    )
    code, printed = run("plan", "default/web-1", "--kubeconfig", path)
    assert code in (0, 1), printed
    assert "web-1" in printed


def test_an_exec_plugin_token_with_a_line_break_works(cluster: SimCluster, tmp_path: Path) -> None:
    user = exec_plugin(tmp_path, cluster.tokens["admin"] + "\n")
    path = kubeconfig_with(tmp_path / "config", cluster.url, user, cluster.kubeconfig()["clusters"][0]["cluster"])
    session = connect(path)
    try:
        assert session.store.snapshot().vms
    finally:
        session.stop()


# -- never printed ------------------------------------------------------------------------------

CREDENTIAL_KINDS = {
    "token": (lambda tmp: {"token": TOKEN}, TOKEN),
    "token with a line break inside": (lambda tmp: {"token": TOKEN[:8] + "\n" + TOKEN[8:]}, TOKEN[8:]),
    "tokenFile": (lambda tmp: {"tokenFile": _write(tmp / "token", TOKEN + "\n")}, TOKEN),
    "basic auth password": (lambda tmp: {"username": "operator", "password": PASSWORD}, PASSWORD),
    "exec plugin token": (lambda tmp: exec_plugin(tmp, TOKEN + "\n"), TOKEN),
    "auth-provider id-token": (
        lambda tmp: {
            "auth-provider": {
                "name": "oidc",
                "config": {"id-token": ID_TOKEN, "idp-issuer-url": "https://idp.example", "client-id": "livemig"},
            }
        },
        ID_TOKEN,
    ),
}


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("kind", list(CREDENTIAL_KINDS))
def test_no_credential_is_printed_even_when_the_server_quotes_it(
    kind: str, echoing: EchoingServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make, secret = CREDENTIAL_KINDS[kind]
    echoing.echo = f"you sent {secret}"
    path = kubeconfig_with(tmp_path / "config", echoing.url, make(tmp_path))
    with caplog.at_level(logging.DEBUG):
        code, printed = run("plan", "default/web-1", "--kubeconfig", path)
    assert code == 2
    assert any(words in printed for words in ("rejected the credentials", "line break")), printed
    for shown in (printed, caplog.text):
        assert secret not in shown
        assert repr(secret)[1:-1] not in shown
        for line in secret.splitlines():
            assert line not in shown


def test_a_client_key_is_never_printed_even_when_the_server_quotes_it(cluster: SimCluster, tmp_path: Path) -> None:
    # The server never sees the key: here it quotes it anyway, as a message from anywhere might.
    echoing = EchoingServer(echo=f"key {KEY_LINE} and {KEY_DATA} and {PRIVATE_KEY_PEM}")
    try:
        user = {
            "client-certificate-data": base64.b64encode(CERTIFICATE_PEM.encode()).decode(),
            "client-key-data": KEY_DATA,
        }
        path = kubeconfig_with(tmp_path / "config", echoing.url, user)
        code, printed = run("plan", "default/web-1", "--kubeconfig", path)
    finally:
        echoing.close()
    assert code == 2 and "rejected the credentials" in printed
    assert KEY_LINE not in printed and KEY_DATA not in printed and "PRIVATE KEY-----\n" not in printed


# -- never on disk ------------------------------------------------------------------------------


@pytest.fixture
def own_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The process's temporary directory, watched: where the kubernetes client would write key files."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(directory))
    return directory


def test_the_ca_and_the_client_key_never_go_to_a_file_and_reconnects_need_none(
    cluster: SimCluster, tmp_path: Path, own_tmp: Path
) -> None:
    user = {
        "token": cluster.tokens["admin"],
        "client-certificate-data": base64.b64encode(CERTIFICATE_PEM.encode()).decode(),
        "client-key-data": KEY_DATA,
    }
    path = kubeconfig_with(tmp_path / "config", cluster.url, user, cluster.kubeconfig()["clusters"][0]["cluster"])
    session = connect(path)
    try:
        assert list(own_tmp.rglob("*")) == []
        # New connections (after the server closed every one) use the context held in memory.
        lists = session.reflector("vms").lists
        cluster.fault("restart", seconds=0.5)
        eventually(lambda: session.reflector("vms").lists > lists or not session.server_reachable)
        eventually(lambda: session.server_reachable and session.store.state("vms").status == "connected")
        assert session.transport.request("GET", "/version").status == 200
        assert list(own_tmp.rglob("*")) == []
    finally:
        session.stop()


def test_a_corrupt_client_key_names_the_kubeconfig_field(cluster: SimCluster, tmp_path: Path) -> None:
    user = {
        "token": cluster.tokens["admin"],
        "client-certificate-data": base64.b64encode(CERTIFICATE_PEM.encode()).decode(),
        "client-key-data": base64.b64encode(
            b"-----BEGIN EC PRIVATE KEY-----\nbm90IGEga2V5\n-----END EC PRIVATE KEY-----\n"
        ).decode(),
    }
    path = kubeconfig_with(tmp_path / "config", cluster.url, user, cluster.kubeconfig()["clusters"][0]["cluster"])
    with pytest.raises(ConnectError) as raised:
        connect(path)
    message = raised.value.message
    assert 'client-key-data of user "u"' in message
    assert "PEM lib" not in message and "handshake" not in message


def test_a_client_key_data_that_is_not_base64_names_the_field(cluster: SimCluster, tmp_path: Path) -> None:
    user = {
        "client-certificate-data": base64.b64encode(CERTIFICATE_PEM.encode()).decode(),
        "client-key-data": "not base64!",
    }
    path = kubeconfig_with(tmp_path / "config", cluster.url, user, cluster.kubeconfig()["clusters"][0]["cluster"])
    with pytest.raises(ConnectError, match='client-key-data of user "u" in the kubeconfig is not valid base64'):
        connect(path)


def answers(session) -> bool:
    """A new request gets an answer (the restarted server dropped every connection)."""
    try:
        return session.transport.request("GET", "/version").status == 200
    except TransportError:
        return False


def test_certificate_and_key_files_named_by_the_kubeconfig_are_read_once(
    cluster: SimCluster, tmp_path: Path, own_tmp: Path
) -> None:
    (tmp_path / "client.crt").write_text(CERTIFICATE_PEM)
    (tmp_path / "client.key").write_text(PRIVATE_KEY_PEM)
    (tmp_path / "ca.crt").write_text(CERTIFICATE_PEM)
    user = {"token": cluster.tokens["admin"], "client-certificate": "client.crt", "client-key": "client.key"}
    path = kubeconfig_with(tmp_path / "config", cluster.url, user, {"certificate-authority": "ca.crt"})
    session = connect(path)
    try:
        for name in ("client.key", "ca.crt"):
            (tmp_path / name).unlink()
        cluster.fault("restart", seconds=0.5)
        eventually(lambda: answers(session))
        assert list(own_tmp.rglob("*")) == []
    finally:
        session.stop()


def test_a_missing_certificate_authority_file_is_named(cluster: SimCluster, tmp_path: Path) -> None:
    path = kubeconfig_with(
        tmp_path / "config", cluster.url, {"token": cluster.tokens["admin"]}, {"certificate-authority": "missing.crt"}
    )
    with pytest.raises(
        ConnectError,
        match=r"The file .*missing\.crt, the certificate-authority of cluster \"c\" in the kubeconfig, cannot be read",
    ):
        connect(path)
