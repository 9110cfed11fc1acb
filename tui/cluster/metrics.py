"""Byte-level progress of running migrations, read from Prometheus through the API server's service proxy.

KubeVirt has no byte counters in its API; virt-handler exports them as Prometheus metrics while a
migration copies memory, and Harvester's monitoring add-on (rancher-monitoring, off by default) is
reachable at the service-proxy path below. `MigrationMetrics` asks only while some migration is in
phase Running, every few seconds, and produces the domain's `ByteCounters` per VMI.

Prometheus changes a value only when it scrapes (every 30 s to 1 min in common installations), and
an instant query's answer carries the evaluation time, not the sample's. So each poll also asks
`timestamp(remaining)`, before and after the counters: `ByteCounters.at` is the sample's own time,
and a VMI whose sample changed between the two (a scrape fell inside the poll) keeps its previous
counters until the next poll, so no reading mixes two samples.

When the proxy or Prometheus answers that it cannot help (no such service, no endpoints, forbidden,
an error status), the state says "no byte progress: monitoring not available" once, and the UI goes
on with phases; it is asked again now and then. When the API server itself does not answer (or
asks to retry later), the state and the last counters stay and the next poll comes at the usual
interval.

Metric names changed across KubeVirt versions: the transfer rate was
kubevirt_vmi_migration_disk_transfer_rate_bytes up to 1.6 and is ..._memory_transfer_rate_bytes
from 1.7; the total exists from 1.5, as ..._data_total_bytes and later ..._data_bytes_total.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tui.cluster.errors import ApiError, TransportError
from tui.cluster.store import Store
from tui.cluster.transport import ApiTransport
from tui.domain.progress import ByteCounters

PROMETHEUS_QUERY_PATH = (
    "/api/v1/namespaces/cattle-monitoring-system/services/http:rancher-monitoring-prometheus:9090/proxy/api/v1/query"
)
REMAINING = "kubevirt_vmi_migration_data_remaining_bytes"
PROCESSED = "kubevirt_vmi_migration_data_processed_bytes"
TOTAL = ("kubevirt_vmi_migration_data_total_bytes", "kubevirt_vmi_migration_data_bytes_total")
TRANSFER_RATE_NEW = "kubevirt_vmi_migration_memory_transfer_rate_bytes"  # KubeVirt >= 1.7
TRANSFER_RATE_OLD = "kubevirt_vmi_migration_disk_transfer_rate_bytes"  # up to 1.6
DIRTY_RATE = "kubevirt_vmi_migration_dirty_memory_rate_bytes"

UNKNOWN = "unknown"
AVAILABLE = "available"
UNAVAILABLE = "unavailable"
NOT_AVAILABLE_TEXT = "no byte progress: monitoring not available"


@dataclass(frozen=True)
class MonitoringState:
    """Whether byte progress can be shown: UNKNOWN (not asked yet), AVAILABLE or UNAVAILABLE (with why)."""

    status: str = UNKNOWN
    message: str = ""
    detail: str = ""  # what Prometheus or the proxy answered, verbatim


def metric_names(version: tuple[int, int, int] | None) -> dict[str, tuple[str, ...]]:
    """Which metric names to ask for each counter, for a KubeVirt version (None: unknown, ask all)."""
    if version is None:
        transfer: tuple[str, ...] = (TRANSFER_RATE_NEW, TRANSFER_RATE_OLD)
        total: tuple[str, ...] = TOTAL
    else:
        transfer = (TRANSFER_RATE_NEW,) if version >= (1, 7, 0) else (TRANSFER_RATE_OLD,)
        total = TOTAL if version >= (1, 5, 0) else ()
    return {
        "remaining": (REMAINING,),
        "processed": (PROCESSED,),
        "total": total,
        "transfer_rate": transfer,
        "dirty_rate": (DIRTY_RATE,),
    }


def _promql_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _selector(metric: str, names: list[str]) -> str:
    pattern = "|".join(re.escape(name) for name in sorted(set(names)))
    return f"{metric}{{name=~{_promql_string(pattern)}}}"


class _NoAnswer(Exception):
    """The API server did not answer, or asked to be asked again later: nothing is known of monitoring."""


class _Unavailable(Exception):
    """The service proxy or Prometheus answered that it cannot give byte counters; `detail` is what it said."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _api_server_busy(error: ApiError) -> bool:
    """An answer of the API server itself rather than of the proxied Prometheus: throttled (429), failing
    (500), timed out (504), or any 5xx with Retry-After (shutting down). The proxy's own answers, such
    as 503 "no endpoints available for service", come without Retry-After."""
    return error.code in (429, 500, 504) or (error.code >= 500 and error.retry_after is not None)


def _key(labels: dict[str, Any]) -> str:
    return f"{labels.get('namespace', '')}/{labels.get('name', '')}"


def _samples(answer: Any) -> list[tuple[dict[str, Any], float]]:
    """(labels, value) of an instant-vector answer (the pair's time is the evaluation time, not the
    sample's, so it is not kept); malformed entries are skipped."""
    data = answer.get("data") if isinstance(answer, dict) else None
    result = data.get("result") if isinstance(data, dict) else None
    samples = []
    for item in result if isinstance(result, list) else ():
        if not isinstance(item, dict):
            continue
        labels, value = item.get("metric"), item.get("value")
        if not isinstance(labels, dict) or not isinstance(value, list) or len(value) != 2:
            continue
        try:
            samples.append((labels, float(value[1])))
        except (TypeError, ValueError):
            continue
    return samples


class MigrationMetrics:
    """Polls Prometheus for the running migrations' byte counters; thread-safe readers."""

    def __init__(
        self,
        transport: ApiTransport,
        store: Store,
        interval: float = 5.0,
        retry_unavailable: float = 60.0,
    ) -> None:
        self.transport = transport
        self.store = store
        self.interval = interval
        self.retry_unavailable = retry_unavailable
        self._lock = threading.Lock()
        self._state = MonitoringState()
        self._counters: dict[str, tuple[ByteCounters, ByteCounters | None]] = {}
        self._subscribers: list[Callable[[], None]] = []
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._since_unavailable = 0.0

    # -- readers ---------------------------------------------------------------------------------

    @property
    def state(self) -> MonitoringState:
        with self._lock:
            return self._state

    def counters(self, namespace: str, vmi: str) -> tuple[ByteCounters | None, ByteCounters | None]:
        """(latest, previous) counters of the VMI's running migration; (None, None) when unknown."""
        with self._lock:
            found = self._counters.get(f"{namespace}/{vmi}")
        return found if found is not None else (None, None)

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call `callback()` (from the polling thread) after counters or the state changed."""
        with self._lock:
            self._subscribers.append(callback)

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="migration-metrics", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll()
            except Exception as error:  # noqa: BLE001 - a bug in one poll must not end byte progress for the session
                self._set_state(MonitoringState(UNAVAILABLE, NOT_AVAILABLE_TEXT, f"{type(error).__name__}: {error}"))
            self._wake.wait(self.interval)
            self._wake.clear()

    # -- polling ---------------------------------------------------------------------------------

    def running(self) -> dict[str, list[str]]:
        """Namespaces and VMI names of the migrations copying memory now (phase Running)."""
        found: dict[str, list[str]] = {}
        for migration in self.store.snapshot().migrations.values():
            if migration.phase == "Running" and migration.vmi_name:
                found.setdefault(migration.namespace, []).append(migration.vmi_name)
        return found

    def poll(self, force: bool = False) -> MonitoringState:
        """Ask Prometheus once if some migration runs (and, after a failure, only every retry period)."""
        running = self.running()
        if not running:
            with self._lock:
                had = bool(self._counters)
                self._counters = {}
            if had:
                self._notify()
            return self.state
        if self.state.status == UNAVAILABLE and not force:
            self._since_unavailable += self.interval
            if self._since_unavailable < self.retry_unavailable:
                return self.state
        self._since_unavailable = 0.0
        kubevirt = self.store.snapshot().kubevirt
        names = metric_names(kubevirt.version if kubevirt is not None else None)
        vmi_names = [name for names_in_ns in running.values() for name in names_in_ns]
        wanted = {f"{ns}/{name}" for ns, names_in_ns in running.items() for name in names_in_ns}
        values: dict[str, dict[str, float]] = {key: {} for key in wanted}
        sample_time = f"timestamp({_selector(REMAINING, vmi_names)})"
        try:
            before = self._stamps(self._ask(sample_time))
            for counter, metrics in names.items():
                for metric in metrics:
                    found_any = False
                    for labels, value in self._ask(_selector(metric, vmi_names)):
                        key = _key(labels)
                        if key in values and counter not in values[key]:
                            values[key][counter] = value
                            found_any = True
                    if found_any:
                        break  # this name answered: the other name of the same counter need not be asked
            after = self._stamps(self._ask(sample_time))
        except _NoAnswer:
            return self.state  # the API server is away: keep what is known, ask again at the usual interval
        except _Unavailable as unavailable:
            self._set_state(MonitoringState(UNAVAILABLE, NOT_AVAILABLE_TEXT, unavailable.detail))
            with self._lock:
                self._counters = {}
            return self.state
        self._set_state(MonitoringState(AVAILABLE))
        with self._lock:
            previous = self._counters
            fresh: dict[str, tuple[ByteCounters, ByteCounters | None]] = {}
            for key, counted in values.items():
                before_key = previous.get(key)
                if before.get(key) != after.get(key):
                    # A scrape fell between the questions: the counters may mix two samples.
                    if before_key is not None:
                        fresh[key] = before_key
                    continue
                if not counted:
                    continue
                stamp = after.get(key)
                counters = ByteCounters(
                    processed=_int(counted.get("processed")),
                    remaining=_int(counted.get("remaining")),
                    total=_int(counted.get("total")),
                    transfer_rate=counted.get("transfer_rate"),
                    dirty_rate=counted.get("dirty_rate"),
                    at=datetime.fromtimestamp(stamp, tz=timezone.utc) if stamp is not None else None,
                )
                if before_key is not None and before_key[0] == counters:
                    fresh[key] = before_key
                else:
                    fresh[key] = (counters, before_key[0] if before_key is not None else None)
            self._counters = fresh
        self._notify()
        return self.state

    def _ask(self, query: str) -> list[tuple[dict[str, Any], float]]:
        """(labels, value) of each series Prometheus answers to an instant query; raises _NoAnswer when
        the API server gives none, _Unavailable when the proxy or Prometheus says it cannot help."""
        try:
            response = self.transport.request("GET", PROMETHEUS_QUERY_PATH, query={"query": query}, timeout=(5.0, 10.0))
        except TransportError as error:
            raise _NoAnswer(error.message) from None
        except ApiError as error:
            if _api_server_busy(error):
                raise _NoAnswer(error.message) from None
            raise _Unavailable(error.message) from None
        try:
            answer = response.json()
        except ValueError as error:
            raise _Unavailable(f"not a Prometheus answer: {error}") from None
        if not isinstance(answer, dict) or answer.get("status") != "success":
            error_text = answer.get("error") if isinstance(answer, dict) else ""
            raise _Unavailable(str(error_text or "unexpected answer"))
        return _samples(answer)

    @staticmethod
    def _stamps(samples: list[tuple[dict[str, Any], float]]) -> dict[str, float]:
        """namespace/name -> the sample time `timestamp(...)` answered."""
        return {_key(labels): value for labels, value in samples}

    def _set_state(self, state: MonitoringState) -> None:
        with self._lock:
            changed = state != self._state
            self._state = state
        if changed:
            self._notify()

    def _notify(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback()
            except Exception:  # noqa: BLE001, S112 - one subscriber's bug must not stop the others
                continue


def _int(value: float | None) -> int | None:
    if value is None or not math.isfinite(value):
        return None
    return int(value)
