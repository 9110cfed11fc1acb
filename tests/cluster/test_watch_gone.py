"""A watch refused with HTTP 410 (not an ERROR event) makes the reflector list again instead of retrying forever."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.cluster.simulated import FAST, eventually
from tests.cluster.test_connect import kubeconfig_for
from tui.cluster.kubeconfig import KubeconfigChoice, choose_target, client_configuration
from tui.cluster.reflector import KIND_BY_NAME, Reflector
from tui.cluster.store import Store
from tui.cluster.transport import ApiTransport

EXPIRED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "too old resource version: 10 (20)",
    "reason": "Expired",
    "code": 410,
}


def node(name: str, resource_version: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "resourceVersion": resource_version}}


class CompactingServer:
    """Serves nodes: the first list at resourceVersion 10 holds harv-1, every later one at 20 holds harv-2.
    A watch from 10 is refused with HTTP 410; a watch from 20 stays open and silent."""

    def __init__(self) -> None:
        self.lists = 0
        self.refused_watches = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    async def _start(self) -> int:
        app = web.Application()
        app.router.add_get("/api/v1/nodes", self._nodes)
        self.runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]

    async def _nodes(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("watch") == "true":
            if request.query.get("resourceVersion") == "10":
                self.refused_watches += 1
                return web.json_response(EXPIRED, status=410)
            response = web.StreamResponse()
            response.enable_chunked_encoding()
            await response.prepare(request)
            await asyncio.sleep(3600)
            return response
        self.lists += 1
        items, version = ([node("harv-1", "10")], "10") if self.lists == 1 else ([node("harv-2", "20")], "20")
        return web.json_response(
            {"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": version}, "items": items}
        )

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def compacting() -> Iterator[CompactingServer]:
    server = CompactingServer()
    yield server
    server.stop()


def test_a_watch_refused_with_410_lists_again_and_keeps_only_what_the_new_list_holds(
    compacting: CompactingServer, tmp_path: Path
):
    target = choose_target(
        KubeconfigChoice(kubeconfig=str(kubeconfig_for(tmp_path, f"http://127.0.0.1:{compacting.port}"))), environ={}
    )
    transport = ApiTransport(client_configuration(target))
    store = Store()
    reflector = Reflector(transport, store, KIND_BY_NAME["nodes"], timings=FAST)
    reflector.start()
    try:
        eventually(lambda: reflector.lists == 2)
        assert store.keys("nodes") == ["harv-2"]
        assert compacting.refused_watches == 1
    finally:
        reflector.stop()
        reflector.join(5)
        store.close()
        transport.close()
