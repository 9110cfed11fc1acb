"""The KubeVirt version for a user who may not read the KubeVirt CR: virt-api's version subresource.

KubeVirt's ClusterRole kubevirt.io:default lets every user `get` /apis/subresources.kubevirt.io/v1/version
(its version.Info). Without the CR livemig would not know whether a migration may name its target
node (KubeVirt 1.6 and later); with the version it does. The CR's migration settings stay unknown, so
the time limit assumes KubeVirt's defaults for that version.
"""

from __future__ import annotations

from typing import Any

from tui.cluster.errors import ApiError, TransportError
from tui.cluster.transport import ApiTransport
from tui.domain.objects import KubeVirt, parse_kubevirt

VERSION_PATH = "/apis/subresources.kubevirt.io/v1/version"


def read_kubevirt_version(transport: ApiTransport, timeout: tuple[float, float] = (10.0, 30.0)) -> str | None:
    """KubeVirt's gitVersion ("v1.6.3"), or None when virt-api does not say (forbidden, absent, no answer)."""
    try:
        answer: Any = transport.request("GET", VERSION_PATH, timeout=timeout).json()
    except (ApiError, TransportError, ValueError):
        return None
    version = answer.get("gitVersion") if isinstance(answer, dict) else None
    return version if isinstance(version, str) and version.strip() else None


def kubevirt_from_version(version: str) -> KubeVirt:
    """A stand-in for the KubeVirt CR that knows only the version (its settings are KubeVirt's defaults)."""
    return parse_kubevirt({"metadata": {"name": "kubevirt"}, "status": {"observedKubeVirtVersion": version.strip()}})


def kubevirt_stand_in(
    transport: ApiTransport, timeout: tuple[float, float] = (10.0, 30.0)
) -> tuple[list[KubeVirt], str]:
    """What the KubeVirt reflector keeps when the CR is forbidden: the stand-in (or nothing) and, as the
    kind's `partial` note, what is known and what is not."""
    version = read_kubevirt_version(transport, timeout)
    if version is None:
        return [], ""
    note = (
        f"only KubeVirt's version, {version}, from {VERSION_PATH}: its migration settings are unknown, "
        "so the time limit assumes KubeVirt's defaults"
    )
    return [kubevirt_from_version(version)], note
