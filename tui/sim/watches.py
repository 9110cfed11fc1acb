"""Watch streams: one JSON event per line over a chunked response, fed from the object store's changes.

One store subscription serves every watch: each change is handed to the event loop once and fanned
out there to the watches of its resource, each applying its namespace and selectors the way the
watch cache does (an object that stops matching is sent as DELETED, one that starts matching as ADDED).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import orjson

from tui.sim.resources import ResourceType
from tui.sim.selectors import FieldSelector, LabelSelector
from tui.sim.store import ADDED, DELETED, MODIFIED, Change, ObjectStore
from tui.sim.tables import to_table

BOOKMARK = "BOOKMARK"
ERROR = "ERROR"
INITIAL_EVENTS_END = "k8s.io/initial-events-end"
_CLOSE = object()


@dataclass(frozen=True)
class WatchOptions:
    """What one watch request asked for."""

    resource: ResourceType
    namespace: str
    labels: LabelSelector
    fields: FieldSelector
    bookmarks: bool
    timeout: float
    as_table: str = ""  # "" for objects, else the Table apiVersion (meta.k8s.io/v1 or v1beta1)
    include_object: str = "Metadata"


def encode_event(event_type: str, obj: Any) -> bytes:
    return orjson.dumps({"type": event_type, "object": obj}) + b"\n"


class Watch:
    """One open watch: its filters, its queue of encoded lines, and the resourceVersion it has reached."""

    def __init__(self, options: WatchOptions, since: int, now: Callable[[], datetime], reached: bool = True) -> None:
        self.options = options
        self.since = since
        self.last_rv = since
        # False while the server is behind the resourceVersion the watch started from: the watch cache
        # then sends nothing at all, not even bookmarks, until an event newer than it arrives
        # (cacheWatcher.process in k8s.io/apiserver/pkg/storage/cacher/cache_watcher.go).
        self.reached = reached
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self._now = now
        self._headers_sent = False

    def _matches(self, obj: dict | None) -> bool:
        if obj is None:
            return False
        options = self.options
        meta = obj.get("metadata", {})
        if options.namespace and meta.get("namespace") != options.namespace:
            return False
        if not options.labels.empty and not options.labels.matches(meta.get("labels")):
            return False
        if not options.fields.empty and not options.fields.matches(options.resource, obj):
            return False
        return True

    def encode(self, event_type: str, obj: dict, cache: dict | None = None) -> bytes:
        """One event line, as a plain object or as a one-row Table."""
        if self.options.as_table:
            table = to_table(
                self.options.resource,
                [obj],
                self._now(),
                {"resourceVersion": obj.get("metadata", {}).get("resourceVersion", "")},
                self.options.include_object,
                headers=not self._headers_sent,
            )
            table["apiVersion"] = self.options.as_table
            self._headers_sent = True
            return encode_event(event_type, table)
        if cache is not None:
            line = cache.get(event_type)
            if line is None:
                line = cache[event_type] = encode_event(event_type, obj)
            return line
        return encode_event(event_type, obj)

    def _event_type(self, change: Change) -> str | None:
        """What this watch sees of a change, given its filters (None: nothing)."""
        if change.resource is not self.options.resource:
            return None
        if change.type == MODIFIED:
            now_matches = self._matches(change.raw)
            before = self._matches(change.previous)
            if now_matches:
                return MODIFIED if before else ADDED
            return DELETED if before else None
        return change.type if self._matches(change.raw) else None

    def replay(self, changes: list[Change]) -> None:
        for change in changes:
            event_type = self._event_type(change)
            if event_type:
                self.queue.put_nowait(self.encode(event_type, change.raw))

    def offer(self, change: Change, cache: dict) -> None:
        """Queue what this watch should see of `change` (called on the event loop, in order)."""
        if change.resource_version <= self.since:
            return
        self.reached = True
        self.last_rv = change.resource_version
        event_type = self._event_type(change)
        if event_type:
            self.queue.put_nowait(self.encode(event_type, change.raw, cache if event_type == change.type else None))

    def bookmark(self, initial_events_end: bool = False) -> bytes:
        resource = self.options.resource
        metadata: dict[str, Any] = {"resourceVersion": str(self.last_rv)}
        if initial_events_end:
            metadata["annotations"] = {INITIAL_EVENTS_END: "true"}
        return encode_event(BOOKMARK, {"kind": resource.kind, "apiVersion": resource.api_version, "metadata": metadata})

    def close(self) -> None:
        self.queue.put_nowait(_CLOSE)


class WatchHub:
    """All open watches of one server, fed by one store subscription."""

    def __init__(self, store: ObjectStore, loop: asyncio.AbstractEventLoop) -> None:
        self.store = store
        self.loop = loop
        self.watches: set[Watch] = set()
        self._waiters: list[tuple[int, asyncio.Future]] = []
        self._unsubscribe = store.subscribe(self._from_store)

    def _from_store(self, change: Change) -> None:
        # Runs in whichever thread changed the store, under its lock; the fan-out runs on the loop.
        if change.resource_version == 0:  # an object a reset forgot: no watch is told (they are closed)
            return
        try:
            self.loop.call_soon_threadsafe(self._fan_out, change)
        except RuntimeError:  # the loop is closed: the server is gone
            pass

    def _fan_out(self, change: Change) -> None:
        cache: dict = {}
        for watch in self.watches:
            watch.offer(change, cache)
        if self._waiters:
            waiting = []
            for wanted, future in self._waiters:
                if change.resource_version >= wanted:
                    if not future.done():
                        future.set_result(True)
                else:
                    waiting.append((wanted, future))
            self._waiters = waiting

    async def wait_until_fresh(self, resource_version: int, timeout: float) -> bool:
        """Wait (at most `timeout` wall seconds) until the store has reached `resource_version`, as the
        watch cache's waitUntilFreshAndBlock does; False when it has not."""
        if self.store.resource_version >= resource_version:
            return True
        if timeout <= 0:
            return False
        future: asyncio.Future = self.loop.create_future()
        entry = (resource_version, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            return self.store.resource_version >= resource_version
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    def open(self, options: WatchOptions, resource_version: int | None, now: Callable[[], datetime]) -> Watch:
        """Register a watch from `resource_version` (None: every current object first, as ADDED).

        ApiError 410 when the history no longer reaches back to `resource_version`.
        """
        with self.store.lock:
            current = self.store.resource_version
            if resource_version is None:
                replay = [
                    Change(ADDED, options.resource, 0, obj)
                    for obj in self.store.page(
                        options.resource, options.namespace or None, options.labels, options.fields, copies=False
                    ).items
                ]
            elif resource_version > current:
                # Newer than the server: no error, only the events after it, once there are any
                # (kubernetes/kubernetes issue 135452 describes this behaviour of watches).
                replay = []
            else:
                replay = self.store.changes_since(resource_version, options.resource)
            since = max(current, resource_version or 0)
        watch = Watch(options, since, now, reached=since == current)
        watch.replay(replay)
        self.watches.add(watch)
        return watch

    def remove(self, watch: Watch) -> None:
        self.watches.discard(watch)

    def close_all(self) -> None:
        for watch in list(self.watches):
            watch.close()

    def shutdown(self) -> None:
        self._unsubscribe()
        self.close_all()


async def stream(
    watch: Watch,
    write: Callable[[bytes], Any],
    stall_remaining: Callable[[], float],
    bookmark_interval: float,
    initial_events_end: bool = False,
) -> None:
    """Write the watch's events until its timeout, a close, or a broken connection."""
    deadline = time.monotonic() + watch.options.timeout
    next_bookmark = time.monotonic() + bookmark_interval
    if initial_events_end:
        watch.queue.put_nowait(watch.bookmark(initial_events_end=True))
    while True:
        now = time.monotonic()
        if now >= deadline:
            return
        wait = deadline - now
        if watch.options.bookmarks:
            wait = min(wait, max(0.0, next_bookmark - now))
        try:
            item = await asyncio.wait_for(watch.queue.get(), timeout=wait)
        except asyncio.TimeoutError:
            if watch.options.bookmarks and time.monotonic() >= next_bookmark:
                if watch.reached:
                    await _pause_while_stalled(stall_remaining)
                    await write(watch.bookmark())
                next_bookmark = time.monotonic() + bookmark_interval
            continue
        if item is _CLOSE:
            return
        chunk = [item]
        while not watch.queue.empty():
            more = watch.queue.get_nowait()
            if more is _CLOSE:
                await _pause_while_stalled(stall_remaining)
                await write(b"".join(chunk))
                return
            chunk.append(more)
        await _pause_while_stalled(stall_remaining)
        await write(b"".join(chunk))


async def _pause_while_stalled(stall_remaining: Callable[[], float]) -> None:
    while True:
        remaining = stall_remaining()
        if remaining <= 0:
            return
        await asyncio.sleep(remaining)
