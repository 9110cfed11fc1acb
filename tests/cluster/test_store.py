"""The store: replace and apply semantics, snapshots, connection states and coalesced change batches."""

from __future__ import annotations

import threading

from tui.cluster.connection import ConnectionState, ConnectionStatus
from tui.cluster.store import ChangeBatch, ListingProgress, Store
from tui.domain.objects import parse_node, parse_vmi


def node(name: str, rv: str = "1") -> object:
    return parse_node({"metadata": {"name": name, "resourceVersion": rv}})


def vmi(name: str, node_name: str, rv: str = "1", namespace: str = "default") -> object:
    return parse_vmi(
        {
            "metadata": {"name": name, "namespace": namespace, "resourceVersion": rv},
            "status": {"phase": "Running", "nodeName": node_name},
        }
    )


def test_replace_reports_objects_that_vanished_while_away_as_deleted():
    store = Store()
    store.replace("nodes", [node("n1"), node("n2"), node("n3")])
    store.take_batch()
    store.replace("nodes", [node("n1"), node("n3", rv="2")])
    batch = store.take_batch()
    assert batch.deleted == {"nodes": frozenset({"n2"})}
    assert batch.changed == {"nodes": frozenset({"n3"})}
    assert sorted(store.snapshot().nodes) == ["n1", "n3"]


def test_replace_with_identical_objects_reports_nothing():
    store = Store()
    store.replace("nodes", [node("n1")])
    store.take_batch()
    store.replace("nodes", [node("n1")])
    assert store.take_batch() is None


def test_watch_events_add_modify_and_delete_by_namespace_and_name():
    store = Store()
    store.apply("vmis", "ADDED", vmi("a", "n1"))
    store.apply("vmis", "ADDED", vmi("a", "n1", namespace="other"))
    store.apply("vmis", "MODIFIED", vmi("a", "n2", rv="2"))
    store.apply("vmis", "DELETED", vmi("a", "n1", namespace="other"))
    snapshot = store.snapshot()
    assert list(snapshot.vmis) == ["default/a"]
    assert snapshot.vmis["default/a"].node_name == "n2"
    assert [v.name for v in snapshot.vmis_on("n2")] == ["a"]


def test_deleting_an_unknown_object_changes_nothing():
    store = Store()
    version = store.version
    store.apply("vmis", "DELETED", vmi("ghost", "n1"))
    assert store.version == version
    assert store.take_batch() is None


def test_a_burst_of_events_becomes_one_batch_when_polled():
    store = Store()
    for i in range(1000):
        store.apply("vmis", "MODIFIED", vmi(f"vm{i % 100}", "n1", rv=str(i)))
    batch = store.take_batch()
    assert batch.events == 1000
    assert len(batch.changed["vmis"]) == 100
    assert store.take_batch() is None


def test_an_object_added_then_deleted_in_one_batch_is_reported_deleted_only():
    store = Store()
    store.apply("vmis", "ADDED", vmi("short-lived", "n1"))
    store.apply("vmis", "DELETED", vmi("short-lived", "n1"))
    batch = store.take_batch()
    assert "vmis" not in batch.changed
    assert batch.deleted["vmis"] == frozenset({"default/short-lived"})


def test_snapshot_is_cached_until_something_changes_and_never_mutated_afterwards():
    store = Store()
    store.replace("nodes", [node("n1")])
    first = store.snapshot()
    assert store.snapshot() is first
    store.apply("nodes", "ADDED", node("n2"))
    second = store.snapshot()
    assert second is not first
    assert sorted(first.nodes) == ["n1"]
    assert sorted(second.nodes) == ["n1", "n2"]


def test_connection_state_changes_are_reported_in_a_batch():
    store = Store()
    store.take_batch()
    store.set_state(ConnectionState("vmis", ConnectionStatus.RECONNECTING, attempt=3, last_error="connection refused"))
    batch = store.take_batch()
    assert batch.connection_changed
    assert store.state("vmis").attempt == 3
    assert not store.state("vmis").healthy


def test_pods_are_unknown_until_listed_and_when_forbidden():
    store = Store()
    assert not store.snapshot().pods_known
    store.replace("pods", [])
    store.set_state(ConnectionState("pods", ConnectionStatus.CONNECTED))
    assert store.snapshot().pods_known
    store.set_state(ConnectionState("pods", ConnectionStatus.FORBIDDEN, last_error="forbidden"))
    assert not store.snapshot().pods_known


def test_subscribers_receive_every_change_in_far_fewer_batches_than_events():
    store = Store(max_batches_per_second=10)
    batches: list[ChangeBatch] = []
    done = threading.Event()

    def receive(batch: ChangeBatch) -> None:
        batches.append(batch)
        if store.version and sum(b.events for b in batches) >= 1000:
            done.set()

    store.subscribe(receive)
    for i in range(1000):
        store.apply("vmis", "ADDED", vmi(f"vm{i}", "n1"))
    assert done.wait(timeout=10)
    store.close()
    seen = set().union(*(b.changed.get("vmis", frozenset()) for b in batches))
    assert len(seen) == 1000
    assert len(batches) < 100


def test_pages_show_at_once_and_the_end_of_the_list_removes_what_vanished():
    store = Store()
    store.replace("nodes", [node("old"), node("kept", "1")])
    store.put_page("nodes", [node("kept", "2"), node("new-1")], remaining=1)
    assert sorted(store.keys("nodes")) == ["kept", "new-1", "old"]  # shown at once, nothing removed yet
    assert store.get("nodes", "kept").meta.resource_version == "2"
    store.put_page("nodes", [node("new-2")])
    store.end_list("nodes", {"kept", "new-1", "new-2"})
    assert sorted(store.keys("nodes")) == ["kept", "new-1", "new-2"]
    batch = store.take_batch()
    assert batch is not None
    assert batch.deleted == {"nodes": frozenset({"old"})}
    assert batch.changed["nodes"] >= {"kept", "new-1", "new-2"}


def test_listing_progress_counts_what_arrived_and_what_the_server_said_is_left():
    store = Store()
    assert store.listing_progress("vmis") == ListingProgress(held=0, remaining=None, complete=False)
    store.put_page("vmis", [vmi("a", "n1"), vmi("b", "n1")], remaining=3)
    progress = store.listing_progress("vmis")
    assert (progress.held, progress.expected, progress.complete) == (2, 5, False)
    store.put_page("vmis", [vmi("c", "n1"), vmi("d", "n1"), vmi("e", "n1")])
    store.end_list("vmis", {"default/a", "default/b", "default/c", "default/d", "default/e"})
    assert store.listing_progress("vmis") == ListingProgress(held=5, remaining=None, complete=True)


def test_a_kind_whose_first_list_broke_off_is_not_known_even_while_reconnecting():
    store = Store()
    store.put_page("pods", [], remaining=10)
    store.put_page("nodes", [node("n1")], remaining=10)
    store.set_state(ConnectionState("pods", ConnectionStatus.RECONNECTING, last_error="connection reset"))
    store.set_state(ConnectionState("nodes", ConnectionStatus.RECONNECTING, last_error="connection reset"))
    snapshot = store.snapshot()
    assert not snapshot.pods_known and not snapshot.nodes_known
    store.end_list("nodes", {"n1"})
    store.set_state(ConnectionState("nodes", ConnectionStatus.CONNECTED))
    assert store.snapshot().nodes_known
