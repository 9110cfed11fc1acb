"""Harvester's version as its `server-version` setting says it (settings.harvesterhci.io, read once at connect).

The rules that changed between Harvester releases (tui/domain/versions.py) prefer this setting to the
nodes' OS image. A cluster without Harvester answers 404, a user who may not read settings 403: the
version then comes from the nodes, and nothing is said here.
"""

from __future__ import annotations

from typing import Any

from tui.cluster.errors import ApiError, TransportError
from tui.cluster.transport import ApiTransport
from tui.domain.snapshot import harvester_server_version_of

SETTING_PATH = "/apis/harvesterhci.io/v1beta1/settings/server-version"


def read_harvester_server_version(transport: ApiTransport, timeout: tuple[float, float] = (10.0, 30.0)) -> str:
    """The setting's value ("v1.7.0"), "" when it cannot be read."""
    try:
        answer: Any = transport.request("GET", SETTING_PATH, timeout=timeout).json()
    except (ApiError, TransportError, ValueError):
        return ""
    if isinstance(answer, dict):
        answer = {**answer, "apiVersion": answer.get("apiVersion") or "harvesterhci.io/v1beta1"}
    return harvester_server_version_of(answer)
