"""OpenAPI v3 documents: the index at /openapi/v3 and one document per group-version.

Just enough for `kubectl create -f` and `apply -f`: every PATCH operation names its
group-version-kind and accepts the `fieldValidation` query parameter, so kubectl leaves validation to
the server; schemas keep unknown fields, as KubeVirt's CRDs largely do.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from tui.sim.resources import ResourceRegistry, ResourceType


def gv_path(group: str, version: str) -> str:
    """`api/v1` or `apis/kubevirt.io/v1`: the key of a group-version in the index."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _schema_name(resource: ResourceType) -> str:
    group = resource.group or "core"
    reversed_group = ".".join(reversed(group.split("."))) if resource.group else "io.k8s.api.core"
    return f"{reversed_group}.{resource.version}.{resource.kind}"


def _query(name: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}


def _operation(resource: ResourceType, action: str, verb: str, body: bool, write_params: bool) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{_schema_name(resource)}"}
    operation: dict[str, Any] = {
        "operationId": f"{verb}{resource.kind}",
        "parameters": [_query("dryRun"), _query("fieldManager"), _query("fieldValidation")] if write_params else [],
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {
            "group": resource.group,
            "version": resource.version,
            "kind": resource.kind,
        },
    }
    if body:
        content_types = ["application/json"]
        if action == "patch":
            # Strategic merge is accepted for built-in types but not advertised: kubectl would then compute
            # the patch from these schemas, which do not carry patch strategies, instead of its own types.
            content_types = [
                "application/json-patch+json",
                "application/merge-patch+json",
                "application/apply-patch+yaml",
            ]
        operation["requestBody"] = {
            "content": {ct: {"schema": ref if action != "patch" else {"type": "object"}} for ct in content_types}
        }
    return operation


def _paths(resource: ResourceType) -> dict[str, Any]:
    collection = resource.path("{namespace}" if resource.namespaced else None)
    paths: dict[str, Any] = {}
    if "create" in resource.verbs or "list" in resource.verbs:
        entry: dict[str, Any] = {}
        if "list" in resource.verbs:
            entry["get"] = _operation(resource, "list", "list", False, False)
        if "create" in resource.verbs:
            entry["post"] = _operation(resource, "post", "create", True, True)
        if resource.namespaced:
            entry["parameters"] = [{"name": "namespace", "in": "path", "required": True, "schema": {"type": "string"}}]
        paths[collection] = entry
    if "get" in resource.verbs:
        item: dict[str, Any] = {
            "get": _operation(resource, "get", "read", False, False),
            "put": _operation(resource, "put", "replace", True, True),
            "patch": _operation(resource, "patch", "patch", True, True),
            "delete": _operation(resource, "delete", "delete", False, False),
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
        }
        paths[collection + "/{name}"] = item
        if resource.status_subresource:
            paths[collection + "/{name}/status"] = {
                "get": _operation(resource, "get", "read", False, False),
                "put": _operation(resource, "put", "replace", True, True),
                "patch": _operation(resource, "patch", "patch", True, True),
            }
    return paths


def _schema(resource: ResourceType) -> dict[str, Any]:
    open_object = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "spec": open_object,
            "status": open_object,
        },
        "x-kubernetes-group-version-kind": [
            {"group": resource.group, "kind": resource.kind, "version": resource.version}
        ],
    }


def group_version_document(registry: ResourceRegistry, group: str, version: str) -> dict[str, Any] | None:
    resources = registry.in_group_version(group, version)
    if not resources:
        return None
    paths: dict[str, Any] = {}
    for resource in resources:
        paths.update(_paths(resource))
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.5+rke2r1"},
        "paths": paths,
        "components": {"schemas": {_schema_name(r): _schema(r) for r in resources}},
    }


def index(registry: ResourceRegistry) -> dict[str, Any]:
    """The /openapi/v3 index, each document addressed with the hash of its content."""
    paths: dict[str, Any] = {}
    for group, version in registry.group_versions():
        document = group_version_document(registry, group, version)
        digest = hashlib.sha512(orjson.dumps(document)).hexdigest().upper()
        key = gv_path(group, version)
        paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
    return {"paths": paths}
