"""The simulated Kubernetes API server: an aiohttp application speaking the real API's wire protocol.

Routes every request the way kube-apiserver does (discovery, OpenAPI, resource verbs, status
subresources, watches, server-side tables, the service proxy for Prometheus), authenticates bearer
tokens, authorizes with the scenario's RBAC rules, runs admission hooks on writes, and answers every
error with a Status body worded like the real one. The simulator's own fault endpoints live under
/livemig-sim/v1/.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any, Callable
from urllib.parse import unquote

import orjson
import yaml
from aiohttp import web

from tui.sim import discovery, openapi, protobuf, subresources
from tui.sim import status as st
from tui.sim.access import AccessControl, SimUser
from tui.sim.admission import AdmissionChain, AdmissionDenied, AdmissionRequest
from tui.sim.clock import SimClock
from tui.sim.disruption import check_eviction, evict
from tui.sim.faults import FaultBoard, FaultError, number_param
from tui.sim.held_lists import HeldLists
from tui.sim.metrics import MetricsSource, QueryError, instant_query, query_error
from tui.sim.patching import APPLY_PATCH, JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH
from tui.sim.resources import (
    NAMESPACES,
    SELF_SUBJECT_ACCESS_REVIEWS,
    SELF_SUBJECT_RULES_REVIEWS,
    SERVED,
    ResourceRegistry,
    ResourceType,
)
from tui.sim.schemas import check_status
from tui.sim.selectors import SelectorError, check_field_selector, parse_field_selector, parse_label_selector
from tui.sim.store import ObjectStore, apply_patch, copy_object, decode_continue, encode_continue
from tui.sim.tables import to_table
from tui.sim.validation import metadata_problems
from tui.sim.watches import ERROR, WatchHub, WatchOptions, encode_event, stream

log = logging.getLogger(__name__)

FAULTS_PREFIX = "/livemig-sim/v1/faults"
PROMETHEUS_NAMESPACE = "cattle-monitoring-system"
PROMETHEUS_SERVICE = "rancher-monitoring-prometheus"
RESTARTING_FAULTS = ("restart", "reset")  # they drop every connection but the one that asked
PUBLIC_PATHS = ("/healthz", "/livez", "/readyz")
NOT_FOUND = st.ApiError(404, "NotFound", "the server could not find the requested resource", {})
METHOD_NOT_ALLOWED = st.ApiError(
    405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}
)
WATCH_TRUE = ("true", "True", "1")
PATCH_TYPES = {MERGE_PATCH: "merge", JSON_PATCH: "json", STRATEGIC_MERGE_PATCH: "strategic", APPLY_PATCH: "apply"}


@dataclass(frozen=True)
class ResourceRequest:
    """A request addressed to a resource: which one, where, and which verb in RBAC's words."""

    resource: ResourceType
    namespace: str
    name: str
    subresource: str
    verb: str


def _json(
    body: Any, status: int = 200, headers: dict[str, str] | None = None, content_type: str = "application/json"
) -> web.Response:
    return web.Response(
        body=orjson.dumps(body), status=status, headers={**(headers or {}), "Content-Type": content_type}
    )


def _error(error: st.ApiError) -> web.Response:
    return web.Response(
        body=orjson.dumps(error.status()),
        status=error.code,
        headers=error.headers,
        content_type="application/json",
    )


def _watch_response() -> web.StreamResponse:
    response = web.StreamResponse(
        status=200, headers={"Content-Type": "application/json", "Cache-Control": "no-cache, private"}
    )
    response.enable_chunked_encoding()
    return response


def _table_version(accept: str) -> str:
    """The Table apiVersion the client asked for in Accept, or "" for plain objects."""
    for part in accept.split(","):
        params = {k.strip(): v.strip() for k, _, v in (item.partition("=") for item in part.split(";")[1:])}
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            return f"meta.k8s.io/{params['v']}"
    return ""


class ApiServer:
    """The HTTP face of an ObjectStore; build it, then serve `app` (SimCluster does both)."""

    def __init__(
        self,
        store: ObjectStore,
        clock: SimClock,
        access: AccessControl,
        registry: ResourceRegistry = SERVED,
        admission: AdmissionChain | None = None,
        faults: FaultBoard | None = None,
        monitoring: bool = False,
        bookmark_interval: float = 60.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.access = access
        self.registry = registry
        self.admission = admission or AdmissionChain()
        self.faults = faults or FaultBoard()
        self.monitoring = monitoring
        self.metrics_source: MetricsSource | None = None
        self.bookmark_interval = bookmark_interval
        # Wall seconds a read at a resourceVersion the server has not reached waits before its 504.
        self.too_large_wait = st.TOO_LARGE_WAIT_SECONDS
        self.server_address = "127.0.0.1:0"
        self.hub: WatchHub | None = None
        self.on_restart: Callable[[float], Any] | None = None
        self.app = web.Application(client_max_size=16 * 1024 * 1024, middlewares=[self._middleware])
        self.app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self.app.on_response_prepare.append(self._date_header)
        self.faults.register("restart", self._fault_restart)
        self.faults.register("compact", self._fault_compact)
        self.faults.register("stall", self._fault_stall)
        self.faults.register("fail", self._fault_fail)
        self.held_lists = HeldLists.install(self.faults)
        self._connections: Callable[[], list[Any]] = lambda: []

    async def _date_header(self, request: web.Request, response: web.StreamResponse) -> None:
        # Clients estimate the server's clock from Date: it must be the simulated clock, the one
        # every timestamp in the objects follows, not the wall clock.
        response.headers["Date"] = format_datetime(self.clock.now(), usegmt=True)

    # -----------------------------------------------------------------------------------------
    # Life cycle hooks used by the runtime
    # -----------------------------------------------------------------------------------------

    def attach(self, loop: asyncio.AbstractEventLoop, connections: Callable[[], list[Any]]) -> None:
        """Bind to the event loop that serves requests, and to the live connection list (for restarts)."""
        self.hub = WatchHub(self.store, loop)
        self._connections = connections

    def drop_connections(self, keep: Any = None) -> int:
        """End every watch and abort every connection except `keep`; returns how many were dropped."""
        if self.hub is not None:
            self.hub.close_all()
        dropped = 0
        for connection in list(self._connections()):
            transport = getattr(connection, "transport", None)
            if transport is None or transport is keep:
                continue
            transport.abort()
            dropped += 1
        return dropped

    def shutdown(self) -> None:
        if self.hub is not None:
            self.hub.shutdown()

    def set_metrics_source(self, source: MetricsSource | None) -> None:
        """Where the simulated Prometheus gets its series (see tui.sim.metrics)."""
        self.metrics_source = source

    # -----------------------------------------------------------------------------------------
    # Built-in faults
    # -----------------------------------------------------------------------------------------

    def _fault_restart(self, params: dict) -> dict:
        down = number_param(params, "seconds", 0)
        keep = params.pop("_keep", None)
        dropped = self.drop_connections(keep=keep)
        if down and self.on_restart is not None:
            self.on_restart(down)
        return {"droppedConnections": dropped, "downSeconds": down}

    def _fault_compact(self, params: dict) -> dict:
        return {"compactedResourceVersion": str(self.store.compact())}

    def _fault_stall(self, params: dict) -> dict:
        seconds = number_param(params, "seconds")
        self.faults.stall_for(seconds)
        return {"stalledSeconds": seconds}

    def _fault_fail(self, params: dict) -> dict:
        count = int(number_param(params, "count", 1))
        code = int(number_param(params, "code", 500))
        retry_after = int(number_param(params, "retryAfter", 1))
        self.faults.fail_next(count, code, retry_after)
        return {"failing": count, "code": code}

    # -----------------------------------------------------------------------------------------
    # Request pipeline
    # -----------------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        path = request.path
        try:
            if path in PUBLIC_PATHS:
                return web.Response(text="ok")
            own = path.startswith(FAULTS_PREFIX)
            if not own:
                while True:
                    remaining = self.faults.stall_remaining()
                    if remaining <= 0:
                        break
                    await asyncio.sleep(remaining)
            return await handler(request)
        except st.ApiError as error:
            return _error(error)
        except AdmissionDenied as denied:
            return _error(denied.to_api_error())
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except web.HTTPException:
            raise
        except Exception as error:  # a bug must still answer like a server, not hang the client
            log.exception("request %s %s failed", request.method, path)
            return _error(st.internal_error(str(error)))

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        user = self.access.authenticate(request.headers.get("Authorization"))
        if path.startswith(FAULTS_PREFIX):
            return await self._faults_endpoint(request, user)
        failure = self.faults.take_failure()
        if failure is not None:
            if failure.code == 429:
                raise st.too_many_requests(failure.retry_after)
            raise st.internal_error("the simulated API server was told to fail this request")
        if path.rstrip("/") == subresources.VERSION_PATH:
            return self._kubevirt_version(request)
        segments = [unquote(s) for s in path.strip("/").split("/")] if path.strip("/") else []
        if not segments or segments[0] not in ("api", "apis", "version", "openapi"):
            if path == "/":
                self.access.require_path(user, "get", path)
                return _json(
                    {"paths": ["/api", "/api/v1", "/apis", "/openapi/v3", "/version", "/healthz", "/livez", "/readyz"]}
                )
            raise NOT_FOUND
        if segments[0] == "version":
            self.access.require_path(user, "get", path)
            return _json(discovery.KUBERNETES_VERSION)
        if segments[0] == "openapi":
            self.access.require_path(user, "get", path)
            return self._openapi(segments)
        proxy = self._proxy_target(segments)
        if proxy is not None:
            return await self._service_proxy(request, user, *proxy)
        target = self._discovery_or_resource(request, user, segments)
        if isinstance(target, web.StreamResponse):
            return target
        # Every user may ask what they may do (ClusterRole system:basic-user, bound to all of them).
        if target.resource not in (SELF_SUBJECT_ACCESS_REVIEWS, SELF_SUBJECT_RULES_REVIEWS):
            self.access.require(
                user,
                target.verb,
                target.resource.group,
                target.resource.plural,
                target.subresource,
                target.namespace,
                target.name,
            )
        return await self._serve(request, user, target)

    def _kubevirt_version(self, request: web.Request) -> web.Response:
        # Every user may get it (KubeVirt's kubevirt.io:default ClusterRole): no RBAC check here.
        if request.method != "GET":
            raise METHOD_NOT_ALLOWED
        info = subresources.version_info(self.store)
        if info is None:
            raise NOT_FOUND
        return _json(info)

    # -----------------------------------------------------------------------------------------
    # Discovery and OpenAPI
    # -----------------------------------------------------------------------------------------

    def _discovery_or_resource(
        self, request: web.Request, user: SimUser, segments: list[str]
    ) -> ResourceRequest | web.Response:
        accept = request.headers.get("Accept", "")
        if segments[0] == "api":
            if len(segments) == 1:
                self.access.require_path(user, "get", request.path)
                aggregated = discovery.aggregated_media_type(accept)
                if aggregated:
                    return _json(
                        discovery.aggregated_discovery(self.registry, True, aggregated), content_type=aggregated
                    )
                return _json(discovery.api_versions(self.server_address))
            group, version, rest = "", segments[1], segments[2:]
        else:
            if len(segments) == 1:
                self.access.require_path(user, "get", request.path)
                aggregated = discovery.aggregated_media_type(accept)
                if aggregated:
                    return _json(
                        discovery.aggregated_discovery(self.registry, False, aggregated), content_type=aggregated
                    )
                return _json(discovery.api_group_list(self.registry))
            if len(segments) == 2:
                self.access.require_path(user, "get", request.path)
                group_doc = discovery.api_group(self.registry, segments[1])
                if group_doc is None:
                    raise NOT_FOUND
                return _json(group_doc)
            group, version, rest = segments[1], segments[2], segments[3:]
        if not rest:
            self.access.require_path(user, "get", request.path)
            resources = discovery.api_resource_list(self.registry, group, version)
            if resources is None:
                raise NOT_FOUND
            return _json(resources)
        return self._resource_request(request, group, version, rest)

    def _resource_request(self, request: web.Request, group: str, version: str, rest: list[str]) -> ResourceRequest:
        namespace = ""
        if rest[0] == "namespaces" and len(rest) >= 3:
            candidate = self.registry.lookup(group, version, rest[2])
            if candidate is not None and candidate.namespaced:
                namespace, rest = rest[1], rest[2:]
        resource = self.registry.lookup(group, version, rest[0])
        if resource is None or len(rest) > 3:
            raise NOT_FOUND
        if namespace and not resource.namespaced:
            raise NOT_FOUND
        name = rest[1] if len(rest) > 1 else ""
        subresource = rest[2] if len(rest) > 2 else ""
        extra = resource.subresource(subresource) if subresource else None
        if subresource and not (subresource == "status" and resource.status_subresource) and extra is None:
            raise NOT_FOUND
        method = request.method
        query = request.query
        if extra is not None:
            verb = {"POST": "create", "GET": "get", "PUT": "update", "PATCH": "patch"}.get(method)
            if verb is None or verb not in extra.verbs:
                raise METHOD_NOT_ALLOWED
            return ResourceRequest(resource, namespace, name, subresource, verb)
        if name:
            verb = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method)
            if method == "GET" and query.get("watch") in WATCH_TRUE:
                verb = "watch"
        else:
            verb = {"GET": "list", "POST": "create", "DELETE": "deletecollection"}.get(method)
            if method == "GET" and query.get("watch") in WATCH_TRUE:
                verb = "watch"
        if verb is None or (verb not in resource.verbs and not subresource):
            raise METHOD_NOT_ALLOWED
        return ResourceRequest(resource, namespace, name, subresource, verb)

    def _openapi(self, segments: list[str]) -> web.Response:
        if len(segments) >= 2 and segments[1] == "v3":
            if len(segments) == 2:
                return _json(openapi.index(self.registry))
            rest = segments[2:]
            if rest[0] == "api" and len(rest) == 2:
                document = openapi.group_version_document(self.registry, "", rest[1])
            elif rest[0] == "apis" and len(rest) == 3:
                document = openapi.group_version_document(self.registry, rest[1], rest[2])
            else:
                document = None
            if document is not None:
                return _json(document)
        raise NOT_FOUND

    # -----------------------------------------------------------------------------------------
    # Resource verbs
    # -----------------------------------------------------------------------------------------

    async def _serve(self, request: web.Request, user: SimUser, target: ResourceRequest) -> web.StreamResponse:
        verb = target.verb
        if verb == "watch":
            return await self._watch(request, target)
        if verb == "list":
            await self.held_lists.wait(target.resource.plural)
            await self._fresh_enough(
                request.query.get("resourceVersion", "") if not request.query.get("continue") else ""
            )
            return self._list(request, target)
        if verb == "get":
            await self._fresh_enough(request.query.get("resourceVersion", ""))
            obj = self.store.get(target.resource, target.namespace, target.name)
            return self._respond_object(request, target.resource, obj)
        body = await self._body(request) if request.can_read_body or verb in ("create", "update", "patch") else None
        if verb == "create":
            if target.resource is SELF_SUBJECT_ACCESS_REVIEWS:
                return _json(self.access.review(user, body), status=201)
            if target.resource is SELF_SUBJECT_RULES_REVIEWS:
                return _json(self.access.rules_review(user, body), status=201)
            if target.subresource == "eviction":
                return self._evict(request, user, target, body)
            return self._create(request, user, target, body)
        if verb == "update":
            return self._update(request, user, target, body)
        if verb == "patch":
            return self._patch(request, user, target, body)
        if verb == "delete":
            return self._delete(request, user, target, body)
        if verb == "deletecollection":
            return self._delete_collection(request, user, target, body)
        raise METHOD_NOT_ALLOWED

    async def _body(self, request: web.Request) -> Any:
        raw = await request.read()
        if not raw:
            return None
        content_type = request.content_type
        decoder = (
            protobuf.DECODERS.get(request.path.rstrip("/").rsplit("/", 1)[-1]) if request.method == "POST" else None
        )
        if request.method == "DELETE":
            decoder = protobuf.delete_options
        if content_type == "application/vnd.kubernetes.protobuf" and decoder is not None:
            try:
                return decoder(raw)
            except protobuf.ProtobufError as error:
                raise st.bad_request(f"the body of the request could not be decoded: {error}") from None
        if content_type in ("application/vnd.kubernetes.protobuf", "application/cbor"):
            raise st.unsupported_media_type(content_type, ["application/json", "application/yaml"])
        try:
            if "yaml" in content_type:
                return yaml.safe_load(raw)
            return orjson.loads(raw)
        except (orjson.JSONDecodeError, yaml.YAMLError) as error:
            raise st.bad_request(
                f"the body of the request could not be decoded: {str(error).splitlines()[0]}"
            ) from None

    def _respond_object(
        self,
        request: web.Request,
        resource: ResourceType,
        obj: dict,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        table_version = _table_version(request.headers.get("Accept", ""))
        if table_version:
            table = to_table(
                resource,
                [obj],
                self.clock.now(),
                {"resourceVersion": obj.get("metadata", {}).get("resourceVersion", "")},
                request.query.get("includeObject", "Metadata"),
            )
            table["apiVersion"] = table_version
            return _json(table, status=status, headers=headers)
        return _json(obj, status=status, headers=headers)

    def _selectors(self, request: web.Request, resource: ResourceType) -> tuple[Any, Any]:
        try:
            labels = parse_label_selector(request.query.get("labelSelector"))
            fields = parse_field_selector(request.query.get("fieldSelector"))
            check_field_selector(resource, fields)
        except SelectorError as error:
            raise st.bad_request(str(error)) from None
        return labels, fields

    async def _fresh_enough(self, raw_rv: str) -> None:
        """A read at a minimum resourceVersion waits for the server to reach it, as the watch cache
        does (waitUntilFreshAndBlock, k8s.io/apiserver/pkg/storage/cacher/watch_cache.go), then is
        504 "Too large resource version". Not a decimal integer, or 0: any version will do."""
        try:
            wanted = int(raw_rv)
        except ValueError:
            return
        if wanted <= self.store.resource_version:
            return
        assert self.hub is not None
        if not await self.hub.wait_until_fresh(wanted, self.too_large_wait):
            raise st.too_large_resource_version(wanted, self.store.resource_version)

    def _list(self, request: web.Request, target: ResourceRequest) -> web.Response:
        resource = target.resource
        query = request.query
        labels, fields = self._selectors(request, resource)
        try:
            limit = int(query.get("limit") or 0)
        except ValueError:
            raise st.bad_request(f"invalid limit {query.get('limit')!r}") from None
        token = query.get("continue")
        start_after = None
        list_rv: int | None = None
        if token:
            if query.get("resourceVersion"):
                raise st.bad_request("specifying resource version is not allowed when using continue")
            list_rv, start_after = decode_continue(token)
            if list_rv < self.store.compacted_resource_version:
                raise st.expired(
                    "The provided continue parameter is too old to display a consistent list result. You can start a "
                    "new list without the continue parameter, or use the continue token in this response to retrieve "
                    "the remainder of the results. Continuing with the provided token results in an inconsistent list "
                    "- objects that were created, modified, or deleted between the time the first chunk was returned "
                    "and now may show up in the list.",
                    list_continue=encode_continue(-1, start_after),
                )
            if list_rv < 0:
                list_rv = None
        page = self.store.page(resource, target.namespace or None, labels, fields, limit, start_after, copies=False)
        rv = list_rv if list_rv is not None else page.resource_version
        metadata: dict[str, Any] = {"resourceVersion": str(rv)}
        if page.next_key is not None:
            metadata["continue"] = encode_continue(rv, page.next_key)
            if page.remaining is not None:
                metadata["remainingItemCount"] = page.remaining
        table_version = _table_version(request.headers.get("Accept", ""))
        if table_version:
            table = to_table(resource, page.items, self.clock.now(), metadata, query.get("includeObject", "Metadata"))
            table["apiVersion"] = table_version
            return _json(table)
        items = page.items
        if resource.builtin:
            items = [{k: v for k, v in item.items() if k not in ("kind", "apiVersion")} for item in items]
        return _json(
            {"kind": resource.list_kind, "apiVersion": resource.api_version, "metadata": metadata, "items": items}
        )

    async def _watch(self, request: web.Request, target: ResourceRequest) -> web.StreamResponse:
        query = request.query
        resource = target.resource
        labels, fields = self._selectors(request, resource)
        if target.name:
            fields = parse_field_selector(f"metadata.name={target.name}")
        raw_rv = query.get("resourceVersion", "")
        send_initial = query.get("sendInitialEvents") == "true"
        bookmarks = query.get("allowWatchBookmarks") in WATCH_TRUE
        try:
            timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") else random.uniform(1800, 3600)
        except ValueError:
            raise st.bad_request(f"invalid timeoutSeconds {query.get('timeoutSeconds')!r}") from None
        if send_initial and not bookmarks:
            raise st.invalid(
                "ListOptions",
                "meta.k8s.io",
                "",
                [
                    st.field_forbidden(
                        "allowWatchBookmarks", "allowWatchBookmarks must be set to true when sendInitialEvents is true"
                    )
                ],
            )
        resource_version: int | None = None
        if raw_rv not in ("", "0"):
            try:
                wanted = int(raw_rv)
            except ValueError:
                raise st.bad_request(f'resourceVersion: Invalid value: "{raw_rv}": must be a decimal integer') from None
            if not send_initial:
                resource_version = wanted
            else:
                # A watch list waits for the server to reach its resourceVersion; if it does not, the
                # watch answers 200 and one ERROR event (Cacher.Watch and newErrWatcher in
                # k8s.io/apiserver/pkg/storage/cacher/cacher.go).
                assert self.hub is not None
                if not await self.hub.wait_until_fresh(wanted, self.too_large_wait):
                    return await self._error_event(
                        request, st.too_large_resource_version(wanted, self.store.resource_version)
                    )
        options = WatchOptions(
            resource=resource,
            namespace=target.namespace,
            labels=labels,
            fields=fields,
            bookmarks=bookmarks,
            timeout=timeout,
            as_table=_table_version(request.headers.get("Accept", "")),
            include_object=query.get("includeObject", "Metadata"),
        )
        assert self.hub is not None
        try:
            watch = self.hub.open(options, resource_version, self.clock.now)
        except st.ApiError as error:
            if error.code != 410:
                raise
            return await self._error_event(request, error)
        response = _watch_response()
        try:
            await response.prepare(request)
            await stream(
                watch,
                response.write,
                self.faults.stall_remaining,
                self.bookmark_interval,
                initial_events_end=send_initial,
            )
            await response.write_eof()
        except (ConnectionResetError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.hub.remove(watch)
        return response

    @staticmethod
    async def _error_event(request: web.Request, error: st.ApiError) -> web.StreamResponse:
        """A watch that has passed authorization fails as 200 and one ERROR event, never an HTTP error."""
        response = _watch_response()
        await response.prepare(request)
        await response.write(encode_event(ERROR, error.status()))
        await response.write_eof()
        return response

    def _dry_run(self, request: web.Request) -> bool:
        return "All" in request.query.getall("dryRun", [])

    def _prune(self, request: web.Request, resource: ResourceType, obj: Any) -> dict[str, str]:
        """Drop fields the schema does not know; Strict validation refuses them instead (400)."""
        if not isinstance(obj, dict):
            return {}
        removed = self.admission.prune(resource, obj)
        if not removed:
            return {}
        validation = request.query.get("fieldValidation", "Warn")
        if validation == "Strict":
            fields = ", ".join(f'unknown field "{path}"' for path in removed)
            raise st.bad_request(
                f'{resource.kind} in version "{resource.version}" cannot be handled as a {resource.kind}: strict decoding error: {fields}'
            )
        if validation == "Ignore":
            return {}
        return {"Warning": ", ".join(f'299 - "unknown field \\"{path}\\""' for path in removed)}

    def _check_type(self, resource: ResourceType, obj: Any) -> None:
        if not isinstance(obj, dict):
            raise st.bad_request("the body of the request was not a JSON object")
        api_version = obj.get("apiVersion")
        if api_version and api_version != resource.api_version:
            raise st.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version ({resource.api_version})"
            )
        kind = obj.get("kind")
        if kind and kind != resource.kind:
            raise st.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({resource.kind})")

    def _admit(
        self, operation: str, user: SimUser, target: ResourceRequest, obj: dict | None, old: dict | None, dry_run: bool
    ) -> dict | None:
        name = target.name or ((obj or {}).get("metadata", {}) or {}).get("name", "")
        request = AdmissionRequest(
            operation=operation,
            resource=target.resource,
            namespace=target.namespace,
            name=name,
            object=copy_object(obj) if obj is not None else None,
            old_object=copy_object(old) if old is not None else None,
            user=user.name,
            subresource=target.subresource,
            dry_run=dry_run,
        )
        return self.admission.admit(request)

    def _create(self, request: web.Request, user: SimUser, target: ResourceRequest, body: Any) -> web.Response:
        resource = target.resource
        self._check_type(resource, body)
        headers = self._prune(request, resource, body)
        dry_run = self._dry_run(request)
        with self.store.lock:
            body.setdefault("metadata", {})
            if resource.namespaced:
                meta = body["metadata"] if isinstance(body["metadata"], dict) else {}
                if target.namespace and meta.get("namespace") and meta["namespace"] != target.namespace:
                    raise st.bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request"
                    )
                if isinstance(body["metadata"], dict):
                    body["metadata"]["namespace"] = target.namespace or meta.get("namespace") or "default"
            admitted = self._admit("create", user, target, body, None, dry_run)
            obj = admitted if admitted is not None else body
            self._check_schema(target, obj)
            if dry_run:
                return self._respond_object(
                    request, resource, self._dry_run_create(resource, obj), status=201, headers=headers
                )
            created = self.store.create(resource, obj, target.namespace or None)
        return self._respond_object(request, resource, created, status=201, headers=headers)

    @staticmethod
    def _check_schema(target: ResourceRequest, obj: Any) -> None:
        """The status a write stores is checked against its CRD's schema (a write to the main resource
        of one with a status subresource keeps the stored status, so there is nothing to check)."""
        if target.subresource == "status" or not target.resource.status_subresource:
            check_status(target.resource, obj)

    def _dry_run_create(self, resource: ResourceType, obj: dict) -> dict:
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        if meta.get("resourceVersion"):
            raise st.bad_request("resourceVersion should not be set on objects to be created")
        causes = metadata_problems(meta, dns_label=resource is NAMESPACES, check_name=not meta.get("generateName"))
        if causes:
            raise st.invalid(resource.kind, resource.group, str(meta.get("name") or ""), causes)
        if meta.get("name") and self.store.exists(resource, meta.get("namespace"), meta["name"]):
            raise st.already_exists(resource.plural, resource.group, meta["name"])
        result = copy_object(obj)
        result["apiVersion"], result["kind"] = resource.api_version, resource.kind
        return result

    def _update(self, request: web.Request, user: SimUser, target: ResourceRequest, body: Any) -> web.Response:
        resource = target.resource
        self._check_type(resource, body)
        headers = self._prune(request, resource, body)
        dry_run = self._dry_run(request)
        with self.store.lock:
            current = self.store.get(resource, target.namespace, target.name)
            admitted = self._admit("update", user, target, body, current, dry_run)
            obj = admitted if admitted is not None else body
            self._check_schema(target, obj)
            if dry_run:
                return self._respond_object(request, resource, obj, headers=headers)
            if target.subresource == "status":
                updated = self.store.update_status(resource, obj, target.namespace or None)
            else:
                meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
                if meta.get("name") and meta["name"] != target.name:
                    raise st.bad_request(
                        f"the name of the object ({meta['name']}) does not match the name on the URL ({target.name})"
                    )
                obj.setdefault("metadata", {})["name"] = target.name
                updated = self.store.update(
                    resource, obj, target.namespace or None, require_resource_version=not resource.unconditional_update
                )
        return self._respond_object(request, resource, updated, headers=headers)

    def _patch(self, request: web.Request, user: SimUser, target: ResourceRequest, body: Any) -> web.Response:
        resource = target.resource
        content_type = request.content_type
        patch_type = PATCH_TYPES.get(content_type)
        accepted = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH] + (
            [STRATEGIC_MERGE_PATCH] if resource.strategic_merge else []
        )
        if patch_type is None or (patch_type == "strategic" and not resource.strategic_merge):
            raise st.unsupported_media_type(content_type, accepted)
        if body is None:
            raise st.bad_request("the body of the request was empty")
        dry_run = self._dry_run(request)
        status = target.subresource == "status"
        with self.store.lock:
            if patch_type == "apply":
                if not request.query.get("fieldManager"):
                    raise st.bad_request(
                        "PATCH, application/apply-patch+yaml: fieldManager is required for apply patch"
                    )
                self._check_type(resource, body)
                if not self.store.exists(resource, target.namespace, target.name):
                    if status:
                        raise st.not_found(resource.plural, resource.group, target.name)
                    body.setdefault("metadata", {})["name"] = target.name
                    if resource.namespaced:
                        body["metadata"]["namespace"] = target.namespace
                    return self._create(request, user, target, body)
                current = self.store.get(resource, target.namespace, target.name)
                patched = apply_patch(resource, current, body, "strategic" if resource.strategic_merge else "merge")
            else:
                current = self.store.get(resource, target.namespace, target.name)
                patched = apply_patch(resource, current, body, patch_type)
            headers = self._prune(request, resource, patched)
            admitted = self._admit("patch", user, target, patched, current, dry_run)
            obj = admitted if admitted is not None else patched
            self._check_schema(target, obj)
            if dry_run:
                return self._respond_object(request, resource, obj, headers=headers)
            if status:
                updated = self.store.update_status(resource, obj, target.namespace or None)
            else:
                updated = self.store.update(resource, obj, target.namespace or None)
        return self._respond_object(request, resource, updated, headers=headers)

    def _evict(self, request: web.Request, user: SimUser, target: ResourceRequest, body: Any) -> web.Response:
        """POST pods/NAME/eviction: admission (KubeVirt's interceptor), then the disruption budget, then the deletion."""
        eviction = check_eviction(body, target.name)
        dry_run = self._dry_run(request) or "All" in (eviction.get("deleteOptions") or {}).get("dryRun", [])
        with self.store.lock:
            pod = self.store.get(target.resource, target.namespace, target.name)
            self._admit("create", user, target, eviction, None, dry_run)
            evict(self.store, pod, eviction.get("deleteOptions") or {}, dry_run, self.clock.now())
        return _json(st.eviction_success(), status=201)

    def _delete_options(self, request: web.Request, body: Any) -> dict[str, Any]:
        options = dict(body) if isinstance(body, dict) else {}
        query = request.query
        if query.get("propagationPolicy"):
            options["propagationPolicy"] = query["propagationPolicy"]
        if query.get("orphanDependents") in ("true", "false") and "propagationPolicy" not in options:
            options["propagationPolicy"] = "Orphan" if query["orphanDependents"] == "true" else "Background"
        if options.get("orphanDependents") is True and "propagationPolicy" not in options:
            options["propagationPolicy"] = "Orphan"
        policy = options.get("propagationPolicy") or "Background"
        if policy not in ("Orphan", "Background", "Foreground"):
            raise st.invalid(
                "DeleteOptions",
                "meta.k8s.io",
                "",
                [
                    st.field_invalid(
                        "propagationPolicy", policy, 'supported values: "Foreground", "Background", "Orphan", nil'
                    )
                ],
            )
        options["propagationPolicy"] = policy
        return options

    def _delete(self, request: web.Request, user: SimUser, target: ResourceRequest, body: Any) -> web.Response:
        resource = target.resource
        options = self._delete_options(request, body)
        preconditions = options.get("preconditions") if isinstance(options.get("preconditions"), dict) else {}
        dry_run = self._dry_run(request) or "All" in (options.get("dryRun") or [])
        with self.store.lock:
            current = self.store.get(resource, target.namespace, target.name)
            self._admit("delete", user, target, current, current, dry_run)
            if dry_run:
                return self._respond_object(request, resource, current)
            result = self.store.delete(
                resource,
                target.namespace or None,
                target.name,
                uid=preconditions.get("uid"),
                resource_version=preconditions.get("resourceVersion"),
                propagation=options["propagationPolicy"],
            )
            still_there = self.store.exists(resource, target.namespace, target.name)
        if still_there or resource.delete_returns_object:
            return self._respond_object(request, resource, result)
        return _json(st.success_status(target.name, resource.group, resource.plural, result["metadata"].get("uid", "")))

    def _delete_collection(
        self, request: web.Request, user: SimUser, target: ResourceRequest, body: Any
    ) -> web.Response:
        resource = target.resource
        labels, fields = self._selectors(request, resource)
        options = self._delete_options(request, body)
        deleted: list[dict] = []
        with self.store.lock:
            for obj in self.store.list(resource, target.namespace or None, labels, fields):
                meta = obj["metadata"]
                item = ResourceRequest(resource, meta.get("namespace", ""), meta["name"], "", "delete")
                self._admit("delete", user, item, obj, obj, False)
                deleted.append(
                    self.store.delete(
                        resource, meta.get("namespace"), meta["name"], propagation=options["propagationPolicy"]
                    )
                )
            rv = self.store.resource_version
        return _json(
            {
                "kind": resource.list_kind,
                "apiVersion": resource.api_version,
                "metadata": {"resourceVersion": str(rv)},
                "items": deleted,
            }
        )

    # -----------------------------------------------------------------------------------------
    # Service proxy (Prometheus)
    # -----------------------------------------------------------------------------------------

    @staticmethod
    def _proxy_target(segments: list[str]) -> tuple[str, str, str] | None:
        # /api/v1/namespaces/{ns}/services/{scheme:name:port}/proxy/{path...}
        if (
            len(segments) >= 7
            and segments[:3] == ["api", "v1", "namespaces"]
            and segments[4] == "services"
            and segments[6] == "proxy"
        ):
            return segments[3], segments[5], "/".join(segments[7:])
        return None

    async def _service_proxy(
        self, request: web.Request, user: SimUser, namespace: str, service: str, path: str
    ) -> web.Response:
        verb = "get" if request.method == "GET" else "create"
        self.access.require(user, verb, "", "services", "proxy", namespace, service)
        parts = service.split(":")
        name = parts[1] if len(parts) == 3 else parts[0]
        if namespace != PROMETHEUS_NAMESPACE or name != PROMETHEUS_SERVICE:
            raise st.not_found("services", "", name)
        if not self.monitoring:
            raise st.service_unavailable(f'no endpoints available for service "{name}"')
        if path.strip("/") != "api/v1/query":
            return web.Response(status=404, text="404 page not found\n")
        params = dict(request.query)
        if request.method == "POST":
            params.update(dict(await request.post()))
        query = params.get("query")
        if not query:
            return _json(query_error("parse error: no expression found in input"), status=400)
        now = self.clock.now()
        if params.get("time"):
            try:
                now = datetime.fromtimestamp(float(params["time"]), tz=now.tzinfo)
            except ValueError:
                try:
                    now = datetime.fromisoformat(params["time"].replace("Z", "+00:00"))
                except ValueError:
                    return _json(
                        {
                            "status": "error",
                            "errorType": "bad_data",
                            "error": f'invalid parameter "time": cannot parse "{params["time"]}" to a valid timestamp',
                        },
                        status=400,
                    )
        try:
            return _json(instant_query(query, now, self.metrics_source))
        except QueryError as error:
            return _json(query_error(str(error)), status=400)

    # -----------------------------------------------------------------------------------------
    # The simulator's own endpoints
    # -----------------------------------------------------------------------------------------

    async def _faults_endpoint(self, request: web.Request, user: SimUser) -> web.Response:
        name = request.path[len(FAULTS_PREFIX) :].strip("/")
        if not name:
            self.access.require_path(user, "get", request.path)
            return _json({"faults": self.faults.names})
        if request.method != "POST":
            raise METHOD_NOT_ALLOWED
        self.access.require_path(user, "post", request.path)
        raw = await request.read()
        try:
            params = orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError as error:
            raise st.bad_request(f"the fault parameters are not JSON: {error}") from None
        if not isinstance(params, dict):
            raise st.bad_request("the fault parameters must be a JSON object")
        if name in RESTARTING_FAULTS:
            params["_keep"] = request.transport
        try:
            with self.store.lock:
                result = self.faults.trigger(name, params)
        except FaultError as error:
            raise st.ApiError(error.code, "NotFound" if error.code == 404 else "BadRequest", str(error)) from None
        response = _json({"fault": name, "result": result})
        if name in RESTARTING_FAULTS:
            response.force_close()
        return response
