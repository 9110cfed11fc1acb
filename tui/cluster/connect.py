"""The connection check: can livemig reach this API server, are the credentials good, is KubeVirt there?

`check_connection` answers within its time budget (10 s by default) with a `ServerInfo`, or raises
`ConnectError` with one paragraph an operator can act on: unreachable server, TLS failure, rejected
credentials (401), discovery forbidden (403), or a cluster without the kubevirt.io API group. A busy
server (429, or a 5xx with Retry-After) is asked again within the budget, after the Retry-After.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tui.cluster.errors import (
    FORBIDDEN,
    NO_KUBEVIRT,
    SERVER_ERROR,
    TLS,
    UNAUTHORIZED,
    UNREACHABLE,
    ApiError,
    ConnectError,
    TransportError,
)
from tui.cluster.kubeconfig import ClusterTarget
from tui.cluster.transport import ApiTransport

KUBEVIRT_GROUP = "kubevirt.io"
CHECK_TIMEOUT = 10.0


@dataclass(frozen=True)
class ServerInfo:
    """What the check learnt: the Kubernetes version and the kubevirt.io versions served."""

    kubernetes_version: str
    kubevirt_versions: tuple[str, ...]


def _who(target: ClusterTarget) -> str:
    return f'user "{target.user_name}"' if target.user_name else "the anonymous user"


def _transport_problem(error: TransportError, target: ClusterTarget) -> ConnectError:
    problem = TLS if error.kind == "tls" else UNREACHABLE
    return ConnectError(
        problem,
        _sentence(f'Cannot connect to the cluster of context "{target.context_name}": {error.message}'),
    )


def _unauthorized(error: ApiError, target: ClusterTarget) -> ConnectError:
    return ConnectError(
        UNAUTHORIZED,
        f"The API server at {target.server} rejected the credentials of {_who(target)} (401 Unauthorized: "
        f"{error.message.rstrip('.')}). The token or certificate may have expired or been revoked: get a fresh kubeconfig "
        "(Rancher and Harvester: download it again from the UI) or log in again.",
    )


def _sentence(text: str) -> str:
    """`text` ending in exactly one full stop (the server's messages often bring their own)."""
    return text.rstrip().rstrip(".") + "."


def _busy(error: ApiError) -> bool:
    """The server asks to be asked again later: 429, or a 5xx that names a Retry-After."""
    return error.code == 429 or (500 <= error.code < 600 and error.retry_after is not None)


def check_connection(transport: ApiTransport, target: ClusterTarget, timeout: float = CHECK_TIMEOUT) -> ServerInfo:
    """Ask /version and /apis within `timeout` seconds; raise ConnectError for anything that stops livemig."""
    deadline = time.monotonic() + timeout

    def budget() -> tuple[float, float]:
        left = max(deadline - time.monotonic(), 0.5)
        return (min(left, 6.0), min(left, 6.0))

    def ask(path: str) -> Any:
        """GET `path`; a busy server is asked again after its Retry-After (1 s without one) while the
        budget lasts. The last error is raised."""
        while True:
            try:
                return transport.request("GET", path, timeout=budget()).json()
            except ApiError as error:
                wait = error.retry_after if error.retry_after is not None else 1.0
                if not _busy(error) or time.monotonic() + wait >= deadline:
                    raise
                time.sleep(max(wait, 0.0))

    version = ""
    try:
        answer: Any = ask("/version")
        if isinstance(answer, dict) and isinstance(answer.get("gitVersion"), str):
            version = answer["gitVersion"]
    except TransportError as error:
        raise _transport_problem(error, target) from None
    except ApiError as error:
        if error.code == 401:
            raise _unauthorized(error, target) from None
        # Some clusters hide /version; discovery below decides.
    except ValueError:
        pass  # not JSON: discovery below will say what this server is

    try:
        groups: Any = ask("/apis")
    except TransportError as error:
        raise _transport_problem(error, target) from None
    except ApiError as error:
        if error.code == 401:
            raise _unauthorized(error, target) from None
        if error.code == 403:
            raise ConnectError(
                FORBIDDEN,
                f"{_who(target).capitalize()} may not read the API server's discovery documents at {target.server} "
                f"(403 Forbidden: {error.message.rstrip('.')}); livemig needs at least read access to KubeVirt's resources.",
            ) from None
        if not error.reason and error.code in (404, 405, 400):
            # No Status: a web server, a proxy or a login page answered, not an API server.
            raise ConnectError(
                SERVER_ERROR,
                f"{target.server} answered, but not like a Kubernetes API server (HTTP {error.code} for the API group "
                f"list at /apis: {error.message}). Check the server URL of the kubeconfig's cluster.",
            ) from None
        later = ""
        if _busy(error):
            after = f" (it asks to wait {error.retry_after:g} s)" if error.retry_after else ""
            later = f" It is busy or failing{after}: try again in a moment."
        raise ConnectError(
            SERVER_ERROR,
            _sentence(f"The API server at {target.server} answered discovery with HTTP {error.code}: {error.message}")
            + later,
        ) from None
    except ValueError:
        groups = None
    if not isinstance(groups, dict) or not isinstance(groups.get("groups"), list):
        raise ConnectError(
            SERVER_ERROR,
            f"{target.server} answered, but not like a Kubernetes API server (no API group list at /apis). "
            "Check the server URL of the kubeconfig's cluster.",
        )
    for group in groups["groups"]:
        if isinstance(group, dict) and group.get("name") == KUBEVIRT_GROUP:
            versions = tuple(
                v.get("version", "")
                for v in group.get("versions") or []
                if isinstance(v, dict) and isinstance(v.get("version"), str)
            )
            return ServerInfo(kubernetes_version=version, kubevirt_versions=versions)
    raise ConnectError(
        NO_KUBEVIRT,
        f'The cluster of context "{target.context_name}" ({target.server}) does not serve the kubevirt.io API: '
        "KubeVirt is not installed there. With Rancher, use a kubeconfig of the Harvester cluster itself "
        "(its server URL ends in /k8s/clusters/<cluster id>), not of the Rancher management cluster.",
    )
