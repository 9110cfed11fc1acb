"""Status writes are checked against the CRDs' schemas: a wrongly typed field is 422, as kube-apiserver
answers for a structural schema (kube-openapi InvalidType, apiextensions-apiserver FieldValueTypeInvalid)."""

from __future__ import annotations

import json

import orjson
import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.sim.conftest import vm, vmi, vmim
from tui.sim.resources import SERVED
from tui.sim.schemas import TYPES_FILE, type_problems

MIGRATIONS = "/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstancemigrations"
MERGE = {"Content-Type": "application/merge-patch+json"}


def a_migration(cluster, name: str) -> dict:
    return cluster.store.create(
        "virtualmachineinstancemigrations", {**vmim("some-vm"), "metadata": {"name": name, "namespace": "default"}}
    )


def test_a_wrongly_typed_status_field_is_422_naming_the_field_and_both_types(cluster, http):
    a_migration(cluster, "typed-1")
    status, body = http.json("PATCH", f"{MIGRATIONS}/typed-1/status", {"status": {"phase": 5}}, headers=MERGE)
    assert status == 422 and body["reason"] == "Invalid"
    assert body["message"] == (
        'VirtualMachineInstanceMigration.kubevirt.io "typed-1" is invalid: '
        'status.phase: Invalid value: "integer": status.phase in body must be of type string: "integer"'
    )
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueTypeInvalid",
            "message": 'Invalid value: "integer": status.phase in body must be of type string: "integer"',
            "field": "status.phase",
        }
    ]
    assert "phase" not in cluster.store.get("virtualmachineinstancemigrations", "default", "typed-1").get("status", {})


def test_every_wrongly_typed_field_is_a_cause_with_its_path(cluster, http):
    a_migration(cluster, "typed-2")
    patch = {
        "status": {"migrationState": {"completed": "yes", "targetCPUSet": [1, "two"]}, "phaseTransitionTimestamps": {}}
    }
    status, body = http.json("PATCH", f"{MIGRATIONS}/typed-2/status", patch, headers=MERGE)
    assert status == 422
    assert [(cause["field"], cause["message"].split(": ")[1]) for cause in body["details"]["causes"]] == [
        ("status.migrationState.completed", '"string"'),
        ("status.migrationState.targetCPUSet[1]", '"string"'),
        ("status.phaseTransitionTimestamps", '"object"'),
    ]
    assert "in body must be of type array" in body["details"]["causes"][2]["message"]


def test_a_well_typed_status_is_stored(cluster, api):
    a_migration(cluster, "typed-3")
    status = {
        "phase": "Running",
        "migrationState": {"completed": False, "targetNode": "harv42", "targetCPUSet": [2, 3]},
    }
    client.CustomObjectsApi(api).patch_namespaced_custom_object_status(
        "kubevirt.io", "v1", "default", "virtualmachineinstancemigrations", "typed-3", {"status": status}
    )
    assert cluster.store.get("virtualmachineinstancemigrations", "default", "typed-3")["status"]["migrationState"][
        "targetCPUSet"
    ] == [2, 3]


def test_the_python_client_gets_422_for_a_status_replace_of_the_wrong_type(cluster, api):
    current = a_migration(cluster, "typed-4")
    current["status"] = {"phaseTransitionTimestamps": [{"phase": "Running", "phaseTransitionTimestamp": 1700000000}]}
    with pytest.raises(ApiException) as error:
        client.CustomObjectsApi(api).replace_namespaced_custom_object_status(
            "kubevirt.io", "v1", "default", "virtualmachineinstancemigrations", "typed-4", current
        )
    assert error.value.status == 422
    assert (
        json.loads(error.value.body)["details"]["causes"][0]["field"]
        == "status.phaseTransitionTimestamps[0].phaseTransitionTimestamp"
    )


def test_a_vmi_written_with_a_wrongly_typed_status_is_422(cluster, http):
    bad = vmi("typed-vmi")
    bad["status"]["nodeName"] = 7
    status, body = http.json("POST", "/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances", bad)
    assert status == 422 and body["details"]["causes"][0]["field"] == "status.nodeName"
    assert not cluster.store.exists("virtualmachineinstances", "default", "typed-vmi")


def test_an_update_of_the_main_resource_keeps_the_stored_status_and_is_not_refused_for_it(cluster, api):
    created = cluster.store.create("virtualmachines", vm("typed-vm"))
    created["status"] = {"ready": "very"}
    updated = client.CustomObjectsApi(api).replace_namespaced_custom_object(
        "kubevirt.io", "v1", "default", "virtualmachines", "typed-vm", created
    )
    assert "status" not in updated or updated["status"].get("ready") != "very"


def test_kubectl_shows_the_422_of_a_wrongly_typed_status_patch(cluster, kubectl):
    a_migration(cluster, "typed-5")
    result = kubectl("patch", "vmim", "typed-5", "--subresource=status", "--type=merge", "-p", '{"status":{"phase":5}}')
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'The VirtualMachineInstanceMigration "typed-5" is invalid: '
        'status.phase: Invalid value: "integer": status.phase in body must be of type string: "integer"'
    )


@pytest.mark.parametrize(
    ("expected", "value", "causes"),
    [
        ("int-or-string", "128Mi", []),
        ("int-or-string", 128, []),
        ("int-or-string", True, ['Invalid value: "boolean": x in body must be of type integer,string: "boolean"']),
        ("integer", 3.0, []),
        ("integer", 3.5, ['Invalid value: "number": x in body must be of type integer: "number"']),
        ("boolean", None, []),
        (
            {"*": "integer"},
            {"a": 1, "b": "2"},
            ['Invalid value: "string": x.b in body must be of type integer: "string"'],
        ),
        ({"known": "string"}, {"unknown": 5}, []),
        ("any", {"a": [1]}, []),
    ],
)
def test_type_rules(expected, value, causes):
    assert [cause["message"] for cause in type_problems(expected, value, "x")] == causes


def test_the_schema_file_covers_every_crd_with_a_status_the_simulator_serves():
    covered = set(orjson.loads(TYPES_FILE.read_bytes()))
    assert {
        "virtualmachines",
        "virtualmachineinstances",
        "virtualmachineinstancemigrations",
        "kubevirts",
        "migrationpolicies",
    } == covered
    for plural in covered:
        assert not SERVED.by_plural(plural).builtin
