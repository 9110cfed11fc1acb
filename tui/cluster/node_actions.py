"""Cordoning and uncordoning a node, as `kubectl cordon` and `kubectl uncordon` do.

kubectl patches the node's spec.unschedulable with a strategic merge patch (true to cordon; false is
omitted from the spec, so uncordoning sends null) and makes no call when the node already is as
asked (k8s.io/kubectl/pkg/drain/cordon.go). Each action here is one PATCH, never retried, and returns
an `ActionResult` (tui/cluster/actions.py): the server's own words on failure, a sentence an operator
can act on for the usual ones (no such node, not allowed).
"""

from __future__ import annotations

from urllib.parse import quote

from tui.cluster.actions import ACTION_TIMEOUT, ActionResult
from tui.cluster.errors import ApiError, TransportError
from tui.cluster.store import Store
from tui.cluster.transport import ApiTransport

NODES_PATH = "/api/v1/nodes"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"


class NodeActions:
    """cordon and uncordon against one cluster; thread-safe (each call is independent)."""

    def __init__(
        self, transport: ApiTransport, store: Store | None = None, readonly: bool = False, readonly_reason: str = ""
    ) -> None:
        self.transport = transport
        self.store = store
        self.readonly = readonly
        self.readonly_reason = readonly_reason or "livemig runs read-only (--readonly): it changes nothing."

    def cordon(self, node: str) -> ActionResult:
        """Mark `node` unschedulable: no new pod (and so no VM) lands there; what runs there stays."""
        return self._set(node, True)

    def uncordon(self, node: str) -> ActionResult:
        """Let the scheduler place pods on `node` again."""
        return self._set(node, False)

    def _set(self, node: str, unschedulable: bool) -> ActionResult:
        word = "cordon" if unschedulable else "uncordon"
        if self.readonly:
            return ActionResult(ok=False, name=node, message=self.readonly_reason, refused=True)
        known = self.store.get("nodes", node) if self.store is not None else None
        if known is not None and known.unschedulable == unschedulable:
            already = "already cordoned" if unschedulable else "not cordoned"
            return ActionResult(ok=True, name=node, message=f"Node {node} is {already}: nothing to change.")
        body = {"spec": {"unschedulable": True if unschedulable else None}}
        path = f"{NODES_PATH}/{quote(node, safe='')}"
        try:
            self.transport.request("PATCH", path, body=body, content_type=STRATEGIC_MERGE_PATCH, timeout=ACTION_TIMEOUT)
        except ApiError as error:
            return ActionResult(ok=False, name=node, message=_refusal(error, word, node), code=error.code)
        except TransportError as error:
            return ActionResult(
                ok=False,
                name=node,
                message=(
                    f"The {word} of node {node} got no answer from the API server ({error.message}). "
                    "It may or may not have been done: check before trying again."
                ),
            )
        done = "cordoned: no new VM or pod is placed there" if unschedulable else "uncordoned: it takes VMs again"
        return ActionResult(ok=True, name=node, message=f"Node {node} {done}.")


def _refusal(error: ApiError, word: str, node: str) -> str:
    """The sentence for a refused cordon or uncordon: what to do about the usual causes, the server's
    words for the rest."""
    if error.code == 404:
        return f"There is no node {node} (the API server says: {error.message})."
    if error.code == 403:
        return (
            f"You may not {word} node {node}: that needs the right to patch nodes (cluster-wide), which a "
            f"cluster admin grants (the API server says: {error.message})."
        )
    return f"The {word} of node {node} failed: {error.message}"
