"""Keeps one kind of object in the Store in step with the API server: list in pages, then watch.

client-go's Reflector, in a thread: list (pages of 500), `Store.replace`, then watch from the list's
resourceVersion with bookmarks. A watch that ends is resumed from the last resourceVersion seen; a
410 (history compacted while away, as an ERROR event or as the watch request's own status) means a
fresh list, whose `replace` reports what vanished as deleted.

A server that comes back with other state (an etcd restore, a failover to a server behind, a cluster
recreated at the same address) is behind the resourceVersion livemig holds: kube-apiserver answers a
read at it with 504 "Too large resource version" (cause ResourceVersionTooLarge), or an ERROR event
with that Status, and a plain watch at it brings nothing at all. So every re-watch after a broken or
silent watch, or after the health probe saw the server come back, first asks the server's current
resourceVersion (a list of one object); below the one held, or the 504, means a fresh list, as
client-go's reflector relists on "too large" (tools/cache/reflector.go,
isTooLargeResourceVersionError), and the store counts it (`server_went_back`). A 410 from a cluster
whose kube-system namespace has another uid than before (recreated at the same address) counts too. Any other failure backs off (0.8 s
doubling to 30 s, with jitter) and retries; `synced` waits for the retries, since a first list that
failed once says nothing yet. A watch that stays silent longer than the idle timeout is treated as
dead. 403 leaves the kind empty (the KubeVirt CR gets a stand-in that knows only KubeVirt's version,
from virt-api) and says so (FORBIDDEN); 404 means the API does not exist here (ABSENT); both are
tried again now and then, since RBAC and CRDs change.

Objects are decoded to only the fields the parsers read (tui/cluster/decoding.py) and parsed at once:
the API's objects are ten times larger than what the rules read. Each page goes into the store as it
comes (`Store.put_page`), so the first rows can show while the rest is paged through; the kind stays
"starting" until the last page, and the list's end removes what vanished (`Store.end_list`).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import orjson

from tui.cluster.connection import ConnectionState, ConnectionStatus
from tui.cluster.decoding import collector_paused, decode_event, decode_page
from tui.cluster.errors import ApiError, TransportError, describe_transport_error
from tui.cluster.kubevirt_version import kubevirt_stand_in
from tui.cluster.store import Store
from tui.cluster.transport import ApiTransport, WatchStream
from tui.domain.kinds import KINDS as REGISTRY
from tui.domain.kinds import KUBEVIRTS, NODES, PODS, VMIS, VMS, Kind

LAUNCHER_SELECTOR = "kubevirt.io=virt-launcher"


@dataclass(frozen=True)
class ResourceKind:
    """One watched kind (tui/domain/kinds.py) and how this layer reads it."""

    spec: Kind
    # Read across all namespaces even when livemig is scoped to one (the KubeVirt CR lives in
    # harvester-system or kubevirt; the Resources check needs every pod on a node).
    all_namespaces: bool = False
    # When reading all namespaces is forbidden and livemig is scoped: read this much in the scoped
    # namespace instead, and say the kind is partial.
    fallback_selector: str = ""
    # When the kind is forbidden: read what can stand in for it elsewhere (objects, and a partial note).
    stand_in: Callable[[ApiTransport, tuple[float, float]], tuple[list[Any], str]] | None = None
    # Kinds whose first list goes before this kind's first list: the first screen's, ahead of a big
    # kind it can do without (the CPU that decodes them is shared).
    listed_after: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """The store's name for it."""
        return self.spec.name

    @property
    def namespaced(self) -> bool:
        return self.spec.namespaced

    @property
    def parse(self) -> Callable[[Any], Any]:
        return self.spec.parse

    @property
    def resource(self) -> str:
        """`virtualmachines.kubevirt.io`, `pods`: how kubectl and error messages name it."""
        return self.spec.resource

    def path(self, namespace: str | None = None) -> str:
        spec = self.spec
        root = f"/apis/{spec.group}/{spec.version}" if spec.group else f"/api/{spec.version}"
        if spec.namespaced and namespace:
            root += f"/namespaces/{quote(namespace, safe='')}"
        return f"{root}/{spec.plural}"


# How the kinds that are not read the plain way are read.
_READING = {
    KUBEVIRTS.name: ResourceKind(KUBEVIRTS, all_namespaces=True, stand_in=kubevirt_stand_in),
    PODS.name: ResourceKind(
        PODS,
        all_namespaces=True,
        fallback_selector=LAUNCHER_SELECTOR,
        listed_after=(VMS.name, VMIS.name, NODES.name, KUBEVIRTS.name),
    ),
}
# Every watched kind, in the registry's order.
KINDS: tuple[ResourceKind, ...] = tuple(_READING.get(spec.name, ResourceKind(spec)) for spec in REGISTRY)
KIND_BY_NAME = {kind.kind: kind for kind in KINDS}


@dataclass(frozen=True)
class ReflectorTimings:
    """How reflectors page, wait and back off (tests shorten them)."""

    page_size: int = 500
    connect_timeout: float = 10.0
    list_read_timeout: float = 60.0  # per page
    watch_idle_timeout: float = 90.0  # no bytes for this long: the watch is dead (bookmarks come ~1/min)
    watch_timeout_range: tuple[int, int] = (300, 600)  # the server ends each watch after this many seconds
    backoff_initial: float = 0.8
    backoff_max: float = 30.0
    backoff_reset_after: float = 120.0  # a watch that ran this long resets the back-off
    recheck_after: float = 60.0  # how often a forbidden or absent kind is tried again


@dataclass(frozen=True)
class _Scope:
    """What one list+watch reads: a path and a label selector, and whether that is the whole kind."""

    path: str
    selector: str = ""
    partial: str = ""


class _WentBack(Exception):
    """The server answered a watch with "Too large resource version": it came back with other state."""


class _Expired(Exception):
    """The watch's resourceVersion is older than the server's history (410), or newer than the
    server's own (it came back with other state): list again."""


def _expired(code: Any, reason: Any) -> bool:
    """A 410 Gone, or a Status whose reason says the resourceVersion is too old: list again."""
    return code == 410 or reason in ("Expired", "Gone")


def _too_large(code: Any, message: Any, details: Any) -> bool:
    """kube-apiserver's answer to a read at a resourceVersion it has not reached: 504 Timeout with a
    ResourceVersionTooLarge cause (k8s.io/apiserver/pkg/storage/errors.go,
    NewTooLargeResourceVersionError), message "Too large resource version: X, current: Y"."""
    causes = details.get("causes") if isinstance(details, dict) else None
    if isinstance(causes, list) and any(
        isinstance(c, dict) and c.get("reason") == "ResourceVersionTooLarge" for c in causes
    ):
        return True
    return code == 504 and isinstance(message, str) and "Too large resource version" in message


def _behind(server: str, held: str) -> bool:
    """The server's resourceVersion is below the one held (both etcd revisions, decimal): it went back."""
    try:
        return int(server) < int(held)
    except ValueError:
        return False


class _Backoff:
    """client-go's reflector back-off: 0.8 s doubling to 30 s, full jitter added, reset after a good run."""

    def __init__(self, timings: ReflectorTimings) -> None:
        self.timings = timings
        self.delay = 0.0

    def next(self) -> float:
        base = self.timings.backoff_initial if self.delay == 0 else min(self.delay * 2, self.timings.backoff_max)
        self.delay = base
        return min(base * (1 + random.random()), self.timings.backoff_max)

    def reset(self) -> None:
        self.delay = 0.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class Reflector:
    """One kind, one thread. `start()`, `stop()`, `join()`; `restart_watch()` reconnects without a re-list;
    `set_server_health()` lets the session's health probe mark a lost connection within seconds."""

    def __init__(
        self,
        transport: ApiTransport,
        store: Store,
        kind: ResourceKind,
        namespace: str | None = None,
        timings: ReflectorTimings = ReflectorTimings(),
    ) -> None:
        self.transport = transport
        self.store = store
        self.kind = kind
        self.namespace = namespace if kind.namespaced and not kind.all_namespaces else None
        self.scoped_namespace = namespace if kind.namespaced else None
        self.timings = timings
        self.synced = threading.Event()  # set once the kind is listed, forbidden or absent (not on a mere failure)
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._verify = threading.Event()  # before the next watch, check the server is not behind
        self._seen: str | None = None  # the last resourceVersion the current watch delivered
        self._went_back_seen = 0  # the store's server_went_back at this kind's last list
        self.on_went_back: Callable[[], None] | None = None  # the session wakes every kind's watch
        self._lock = threading.Lock()
        self._stream: WatchStream | None = None
        self._thread: threading.Thread | None = None
        # What the reflector itself knows, and what the health probe says; published combined.
        self._status = ConnectionStatus.STARTING
        self._since = _now()
        self._attempt = 0
        self._error = ""
        self._partial = ""
        self._rejected = False  # the server's last answer was 401: the credentials are rejected
        self._server_ok = True
        self._server_error = ""
        self._server_failures = 0
        self._server_lost_since: datetime | None = None
        self.lists = 0  # how many full lists ran (tests and benchmarks read it)
        self.first_list_after: tuple[Reflector, ...] = ()  # the session sets them from kind.listed_after

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"reflector-{self.kind.kind}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end, and wake it wherever it waits (back-off sleep or a watch's socket)."""
        self._stopping.set()
        self._wake.set()
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.close()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def restart_watch(self) -> None:
        """Drop the current watch; the thread watches again from the last resourceVersion (no re-list)."""
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.close()
        self._wake.set()

    def set_server_health(self, ok: bool, error: str = "", since: datetime | None = None, failures: int = 0) -> None:
        """The health probe's verdict on the API server (`failures`: failed probes in a row); a
        recovered server gets fresh watches."""
        with self._lock:
            recovered = ok and not self._server_ok
            self._server_ok = ok
            self._server_error = error
            self._server_failures = failures
            self._server_lost_since = None if ok else (self._server_lost_since or since or _now())
        self._publish()
        if recovered:
            self._verify.set()
            self.restart_watch()

    # -- state -----------------------------------------------------------------------------------

    def _set(
        self, status: ConnectionStatus, error: str = "", partial: str | None = None, rejected: bool = False
    ) -> None:
        with self._lock:
            self._rejected = rejected
            if status != self._status:
                self._since = _now()
            if status == ConnectionStatus.RECONNECTING:
                self._attempt += 1
            elif status != ConnectionStatus.STOPPED:
                self._attempt = 0
            self._status = status
            self._error = (
                _one_line(error) if error else ("" if status != ConnectionStatus.RECONNECTING else self._error)
            )
            if partial is not None:
                self._partial = partial
        self._publish()

    def _publish(self) -> None:
        with self._lock:
            status, since, attempt, error = self._status, self._since, self._attempt, self._error
            if status == ConnectionStatus.CONNECTED and not self._server_ok:
                status = ConnectionStatus.RECONNECTING
                since = self._server_lost_since or since
                error = self._server_error
                attempt = max(attempt, self._server_failures)
            state = ConnectionState(
                kind=self.kind.kind,
                status=status,
                since=since,
                attempt=attempt,
                last_error=error,
                partial=self._partial,
                rejected=self._rejected and status == ConnectionStatus.RECONNECTING,
            )
        self.store.set_state(state)

    # -- the loop --------------------------------------------------------------------------------

    def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        if not self._stopping.is_set():
            self._wake.wait(seconds)

    def _wait_for_first_lists(self) -> None:
        """Before this kind's first list: wait until the kinds to list first are listed, or one of them
        fails (then there is no point in waiting for it), or stop."""
        for other in self.first_list_after:
            while not other.synced.is_set() and not self._stopping.is_set():
                if self.store.state(other.kind.kind).status == ConnectionStatus.RECONNECTING:
                    return
                other.synced.wait(0.05)

    def _run(self) -> None:
        backoff = _Backoff(self.timings)
        resource_version: str | None = None
        scope: _Scope | None = None
        self._wait_for_first_lists()
        while not self._stopping.is_set():
            try:
                if resource_version is None or scope is None:
                    self._went_back_seen = self.store.server_went_back
                    scope, resource_version = self._list()
                    self._set(ConnectionStatus.CONNECTED, partial=scope.partial)
                    self.synced.set()
                    self._verify.clear()
                elif self.store.server_went_back != self._went_back_seen:
                    resource_version = None  # another kind found the server behind: every kind lists again
                    continue
                elif self._verify.is_set():
                    self._verify.clear()
                    if self._server_behind(scope, resource_version) or self._another_cluster():
                        self._went_back()
                        resource_version = None
                        continue
                started = time.monotonic()
                self._seen = resource_version
                resource_version, events = self._watch(scope, resource_version)
                ran = time.monotonic() - started
                if ran >= self.timings.backoff_reset_after:
                    backoff.reset()
                if ran < self.timings.watch_timeout_range[0] * 0.9:
                    self._verify.set()  # ended before the server's timeout: check before watching again
                if ran < 1.0 and events == 0 and not self._stopping.is_set():
                    # A watch the server ends at once, over and over, must not become a busy loop.
                    self._sleep(backoff.next())
            except _Expired:
                resource_version = None  # re-list at once; replace() reports what vanished
                if self._another_cluster():
                    self._went_back()
            except _WentBack:
                self._went_back()
                resource_version = None
            except ApiError as error:
                self._verify.set()
                resource_version = self._resume_from(resource_version)
                if _too_large(error.code, error.message, error.details) and resource_version is not None:
                    self._went_back()
                    resource_version = None
                    continue
                if error.code == 403 and resource_version is None:
                    self._forbidden(error)
                elif error.code == 404 and resource_version is None:
                    self._absent(error)
                else:
                    if error.code in (403, 404):
                        resource_version = None  # lost access or the CRD went away mid-watch: list again
                    self._failed(
                        f"{error.code} {error.reason}: {error.message}".strip(),
                        backoff,
                        error.retry_after,
                        rejected=error.code == 401,
                    )
            except TransportError as error:
                if self._stopping.is_set():
                    break
                self._verify.set()
                resource_version = self._resume_from(resource_version)
                self._failed(error.message, backoff)
            except Exception as error:  # noqa: BLE001 - a bug here must not silently end the reflector: report it, retry
                if self._stopping.is_set():
                    break
                self._failed(f"{type(error).__name__}: {error}", backoff)
        self._set(ConnectionStatus.STOPPED)

    def _went_back(self) -> None:
        """This kind found the server behind: count it, and wake every kind's watch (`on_went_back`)
        so each lists again, as after a 410."""
        self.store.note_server_went_back()
        if self.on_went_back is not None:
            self.on_went_back()

    def _resume_from(self, resource_version: str | None) -> str | None:
        """Where to watch again after a watch broke: the last resourceVersion it delivered (so a
        server found behind it is noticed), or None when a list is due anyway."""
        return self._seen if resource_version is not None and self._seen else resource_version

    def _failed(
        self, message: str, backoff: _Backoff, retry_after: float | None = None, rejected: bool = False
    ) -> None:
        """Say the kind is reconnecting, and wait before the next try. Rejected credentials (401) are
        tried again only every `recheck_after` seconds: they rarely come back by themselves (an exec
        plugin's refreshed token, an authenticator that recovered), and the state says so (`rejected`)."""
        if self._stopping.is_set():
            return
        # `synced` stays unset: a failed first list is retried, and callers wait for its outcome.
        self._set(ConnectionStatus.RECONNECTING, message, rejected=rejected)
        delay = backoff.next()
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.timings.backoff_max))
        if rejected:
            delay = max(delay, self.timings.recheck_after)
        self._sleep(delay)

    def _forbidden(self, error: ApiError) -> None:
        objects: list[Any] = []
        partial = ""
        if self.kind.stand_in is not None:
            objects, partial = self.kind.stand_in(
                self.transport, (self.timings.connect_timeout, self.timings.list_read_timeout)
            )
        self.store.replace(self.kind.kind, objects)
        self._set(ConnectionStatus.FORBIDDEN, error.message, partial=partial)
        self.synced.set()
        self._sleep(self.timings.recheck_after)

    def _absent(self, error: ApiError) -> None:
        self.store.replace(self.kind.kind, [])
        message = f"the API server does not serve {self.kind.resource} (is its CRD installed?)"
        self._set(ConnectionStatus.ABSENT, message, partial="")
        self.synced.set()
        self._sleep(self.timings.recheck_after)

    # -- list ------------------------------------------------------------------------------------

    def _scopes(self) -> list[_Scope]:
        kind = self.kind
        scopes = [_Scope(kind.path(self.namespace))]
        if kind.fallback_selector and self.scoped_namespace:
            scopes.append(
                _Scope(
                    kind.path(self.scoped_namespace),
                    kind.fallback_selector,
                    partial=(
                        f"only the {kind.fallback_selector} {kind.spec.plural} of namespace {self.scoped_namespace}: "
                        f"you may not list {kind.spec.plural} in all namespaces"
                    ),
                )
            )
        return scopes

    def _list(self) -> tuple[_Scope, str]:
        scopes = self._scopes()
        for index, scope in enumerate(scopes):
            try:
                listed, resource_version = self._list_pages(scope)
            except ApiError as error:
                if error.code == 403 and index + 1 < len(scopes):
                    continue
                raise
            self.store.end_list(self.kind.kind, listed)
            self.lists += 1
            return scope, resource_version
        raise AssertionError("unreachable: the last scope raises or returns")

    def _list_pages(self, scope: _Scope) -> tuple[set[str], str]:
        """Page through the list, each page into the store as it comes; the keys listed, and the list's
        resourceVersion."""
        spec, kind = self.kind.spec, self.kind.kind
        held = self.store.objects_of(kind)
        listed: set[str] = set()
        token = ""
        resource_version = ""
        paged = True
        timeout = (self.timings.connect_timeout, self.timings.list_read_timeout)
        while True:
            query: list[tuple[str, str]] = []
            if paged:
                query.append(("limit", str(self.timings.page_size)))
            if token:
                query.append(("continue", token))
            if scope.selector:
                query.append(("labelSelector", scope.selector))
            try:
                response = self.transport.request("GET", scope.path, query=query, timeout=timeout)
            except ApiError as error:
                if error.code == 410 and token:
                    # The continue token expired mid-list: start over in one piece (client-go's pager does).
                    listed, token, paged = set(), "", False
                    continue
                raise
            if self._stopping.is_set():
                raise TransportError("other", "stopped")
            with collector_paused(keep=self.lists == 0):
                body = decode_page(spec, response.data)
                del response
                metadata = body.get("metadata") or {}
                if not resource_version or not token:
                    resource_version = str(metadata.get("resourceVersion") or "")
                objects = [self._parsed(item, held) for item in body.get("items") or ()]
                token = metadata.get("continue") or ""
                remaining = metadata.get("remainingItemCount") if token else None
                del body
            self.store.put_page(kind, objects, remaining if isinstance(remaining, int) else None)
            listed.update(obj.meta.key for obj in objects)
            if not token:
                return listed, resource_version

    def _parsed(self, item: Any, held: dict[str, Any]) -> Any:
        """The parsed object; on a re-list, the one already held when its resourceVersion is unchanged
        (parsing is most of a list's cost, and after a 410 most objects have not changed)."""
        metadata = item.get("metadata") if isinstance(item, dict) else None
        if held and isinstance(metadata, dict) and metadata.get("resourceVersion"):
            name, namespace = metadata.get("name"), metadata.get("namespace")
            key = f"{namespace}/{name}" if namespace else name
            known = held.get(key) if isinstance(key, str) else None
            # The uid too: a cluster recreated at the same address may have an object of the same
            # name at the same resourceVersion, which is another object.
            if (
                known is not None
                and known.meta.resource_version == metadata["resourceVersion"]
                and known.meta.uid == metadata.get("uid", "")
            ):
                return known
        return self.kind.parse(item)

    def _another_cluster(self) -> bool:
        """After a 410: is this another cluster at the same address (recreated, or a restore of
        another one)? The kube-system namespace's uid, the usual cluster identity, tells: a
        different one than the store holds. Unknown (unreadable) counts as the same cluster."""
        known = self.store.get("namespaces", "kube-system")
        if known is None or not known.meta.uid:
            return False
        try:
            response = self.transport.request(
                "GET",
                "/api/v1/namespaces/kube-system",
                timeout=(self.timings.connect_timeout, self.timings.list_read_timeout),
            )
            uid = ((orjson.loads(response.data) or {}).get("metadata") or {}).get("uid")
        except (ApiError, TransportError, orjson.JSONDecodeError, AttributeError):
            return False
        return isinstance(uid, str) and bool(uid) and uid != known.meta.uid

    def _server_behind(self, scope: _Scope, resource_version: str) -> bool:
        """Ask the server's current resourceVersion (a list of at most one object, which
        kube-apiserver serves from etcd): below `resource_version`, it came back with other state.
        A failed question is no answer: the watch that follows will fail and say why."""
        query = [("limit", "1")] + ([("labelSelector", scope.selector)] if scope.selector else [])
        try:
            response = self.transport.request(
                "GET", scope.path, query=query, timeout=(self.timings.connect_timeout, self.timings.list_read_timeout)
            )
            current = str(((orjson.loads(response.data) or {}).get("metadata") or {}).get("resourceVersion") or "")
        except (ApiError, TransportError, orjson.JSONDecodeError, AttributeError):
            self._verify.set()
            return False
        return bool(current) and _behind(current, resource_version)

    # -- watch -----------------------------------------------------------------------------------

    def _watch(self, scope: _Scope, resource_version: str) -> tuple[str, int]:
        low, high = self.timings.watch_timeout_range
        query = [
            ("watch", "true"),
            ("resourceVersion", resource_version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(random.randint(low, high))),
        ]
        if scope.selector:
            query.append(("labelSelector", scope.selector))
        try:
            stream = self.transport.watch(
                scope.path,
                query,
                timeout=(
                    self.timings.connect_timeout,
                    min(self.timings.connect_timeout, self.timings.watch_idle_timeout),
                ),
                idle_timeout=self.timings.watch_idle_timeout,
            )
        except ApiError as error:
            # Some servers refuse an expired resourceVersion with HTTP 410 instead of an ERROR event.
            if _expired(error.code, error.reason):
                raise _Expired() from None
            if _too_large(error.code, error.message, error.details):
                raise _WentBack() from None
            raise
        with self._lock:
            self._stream = stream
        if self._stopping.is_set() or self.store.server_went_back != self._went_back_seen:
            # Stopped, or the server was found behind while this watch opened (too late for
            # restart_watch to reach it): end it at once; the loop lists again.
            stream.close()
        if self._status != ConnectionStatus.CONNECTED:
            self._set(ConnectionStatus.CONNECTED, partial=scope.partial)
        store, kind, parse, spec = self.store, self.kind.kind, self.kind.parse, self.kind.spec
        events = 0
        try:
            for line in stream.lines():
                event = decode_event(spec, line)
                event_type = event.get("type")
                obj = event.get("object")
                if event_type in ("ADDED", "MODIFIED", "DELETED"):
                    parsed = parse(obj)
                    store.apply(kind, event_type, parsed)
                    resource_version = self._seen = parsed.meta.resource_version or resource_version
                    events += 1
                elif event_type == "BOOKMARK":
                    bookmark = ((obj or {}).get("metadata") or {}).get("resourceVersion")
                    if bookmark:
                        resource_version = self._seen = str(bookmark)
                elif event_type == "ERROR":
                    status = obj if isinstance(obj, dict) else {}
                    code = status.get("code")
                    if _expired(code, status.get("reason")):
                        raise _Expired()
                    if _too_large(code, status.get("message"), status.get("details")):
                        raise _WentBack()
                    raise ApiError(
                        int(code) if isinstance(code, int) else 500,
                        str(status.get("reason", "")),
                        str(status.get("message", "")),
                    )
        except (_Expired, _WentBack, ApiError):
            raise
        except orjson.JSONDecodeError:
            if stream.closed_here:
                return resource_version, events
            raise TransportError("other", f"the watch of {self.kind.resource} sent a line that is not JSON") from None
        except Exception as error:  # noqa: BLE001 - closed here is no failure; anything else is worded for the operator
            if stream.closed_here:
                return resource_version, events  # stopped, or restarted on purpose: not a failure
            raise describe_transport_error(error, self.transport.server) from None
        finally:
            with self._lock:
                if self._stream is stream:
                    self._stream = None
            stream.close()
        return resource_version, events
