"""`SimCluster`: a simulated cluster running in-process, its API server on its own thread and event loop.

    with SimCluster.start("empty", manual_clock=True) as cluster:
        cluster.write_kubeconfig(tmp / "kubeconfig")   # contexts sim-admin (current) and sim-viewer
        cluster.store.create("namespaces", {"metadata": {"name": "ns1"}})
        cluster.advance(600)                           # ten simulated minutes, ticking every second
        cluster.fault("compact")

Whatever simulates KubeVirt plugs in through installers: `register_installer(install)` (or the
`installers` argument), where `install(cluster)` is called once the scenario is loaded and before the
server accepts connections. It can register admission hooks (`cluster.admission.register`), pruned
fields (`cluster.admission.prune_fields`), tick callbacks (`cluster.clock.on_tick`), store subscribers
(`cluster.store.subscribe`), the Prometheus source (`cluster.set_metrics_source`) and faults
(`cluster.faults.register`).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import secrets
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

import yaml
from aiohttp import web

from tui.sim import status as st
from tui.sim.access import AccessControl, SimUser
from tui.sim.admission import AdmissionChain
from tui.sim.apiserver import ApiServer
from tui.sim.clock import TICK_INTERVAL, SimClock
from tui.sim.faults import FaultBoard, FaultError, number_param
from tui.sim.metrics import MetricsSource
from tui.sim.resources import NAMESPACES, SERVED
from tui.sim.scenario import Scenario, ScenarioError, ScenarioOptions, load_scenario
from tui.sim.store import ObjectStore
from tui.sim.tls import certificate_authority_data, server_ssl_context

STANDARD_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
CLUSTER_NAME = "livemig-sim"
START_TIMEOUT = 30.0
# Modules that register installers when imported (the KubeVirt-like controller); absent ones are skipped.
EXTENSION_MODULES = ("tui.sim.controller",)

Installer = Callable[["SimCluster"], None]
_INSTALLERS: list[Installer] = []


def register_installer(installer: Installer) -> None:
    """Have `installer(cluster)` called on every SimCluster started without explicit installers."""
    if installer not in _INSTALLERS:
        _INSTALLERS.append(installer)


def _registered_installers() -> list[Installer]:
    for module in EXTENSION_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:
                raise
    return list(_INSTALLERS)


def load_objects(store: ObjectStore, scenario: Scenario) -> None:
    """Put the scenario's objects in the store: the standard namespaces, then namespaces, then the rest
    in document order, creating any namespace an object names but the scenario does not define."""
    with store.lock:
        defined = {obj["metadata"]["name"] for obj in scenario.objects if obj.get("kind") == "Namespace"}
        for name in STANDARD_NAMESPACES:
            if name not in defined:
                store.restore(NAMESPACES, {"metadata": {"name": name}, "status": {"phase": "Active"}})
        ordered = [o for o in scenario.objects if o.get("kind") == "Namespace"] + [
            o for o in scenario.objects if o.get("kind") != "Namespace"
        ]
        for position, obj in enumerate(ordered, start=1):
            resource = SERVED.for_kind(obj["apiVersion"], obj["kind"])
            assert resource is not None  # parse_scenario checked every kind
            meta = obj["metadata"]
            if resource.namespaced:
                namespace = meta.get("namespace") or "default"
                if not store.exists(NAMESPACES, None, namespace):
                    store.restore(NAMESPACES, {"metadata": {"name": namespace}, "status": {"phase": "Active"}})
            try:
                store.restore(resource, obj)
            except st.ApiError as error:
                subject = f"{meta.get('namespace')}/{meta.get('name')}" if resource.namespaced else meta.get("name")
                raise ScenarioError(f"object {position} ({obj['kind']} {subject}): {error.message}") from None


class SimCluster:
    """A running simulated cluster. Create it with `SimCluster.start(...)`; stop it with `stop()` or `with`."""

    def __init__(
        self, scenario: Scenario, manual_clock: bool, host: str, bookmark_interval: float, seed: int | None = None
    ) -> None:
        simulation = scenario.simulation
        self.scenario = scenario
        self.simulation = simulation
        self.host = host
        self.clock = SimClock(start=simulation.start_time, manual=manual_clock)
        self.store = ObjectStore(now=self.clock.now, history_size=simulation.history_size, seed=seed)
        self.clock.use_lock(self.store.lock)
        self.users = tuple(
            SimUser(user.name, user.token or secrets.token_urlsafe(24), user.role, user.rules)
            for user in simulation.users
        )
        self.tokens = {user.name: user.token for user in self.users}
        self.admission = AdmissionChain()
        self.faults = FaultBoard()
        self.server = ApiServer(
            self.store,
            self.clock,
            AccessControl(self.users),
            admission=self.admission,
            faults=self.faults,
            monitoring=simulation.monitoring,
            bookmark_interval=bookmark_interval,
        )
        self.server.on_restart = self._go_down
        self.faults.register("reset", self._fault_reset)
        # What the server started serving, and its resourceVersion then: what `reset` restores.
        self._initial: tuple[list[tuple[Any, dict]], int] = ([], 0)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="livemig-sim", daemon=True)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._ticker: asyncio.Task | None = None
        self._outage: asyncio.Task | None = None  # a restart fault keeping the port closed
        self._stopped = False
        self._ssl = server_ssl_context()

    # -----------------------------------------------------------------------------------------
    # Starting and stopping
    # -----------------------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        scenario: Scenario | str | Path = "empty",
        port: int | None = None,
        manual_clock: bool = False,
        *,
        vms: int | None = None,
        host: str = "127.0.0.1",
        bookmark_interval: float = 60.0,
        installers: Sequence[Installer] | None = None,
        seed: int | None = None,
    ) -> "SimCluster":
        """Load `scenario` (a Scenario, a built-in name or a file), serve it on `port` (None: a free one).

        `seed` fixes the names and uids the server generates (generateName, uid), for tests and
        pictures that must not vary. Raises ScenarioError for a bad scenario, TimeoutError when the
        controllers do not get through the objects in time, and OSError when the port cannot be bound;
        nothing is left running in any case.
        """
        chosen = list(installers) if installers is not None else _registered_installers()
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario, ScenarioOptions(vms=vms))
        cluster = cls(scenario, manual_clock, host, bookmark_interval, seed)
        load_objects(cluster.store, scenario)
        cluster._thread.start()
        try:
            # Controllers go over every object once: at 50,000 VMs on a busy machine that takes longer
            # than a plain start, so the wait grows with the scenario (a second per 1,000 objects).
            install_timeout = max(START_TIMEOUT, len(scenario.objects) / 1000)
            cluster._call(cluster._install, chosen, timeout=install_timeout)
            cluster._initial = (cluster.store.snapshot(), cluster.store.resource_version)
            cluster._call_async(cluster._serve(port or 0))
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _install(self, installers: list[Installer]) -> None:
        with self.store.lock:
            for install in installers:
                install(self)

    async def _serve(self, port: int) -> None:
        self._runner = web.AppRunner(self.server.app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, port, reuse_address=True, ssl_context=self._ssl)
        await self._site.start()
        server = self._site._server  # the listening asyncio server: the only way to learn the bound port
        self.port = server.sockets[0].getsockname()[1] if server and server.sockets else port
        self.server.server_address = f"{self.host}:{self.port}"
        runner_server = self._runner.server
        self.server.attach(asyncio.get_running_loop(), lambda: runner_server.connections if runner_server else [])
        if not self.clock.manual:
            self._ticker = asyncio.get_running_loop().create_task(self._tick_forever())

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_INTERVAL)
            self.clock.tick()

    def stop(self) -> None:
        """Close every connection and watch, stop the loop and its thread; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread.is_alive():
            try:
                self._call_async(self._shutdown(), timeout=10)
            finally:
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(timeout=10)
        if not self._loop.is_running():
            self._loop.close()

    async def _shutdown(self) -> None:
        for task in (self._ticker, self._outage):
            if task is not None and not task.done():
                task.cancel()
        self.server.shutdown()
        if self._runner is not None:
            self.server.drop_connections()
            await self._runner.cleanup()

    def __enter__(self) -> "SimCluster":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -----------------------------------------------------------------------------------------
    # Running things on the server's loop
    # -----------------------------------------------------------------------------------------

    def _call(self, function: Callable[..., Any], *args: Any, timeout: float = START_TIMEOUT) -> Any:
        async def run() -> Any:
            return function(*args)

        return self._call_async(run(), timeout=timeout)

    def _call_async(self, coroutine: Any, timeout: float = START_TIMEOUT) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    # -----------------------------------------------------------------------------------------
    # What tests and the demo use
    # -----------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def advance(self, seconds: float) -> None:
        """Move the manual clock forward (ticks run on the server's loop); returns when all ran."""
        if not self.clock.manual:
            raise RuntimeError("advance() needs SimCluster.start(..., manual_clock=True)")
        self._call(self.clock.advance, seconds, timeout=max(START_TIMEOUT, seconds))

    def fault(self, name: str, **params: Any) -> Any:
        """Trigger a fault as `POST /livemig-sim/v1/faults/<name>` would; FaultError when it cannot be."""

        def trigger() -> Any:
            with self.store.lock:
                return self.faults.trigger(name, params)

        return self._call(trigger)

    def set_metrics_source(self, source: MetricsSource | None) -> None:
        self.server.set_metrics_source(source)

    @property
    def monitoring(self) -> bool:
        return self.server.monitoring

    @monitoring.setter
    def monitoring(self, enabled: bool) -> None:
        self.server.monitoring = enabled

    def _go_down(self, seconds: float) -> None:
        self._outage = self._loop.create_task(self._down_for(seconds))

    async def _down_for(self, seconds: float) -> None:
        if self._site is None or self._runner is None:
            return
        await self._site.stop()
        await asyncio.sleep(seconds)
        if self._stopped:
            return
        self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True, ssl_context=self._ssl)
        await self._site.start()

    def _fault_reset(self, params: dict) -> dict:
        """The server comes back with other state, as after an etcd restore or a cluster recreated at
        the same address: every connection and watch dropped, the objects it started with (or those
        of the scenario named by `scenario`), the resourceVersion counter where it was then; tokens,
        certificate and address stay. With `seconds`, the port stays closed that long first."""
        down = number_param(params, "seconds", 0)
        keep = params.pop("_keep", None)
        named = params.get("scenario")
        scenario: Scenario | None = None
        if named is not None:
            if not isinstance(named, str) or not named:
                raise FaultError('parameter "scenario" must be a scenario name or file')
            try:
                scenario = load_scenario(named, ScenarioOptions())
            except ScenarioError as error:
                raise FaultError(f"bad scenario: {error}") from None
        with self.store.lock:
            dropped = self.server.drop_connections(keep=keep)
            self.store.reset()
            if scenario is None:
                self.store.restore_snapshot(*self._initial)
            else:
                try:
                    load_objects(self.store, scenario)
                except ScenarioError as error:
                    raise FaultError(f"bad scenario: {error}") from None
                self.store.compact()  # as after a restore, the history starts where the server came back
            version = self.store.resource_version
        if down:
            self._go_down(down)
        return {"droppedConnections": dropped, "downSeconds": down, "resourceVersion": str(version)}

    def kubeconfig(self) -> dict[str, Any]:
        """A kubeconfig with one context per user (`sim-<user>`), `sim-admin` current when it exists."""
        contexts = [
            {
                "name": f"sim-{user.name}",
                "context": {"cluster": CLUSTER_NAME, "user": user.name, "namespace": "default"},
            }
            for user in self.users
        ]
        names = [context["name"] for context in contexts]
        current = "sim-admin" if "sim-admin" in names else names[0]
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": [
                {
                    "name": CLUSTER_NAME,
                    "cluster": {"server": self.url, "certificate-authority-data": certificate_authority_data()},
                }
            ],
            "contexts": contexts,
            "current-context": current,
            "users": [{"name": user.name, "user": {"token": user.token}} for user in self.users],
        }

    def write_kubeconfig(self, path: str | Path) -> Path:
        """Write `kubeconfig()` to `path`, mode 0600 whatever was there (it holds every user's token):
        a new file made 0600 beside it, then renamed over it. Missing parents are made 0700. What is
        not a file (/dev/stdout, a pipe) is written to as it is."""
        target = Path(path).expanduser()
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = yaml.safe_dump(self.kubeconfig(), sort_keys=False)
        if target.exists() and not target.is_file():  # /dev/stdout, a pipe: written where it leads
            with open(target, "w", encoding="utf-8") as stream:
                stream.write(text)
            return target
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(text)
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return target
