"""The simulated cluster's object store: versioned, thread-safe, with a bounded change history for watches.

`ObjectStore` is what etcd plus the generic registry are to a real API server: one global
resourceVersion counter, uid / creationTimestamp / generation bookkeeping, generateName, finalizers and
deletionTimestamp, owner-reference cascading, optimistic concurrency, and a change history a watch can
resume from until it is compacted. Its methods have the semantics of the HTTP verbs without
authentication or admission, and raise `ApiError` with the real Status wording.

Stored objects are never modified in place: every change stores a new dict. Everything handed to a
caller is a copy, so nobody can change stored state by accident.

Subscribers are called synchronously, under the store lock, in resourceVersion order, once per change;
a subscriber may call the store again (the lock is re-entrant) and the changes it causes are delivered
after the current one, never in between.
"""

from __future__ import annotations

import base64
import bisect
import collections
import logging
import random
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

import orjson

from tui.sim import status as st
from tui.sim.patching import PatchError, json_patch, merge_patch, strategic_merge_patch
from tui.sim.resources import NAMESPACES, SERVED, ResourceRegistry, ResourceType
from tui.sim.selectors import (
    FieldSelector,
    LabelSelector,
    SelectorError,
    check_field_selector,
    parse_field_selector,
    parse_label_selector,
)
from tui.sim.validation import metadata_problems

log = logging.getLogger(__name__)

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"

# kube's generateName alphabet: no vowels (no words), no 0/1/3 (confusable).
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_GENERATED_SUFFIX = 5
_MAX_NAME = 63


def copy_object(obj: Any) -> Any:
    """A deep copy of a JSON value (much faster than copy.deepcopy for API objects)."""
    return orjson.loads(orjson.dumps(obj))


def format_time(moment: datetime) -> str:
    """RFC 3339 with seconds, as metav1.Time is written."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Change:
    """One change of one object: what watches stream and subscribers receive.

    `raw` (and `previous`, the object before a MODIFIED) are the stored objects: read them, never
    modify them. `object` is a private copy.
    """

    type: str
    resource: ResourceType
    resource_version: int
    raw: dict
    previous: dict | None = None

    @property
    def object(self) -> dict:
        return copy_object(self.raw)

    @property
    def namespace(self) -> str:
        return self.raw.get("metadata", {}).get("namespace", "")

    @property
    def name(self) -> str:
        return self.raw.get("metadata", {}).get("name", "")


@dataclass(frozen=True)
class ListPage:
    """One page of a list: the items, the list's resourceVersion, and where the next page starts."""

    items: list[dict]
    resource_version: int
    next_key: tuple[str, str] | None
    remaining: int | None


Subscriber = Callable[[Change], None]


class _Subscription:
    """One subscriber and the resourceVersion after which it hears of changes."""

    __slots__ = ("callback", "since")

    def __init__(self, callback: Subscriber, since: int) -> None:
        self.callback = callback
        self.since = since


def _meta(obj: dict) -> dict:
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def _rv_of(obj: dict) -> str:
    value = _meta(obj).get("resourceVersion")
    return str(value) if value not in (None, "") else ""


class _Kind:
    """The objects of one resource, keyed by (namespace, name), with a lazily sorted key list for paging."""

    __slots__ = ("objects", "_sorted")

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], dict] = {}
        self._sorted: list[tuple[str, str]] | None = None

    def put(self, key: tuple[str, str], obj: dict) -> None:
        if key not in self.objects:
            self._sorted = None
        self.objects[key] = obj

    def remove(self, key: tuple[str, str]) -> None:
        if self.objects.pop(key, None) is not None:
            self._sorted = None

    def sorted_keys(self) -> list[tuple[str, str]]:
        if self._sorted is None:
            self._sorted = sorted(self.objects)
        return self._sorted


class ObjectStore:
    """In-memory objects of every stored resource, one resourceVersion counter, and a bounded history."""

    def __init__(
        self,
        registry: ResourceRegistry = SERVED,
        now: Callable[[], datetime] | None = None,
        history_size: int = 1000,
        seed: int | None = None,
    ) -> None:
        self.registry = registry
        self.lock = threading.RLock()
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._kinds: dict[ResourceType, _Kind] = {r: _Kind() for r in registry.stored()}
        self._rv = 0
        self._history: collections.deque[Change] = collections.deque(maxlen=max(1, history_size))
        self._compacted = 0
        self._subscribers: list[_Subscription] = []
        self._pending: collections.deque[Change] = collections.deque()
        self._dispatching = False
        self._random = random.Random(seed)

    # -----------------------------------------------------------------------------------------
    # Lookups
    # -----------------------------------------------------------------------------------------

    def resource(self, resource: ResourceType | str) -> ResourceType:
        """A ResourceType from itself or its plural name (`"virtualmachineinstances"`)."""
        if isinstance(resource, ResourceType):
            return resource
        return self.registry.by_plural(resource)

    @property
    def resource_version(self) -> int:
        """The current (latest) resourceVersion."""
        return self._rv

    @property
    def compacted_resource_version(self) -> int:
        """Watches from a resourceVersion older than this get 410 Expired."""
        return self._compacted

    @property
    def history_size(self) -> int:
        return self._history.maxlen or 0

    def _kind(self, resource: ResourceType) -> _Kind:
        try:
            return self._kinds[resource]
        except KeyError:
            raise st.method_not_supported(resource.plural, resource.group, "get") from None

    @staticmethod
    def _key(resource: ResourceType, namespace: str | None, name: str) -> tuple[str, str]:
        return ((namespace or "") if resource.namespaced else "", name)

    def _stored(self, resource: ResourceType, namespace: str | None, name: str) -> dict:
        obj = self._kind(resource).objects.get(self._key(resource, namespace, name))
        if obj is None:
            raise st.not_found(resource.plural, resource.group, name)
        return obj

    def get(self, resource: ResourceType | str, namespace: str | None, name: str) -> dict:
        """A copy of one object; ApiError 404 when it does not exist."""
        resource = self.resource(resource)
        with self.lock:
            return copy_object(self._stored(resource, namespace, name))

    def exists(self, resource: ResourceType | str, namespace: str | None, name: str) -> bool:
        resource = self.resource(resource)
        with self.lock:
            return self._key(resource, namespace, name) in self._kind(resource).objects

    def list(
        self,
        resource: ResourceType | str,
        namespace: str | None = None,
        label_selector: str | LabelSelector | None = None,
        field_selector: str | FieldSelector | None = None,
    ) -> list[dict]:
        """Copies of the matching objects, ordered by namespace and name."""
        return self.page(resource, namespace, label_selector, field_selector).items

    def page(
        self,
        resource: ResourceType | str,
        namespace: str | None = None,
        label_selector: str | LabelSelector | None = None,
        field_selector: str | FieldSelector | None = None,
        limit: int = 0,
        start_after: tuple[str, str] | None = None,
        copies: bool = True,
    ) -> ListPage:
        """One page of matching objects after `start_after`; `limit` 0 means everything.

        `remainingItemCount` is only known without selectors, as on a real server. With
        `copies=False` the items are the stored objects themselves, for serializing only.
        """
        resource = self.resource(resource)
        labels = _label_selector(label_selector)
        fields = _field_selector(resource, field_selector)
        with self.lock:
            kind = self._kind(resource)
            keys = kind.sorted_keys()
            if resource.namespaced and namespace:
                low = bisect.bisect_left(keys, (namespace, ""))
                high = bisect.bisect_left(keys, (namespace + "\x00",))
            else:
                low, high = 0, len(keys)
            position = low if start_after is None else max(low, bisect.bisect_right(keys, start_after))
            items: list[dict] = []
            next_key: tuple[str, str] | None = None
            while position < high:
                key = keys[position]
                obj = kind.objects[key]
                position += 1
                if (labels.empty or labels.matches(_meta(obj).get("labels"))) and (
                    fields.empty or fields.matches(resource, obj)
                ):
                    items.append(obj)
                    if limit and len(items) >= limit:
                        if position < high:
                            next_key = key
                        break
            remaining = None
            if next_key is not None:
                if labels.empty and fields.empty:
                    remaining = high - position
                # A page that ends exactly at the last match still hands out a token, like etcd paging.
            rv = self._rv
            if copies:
                items = [copy_object(item) for item in items]
            return ListPage(items, rv, next_key, remaining)

    # -----------------------------------------------------------------------------------------
    # Writes
    # -----------------------------------------------------------------------------------------

    def create(self, resource: ResourceType | str, obj: dict, namespace: str | None = None) -> dict:
        """Store a new object (generateName, uid, creationTimestamp, resourceVersion, generation).

        ApiError: 409 AlreadyExists, 422 Invalid for a bad name, 404 for a missing namespace,
        400 when a resourceVersion is set.
        """
        resource = self.resource(resource)
        with self.lock:
            new = self._prepare_create(resource, obj, namespace)
            self._check_namespace_open(resource, new)
            self._assign_name(resource, new)
            meta = new["metadata"]
            meta["uid"] = str(uuid.UUID(int=self._random.getrandbits(128), version=4))
            meta["creationTimestamp"] = format_time(self._now())
            if _tracks_generation(resource):
                meta["generation"] = 1
            _default(resource, new)
            return copy_object(self._commit(resource, new, ADDED))

    def restore(self, resource: ResourceType | str, obj: dict) -> dict:
        """Store an object as loaded from a scenario: keeps its uid, creationTimestamp, generation and
        status (it existed before), but gets a fresh resourceVersion. Missing identity is filled in."""
        resource = self.resource(resource)
        with self.lock:
            new = copy_object(obj)
            meta = new.setdefault("metadata", {})
            if not isinstance(meta, dict):
                raise st.invalid(
                    resource.kind, resource.group, "", [st.field_required("metadata", "metadata is required")]
                )
            meta.pop("resourceVersion", None)
            meta.pop("managedFields", None)
            new["apiVersion"] = resource.api_version
            new["kind"] = resource.kind
            if not resource.namespaced:
                meta.pop("namespace", None)
            elif not meta.get("namespace"):
                meta["namespace"] = "default"
            self._assign_name(resource, new)
            meta.setdefault("uid", str(uuid.UUID(int=self._random.getrandbits(128), version=4)))
            meta.setdefault("creationTimestamp", format_time(self._now()))
            if _tracks_generation(resource):
                meta.setdefault("generation", 1)
            if resource is NAMESPACES:
                _default(resource, new)  # a namespace is never without its phase on a real server
            return copy_object(self._commit(resource, new, ADDED))

    def update(
        self,
        resource: ResourceType | str,
        obj: dict,
        namespace: str | None = None,
        require_resource_version: bool = False,
    ) -> dict:
        """Replace an object (PUT). A metadata.resourceVersion, when given, must be the current one
        (409 Conflict otherwise). With a status subresource, the status is kept as stored."""
        resource = self.resource(resource)
        with self.lock:
            return copy_object(self._update(resource, obj, namespace, require_resource_version, status_only=False))

    def update_status(self, resource: ResourceType | str, obj: dict, namespace: str | None = None) -> dict:
        """Replace an object's status (PUT .../status): everything but the status is kept as stored.

        For a resource without a status subresource (VirtualMachineInstance) this is an ordinary update,
        as KubeVirt's own components write VMI status.
        """
        resource = self.resource(resource)
        with self.lock:
            return copy_object(self._update(resource, obj, namespace, False, status_only=resource.status_subresource))

    def patch(
        self,
        resource: ResourceType | str,
        namespace: str | None,
        name: str,
        patch: Any,
        patch_type: str = "merge",
        status: bool = False,
    ) -> dict:
        """Patch an object: `patch_type` is "merge", "json" or "strategic" (built-in types only)."""
        resource = self.resource(resource)
        with self.lock:
            current = self._stored(resource, namespace, name)
            patched = apply_patch(resource, current, patch, patch_type)
            return copy_object(self._update(resource, patched, namespace, False, status_only=status, name=name))

    def delete(
        self,
        resource: ResourceType | str,
        namespace: str | None,
        name: str,
        uid: str | None = None,
        resource_version: str | None = None,
        propagation: str = "Background",
    ) -> dict:
        """Delete an object. With finalizers it only gets a deletionTimestamp (MODIFIED) and stays until
        they are removed; otherwise it is gone (DELETED) and, unless `propagation` is "Orphan", so are
        the objects it owns. Returns the object as it was last stored.

        ApiError 409 when a precondition (`uid`, `resource_version`) does not hold.
        """
        resource = self.resource(resource)
        with self.lock:
            current = self._stored(resource, namespace, name)
            meta = _meta(current)
            if uid is not None and uid != meta.get("uid"):
                raise st.conflict(
                    resource.plural,
                    resource.group,
                    name,
                    f"Precondition failed: UID in precondition: {uid}, UID in object meta: {meta.get('uid', '')}",
                )
            if resource_version is not None and resource_version != _rv_of(current):
                raise st.conflict(
                    resource.plural,
                    resource.group,
                    name,
                    "Precondition failed: ResourceVersion in precondition: "
                    f"{resource_version}, ResourceVersion in object meta: {_rv_of(current)}",
                )
            if resource is NAMESPACES:
                return copy_object(self._delete_namespace(current))
            if meta.get("finalizers"):
                if meta.get("deletionTimestamp"):
                    return copy_object(current)
                marked = copy_object(current)
                marked["metadata"]["deletionTimestamp"] = format_time(self._now())
                marked["metadata"]["deletionGracePeriodSeconds"] = 0
                return copy_object(self._commit(resource, marked, MODIFIED, previous=current))
            return copy_object(self._remove(resource, current, propagation))

    def remove_finalizer(
        self, resource: ResourceType | str, namespace: str | None, name: str, finalizer: str
    ) -> dict | None:
        """Drop one finalizer; returns the object, or None when that removal finished its deletion."""
        resource = self.resource(resource)
        with self.lock:
            current = self._stored(resource, namespace, name)
            finalizers = list(_meta(current).get("finalizers") or [])
            if finalizer not in finalizers:
                return copy_object(current)
            finalizers.remove(finalizer)
            updated = copy_object(current)
            if finalizers:
                updated["metadata"]["finalizers"] = finalizers
            else:
                updated["metadata"].pop("finalizers", None)
            result = self._update(resource, updated, namespace, False, status_only=False)
            return None if not self.exists(resource, namespace, name) else copy_object(result)

    # -----------------------------------------------------------------------------------------
    # History, subscriptions and watches
    # -----------------------------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(change)` for every change from now on; returns the unsubscribe function."""
        with self.lock:
            entry = _Subscription(callback, self._rv)
            self._subscribers.append(entry)

        def unsubscribe() -> None:
            with self.lock:
                if entry in self._subscribers:
                    self._subscribers.remove(entry)

        return unsubscribe

    def watch(
        self,
        resource: ResourceType | str,
        resource_version: int | None,
        callback: Subscriber,
        namespace: str | None = None,
    ) -> tuple[list[Change], Callable[[], None]]:
        """Start watching atomically: the changes to replay (synthetic ADDED for every object when
        `resource_version` is None, else the history after it) and the subscription for what follows.

        ApiError 410 Expired when `resource_version` is older than the compacted history.
        """
        resource = self.resource(resource)
        with self.lock:
            if resource_version is None:
                replay = [
                    Change(ADDED, resource, int(_rv_of(obj) or 0), obj)
                    for obj in self.page(resource, namespace, copies=False).items
                ]
            else:
                replay = self.changes_since(resource_version, resource)
            return replay, self.subscribe(callback)

    def changes_since(self, resource_version: int, resource: ResourceType | None = None) -> list[Change]:
        """The recorded changes after `resource_version` (of one resource, or all); 410 when compacted."""
        with self.lock:
            if resource_version < self._compacted:
                raise st.too_old_resource_version(resource_version, self._compacted)
            changes: list[Change] = []
            for change in reversed(self._history):
                if change.resource_version <= resource_version:
                    break
                if resource is None or change.resource is resource:
                    changes.append(change)
            changes.reverse()
            return changes

    def compact(self) -> int:
        """Forget the whole change history, as an etcd compaction does; returns the compacted revision."""
        with self.lock:
            self._history.clear()
            self._compacted = self._rv
            return self._compacted

    def snapshot(self) -> list[tuple[ResourceType, dict]]:
        """Every stored object with its resource, in resourceVersion order: the stored objects
        themselves (never modified in place, so keeping them is cheap), to `restore` after a `reset`."""
        with self.lock:
            held = [(r, obj) for r, kind in self._kinds.items() for obj in kind.objects.values()]
        held.sort(key=lambda entry: int(_rv_of(entry[1]) or 0))
        return held

    def reset(self) -> None:
        """Forget every object and the whole change history, and start the resourceVersion counter
        again from 0, as a server brought back from an older etcd backup (or a cluster recreated at the
        same address) has done; the caller then restores what it comes back with.

        Subscribers are told of every forgotten object as DELETED with resourceVersion 0 (what an
        informer's relist reports for it) and then follow the new history from its start.
        """
        with self.lock:
            gone = [(r, obj) for r, kind in self._kinds.items() for obj in kind.objects.values()]
            self._kinds = {r: _Kind() for r in self.registry.stored()}
            self._history.clear()
            self._pending.clear()
            self._rv = 0
            self._compacted = 0
            for subscription in self._subscribers:
                subscription.since = 0
            for resource, obj in gone:
                change = Change(DELETED, resource, 0, obj, obj)
                for subscription in list(self._subscribers):
                    try:
                        subscription.callback(change)
                    except Exception:  # a broken subscriber must not break the store
                        log.exception("store subscriber failed on the reset of %s", change.name)

    def restore_snapshot(self, objects: list[tuple[ResourceType, dict]], resource_version: int) -> None:
        """Put back objects from `snapshot()` with the resourceVersions they had, and the counter at
        `resource_version`, as an etcd restore does; the history starts there (older watches get 410)."""
        with self.lock:
            # Every object is back before any subscriber hears of one: what they write in answer
            # comes after the restored resourceVersions.
            was_dispatching, self._dispatching = self._dispatching, True
            try:
                for resource, restored in objects:  # stored objects, never modified: they go back as they are
                    meta = restored["metadata"]
                    version = int(_rv_of(restored) or 0)
                    self._rv = max(self._rv, version)
                    self._kind(resource).put(self._key(resource, meta.get("namespace"), meta["name"]), restored)
                    self._history.append(Change(ADDED, resource, version, restored))
                    self._pending.append(self._history[-1])
                self._rv = max(self._rv, resource_version)
                self._compacted = self._rv
            finally:
                self._dispatching = was_dispatching
            self._dispatch()

    def iter_all(self) -> Iterator[tuple[ResourceType, dict]]:
        """Copies of every stored object with its resource (for dumps and tests)."""
        with self.lock:
            snapshot = [(r, obj) for r, kind in self._kinds.items() for obj in kind.objects.values()]
        for resource, obj in snapshot:
            yield resource, copy_object(obj)

    # -----------------------------------------------------------------------------------------
    # Internals
    # -----------------------------------------------------------------------------------------

    def _prepare_create(self, resource: ResourceType, obj: dict, namespace: str | None) -> dict:
        if not isinstance(obj, dict):
            raise st.bad_request("the object is not a JSON object")
        new = copy_object(obj)
        meta = new.get("metadata")
        if meta is None:
            meta = new["metadata"] = {}
        if not isinstance(meta, dict):
            raise st.invalid(resource.kind, resource.group, "", [st.field_required("metadata", "metadata is required")])
        if meta.get("resourceVersion"):
            raise st.bad_request("resourceVersion should not be set on objects to be created")
        for managed in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "managedFields",
            "selfLink",
        ):
            meta.pop(managed, None)
        new["apiVersion"] = resource.api_version
        new["kind"] = resource.kind
        if resource.namespaced:
            body_namespace = meta.get("namespace")
            if namespace and body_namespace and body_namespace != namespace:
                raise st.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace or body_namespace or "default"
        else:
            meta.pop("namespace", None)
        return new

    def _check_namespace_open(self, resource: ResourceType, obj: dict) -> None:
        if not resource.namespaced or NAMESPACES not in self._kinds:
            return
        namespace = obj["metadata"]["namespace"]
        ns = self._kinds[NAMESPACES].objects.get(("", namespace))
        if ns is None:
            raise st.not_found("namespaces", "", namespace)
        if _meta(ns).get("deletionTimestamp"):
            name = obj["metadata"].get("name") or obj["metadata"].get("generateName", "")
            raise st.forbidden(
                resource.plural,
                resource.group,
                name,
                f"unable to create new content in namespace {namespace} because it is being terminated",
            )

    def _assign_name(self, resource: ResourceType, obj: dict) -> None:
        meta = obj["metadata"]
        dns_label = resource is NAMESPACES
        kind = self._kind(resource)
        if not meta.get("name") and isinstance(meta.get("generateName"), str) and meta["generateName"]:
            base = meta["generateName"][: _MAX_NAME - _GENERATED_SUFFIX]
            for _ in range(8):
                candidate = base + "".join(self._random.choice(_NAME_ALPHABET) for _ in range(_GENERATED_SUFFIX))
                if self._key(resource, meta.get("namespace"), candidate) not in kind.objects:
                    meta["name"] = candidate
                    break
        causes = metadata_problems(meta, dns_label=dns_label)
        if causes:
            raise st.invalid(resource.kind, resource.group, str(meta.get("name") or ""), causes)
        if self._key(resource, meta.get("namespace"), meta["name"]) in kind.objects:
            raise st.already_exists(resource.plural, resource.group, meta["name"])

    def _update(
        self,
        resource: ResourceType,
        obj: dict,
        namespace: str | None,
        require_resource_version: bool,
        status_only: bool,
        name: str | None = None,
    ) -> dict:
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
            raise st.bad_request("the object has no metadata")
        new = copy_object(obj)
        meta = new["metadata"]
        name = name or meta.get("name")
        if not name:
            raise st.invalid(
                resource.kind, resource.group, "", [st.field_required("metadata.name", "name is required")]
            )
        if meta.get("name") and meta["name"] != name:
            raise st.bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL ({name})")
        if resource.namespaced:
            body_namespace = meta.get("namespace")
            if namespace and body_namespace and body_namespace != namespace:
                raise st.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            namespace = namespace or body_namespace or "default"
        current = self._stored(resource, namespace, name)
        wanted_rv = meta.get("resourceVersion")
        if wanted_rv:
            if str(wanted_rv) != _rv_of(current):
                raise st.conflict(resource.plural, resource.group, name)
        elif require_resource_version:
            raise st.invalid(
                resource.kind,
                resource.group,
                name,
                [st.field_invalid("metadata.resourceVersion", 0, "must be specified for an update")],
            )
        old_meta = _meta(current)
        if status_only:
            merged = copy_object(current)
            if "status" in new:
                merged["status"] = new["status"]
            else:
                merged.pop("status", None)
            new = merged
            meta = new["metadata"]
        else:
            if resource.status_subresource:
                if "status" in current:
                    new["status"] = copy_object(current["status"])
                else:
                    new.pop("status", None)
            causes = metadata_problems(meta, check_name=False)
            added = set(meta.get("finalizers") or []) - set(old_meta.get("finalizers") or [])
            if old_meta.get("deletionTimestamp") and added:
                causes.append(
                    st.field_forbidden(
                        "metadata.finalizers",
                        f"no new finalizers can be added if the object is being deleted, found new finalizers {sorted(added)!r}",
                    )
                )
            if causes:
                raise st.invalid(resource.kind, resource.group, name, causes)
        for immutable in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "name",
        ):
            if immutable in old_meta:
                meta[immutable] = old_meta[immutable]
            else:
                meta.pop(immutable, None)
        meta.pop("managedFields", None)
        if resource.namespaced:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        new["apiVersion"] = resource.api_version
        new["kind"] = resource.kind
        if _tracks_generation(resource) and _spec_changed(resource, current, new):
            meta["generation"] = int(old_meta.get("generation") or 0) + 1
        if _without_version(current) == _without_version(new):
            return current  # a no-op update changes nothing, not even the resourceVersion
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            return self._remove(resource, new, "Background")
        return self._commit(resource, new, MODIFIED, previous=current)

    def _commit(self, resource: ResourceType, obj: dict, change_type: str, previous: dict | None = None) -> dict:
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        meta = obj["metadata"]
        self._kind(resource).put(self._key(resource, meta.get("namespace"), meta["name"]), obj)
        self._record(Change(change_type, resource, self._rv, obj, previous))
        return obj

    def _remove(self, resource: ResourceType, obj: dict, propagation: str) -> dict:
        meta = _meta(obj)
        uid = meta.get("uid")
        dependents = list(self._dependents(uid)) if uid else []
        if propagation == "Foreground":
            self._settle_dependents(dependents, uid, "Background")
        kind = self._kind(resource)
        key = self._key(resource, meta.get("namespace"), meta["name"])
        if key not in kind.objects:
            return obj
        final = copy_object(obj)
        self._rv += 1
        final["metadata"]["resourceVersion"] = str(self._rv)
        kind.remove(key)
        self._record(Change(DELETED, resource, self._rv, final, obj))
        if propagation != "Foreground":
            self._settle_dependents(dependents, uid, propagation)
        if resource.namespaced:
            self._finish_namespace_if_empty(meta.get("namespace", ""))
        return final

    def _dependents(self, uid: str) -> Iterable[tuple[ResourceType, dict]]:
        for resource, kind in self._kinds.items():
            for obj in list(kind.objects.values()):
                for reference in _meta(obj).get("ownerReferences") or []:
                    if isinstance(reference, dict) and reference.get("uid") == uid:
                        yield resource, obj
                        break

    def _settle_dependents(
        self, dependents: list[tuple[ResourceType, dict]], uid: str | None, propagation: str
    ) -> None:
        for resource, obj in dependents:
            meta = _meta(obj)
            if not self.exists(resource, meta.get("namespace"), meta.get("name", "")):
                continue
            current = self._stored(resource, meta.get("namespace"), meta["name"])
            if propagation == "Orphan":
                orphaned = copy_object(current)
                orphaned["metadata"]["ownerReferences"] = [
                    ref for ref in orphaned["metadata"].get("ownerReferences") or [] if ref.get("uid") != uid
                ]
                if not orphaned["metadata"]["ownerReferences"]:
                    del orphaned["metadata"]["ownerReferences"]
                self._update(resource, orphaned, meta.get("namespace"), False, status_only=False)
            else:
                self.delete(resource, meta.get("namespace"), meta["name"], propagation="Background")

    def _namespace_has_content(self, namespace: str) -> bool:
        for resource, kind in self._kinds.items():
            if not resource.namespaced:
                continue
            keys = kind.sorted_keys()
            position = bisect.bisect_left(keys, (namespace, ""))
            if position < len(keys) and keys[position][0] == namespace:
                return True
        return False

    def _delete_namespace(self, current: dict) -> dict:
        name = current["metadata"]["name"]
        if not current["metadata"].get("deletionTimestamp"):
            marked = copy_object(current)
            marked["metadata"]["deletionTimestamp"] = format_time(self._now())
            marked.setdefault("status", {})["phase"] = "Terminating"
            current = self._commit(NAMESPACES, marked, MODIFIED, previous=current)
        for resource, kind in list(self._kinds.items()):
            if not resource.namespaced:
                continue
            for key in [k for k in kind.sorted_keys() if k[0] == name]:
                if key in kind.objects:
                    self.delete(resource, name, key[1])
        return self._finish_namespace_if_empty(name) or current

    def _finish_namespace_if_empty(self, namespace: str) -> dict | None:
        if NAMESPACES not in self._kinds:
            return None
        ns = self._kinds[NAMESPACES].objects.get(("", namespace))
        if ns is None or not _meta(ns).get("deletionTimestamp") or _meta(ns).get("finalizers"):
            return None
        if self._namespace_has_content(namespace):
            return None
        return self._remove(NAMESPACES, ns, "Background")

    def _record(self, change: Change) -> None:
        if len(self._history) == self._history.maxlen:
            self._compacted = max(self._compacted, self._history[0].resource_version)
        self._history.append(change)
        self._pending.append(change)
        self._dispatch()

    def _dispatch(self) -> None:
        if self._dispatching:
            return
        self._dispatching = True
        try:
            while self._pending:
                pending = self._pending.popleft()
                for subscription in list(self._subscribers):
                    if pending.resource_version <= subscription.since:
                        continue
                    try:
                        subscription.callback(pending)
                    except Exception:  # a broken subscriber must not break the store
                        log.exception("store subscriber failed on %s %s", pending.type, pending.name)
        finally:
            self._dispatching = False


def _default(resource: ResourceType, obj: dict) -> None:
    """The defaults a real server fills in on create, for the fields clients read back."""
    if resource.plural == "pods":
        status = obj.setdefault("status", {})
        if isinstance(status, dict):
            status.setdefault("phase", "Pending")
    elif resource is NAMESPACES:
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        status = obj.setdefault("status", {})
        if isinstance(status, dict):
            status.setdefault("phase", "Active")


def _tracks_generation(resource: ResourceType) -> bool:
    return not resource.builtin or resource.plural == "pods"


def _spec_changed(resource: ResourceType, old: dict, new: dict) -> bool:
    ignored = {"metadata", "apiVersion", "kind"}
    if resource.status_subresource:
        ignored.add("status")
    return {k: v for k, v in old.items() if k not in ignored} != {k: v for k, v in new.items() if k not in ignored}


def _without_version(obj: dict) -> dict:
    stripped = dict(obj)
    stripped["metadata"] = {k: v for k, v in _meta(obj).items() if k != "resourceVersion"}
    return stripped


def _label_selector(selector: str | LabelSelector | None) -> LabelSelector:
    if isinstance(selector, LabelSelector):
        return selector
    try:
        return parse_label_selector(selector)
    except SelectorError as error:
        raise st.bad_request(str(error)) from None


def _field_selector(resource: ResourceType, selector: str | FieldSelector | None) -> FieldSelector:
    try:
        parsed = selector if isinstance(selector, FieldSelector) else parse_field_selector(selector)
        check_field_selector(resource, parsed)
    except SelectorError as error:
        raise st.bad_request(str(error)) from None
    return parsed


def apply_patch(resource: ResourceType, current: dict, patch: Any, patch_type: str) -> dict:
    """The object `current` becomes under a patch; ApiError for a patch that is malformed or unsupported."""
    try:
        if patch_type == "merge":
            if not isinstance(patch, dict):
                raise PatchError("the patch is not a JSON object", code=400)
            result = merge_patch(current, patch)
        elif patch_type == "json":
            result = json_patch(current, patch)
        elif patch_type == "strategic":
            if not resource.strategic_merge:
                raise st.unsupported_media_type(
                    "application/strategic-merge-patch+json",
                    ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"],
                )
            result = strategic_merge_patch(current, patch)
        else:
            raise st.bad_request(f"unknown patch type {patch_type}")
    except PatchError as error:
        if error.code == 400:
            raise st.bad_request(str(error)) from None
        raise st.ApiError(
            422,
            "Invalid",
            "the server rejected our request due to an error in our request",
            {"causes": [{"message": str(error)}]},
        ) from None
    if not isinstance(result, dict):
        raise st.bad_request("the patched object is not a JSON object")
    return result


def encode_continue(resource_version: int, key: tuple[str, str]) -> str:
    """A continue token in the shape the real server uses (opaque to clients)."""
    start = f"{key[0]}/{key[1]}" if key[0] else key[1]
    body = orjson.dumps({"v": "meta.k8s.io/v1", "rv": resource_version, "start": start + "\x00"})
    return base64.urlsafe_b64encode(body).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    """(list resourceVersion, last key) from a continue token; ApiError 400 when it is not one."""
    try:
        padded = token + "=" * (-len(token) % 4)
        body = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        rv = int(body["rv"])
        start = str(body["start"]).rstrip("\x00")
    except Exception:
        raise st.bad_request("continue key is not valid: illegal base64 data at input byte 0") from None
    namespace, _, name = start.rpartition("/")
    return rv, (namespace, name)
