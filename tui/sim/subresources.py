"""KubeVirt's subresource API as virt-api serves it behind the aggregator: only its `version`.

KubeVirt's ClusterRole kubevirt.io:default grants `get` on subresources.kubevirt.io `version` to
system:authenticated and system:unauthenticated, so a user who may not read the KubeVirt CR still
learns which KubeVirt runs. The answer is KubeVirt's version.Info (kubevirt.io/client-go/version);
without a KubeVirt CR no virt-api runs, and the path is not found.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tui.sim.store import ObjectStore

VERSION_PATH = "/apis/subresources.kubevirt.io/v1/version"
BUILD_DATE = "2025-09-10T00:00:00Z"
GO_VERSION = "go1.23.9"


def _deployed(store: ObjectStore) -> dict | None:
    kubevirts = store.list("kubevirts")
    for kubevirt in kubevirts:
        if (kubevirt.get("status") or {}).get("phase") == "Deployed":
            return kubevirt
    return kubevirts[0] if kubevirts else None


def version_info(store: ObjectStore) -> dict[str, Any] | None:
    """What `GET /apis/subresources.kubevirt.io/v1/version` answers, or None when KubeVirt is not deployed."""
    kubevirt = _deployed(store)
    status = (kubevirt or {}).get("status") or {}
    text = status.get("observedKubeVirtVersion") or status.get("targetKubeVirtVersion")
    if not isinstance(text, str) or not text:
        return None
    git_version = text if text.startswith("v") else f"v{text}"
    return {
        "gitVersion": git_version,
        "gitCommit": hashlib.sha1(git_version.encode()).hexdigest(),
        "gitTreeState": "clean",
        "buildDate": BUILD_DATE,
        "goVersion": GO_VERSION,
        "compiler": "gc",
        "platform": "linux/amd64",
    }
