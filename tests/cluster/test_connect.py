"""Connection errors: each is one clear paragraph (a ConnectError), never a traceback or a hang."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import certifi
import pytest
import yaml
from aiohttp import web

from tests.cluster.simulated import connect, eventually
from tui.cluster import errors
from tui.cluster.connection import ConnectionStatus
from tui.cluster.errors import ConnectError

VERSION = {"major": "1", "minor": "33", "gitVersion": "v1.33.5+rke2r1", "platform": "linux/amd64"}
CORE_GROUPS = [
    {
        "name": "apps",
        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
    },
]
KUBEVIRT_GROUP = {
    "name": "kubevirt.io",
    "versions": [{"groupVersion": "kubevirt.io/v1", "version": "v1"}],
    "preferredVersion": {"groupVersion": "kubevirt.io/v1", "version": "v1"},
}


class PlainServer:
    """A small plain-HTTP server answering /version and /apis with the given groups, 404 for everything else."""

    def __init__(self, groups: list[dict]) -> None:
        self.groups = groups
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    async def _start(self) -> int:
        app = web.Application()
        app.router.add_get("/version", self._version)
        app.router.add_get("/apis", self._groups)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response(VERSION)

    async def _groups(self, request: web.Request) -> web.Response:
        return web.json_response({"kind": "APIGroupList", "apiVersion": "v1", "groups": self.groups})

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": "the server could not find the requested resource",
                "reason": "NotFound",
                "details": {},
                "code": 404,
            },
            status=404,
        )

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def without_kubevirt() -> Iterator[PlainServer]:
    server = PlainServer(CORE_GROUPS)
    yield server
    server.stop()


@pytest.fixture
def kubevirt_without_resources() -> Iterator[PlainServer]:
    server = PlainServer(CORE_GROUPS + [KUBEVIRT_GROUP])
    yield server
    server.stop()


def kubeconfig_for(tmp_path: Path, server: str, **cluster_fields) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server, **cluster_fields}}],
        "users": [{"name": "u", "user": {"token": "some-token"}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(config))
    return path


def failure(kubeconfig: Path | None, **kwargs) -> ConnectError:
    with pytest.raises(ConnectError) as raised:
        connect(kubeconfig, start=False, **kwargs)
    return raised.value


def test_no_kubeconfig_anywhere_says_where_it_looked_and_offers_the_demo(tmp_path):
    error = failure(None, environ={"HOME": str(tmp_path)})
    assert error.problem == errors.NO_KUBECONFIG
    assert "~/.kube/config" in error.message and "livemig --demo" in error.message


def test_an_unknown_context_lists_the_known_ones(kubeconfig):
    error = failure(kubeconfig, context="prod")
    assert error.problem == errors.UNKNOWN_CONTEXT
    assert '"prod"' in error.message and "sim-admin, sim-viewer, sim-alice" in error.message


def test_a_closed_port_is_an_unreachable_server(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = failure(kubeconfig_for(tmp_path, f"https://127.0.0.1:{port}"))
    assert error.problem == errors.UNREACHABLE
    assert "refused the connection" in error.message


def test_a_server_that_accepts_but_never_answers_fails_within_the_time_budget(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never answers
        port = silent.getsockname()[1]
        error = failure(kubeconfig_for(tmp_path, f"http://127.0.0.1:{port}"), check_timeout=1.0)
    assert error.problem == errors.UNREACHABLE
    assert "did not answer in time" in error.message


def test_a_certificate_from_another_authority_is_a_tls_failure(cluster, tmp_path):
    config = cluster.kubeconfig()
    config["clusters"][0]["cluster"].pop("certificate-authority-data")
    config["clusters"][0]["cluster"]["certificate-authority"] = certifi.where()
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(config))
    error = failure(path)
    assert error.problem == errors.TLS
    assert "could not be verified" in error.message and "certificate-authority" in error.message


def test_https_to_a_plain_http_server_is_a_tls_failure(tmp_path, without_kubevirt):
    error = failure(kubeconfig_for(tmp_path, f"https://127.0.0.1:{without_kubevirt.port}"))
    assert error.problem == errors.TLS
    assert "TLS handshake" in error.message


def test_a_wrong_token_is_unauthorized(cluster, tmp_path):
    config = cluster.kubeconfig()
    for user in config["users"]:
        user["user"]["token"] = "expired-token"
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(config))
    error = failure(path)
    assert error.problem == errors.UNAUTHORIZED
    assert "401" in error.message and 'user "admin"' in error.message


def test_a_cluster_without_the_kubevirt_api_group_is_refused(tmp_path, without_kubevirt):
    error = failure(kubeconfig_for(tmp_path, f"http://127.0.0.1:{without_kubevirt.port}"))
    assert error.problem == errors.NO_KUBEVIRT
    assert "kubevirt.io" in error.message and "/k8s/clusters/" in error.message


def test_kinds_the_server_does_not_serve_are_absent_not_failing(tmp_path, kubevirt_without_resources):
    path = kubeconfig_for(tmp_path, f"http://127.0.0.1:{kubevirt_without_resources.port}")
    with connect(path) as session:
        state = eventually(lambda: (s := session.store.state("nads")).status == ConnectionStatus.ABSENT and s)
        assert "network-attachment-definitions.k8s.cni.cncf.io" in state.last_error
        assert session.store.snapshot().nads == {}


def test_a_busy_server_is_asked_again_after_its_retry_after_while_connecting(cluster, kubeconfig):
    cluster.fault("fail", count=2, code=429, retryAfter=1)  # /version, then /version again
    with connect(kubeconfig, start=False) as session:
        assert session.info.kubevirt_versions == ("v1",)


def test_a_retry_after_longer_than_the_check_fails_in_one_sentence_saying_to_try_again(cluster, kubeconfig):
    cluster.fault("fail", count=2, code=429, retryAfter=60)
    error = failure(kubeconfig)
    assert error.problem == errors.SERVER_ERROR
    assert "HTTP 429: Too many requests, please try again later. It is busy" in error.message
    assert "(it asks to wait 60 s)" in error.message and ".." not in error.message


def test_plain_http_to_a_tls_port_suggests_https(cluster, tmp_path):
    config = cluster.kubeconfig()
    config["clusters"][0]["cluster"]["server"] = f"http://127.0.0.1:{cluster.port}"
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(config))
    error = failure(path)
    assert error.problem == errors.UNREACHABLE
    assert "the URL must start with https://" in error.message


def test_a_tls_failure_leaves_no_broken_parenthesis_or_openssl_source_line(tmp_path, without_kubevirt):
    error = failure(kubeconfig_for(tmp_path, f"https://127.0.0.1:{without_kubevirt.port}"))
    assert "_ssl.c" not in error.message and ".." not in error.message
    assert error.message.count("(") == error.message.count(")")


class WebServer:
    """A plain web server (no Kubernetes API): every path is its HTML 404 page."""

    PAGE = (
        '<!DOCTYPE HTML>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error response</title>\n</head>\n'
        "<body>\n<h1>Error response</h1>\n<p>Error code: 404</p>\n<p>Message: File not found.</p>\n</body>\n</html>\n"
    )

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    async def _start(self) -> int:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._page)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(status=404, text=self.PAGE, content_type="text/html")

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def test_a_plain_web_servers_404_page_is_one_sentence_without_html(tmp_path):
    server = WebServer()
    try:
        error = failure(kubeconfig_for(tmp_path, f"http://127.0.0.1:{server.port}"))
    finally:
        server.stop()
    assert error.problem == errors.SERVER_ERROR
    assert "<" not in error.message and "\n" not in error.message
    assert "HTTP 404: HTTP 404" not in error.message
    assert error.message == (
        f"http://127.0.0.1:{server.port} answered, but not like a Kubernetes API server (HTTP 404 for the API group list "
        "at /apis: a web page titled 'Error response' instead of a Kubernetes Status). Check the server URL "
        "of the kubeconfig's cluster."
    )
