"""Writing a simulated object back whole: metadata, spec and status, across a status subresource."""

from __future__ import annotations

from tui.sim.store import ObjectStore


def replace(store: ObjectStore, plural: str, obj: dict) -> dict:
    """Store `obj` as it is. With a status subresource an update keeps the stored status, so the status
    is written in a second call, as a controller does (update, then updateStatus)."""
    resource = store.resource(plural)
    updated = store.update(resource, obj)
    if not resource.status_subresource or not store.exists(
        resource, updated["metadata"].get("namespace"), updated["metadata"]["name"]
    ):
        return updated
    obj["metadata"]["resourceVersion"] = updated["metadata"]["resourceVersion"]
    return store.update_status(resource, obj)
