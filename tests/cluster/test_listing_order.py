"""The first lists: the first screen's kinds before the pods, and every page in the store as it comes."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from tests.cluster.simulated import connect, differences, in_step
from tui.cluster.store import Store


def _record(store: Store) -> list[tuple[str, str]]:
    """What the reflectors hand the store, in order: ("page", kind) and ("end", kind)."""
    calls: list[tuple[str, str]] = []
    put_page, end_list = store.put_page, store.end_list

    def recorded_page(kind: str, objects: Any, remaining: int | None = None) -> None:
        calls.append(("page", kind))
        put_page(kind, objects, remaining)

    def recorded_end(kind: str, listed: Any) -> None:
        calls.append(("end", kind))
        end_list(kind, listed)

    store.put_page = recorded_page  # type: ignore[method-assign]
    store.end_list = recorded_end  # type: ignore[method-assign]
    return calls


def test_pods_are_listed_after_the_vms_their_instances_the_nodes_and_the_kubevirt_cr(cluster, kubeconfig):
    session = connect(kubeconfig, start=False)
    calls = _record(session.store)
    with session:
        session.start()
        assert session.wait_until_synced(30)
        first_pod_page = calls.index(("page", "pods"))
        for kind in ("vms", "vmis", "nodes", "kubevirts"):
            assert calls.index(("end", kind)) < first_pod_page, calls
        assert in_step(session, cluster), differences(session, cluster)


def test_each_page_of_a_list_reaches_the_store_before_the_list_ends(cluster, kubeconfig):
    session = connect(kubeconfig, start=False)  # pages of 2 objects
    calls = _record(session.store)
    with session:
        session.start()
        assert session.wait_until_synced(30)
        vms = [call for call in calls if call[1] == "vms"]
        assert vms == [("page", "vms"), ("page", "vms"), ("end", "vms")]  # 3 VMs: 2 pages, then the end
        assert len(session.store.snapshot().vms) == 3
        assert session.store.listing_progress("vms").complete


def test_first_lists_that_failed_are_retried_to_their_end_and_every_kind_is_known(cluster, kubeconfig):
    session = connect(kubeconfig, start=False)
    calls = _record(session.store)
    with session:
        cluster.fault("fail", count=3, code=500)
        session.start()
        assert session.wait_until_synced(30)
        assert session.store.snapshot().pods_known and session.store.snapshot().nodes_known
        assert ("end", "pods") in calls
        assert in_step(session, cluster), differences(session, cluster)


def test_a_stopped_session_is_freed_by_reference_counting_alone(cluster, kubeconfig):
    # The first lists' objects are frozen out of the cycle collector's sight: a cycle through the
    # session would keep it, its store and every object in it for good.
    session = connect(kubeconfig)
    session.stop()
    store = weakref.ref(session.store)
    freed = weakref.ref(session)
    gc.disable()
    try:
        del session
        assert freed() is None
        assert store() is None
    finally:
        gc.enable()
