"""`ClusterSession`: one connected kubeconfig context, the only object the UI and the commands talk to.

    session = ClusterSession.connect(ConnectOptions(context="prod", namespace="vms"))  # ConnectError
    session.start()                      # reflector threads fill session.store
    session.wait_until_synced(30)        # optional: every kind listed once (or known forbidden/absent)
    session.wait_until_listed(("vms",), 30)  # or: these kinds, giving up when the server stops answering
    snapshot = session.store.snapshot()  # plus session.store.subscribe(...) for change batches
    result = session.actions.migrate("vms", "web-1", target="node-3")
    session.stop()                       # every thread ends; safe to call twice

Connecting runs the kubeconfig's exec credential plugin (if any) in the calling thread, before any
full-screen UI, and checks the server within 10 s. While started, a health probe asks the server
for /version every few seconds, so a lost connection shows in every kind's state within about 15 s;
when the server answers again, watches are re-opened at once. `now()` is the cluster's clock (the
API server's Date header, or the clock given in the options, e.g. the demo's simulated one).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from tui.cluster.access import AccessReviews
from tui.cluster.actions import ClusterActions
from tui.cluster.connect import ServerInfo, check_connection
from tui.cluster.connection import SETTLED
from tui.cluster.errors import ApiError, ConnectError, TransportError
from tui.cluster.harvester_version import read_harvester_server_version
from tui.cluster.kubeconfig import (
    ClusterTarget,
    KubeconfigChoice,
    choose_target,
    client_configuration,
)
from tui.cluster.metrics import MigrationMetrics
from tui.cluster.reflector import KINDS, Reflector, ReflectorTimings
from tui.cluster.store import Store
from tui.cluster.transport import ApiTransport
from tui.cluster.vm_search import namespaces_holding

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["ClusterSession", "ConnectError", "ConnectOptions", "Listing"]


@dataclass(frozen=True)
class Listing:
    """How waiting for the first lists ended: every kind asked for settled (listed, forbidden or
    absent), or which are still failing, or the health probe's word that the server stopped answering."""

    complete: bool
    unsettled: tuple[str, ...] = ()
    server_lost: str = ""  # the probe's error when the server stopped answering; "" otherwise


@dataclass(frozen=True)
class ConnectOptions:
    """Everything `ClusterSession.connect` needs; the defaults are what the commands use."""

    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    all_namespaces: bool = False
    readonly: bool = False
    # The cluster's clock to use instead of the API server's Date header (the demo's simulated clock).
    clock: Callable[[], datetime] | None = None
    timings: ReflectorTimings = field(default_factory=ReflectorTimings)
    probe_interval: float = 5.0
    probe_timeout: float = 5.0
    metrics_interval: float = 5.0
    check_timeout: float = 10.0
    environ: Mapping[str, str] | None = None  # instead of os.environ (KUBECONFIG, HOME, in-cluster variables)


class ClusterSession:
    """One connected context: its store, actions, access reviews and byte-progress metrics. Thread-safe."""

    def __init__(
        self, target: ClusterTarget, transport: ApiTransport, info: ServerInfo, options: ConnectOptions
    ) -> None:
        self.target = target
        self.transport = transport
        self.info = info
        self.options = options
        self.store = Store()
        self.actions = ClusterActions(transport, self.store, readonly=options.readonly)
        self.access = AccessReviews(transport, readonly=options.readonly)
        self.metrics = MigrationMetrics(transport, self.store, interval=options.metrics_interval)
        namespace = target.namespaces[0] if target.namespaces else None
        self._reflectors = [Reflector(transport, self.store, kind, namespace, options.timings) for kind in KINDS]
        by_kind = {reflector.kind.kind: reflector for reflector in self._reflectors}
        for reflector in self._reflectors:
            reflector.on_went_back = self._restart_watches
            reflector.first_list_after = tuple(by_kind[name] for name in reflector.kind.listed_after)
        self._lock = threading.Lock()
        self._started = False
        self._stopped = False
        self._stopping = threading.Event()
        self._probe: threading.Thread | None = None
        self._server_ok = True
        self._server_error = ""

    @classmethod
    def connect(cls, options: ConnectOptions = ConnectOptions()) -> ClusterSession:
        """Read the kubeconfig, build the client (running an exec plugin if the context has one) and
        check the server. Raises ConnectError (one paragraph for the operator) on any problem."""
        target = choose_target(
            KubeconfigChoice(options.kubeconfig, options.context, options.namespace, options.all_namespaces),
            environ=options.environ,
        )
        configuration = client_configuration(target)
        try:
            transport = ApiTransport(configuration)
        except ImportError as error:  # a socks5 proxy-url without PySocks installed
            raise ConnectError(
                "bad-kubeconfig",
                f"The proxy of the kubeconfig's cluster needs a package that is not installed: {error}.",
            ) from None
        try:
            info = check_connection(transport, target, timeout=options.check_timeout)
        except BaseException:
            transport.close()
            raise
        session = cls(target, transport, info, options)
        timeout = (options.check_timeout, options.check_timeout)
        session.store.set_harvester_server_version(read_harvester_server_version(transport, timeout))
        return session

    # -- who and where ---------------------------------------------------------------------------

    @property
    def context_name(self) -> str:
        return self.target.context_name

    @property
    def server_url(self) -> str:
        return self.target.server

    @property
    def user(self) -> str:
        """The kubeconfig user the context names ("" for none)."""
        return self.target.user_name

    @property
    def namespaces(self) -> tuple[str, ...] | None:
        """The namespaces livemig shows; None means all."""
        return self.target.namespaces

    @property
    def scope_text(self) -> str:
        """The namespace scope in words, for the header: "namespace vms", "all namespaces (context x sets none)"."""
        return self.target.scope_text

    @property
    def readonly(self) -> bool:
        return self.options.readonly

    def now(self) -> datetime:
        """The cluster's time now (timezone-aware, UTC)."""
        if self.options.clock is not None:
            moment = self.options.clock()
            return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
        return self.transport.clock.now()

    @property
    def server_reachable(self) -> bool:
        """What the health probe saw last (True before the first probe)."""
        with self._lock:
            return self._server_ok

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the reflectors, the health probe and the metrics poller (once)."""
        with self._lock:
            if self._started or self._stopped:
                return
            self._started = True
        for reflector in self._reflectors:
            reflector.start()
        self._probe = threading.Thread(target=self._probe_loop, name="api-health", daemon=True)
        self._probe.start()
        self.metrics.start()

    def wait_until_synced(self, timeout: float | None = None) -> bool:
        """Wait until every kind was listed once, or found forbidden, absent or failing; True if all
        were within `timeout`. The store's states say how each kind stands."""
        end = None if timeout is None else time.monotonic() + timeout
        for reflector in self._reflectors:
            left = None if end is None else max(end - time.monotonic(), 0.0)
            if not reflector.synced.wait(left):
                return False
        return True

    def wait_until_listed(self, kinds: Iterable[str] | None = None, timeout: float | None = None) -> Listing:
        """Wait until each of `kinds` (default: all) is listed, forbidden or absent, or `timeout` passed,
        or the health probe finds the server gone (then at once: a command should not wait out a
        silent server). A kind whose list failed is still being retried: it is waited for."""
        wanted = tuple(kinds) if kinds is not None else tuple(kind.kind for kind in KINDS)
        end = None if timeout is None else time.monotonic() + timeout
        version = -1
        while True:
            states = self.store.states()
            unsettled = tuple(kind for kind in wanted if states[kind].status not in SETTLED)
            if not unsettled:
                return Listing(complete=True)
            with self._lock:
                lost = "" if self._server_ok else self._server_error
            if lost:
                return Listing(complete=False, unsettled=unsettled, server_lost=lost)
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                return Listing(complete=False, unsettled=unsettled)
            version = self.store.wait_for_change(version, 0.5 if left is None else min(left, 0.5))

    @property
    def server_error(self) -> str:
        """Why the health probe last found the server gone ("" while it answers)."""
        with self._lock:
            return "" if self._server_ok else self._server_error

    def namespaces_with_vm(self, name: str) -> list[str] | None:
        """The namespaces that hold a VM or VM instance called `name`, read across the cluster; None when
        the user may not list them there (or the server does not answer)."""
        return namespaces_holding(self.transport, name)

    @property
    def reflectors(self) -> tuple[Reflector, ...]:
        """One per watched kind (their states are in the store; `lists` counts full lists)."""
        return tuple(self._reflectors)

    def reflector(self, kind: str) -> Reflector:
        return next(reflector for reflector in self._reflectors if reflector.kind.kind == kind)

    @property
    def synced(self) -> bool:
        return all(reflector.synced.is_set() for reflector in self._reflectors)

    def listed(self) -> bool:
        """Every kind is listed (connected) or known forbidden or absent: the snapshot is complete."""
        settled = SETTLED
        return all(state.status in settled for state in self.store.states().values())

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every thread and close the connections; returns when they ended (or `timeout` passed)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._stopping.set()
        for reflector in self._reflectors:
            reflector.stop()
        self.metrics.stop()
        end = time.monotonic() + timeout
        for reflector in self._reflectors:
            reflector.join(max(end - time.monotonic(), 0.0))
        self.metrics.join(max(end - time.monotonic(), 0.0))
        if self._probe is not None:
            self._probe.join(max(end - time.monotonic(), 0.0))
        self.store.close()
        self.transport.close()
        for reflector in self._reflectors:
            # No cycle back to the session: the first lists' objects are frozen out of the cycle
            # collector's sight (tui/cluster/decoding.py), so only reference counting can free them.
            reflector.on_went_back = None
            reflector.first_list_after = ()

    def threads(self) -> list[threading.Thread]:
        """The session's threads still alive (for tests and diagnostics)."""
        names = {f"reflector-{kind.kind}" for kind in KINDS} | {"api-health", "migration-metrics", "store-batches"}
        return [thread for thread in threading.enumerate() if thread.name in names and self._owns(thread)]

    def _owns(self, thread: threading.Thread) -> bool:
        owned = [reflector._thread for reflector in self._reflectors] + [
            self._probe,
            self.metrics._thread,
            self.store._dispatcher,
        ]
        return any(thread is candidate for candidate in owned)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _restart_watches(self) -> None:
        """The server came back with other state: every kind's watch ends, and each lists again."""
        for reflector in self._reflectors:
            reflector.restart_watch()

    # -- health probe ----------------------------------------------------------------------------

    def _probe_loop(self) -> None:
        timeout = (self.options.probe_timeout, self.options.probe_timeout)
        lost_since: datetime | None = None
        failures = 0
        while not self._stopping.wait(self.options.probe_interval):
            try:
                self.transport.request("GET", "/version", timeout=timeout)
                ok, error = True, ""
            except ApiError:
                ok, error = True, ""  # an answer, even an error, means the server is there
            except TransportError as failure:
                ok, error = False, f"no answer from the API server: {failure.message}"
            if self._stopping.is_set():
                return
            failures = 0 if ok else failures + 1
            with self._lock:
                changed = ok != self._server_ok or not ok
                self._server_ok, self._server_error = ok, error
            if not ok and lost_since is None:
                lost_since = datetime.now(timezone.utc)
            if ok:
                lost_since = None
            if changed:
                for reflector in self._reflectors:
                    reflector.set_server_health(ok, error, lost_since, failures)
