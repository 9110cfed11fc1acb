"""The object store: the semantics of the API verbs without HTTP (what the simulated controller uses)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.sim.conftest import vm, vmi
from tui.sim.status import ApiError
from tui.sim.store import ObjectStore, decode_continue, encode_continue

START = datetime(2026, 1, 19, 5, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def store() -> ObjectStore:
    store = ObjectStore(now=lambda: START, history_size=50, seed=7)
    store.create("namespaces", {"metadata": {"name": "default"}})
    return store


def test_create_fills_identity_and_a_decimal_resource_version(store):
    created = store.create("virtualmachines", vm("vm1"))
    meta = created["metadata"]
    assert meta["uid"] and meta["creationTimestamp"] == "2026-01-19T05:00:00Z"
    assert meta["generation"] == 1
    assert meta["resourceVersion"] == str(store.resource_version)


def test_generate_name_appends_five_safe_characters(store):
    created = store.create(
        "virtualmachineinstancemigrations",
        {"metadata": {"generateName": "vm1-"}, "spec": {"vmiName": "vm1"}},
        "default",
    )
    suffix = created["metadata"]["name"][len("vm1-") :]
    assert len(suffix) == 5 and set(suffix) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_create_twice_is_409_already_exists(store):
    store.create("virtualmachines", vm("vm1"))
    with pytest.raises(ApiError) as error:
        store.create("virtualmachines", vm("vm1"))
    assert error.value.code == 409
    assert error.value.message == 'virtualmachines.kubevirt.io "vm1" already exists'


def test_a_bad_name_is_422_invalid_with_the_dns_subdomain_wording(store):
    with pytest.raises(ApiError) as error:
        store.create("virtualmachines", vm("Bad_Name"))
    assert error.value.code == 422
    assert error.value.message.startswith(
        'VirtualMachine.kubevirt.io "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'
    )
    assert error.value.details["causes"][0]["field"] == "metadata.name"


def test_creating_in_a_missing_namespace_is_404_for_the_namespace(store):
    with pytest.raises(ApiError) as error:
        store.create("virtualmachines", vm("vm1", namespace="nowhere"))
    assert (error.value.code, error.value.message) == (404, 'namespaces "nowhere" not found')


def test_update_with_a_stale_resource_version_is_409_conflict(store):
    created = store.create("virtualmachines", vm("vm1"))
    store.patch("virtualmachines", "default", "vm1", {"metadata": {"labels": {"team": "a"}}})
    with pytest.raises(ApiError) as error:
        store.update("virtualmachines", created)
    assert error.value.code == 409
    assert error.value.message == (
        'Operation cannot be fulfilled on virtualmachines.kubevirt.io "vm1": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )


def test_update_of_the_main_resource_keeps_the_status_of_a_status_subresource(store):
    store.create("virtualmachines", vm("vm1"))
    store.update_status(
        "virtualmachines", {**store.get("virtualmachines", "default", "vm1"), "status": {"printableStatus": "Running"}}
    )
    current = store.get("virtualmachines", "default", "vm1")
    current["status"] = {"printableStatus": "Stopped"}
    updated = store.update("virtualmachines", current)
    assert updated["status"] == {"printableStatus": "Running"}


def test_spec_changes_bump_generation_and_status_changes_do_not(store):
    store.create("virtualmachines", vm("vm1"))
    store.patch("virtualmachines", "default", "vm1", {"status": {"printableStatus": "Running"}}, status=True)
    assert store.get("virtualmachines", "default", "vm1")["metadata"]["generation"] == 1
    store.patch("virtualmachines", "default", "vm1", {"spec": {"runStrategy": "Halted"}})
    assert store.get("virtualmachines", "default", "vm1")["metadata"]["generation"] == 2


def test_a_vmi_status_write_is_an_ordinary_update_and_bumps_generation(store):
    store.create("virtualmachineinstances", vmi("vm1"))
    updated = store.patch("virtualmachineinstances", "default", "vm1", {"status": {"phase": "Succeeded"}})
    assert updated["status"]["phase"] == "Succeeded"
    assert updated["metadata"]["generation"] == 2


def test_a_no_op_update_keeps_the_resource_version(store):
    created = store.create("virtualmachines", vm("vm1"))
    again = store.update("virtualmachines", created)
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_delete_with_finalizers_sets_deletion_timestamp_and_keeps_the_object(store):
    obj = vmi("vm1")
    obj["metadata"]["finalizers"] = ["kubevirt.io/virtualMachineControllerFinalize"]
    store.create("virtualmachineinstances", obj)
    deleting = store.delete("virtualmachineinstances", "default", "vm1")
    assert deleting["metadata"]["deletionTimestamp"] == "2026-01-19T05:00:00Z"
    assert store.exists("virtualmachineinstances", "default", "vm1")


def test_removing_the_last_finalizer_of_a_deleting_object_removes_it(store):
    obj = vmi("vm1")
    obj["metadata"]["finalizers"] = ["kubevirt.io/virtualMachineControllerFinalize"]
    store.create("virtualmachineinstances", obj)
    store.delete("virtualmachineinstances", "default", "vm1")
    assert (
        store.remove_finalizer(
            "virtualmachineinstances", "default", "vm1", "kubevirt.io/virtualMachineControllerFinalize"
        )
        is None
    )
    assert not store.exists("virtualmachineinstances", "default", "vm1")


def test_no_new_finalizer_can_be_added_to_a_deleting_object(store):
    obj = vmi("vm1")
    obj["metadata"]["finalizers"] = ["a.example/x"]
    store.create("virtualmachineinstances", obj)
    deleting = store.delete("virtualmachineinstances", "default", "vm1")
    deleting["metadata"]["finalizers"].append("b.example/y")
    with pytest.raises(ApiError) as error:
        store.update("virtualmachineinstances", deleting)
    assert (
        error.value.code == 422
        and "no new finalizers can be added if the object is being deleted" in error.value.message
    )


def test_a_uid_precondition_that_does_not_hold_is_409(store):
    store.create("virtualmachines", vm("vm1"))
    with pytest.raises(ApiError) as error:
        store.delete("virtualmachines", "default", "vm1", uid="not-the-uid")
    assert error.value.code == 409
    assert "Precondition failed: UID in precondition: not-the-uid, UID in object meta: " in error.value.message
    assert store.exists("virtualmachines", "default", "vm1")


def test_deleting_an_owner_deletes_what_it_owns_unless_orphaned(store):
    owner = store.create("virtualmachines", vm("vm1"))
    owned = vmi("vm1")
    owned["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachine",
            "name": "vm1",
            "uid": owner["metadata"]["uid"],
            "controller": True,
        }
    ]
    store.create("virtualmachineinstances", owned)
    store.delete("virtualmachines", "default", "vm1")
    assert not store.exists("virtualmachineinstances", "default", "vm1")


def test_orphan_propagation_keeps_the_dependents_without_the_owner_reference(store):
    owner = store.create("virtualmachines", vm("vm1"))
    owned = vmi("vm1")
    owned["metadata"]["ownerReferences"] = [
        {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "name": "vm1", "uid": owner["metadata"]["uid"]}
    ]
    store.create("virtualmachineinstances", owned)
    store.delete("virtualmachines", "default", "vm1", propagation="Orphan")
    assert "ownerReferences" not in store.get("virtualmachineinstances", "default", "vm1")["metadata"]


def test_deleting_a_namespace_deletes_its_content_then_itself(store):
    store.create("namespaces", {"metadata": {"name": "lab"}})
    store.create("virtualmachines", vm("vm1", namespace="lab"))
    store.delete("namespaces", None, "lab")
    assert not store.exists("virtualmachines", "lab", "vm1")
    assert not store.exists("namespaces", None, "lab")


def test_returned_objects_are_copies(store):
    created = store.create("virtualmachines", vm("vm1"))
    created["spec"]["runStrategy"] = "Halted"
    store.get("virtualmachines", "default", "vm1")["metadata"]["labels"]["x"] = "y"
    stored = store.get("virtualmachines", "default", "vm1")
    assert stored["spec"]["runStrategy"] == "RerunOnFailure"
    assert "x" not in stored["metadata"]["labels"]


def test_list_filters_by_namespace_labels_and_fields(store):
    store.create("namespaces", {"metadata": {"name": "lab"}})
    store.create("virtualmachineinstances", vmi("a"))
    store.create("virtualmachineinstances", vmi("b", namespace="lab"))
    store.create("virtualmachineinstances", vmi("c", namespace="lab"))
    names = [
        o["metadata"]["name"]
        for o in store.list("virtualmachineinstances", "lab", "harvesterhci.io/vmName in (b,x)", "metadata.name!=zzz")
    ]
    assert names == ["b"]


def test_pages_carry_remaining_item_count_and_resume_after_the_last_key(store):
    for name in ("a", "b", "c"):
        store.create("virtualmachineinstances", vmi(name))
    first = store.page("virtualmachineinstances", "default", limit=2)
    second = store.page("virtualmachineinstances", "default", limit=2, start_after=first.next_key)
    assert [o["metadata"]["name"] for o in first.items] == ["a", "b"] and first.remaining == 1
    assert [o["metadata"]["name"] for o in second.items] == ["c"] and second.next_key is None


def test_continue_tokens_round_trip():
    token = encode_continue(42, ("default", "vm-7"))
    assert decode_continue(token) == (42, ("default", "vm-7"))


def test_subscribers_see_nested_changes_after_the_change_that_caused_them(store):
    seen: list[tuple[str, str]] = []

    def react(change):
        seen.append((change.type, change.name))
        if change.type == "ADDED" and change.resource.plural == "virtualmachines":
            store.create("virtualmachineinstances", vmi(change.name))

    def record(change):
        seen.append(("second-subscriber", change.name))

    store.subscribe(react)
    store.subscribe(record)
    store.create("virtualmachines", vm("vm1"))
    assert seen == [("ADDED", "vm1"), ("second-subscriber", "vm1"), ("ADDED", "vm1"), ("second-subscriber", "vm1")]


def test_changes_older_than_the_history_are_410_expired():
    store = ObjectStore(now=lambda: START, history_size=2)
    store.create("namespaces", {"metadata": {"name": "default"}})
    first = store.create("virtualmachines", vm("vm1"))
    store.create("virtualmachines", vm("vm2"))
    store.create("virtualmachines", vm("vm3"))
    with pytest.raises(ApiError) as error:
        store.changes_since(int(first["metadata"]["resourceVersion"]) - 1)
    assert error.value.code == 410 and error.value.message.startswith("too old resource version: ")


def test_compaction_forgets_the_history(store):
    created = store.create("virtualmachines", vm("vm1"))
    store.compact()
    with pytest.raises(ApiError):
        store.changes_since(int(created["metadata"]["resourceVersion"]) - 1)
    assert store.changes_since(store.resource_version) == []


def test_a_reset_tells_subscribers_of_every_forgotten_object_and_restores_with_the_old_versions(store):
    store.create("namespaces", {"metadata": {"name": "kept"}})
    snapshot, version = store.snapshot(), store.resource_version
    store.create("namespaces", {"metadata": {"name": "forgotten"}})
    heard: list[tuple[str, str, int]] = []
    store.subscribe(lambda change: heard.append((change.type, change.name, change.resource_version)))
    store.reset()
    assert sorted(heard) == [("DELETED", "default", 0), ("DELETED", "forgotten", 0), ("DELETED", "kept", 0)]
    assert store.resource_version == 0 and not store.exists("namespaces", None, "kept")
    heard.clear()
    store.restore_snapshot(snapshot, version)
    assert [(kind, name) for kind, name, _ in heard] == [("ADDED", "default"), ("ADDED", "kept")]
    assert [obj["metadata"]["resourceVersion"] for _, obj in snapshot] == [str(rv) for _, _, rv in heard]
    assert store.resource_version == version and not store.exists("namespaces", None, "forgotten")


def test_what_a_subscriber_writes_while_a_snapshot_is_restored_comes_after_it(store):
    store.create("namespaces", {"metadata": {"name": "second"}})
    snapshot, version = store.snapshot(), store.resource_version
    store.reset()

    def answer(change) -> None:
        if change.type == "ADDED" and change.name == "default":
            store.create("namespaces", {"metadata": {"name": "answer"}})

    store.subscribe(answer)
    store.restore_snapshot(snapshot, version)
    assert int(store.get("namespaces", None, "answer")["metadata"]["resourceVersion"]) == version + 1
    assert (
        store.get("namespaces", None, "second")["metadata"]["resourceVersion"]
        == snapshot[1][1]["metadata"]["resourceVersion"]
    )
