"""The simulated KubeVirt renders, judges and times migrations as the KubeVirt version it runs does.

Each case names the upstream file and tag it was read from (kubevirt/kubevirt unless said otherwise).
"""

from __future__ import annotations

import pytest

from tui.sim.kubevirt import conditions, datasize, nodeselectors
from tui.sim.kubevirt.config import default_migration_configuration, settings_from
from tui.sim.scenario import Simulation


def _settings(version: str, **configuration):
    cr = {
        "metadata": {"namespace": "harvester-system"},
        "spec": {"configuration": configuration},
        "status": {"observedKubeVirtVersion": version},
    }
    return settings_from(cr, Simulation(kubevirt_version=version))


def _vmi(model="host-model", features=(), machine="q35", status_machine=None, **spec_extra) -> dict:
    cpu: dict = {"cores": 1}
    if model is not None:
        cpu["model"] = model
    if features:
        cpu["features"] = [{"name": name, "policy": policy} for name, policy in features]
    spec = {"architecture": "amd64", "domain": {"cpu": cpu, "machine": {"type": machine}, "devices": {}}, **spec_extra}
    status = {"machine": {"type": status_machine}} if status_machine else {}
    return {"metadata": {"name": "vm", "namespace": "default", "uid": "u-1"}, "spec": spec, "status": status}


# -- node selectors: services/nodeselectorrenderer.go, services/template.go ---------------------------


def test_host_passthrough_asks_for_no_cpu_model_label_at_any_version():
    # nodeselectorrenderer.go v1.3.0 and v1.6.0 Render: the host-model and host-passthrough labels are skipped.
    for version in ("1.3.1", "1.6.3"):
        selector = nodeselectors.launcher_node_selector(_vmi("host-passthrough"), _settings(version))
        assert not any(key.startswith("cpu-model.node.kubevirt.io/") for key in selector)
    assert nodeselectors.launcher_affinity(_vmi("host-passthrough")) is None


def test_a_named_model_and_its_required_features_are_asked_for():
    selector = nodeselectors.launcher_node_selector(
        _vmi("Skylake", features=[("avx", "require"), ("ssse3", ""), ("x2apic", "optional")]), _settings("1.6.3")
    )
    assert {k for k, v in selector.items() if v == "true" and "node.kubevirt.io" in k} == {
        "cpu-model.node.kubevirt.io/Skylake",
        "cpu-feature.node.kubevirt.io/avx",
        "cpu-feature.node.kubevirt.io/ssse3",
        "machine-type.node.kubevirt.io/q35",
    }


@pytest.mark.parametrize(
    ("version", "asked"), [("1.4.1", False), ("1.5.0", False), ("1.5.1", True), ("1.5.2", True), ("1.7.0", True)]
)
def test_the_machine_type_label_is_asked_for_from_1_5_1(version, asked):
    # nodeselectorrenderer.go: WithMachineType appears in v1.5.1, absent in v1.5.0.
    selector = nodeselectors.launcher_node_selector(_vmi("Skylake"), _settings(version))
    assert ("machine-type.node.kubevirt.io/q35" in selector) is asked


def test_the_machine_type_the_guest_reports_wins_over_the_spec():
    # template.go v1.6.0: vmi.Status.Machine.Type before vmi.Spec.Domain.Machine.Type.
    selector = nodeselectors.launcher_node_selector(_vmi("Skylake", status_machine="pc-q35-9.2"), _settings("1.6.3"))
    assert (
        "machine-type.node.kubevirt.io/pc-q35-9.2" in selector and "machine-type.node.kubevirt.io/q35" not in selector
    )


@pytest.mark.parametrize(("version", "label"), [("1.7.0", "cpumanager"), ("1.8.0", "kubevirt.io/cpumanager")])
def test_dedicated_cpus_ask_for_the_cpu_manager_label_of_the_version(version, label):
    vmi = _vmi("Skylake")
    vmi["spec"]["domain"]["cpu"]["dedicatedCpuPlacement"] = True
    assert nodeselectors.launcher_node_selector(vmi, _settings(version))[label] == "true"


def test_the_vmis_selector_overrides_the_clusters_which_overrides_kubevirts():
    settings = _settings(
        "1.6.3", developerConfiguration={"nodeSelectors": {"zone": "a", "kubevirt.io/schedulable": "maybe"}}
    )
    selector = nodeselectors.launcher_node_selector(_vmi("Skylake", nodeSelector={"zone": "b"}), settings)
    assert (selector["zone"], selector["kubevirt.io/schedulable"], selector["kubernetes.io/arch"]) == (
        "b",
        "maybe",
        "amd64",
    )


def test_forbidden_features_and_host_model_go_into_every_required_term():
    # template.go v1.6.0 modifyNodeAffintyToRejectLabel: terms are ORed, so each gets the requirement.
    terms = [
        {"matchExpressions": [{"key": "rack", "operator": "In", "values": ["r1"]}]},
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]},
    ]
    vmi = _vmi(
        "host-model",
        features=[("svm", "forbid")],
        affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}},
    )
    rendered = nodeselectors.launcher_affinity(vmi)["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    added = [
        {"key": "node-labeller.kubevirt.io/obsolete-host-model", "operator": "DoesNotExist"},
        {"key": "cpu-feature.node.kubevirt.io/svm", "operator": "DoesNotExist"},
    ]
    assert [term.get("matchExpressions", [])[-2:] for term in rendered] == [added, added]
    assert (
        vmi["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        == terms
    )


def _migration(added: dict | None = None) -> dict:
    return {
        "metadata": {"name": "m", "uid": "m-1"},
        "spec": {"vmiName": "vm", **({"addedNodeSelector": added} if added else {})},
    }


SOURCE_NODE = {
    "metadata": {
        "name": "node-a",
        "labels": {
            "host-model-cpu.node.kubevirt.io/Cascadelake-Server": "true",
            "host-model-required-features.node.kubevirt.io/pdpe1gb": "true",
        },
    }
}


@pytest.mark.parametrize(("version", "honoured"), [("1.5.2", False), ("1.6.0", True)])
def test_the_added_node_selector_only_narrows_and_exists_from_1_6(version, honoured):
    # watch/migration/migration.go v1.6.0 createTargetPod: AddedNodeSelector copied first, the template over it.
    selector = nodeselectors.target_node_selector(
        _vmi("Skylake"),
        _migration({"kubernetes.io/hostname": "node-c", "kubevirt.io/schedulable": "false"}),
        SOURCE_NODE,
        None,
        _settings(version),
    )
    assert selector["kubevirt.io/schedulable"] == "true"
    assert (selector.get("kubernetes.io/hostname") == "node-c") is honoured


def test_a_host_model_target_asks_for_the_source_nodes_host_model():
    # migration.go v1.6.0 prepareNodeSelectorForHostCpuModel / getHostCpuModelFromMap.
    selector = nodeselectors.target_node_selector(
        _vmi(), _migration(), SOURCE_NODE, {"spec": {"nodeSelector": {}}}, _settings("1.6.3")
    )
    assert selector["cpu-model-migration.node.kubevirt.io/Cascadelake-Server"] == "true"
    assert selector["cpu-feature.node.kubevirt.io/pdpe1gb"] == "true"


def test_a_host_model_vm_that_migrated_before_keeps_its_first_host_model():
    pod = {
        "spec": {
            "nodeSelector": {
                "cpu-model-migration.node.kubevirt.io/Skylake-Server": "true",
                "kubevirt.io/schedulable": "true",
            }
        }
    }
    selector = nodeselectors.target_node_selector(_vmi(), _migration(), SOURCE_NODE, pod, _settings("1.6.3"))
    assert "cpu-model-migration.node.kubevirt.io/Skylake-Server" in selector
    assert "cpu-model-migration.node.kubevirt.io/Cascadelake-Server" not in selector


def test_a_source_node_without_a_host_model_cannot_get_a_target_pod():
    with pytest.raises(nodeselectors.HostModelUnknown):
        nodeselectors.target_node_selector(
            _vmi(), _migration(), {"metadata": {"name": "arm", "labels": {}}}, None, _settings("1.6.3")
        )


# -- LiveMigratable: pkg/virt-handler/vm.go calculateLiveMigrationCondition ---------------------------


def _claim(access: str) -> dict:
    return {
        "name": "disk-0",
        "persistentVolumeClaimInfo": {
            "accessModes": [access],
            "claimName": "disk-0-pvc",
            "capacity": {"storage": "10Gi"},
            "requests": {"storage": "10Gi"},
        },
    }


def _unmigratable_twice() -> dict:
    vmi = _vmi(
        "Skylake",
        volumes=[{"name": "disk-0", "persistentVolumeClaim": {"claimName": "disk-0-pvc"}}],
        networks=[{"name": "default", "pod": {}}],
    )
    vmi["spec"]["domain"]["devices"]["interfaces"] = [{"name": "default", "bridge": {}}]
    vmi["status"]["volumeStatus"] = [_claim("ReadWriteOnce")]
    return vmi


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        ((1, 5, 2), "DisksNotLiveMigratable"),
        ((1, 6, 0), "InterfaceNotLiveMigratable"),
        ((1, 7, 0), "InterfaceNotLiveMigratable"),
    ],
)
def test_disks_are_judged_first_before_1_6_and_last_from_1_6(version, reason):
    # vm.go v1.5.2: checkVolumesForMigration's error returned first; v1.6.0: blockErr checked last.
    assert conditions.live_migratable(_unmigratable_twice(), {}, version)["reason"] == reason


def test_a_volume_being_migrated_does_not_need_to_be_shared():
    vmi = _unmigratable_twice()
    vmi["spec"]["domain"]["devices"]["interfaces"] = [{"name": "default", "masquerade": {}}]
    assert conditions.live_migratable(vmi, {}, (1, 6, 0))["reason"] == "DisksNotLiveMigratable"
    vmi["status"]["migratedVolumes"] = [{"volumeName": "disk-0", "sourcePVCInfo": {"claimName": "disk-0-pvc"}}]
    assert conditions.live_migratable(vmi, {}, (1, 6, 0))["status"] == "True"


@pytest.mark.parametrize(
    ("change", "reason", "message"),
    [
        (
            lambda v: v["spec"]["domain"]["devices"].update(disks=[{"name": "lun", "lun": {"reservation": True}}]),
            "PersistentReservationNotLiveMigratable",
            "VMI uses SCSI persitent reservation",
        ),
        (
            lambda v: v["spec"]["domain"].update(features={"hyperv": {"reenlightenment": {"enabled": True}}}),
            "NoTSCFrequencyNotLiveMigratable",
            "HyperV Reenlightenment VMIs cannot migrate when TSC Frequency is not exposed on the cluster: guest timers might be inconsistent",
        ),
        (
            lambda v: (v["spec"].update(architecture="s390x"), v["spec"]["domain"].update(launchSecurity={})),
            "SecureExecutionNotLiveMigratable",
            "VMI uses Secure Execution",
        ),
        (lambda v: v["spec"]["domain"].update(launchSecurity={"tdx": {}}), "TDXNotLiveMigratable", "VMI uses TDX"),
        (lambda v: v["spec"]["domain"].update(launchSecurity={"sev": {}}), "SEVNotLiveMigratable", "VMI uses SEV"),
    ],
)
def test_the_reasons_kubevirt_1_7_gives(change, reason, message):
    vmi = _vmi("Skylake")
    change(vmi)
    found = conditions.live_migratable(vmi, {}, (1, 7, 0))
    assert (found["status"], found["reason"], found["message"]) == ("False", reason, message)


def test_hyperv_reenlightenment_with_a_known_tsc_frequency_migrates():
    vmi = _vmi("Skylake")
    vmi["spec"]["domain"]["features"] = {"hyperv": {"reenlightenment": {"enabled": True}}}
    vmi["status"]["topologyHints"] = {"tscFrequency": 2_400_000_000}
    assert conditions.live_migratable(vmi, {}, (1, 6, 0))["status"] == "True"


def test_host_model_needs_a_host_model_on_the_node():
    vmi = _vmi("host-model")
    vmi["status"]["nodeName"] = "arm-1"
    found = conditions.live_migratable(vmi, {"kubernetes.io/arch": "arm64"}, (1, 6, 0))
    assert (found["reason"], found["message"]) == (
        "CPUModeLiveMigratable",
        'the node "arm-1" does not allow migration with host-model',
    )
    assert conditions.live_migratable(_vmi("host-passthrough"), {}, (1, 6, 0))["status"] == "True"


# -- the completion timeout: virtwrap/manager.go getVMIMigrationDataSize, storage/types/pvc.go ---------


def _block_vmi() -> dict:
    vmi = _vmi("Skylake")
    vmi["spec"]["domain"]["memory"] = {"guest": "4Gi"}
    vmi["spec"]["volumes"] = [
        {"name": "cloudinit", "cloudInitNoCloud": {}},
        {"name": "scratch", "emptyDisk": {"capacity": "50Gi"}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "new-data"}},
    ]
    vmi["status"].update(
        migrationMethod="BlockMigration",
        volumeStatus=[
            {"name": "cloudinit", "size": 1048576},
            {"name": "scratch", "size": 53687091200},
            {
                "name": "data",
                "persistentVolumeClaimInfo": {
                    "claimName": "new-data",
                    "capacity": {"storage": "20Gi"},
                    "requests": {"storage": "20Gi"},
                },
            },
        ],
    )
    return vmi


def test_an_empty_disk_is_not_in_the_data_size():
    assert datasize.data_bytes(_block_vmi(), (1, 6, 3)) == 4 * 1024**3 + 1048576
    assert datasize.data_units(_block_vmi(), (1, 6, 3)) == 5
    assert datasize.acceptable_completion_seconds(150, _block_vmi(), (1, 6, 3)) == 750


def test_migrated_volumes_count_their_source_claims_from_1_7_2():
    vmi = _block_vmi()
    vmi["status"]["migratedVolumes"] = [
        {
            "volumeName": "data",
            "sourcePVCInfo": {"claimName": "old-data", "capacity": {"storage": "10G"}, "requests": {"storage": "12G"}},
        }
    ]
    # v1.7.2 pvc.go: min(request, capacity) of sourcePVCInfo, in bytes.
    assert datasize.migrated_volumes_bytes(vmi, (1, 7, 2)) == 10 * 10**9
    assert datasize.data_units(vmi, (1, 7, 2)) == 5 + 10
    # up to v1.7.1: the volumeStatus claim named by sourcePVCInfo, scaled as gigabytes; old-data has none.
    assert datasize.migrated_volumes_bytes(vmi, (1, 7, 1)) == 0
    vmi["status"]["migratedVolumes"][0]["sourcePVCInfo"]["claimName"] = "new-data"
    assert datasize.migrated_volumes_bytes(vmi, (1, 7, 1)) == 20 * 1024**3 * 10**9


def _policy(name: str, vmi_selector=None, namespace_selector=None, **spec) -> dict:
    selectors = {}
    if vmi_selector is not None:
        selectors["virtualMachineInstanceSelector"] = vmi_selector
    if namespace_selector is not None:
        selectors["namespaceSelector"] = namespace_selector
    return {"metadata": {"name": name}, "spec": {"selectors": selectors, **spec}}


def test_the_policy_matching_most_labels_wins_then_vmi_labels_then_the_name():
    # watch/migration/migrationpolicy.go v1.6.0 matchPolicy and its unit test's cases.
    policies = [
        _policy("b-ns", namespace_selector={"team": "x"}),
        _policy("a-ns", namespace_selector={"team": "x"}),
        _policy("vm", vmi_selector={"tier": "db"}),
        _policy("none", vmi_selector={"tier": "web"}),
        _policy("no-selectors"),
    ]
    policies[-1]["spec"].pop("selectors")
    assert datasize.match_policy(policies, {"tier": "db"}, {"team": "x"})["metadata"]["name"] == "vm"
    assert datasize.match_policy(policies[:2], {"tier": "db"}, {"team": "x"})["metadata"]["name"] == "a-ns"
    assert datasize.match_policy(policies[3:], {"tier": "db"}, {"team": "x"}) is None


def test_allow_workload_disruption_follows_allow_post_copy_when_unset():
    # virt-config/virt-config.go v1.6.0 GetMigrationConfiguration; migrations/v1alpha1/types.go GetMigrationConfByPolicy.
    assert (
        _settings("1.6.3", migrations={"allowPostCopy": True}).migration_configuration()["allowWorkloadDisruption"]
        is True
    )
    assert (
        _settings(
            "1.6.3", migrations={"allowPostCopy": True, "allowWorkloadDisruption": False}
        ).migration_configuration()["allowWorkloadDisruption"]
        is False
    )
    cluster = _settings("1.6.3").migration_configuration()
    assert (
        datasize.policy_configuration(cluster, _policy("p", allowPostCopy=True), (1, 6, 3))["allowWorkloadDisruption"]
        is True
    )
    assert (
        datasize.policy_configuration(cluster, _policy("p", completionTimeoutPerGiB=5), (1, 6, 3))[
            "allowWorkloadDisruption"
        ]
        is False
    )
    assert "allowWorkloadDisruption" not in default_migration_configuration((1, 4, 1))


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        ("1.3.1", "Live migration aborted "),
        ("1.7.0", "Live migration aborted "),
        ("1.8.4", "Live migration aborted "),
        ("1.9.0", "Live migration has been aborted"),
    ],
)
def test_the_abort_reason_of_each_version(version, reason):
    # virtwrap/live-migration-source.go: setMigrationResult(true, "Live migration aborted ", ...) up to v1.8.4.
    assert _settings(version).abort_reason == reason
