"""Where a VM of a given name lives: for a command told a namespace that does not hold it.

One list of VMs and one of VM instances across the cluster, filtered by name on the server
(metadata.name is a field selector every resource supports). Users who may not list across the
cluster get no answer (None), not an error: the command then says only what it knows.
"""

from __future__ import annotations

from typing import Any

from tui.cluster.errors import ApiError, TransportError
from tui.cluster.transport import ApiTransport

PATHS = ("/apis/kubevirt.io/v1/virtualmachines", "/apis/kubevirt.io/v1/virtualmachineinstances")


def namespaces_holding(
    transport: ApiTransport, name: str, timeout: tuple[float, float] = (5.0, 10.0)
) -> list[str] | None:
    """Sorted namespaces that hold a VirtualMachine or VirtualMachineInstance `name`; None when unknown."""
    found: set[str] = set()
    for path in PATHS:
        try:
            answer: Any = transport.request(
                "GET", path, query=[("fieldSelector", f"metadata.name={name}")], timeout=timeout
            ).json()
        except (ApiError, TransportError, ValueError):
            return None
        items = answer.get("items") if isinstance(answer, dict) else None
        for item in items if isinstance(items, list) else ():
            metadata = item.get("metadata") if isinstance(item, dict) else None
            namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
            if isinstance(namespace, str) and namespace:
                found.add(namespace)
    return sorted(found)
