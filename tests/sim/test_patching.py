"""Patch formats: JSON merge patch, JSON patch and strategic merge patch."""

from __future__ import annotations

import pytest

from tui.sim.patching import PatchError, json_patch, merge_patch, strategic_merge_patch

POD = {
    "metadata": {"name": "virt-launcher-vm1-abcde", "labels": {"kubevirt.io": "virt-launcher"}, "finalizers": ["a/x"]},
    "spec": {
        "containers": [
            {"name": "compute", "image": "virt-launcher:1.6.3", "env": [{"name": "A", "value": "1"}]},
            {"name": "guest-console-log", "image": "virt-launcher:1.6.3"},
        ],
        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists"}],
    },
}


def test_merge_patch_merges_maps_and_null_deletes():
    patched = merge_patch(POD, {"metadata": {"labels": {"kubevirt.io": None, "team": "a"}}})
    assert patched["metadata"]["labels"] == {"team": "a"}


def test_merge_patch_replaces_lists_whole():
    patched = merge_patch(POD, {"spec": {"containers": [{"name": "compute"}]}})
    assert patched["spec"]["containers"] == [{"name": "compute"}]


def test_json_patch_applies_operations_in_order():
    patched = json_patch(
        POD,
        [
            {"op": "add", "path": "/metadata/labels/team", "value": "a"},
            {"op": "replace", "path": "/spec/containers/0/image", "value": "virt-launcher:1.7.0"},
            {"op": "remove", "path": "/spec/containers/1"},
            {"op": "copy", "from": "/metadata/labels/team", "path": "/metadata/labels/owner"},
            {"op": "move", "from": "/metadata/labels/owner", "path": "/metadata/labels/moved"},
            {"op": "test", "path": "/metadata/labels/moved", "value": "a"},
        ],
    )
    assert patched["metadata"]["labels"] == {"kubevirt.io": "virt-launcher", "team": "a", "moved": "a"}
    assert [c["name"] for c in patched["spec"]["containers"]] == ["compute"]
    assert patched["spec"]["containers"][0]["image"] == "virt-launcher:1.7.0"


def test_json_patch_test_failure_does_not_apply():
    with pytest.raises(PatchError) as error:
        json_patch(POD, [{"op": "test", "path": "/metadata/name", "value": "other"}])
    assert error.value.code == 422


def test_json_patch_to_a_missing_path_fails():
    with pytest.raises(PatchError):
        json_patch(POD, [{"op": "replace", "path": "/spec/nodeName", "value": "harv41"}])


def test_json_patch_leaves_the_original_untouched():
    json_patch(POD, [{"op": "remove", "path": "/spec/containers/1"}])
    assert len(POD["spec"]["containers"]) == 2


def test_strategic_merge_merges_containers_by_name():
    patched = strategic_merge_patch(
        POD, {"spec": {"containers": [{"name": "compute", "image": "virt-launcher:1.7.0"}]}}
    )
    assert [c["name"] for c in patched["spec"]["containers"]] == ["compute", "guest-console-log"]
    assert patched["spec"]["containers"][0] == {
        "name": "compute",
        "image": "virt-launcher:1.7.0",
        "env": [{"name": "A", "value": "1"}],
    }


def test_strategic_merge_deletes_a_keyed_element_with_the_patch_directive():
    patched = strategic_merge_patch(POD, {"spec": {"containers": [{"name": "guest-console-log", "$patch": "delete"}]}})
    assert [c["name"] for c in patched["spec"]["containers"]] == ["compute"]


def test_strategic_merge_unions_finalizers_and_replaces_lists_without_merge_key():
    patched = strategic_merge_patch(POD, {"metadata": {"finalizers": ["b/y"]}, "spec": {"tolerations": []}})
    assert patched["metadata"]["finalizers"] == ["a/x", "b/y"]
    assert patched["spec"]["tolerations"] == []


def test_strategic_merge_delete_from_primitive_list_and_set_element_order_directives():
    patched = strategic_merge_patch(
        POD, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a/x"], "$setElementOrder/finalizers": []}}
    )
    assert patched["metadata"]["finalizers"] == []
    assert not any(key.startswith("$") for key in patched["metadata"])
