"""Discovery documents: /version, /api, /apis, /apis/<group>, /api/v1 and /apis/<group>/<version>.

Both the legacy documents (APIVersions, APIGroupList, APIResourceList) and aggregated discovery
(apidiscovery.k8s.io v2 and v2beta1 APIGroupDiscoveryList), chosen from the Accept header as the real
server does, so kubectl resolves `vmi` and `vmim` from their short names either way.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from tui.sim.resources import ResourceRegistry, ResourceType

KUBERNETES_VERSION = {
    "major": "1",
    "minor": "33",
    "gitVersion": "v1.33.5+rke2r1",
    "gitCommit": "9f2f4d5c7d3bb6e9d1a7c8c1b0a6d3e1f2c4b5a6",
    "gitTreeState": "clean",
    "buildDate": "2025-09-10T00:00:00Z",
    "goVersion": "go1.24.6 X:boringcrypto",
    "compiler": "gc",
    "platform": "linux/amd64",
}

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
SUBRESOURCE_VERBS = ["get", "patch", "update"]


def aggregated_media_type(accept: str) -> str | None:
    """The aggregated discovery media type the client asked for, or None for legacy documents."""
    for part in accept.split(","):
        params = {key.strip(): value.strip() for key, _, value in (item.partition("=") for item in part.split(";")[1:])}
        if params.get("as") == "APIGroupDiscoveryList" and params.get("g") == "apidiscovery.k8s.io":
            if params.get("v") == "v2":
                return AGGREGATED_V2
            if params.get("v") == "v2beta1":
                return AGGREGATED_V2BETA1
    return None


def _storage_hash(resource: ResourceType) -> str:
    digest = hashlib.sha256(f"{resource.group}/{resource.version}/{resource.kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_entry(registry: ResourceRegistry, group: str) -> dict[str, Any]:
    versions = [
        {"groupVersion": f"{group}/{version}", "version": version}
        for g, version in registry.group_versions()
        if g == group
    ]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list(registry: ResourceRegistry) -> dict[str, Any]:
    groups: list[str] = []
    for group, _ in registry.group_versions():
        if group and group not in groups:
            groups.append(group)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group_entry(registry, g) for g in groups]}


def api_group(registry: ResourceRegistry, group: str) -> dict[str, Any] | None:
    if not any(g == group for g, _ in registry.group_versions()):
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(registry, group)}


def api_resource_list(registry: ResourceRegistry, group: str, version: str) -> dict[str, Any] | None:
    resources = registry.in_group_version(group, version)
    if not resources:
        return None
    entries: list[dict[str, Any]] = []
    for resource in resources:
        entry: dict[str, Any] = {
            "name": resource.plural,
            "singularName": resource.singular,
            "namespaced": resource.namespaced,
            "kind": resource.kind,
            "verbs": list(resource.verbs),
        }
        if resource.short_names:
            entry["shortNames"] = list(resource.short_names)
        if resource.categories:
            entry["categories"] = list(resource.categories)
        if resource.stored:
            entry["storageVersionHash"] = _storage_hash(resource)
        entries.append(entry)
        if resource.status_subresource:
            entries.append(
                {
                    "name": f"{resource.plural}/status",
                    "singularName": "",
                    "namespaced": resource.namespaced,
                    "kind": resource.kind,
                    "verbs": SUBRESOURCE_VERBS,
                }
            )
        for sub in resource.subresources:
            entries.append(
                {
                    "name": f"{resource.plural}/{sub.name}",
                    "singularName": "",
                    "namespaced": resource.namespaced,
                    "group": sub.group,
                    "version": sub.version,
                    "kind": sub.kind,
                    "verbs": list(sub.verbs),
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": entries,
    }


def _discovery_resource(resource: ResourceType) -> dict[str, Any]:
    response_kind = {"group": resource.group, "version": resource.version, "kind": resource.kind}
    entry: dict[str, Any] = {
        "resource": resource.plural,
        "responseKind": response_kind,
        "scope": "Namespaced" if resource.namespaced else "Cluster",
        "singularResource": resource.singular,
        "verbs": list(resource.verbs),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    if resource.status_subresource:
        entry["subresources"] = [{"subresource": "status", "responseKind": response_kind, "verbs": SUBRESOURCE_VERBS}]
    for sub in resource.subresources:
        entry.setdefault("subresources", []).append(
            {
                "subresource": sub.name,
                "responseKind": {"group": sub.group, "version": sub.version, "kind": sub.kind},
                "verbs": list(sub.verbs),
            }
        )
    return entry


def aggregated_discovery(registry: ResourceRegistry, core: bool, media_type: str) -> dict[str, Any]:
    """The APIGroupDiscoveryList for /api (core) or /apis (every named group)."""
    items: list[dict[str, Any]] = []
    for group, version in registry.group_versions():
        if bool(group) == core:
            continue
        versions = {
            "version": version,
            "resources": [_discovery_resource(r) for r in registry.in_group_version(group, version)],
            "freshness": "Current",
        }
        existing = next((item for item in items if item["metadata"].get("name", "") == group), None)
        if existing:
            existing["versions"].append(versions)
        else:
            items.append({"metadata": {"name": group} if group else {}, "versions": [versions]})
    api_version = "apidiscovery.k8s.io/v2" if media_type == AGGREGATED_V2 else "apidiscovery.k8s.io/v2beta1"
    return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {}, "items": items}
