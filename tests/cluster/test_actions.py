"""Actions: one API call each, the server's message verbatim on failure, nothing changed when refused."""

from __future__ import annotations

import pytest

from tests.cluster.simulated import connect, eventually
from tui.sim.admission import AdmissionDenied


def migrations_on_server(cluster) -> list[dict]:
    return cluster.store.list("virtualmachineinstancemigrations", "default")


def vm_on_server(cluster, name: str = "web-1") -> dict:
    return cluster.store.get("virtualmachines", "default", name)


@pytest.fixture
def admin(kubeconfig):
    with connect(kubeconfig) as session:
        yield session


@pytest.fixture
def viewer(kubeconfig):
    with connect(kubeconfig, context="sim-viewer") as session:
        yield session


def set_kubevirt_version(cluster, session, version: str) -> None:
    cluster.store.patch(
        "kubevirts", "harvester-system", "kubevirt", {"status": {"observedKubeVirtVersion": version}}, status=True
    )
    eventually(lambda: (k := session.store.snapshot().kubevirt) is not None and k.version_text == version)


# -- migrate -------------------------------------------------------------------------------------


def test_migrate_creates_one_migration_named_after_the_vm_and_labelled_with_it(cluster, admin):
    result = admin.actions.migrate("default", "web-1")
    assert result.ok and result.name.startswith("web-1-") and result.uid
    created = migrations_on_server(cluster)
    assert [m["metadata"]["name"] for m in created] == [result.name]
    assert created[0]["metadata"]["labels"]["kubevirt.io/vmi-name"] == "web-1"
    assert created[0]["spec"] == {"vmiName": "web-1"}


def test_migrate_to_a_node_asks_for_it_in_added_node_selector(cluster, admin):
    result = admin.actions.migrate("default", "web-1", target="harv-2")
    assert result.ok and result.warning == ""
    spec = migrations_on_server(cluster)[0]["spec"]
    assert spec["addedNodeSelector"] == {"kubernetes.io/hostname": "harv-2"}


def test_a_target_node_is_refused_before_kubevirt_1_6_and_nothing_is_created(cluster, admin):
    set_kubevirt_version(cluster, admin, "v1.5.2")
    result = admin.actions.migrate("default", "web-1", target="harv-2")
    assert not result.ok and result.refused
    assert "1.5.2 is older than 1.6" in result.message
    assert migrations_on_server(cluster) == []


def test_an_api_server_that_prunes_added_node_selector_leaves_a_warning(cluster, admin):
    cluster.admission.prune_fields("virtualmachineinstancemigrations", ["spec.addedNodeSelector"])
    result = admin.actions.migrate("default", "web-1", target="harv-2")
    assert result.ok
    assert "dropped spec.addedNodeSelector" in result.warning and "harv-2" in result.warning
    assert "addedNodeSelector" not in migrations_on_server(cluster)[0]["spec"]


def test_an_admission_webhook_refusal_comes_back_in_the_servers_words(cluster, admin):
    def deny(request):
        raise AdmissionDenied(
            "migration-create-validator.kubevirt.io",
            "in-flight migration detected. Active migration job (web-1-abcde) is currently already in progress for VMI web-1.",
        )

    cluster.admission.register("virtualmachineinstancemigrations", deny, operations=("create",))
    result = admin.actions.migrate("default", "web-1")
    assert not result.ok and result.code == 422
    assert result.message == (
        'admission webhook "migration-create-validator.kubevirt.io" denied the request: in-flight migration detected. '
        "Active migration job (web-1-abcde) is currently already in progress for VMI web-1."
    )


# -- abort ---------------------------------------------------------------------------------------


def test_abort_deletes_the_migration_it_names_by_uid(cluster, admin):
    created = admin.actions.migrate("default", "web-1")
    result = admin.actions.abort("default", created.name, created.uid)
    assert result.ok and result.name == created.name
    assert migrations_on_server(cluster) == []


def test_abort_with_another_uid_is_refused_by_the_server_and_keeps_the_migration(cluster, admin):
    created = admin.actions.migrate("default", "web-1")
    result = admin.actions.abort("default", created.name, "5d2c1b0a-0000-4000-8000-000000000000")
    assert not result.ok and result.code == 409
    assert "another one of that name now runs: nothing was aborted" in result.message
    assert [m["metadata"]["name"] for m in migrations_on_server(cluster)] == [created.name]


def test_abort_of_a_migration_that_already_ended_is_refused_without_a_call(cluster, admin):
    created = admin.actions.migrate("default", "web-1")
    cluster.store.patch(
        "virtualmachineinstancemigrations", "default", created.name, {"status": {"phase": "Succeeded"}}, status=True
    )
    eventually(lambda: (m := admin.store.get("migrations", f"default/{created.name}")) is not None and m.is_final)
    result = admin.actions.abort("default", created.name, created.uid)
    assert not result.ok and result.refused
    assert "already ended (Succeeded)" in result.message
    assert len(migrations_on_server(cluster)) == 1


# -- CPU model -----------------------------------------------------------------------------------


def test_set_cpu_model_patches_the_template_and_says_a_restart_is_needed(cluster, admin):
    version = admin.store.get("vms", "default/web-1").meta.resource_version
    result = admin.actions.set_cpu_model("default", "web-1", "Haswell-noTSX-IBRS", version)
    assert result.ok and result.restart_required
    assert "restarts" in result.message
    assert vm_on_server(cluster)["spec"]["template"]["spec"]["domain"]["cpu"]["model"] == "Haswell-noTSX-IBRS"


def test_set_cpu_model_on_a_vm_changed_meanwhile_is_a_conflict_and_changes_nothing(cluster, admin):
    version = admin.store.get("vms", "default/web-1").meta.resource_version
    cluster.store.patch("virtualmachines", "default", "web-1", {"metadata": {"labels": {"touched": "yes"}}})
    result = admin.actions.set_cpu_model("default", "web-1", "Haswell-noTSX-IBRS", version)
    assert not result.ok and result.code == 409
    assert "the object has been modified" in result.message
    assert "model" not in vm_on_server(cluster)["spec"]["template"]["spec"]["domain"]["cpu"]


# -- who may -------------------------------------------------------------------------------------


def test_the_viewer_is_forbidden_every_action_and_nothing_changes(cluster, admin, viewer):
    existing = admin.actions.migrate("default", "web-1")
    vm_before = vm_on_server(cluster)
    version = viewer.store.get("vms", "default/web-1").meta.resource_version

    migrate = viewer.actions.migrate("default", "web-1")
    abort = viewer.actions.abort("default", existing.name, existing.uid)
    cpu = viewer.actions.set_cpu_model("default", "web-1", "Haswell-noTSX-IBRS", version)

    for result in (migrate, abort, cpu):
        assert not result.ok and result.forbidden
    assert 'User "viewer" cannot create resource "virtualmachineinstancemigrations"' in migrate.message
    assert 'User "viewer" cannot delete resource "virtualmachineinstancemigrations"' in abort.message
    assert 'User "viewer" cannot patch resource "virtualmachines"' in cpu.message
    assert [m["metadata"]["name"] for m in migrations_on_server(cluster)] == [existing.name]
    assert vm_on_server(cluster) == vm_before


def test_read_only_refuses_every_action_without_asking_the_server(cluster, kubeconfig):
    with connect(kubeconfig, readonly=True) as session:
        version = session.store.get("vms", "default/web-1").meta.resource_version
        results = [
            session.actions.migrate("default", "web-1"),
            session.actions.abort("default", "web-1-abcde", ""),
            session.actions.set_cpu_model("default", "web-1", "Haswell-noTSX-IBRS", version),
        ]
    assert all(not r.ok and r.refused and "read-only" in r.message for r in results)
    assert migrations_on_server(cluster) == []
