"""livemig's plan against the simulated cluster's own rules, on clusters hypothesis makes up.

The simulator schedules with kube-scheduler's filters and renders the target pod as KubeVirt does,
written from the upstream sources independently of livemig's rules (tui.sim.kubevirt.filters,
nodeselectors). For small generated clusters (nodes with labels, taints, cordon, readiness, memory;
a VM with a node selector, required node affinity, tolerations, a CPU model and memory, started by
the simulator wherever its scheduler puts it) this checks, for every node:

- livemig's plan calls the node eligible exactly when the simulator's scheduler would place the
  migration's target pod there (the rules livemig checks: generation leaves out what livemig does not
  evaluate, such as pod affinity or a toleration of every taint);
- a migration to a node the plan calls eligible, created over HTTP as livemig creates it, lands there
  on the simulated clock;
- after such a migration (the launcher pod now carries a target pod's selectors) the first property
  still holds.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from kubernetes import client

from tests.sim.kubevirt_cluster import KUBEVIRT, advance_until, kubevirt_of, vm
from tui.domain.plan import plan_for
from tui.domain.snapshot import ClusterSnapshot
from tui.sim.kubevirt import render
from tui.sim.kubevirt.nodeselectors import HostModelUnknown
from tui.sim.runtime import SimCluster
from tui.sim.scenario import parse_scenario

VERSIONS = ("1.6.3", "1.5.2", "1.5.0", "1.4.1", "1.7.2")
PINNABLE = ("1.6.3", "1.7.2")  # spec.addedNodeSelector, which names the target, exists from KubeVirt 1.6
NODE_NAMES = ("n0", "n1", "n2", "n3")
LABELS = {"zone": ("a", "b"), "disk": ("ssd", "hdd")}
TAINTS = (
    {"key": "dedicated", "value": "db", "effect": "NoSchedule"},
    {"key": "gpu", "value": "true", "effect": "NoExecute"},
    {"key": "noisy", "value": "", "effect": "PreferNoSchedule"},
)
TOLERATIONS = (
    {"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"},
    {"key": "dedicated", "operator": "Exists"},
    {"key": "gpu", "operator": "Exists", "effect": "NoExecute"},
    {"key": "gpu", "operator": "Equal", "value": "false", "effect": "NoExecute"},
)
FEATURES = (
    {"name": "avx512f", "policy": "require"},
    {"name": "sha-ni", "policy": "require"},
    {"name": "avx512f", "policy": "forbid"},
    {"name": "vmx", "policy": "optional"},
)
HOST_MODELS = ("XYZ", "ABC", None)  # None: the node labeller found no host model (an unlabelled or arm host)
CPU_FACTS = {
    "XYZ": {
        "hostModel": "XYZ",
        "models": ["123", "XYZ"],
        "features": ["vmx", "avx512f"],
        "requiredFeatures": ["avx512f"],
    },
    "ABC": {
        "hostModel": "ABC",
        "models": ["123", "ABC"],
        "features": ["vmx", "sha-ni"],
        "requiredFeatures": ["sha-ni"],
    },
}
EXAMPLES = 100
MIGRATIONS = 10


@st.composite
def node_specs(draw, name: str) -> dict:
    labels = {
        key: draw(st.sampled_from(values))
        for key, values in LABELS.items()
        if draw(st.sampled_from((True, True, False)))
    }
    return {
        "name": name,
        "labels": labels,
        "taints": draw(st.lists(st.sampled_from(TAINTS), unique_by=lambda t: t["key"], max_size=2))
        if draw(st.sampled_from((False, True)))
        else [],
        "cordoned": draw(st.sampled_from((False,) * 5 + (True,))),
        "ready": draw(st.sampled_from(("True",) * 8 + ("False", "Unknown"))),
        "memory": draw(st.sampled_from(("4Gi", "6Gi", "16Gi", "64Gi", "64Gi"))),
        "host_model": draw(st.sampled_from(("XYZ", "XYZ", "ABC", None))),
        # None: every machine type the labeller knows; else only these (an older or newer QEMU)
        "machine_types": draw(st.sampled_from((None, None, ("pc-q35-8.2",), ("pc-q35-9.2",)))),
        "cpu": draw(st.sampled_from(("16", "16", "4"))),
        "cpu_manager": draw(st.sampled_from((False, True))),
    }


def _expression(draw) -> dict:
    key = draw(st.sampled_from(sorted(LABELS)))
    operator = draw(st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")))
    values = list(draw(st.sets(st.sampled_from(LABELS[key]), min_size=1))) if operator in ("In", "NotIn") else []
    return {"key": key, "operator": operator, **({"values": sorted(values)} if values else {})}


@st.composite
def vm_specs(draw) -> dict:
    selector = {
        key: draw(st.sampled_from(values))
        for key, values in LABELS.items()
        if draw(st.sampled_from((False,) * 4 + (True,)))
    }
    terms = []
    for _ in range(draw(st.sampled_from((0, 0, 1, 2)))):
        term: dict = {"matchExpressions": [_expression(draw) for _ in range(draw(st.integers(1, 2)))]}
        if draw(st.sampled_from((False,) * 3 + (True,))):
            term["matchFields"] = [
                {
                    "key": "metadata.name",
                    "operator": draw(st.sampled_from(("In", "NotIn"))),
                    "values": [draw(st.sampled_from(NODE_NAMES))],
                }
            ]
        terms.append(term)
    return {
        "node_selector": selector,
        "terms": terms,
        "tolerations": draw(st.lists(st.sampled_from(TOLERATIONS), max_size=2)),
        "model": draw(st.sampled_from(("host-model", "host-passthrough", "123", "XYZ", None))),
        "memory": draw(st.sampled_from(("1Gi", "3Gi", "5Gi"))),
        "features": draw(st.lists(st.sampled_from(FEATURES), unique_by=lambda f: f["name"], max_size=2)),
        "cpu_request": draw(st.sampled_from(("125m", "125m", "3", "6"))),
        "dedicated": draw(st.sampled_from((False, False, False, True))),
    }


@st.composite
def clusters(draw, versions: tuple[str, ...] = VERSIONS) -> tuple[list[dict], dict]:
    """Nodes and a VM. The VM starts on n0, which is Ready, untainted, not cordoned and roomy; its
    selector, affinity and tolerations are the VMI's from then on (as if n0's labels changed since)."""
    count = draw(st.integers(2, 4))
    version = draw(st.sampled_from(versions))
    home = {
        **draw(node_specs("n0")),
        "taints": [],
        "cordoned": False,
        "ready": "True",
        "memory": "64Gi",
        "host_model": "XYZ",
        "machine_types": None,
    }
    nodes = [home] + [draw(node_specs(name)) for name in NODE_NAMES[1:count]]
    return nodes, {**draw(vm_specs()), "version": version, "filler": draw(st.sampled_from((None, "2Gi", "10Gi")))}


def _node_doc(spec: dict, index: int) -> dict:
    doc: dict = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": spec["name"],
            "labels": {
                "kubernetes.io/hostname": spec["name"],
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/os": "linux",
                **spec["labels"],
                **{f"machine-type.node.kubevirt.io/{machine}": "true" for machine in spec.get("machine_types") or ()},
                **({"cpumanager": "true", "kubevirt.io/cpumanager": "true"} if spec.get("cpu_manager") else {}),
            },
        },
        "spec": {"podCIDR": f"10.52.{index}.0/24"},
        "status": {
            "addresses": [{"address": f"10.115.48.{index + 10}", "type": "InternalIP"}],
            "allocatable": {"cpu": spec.get("cpu", "16"), "memory": spec["memory"], "pods": "110"},
            "capacity": {"cpu": spec.get("cpu", "16"), "memory": spec["memory"], "pods": "110"},
        },
    }
    if spec["taints"]:
        doc["spec"]["taints"] = [dict(t) for t in spec["taints"]]
    if spec["cordoned"]:
        doc["spec"]["unschedulable"] = True
    if spec["ready"] != "True":
        doc["status"]["conditions"] = [
            {"type": "Ready", "status": spec["ready"], "reason": "KubeletNotReady", "message": "not ready"}
        ]
    return doc


def scenario_text(nodes: list[dict], spec: dict) -> str:
    cpus = {n["name"]: CPU_FACTS[n["host_model"]] for n in nodes if n["host_model"]}
    simulation = {
        "apiVersion": "livemig.io/v1alpha1",
        "kind": "Simulation",
        "kubevirtVersion": spec["version"],
        "migrationBandwidth": "1Gi",
        "defaultDirtyRate": "4Mi",
        "startTime": "2026-03-02T09:00:00Z",
        "nodeCPUs": cpus,
    }
    kubevirt = {
        "apiVersion": "kubevirt.io/v1",
        "kind": "KubeVirt",
        "metadata": {"name": "kubevirt", "namespace": "harvester-system"},
        "spec": {"configuration": {"additionalGuestMemoryOverheadRatio": "1.5"}},
        "status": {"observedKubeVirtVersion": f"{spec['version']}-150700.3.13.1", "phase": "Deployed"},
    }
    machine = yaml.safe_load(vm("app", model=spec["model"], memory=spec["memory"]))
    machine["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/hostname": "n0"}
    documents = [
        simulation,
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "harvester-system"}},
        kubevirt,
    ]
    documents += [_node_doc(n, i) for i, n in enumerate(nodes)]
    documents.append(machine)
    if spec["filler"] and len(nodes) > 1:
        filler = yaml.safe_load(vm("filler", memory=spec["filler"]))
        filler["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/hostname": "n1"}
        filler["spec"]["template"]["spec"]["tolerations"] = [{"operator": "Exists"}]  # it takes room wherever n1 is
        documents.append(filler)
    return yaml.safe_dump_all(documents, sort_keys=False)


def constrain(cluster: SimCluster, spec: dict) -> None:
    """Give the running VMI (and its VM's template) the generated placement rules."""
    for plural, path in (("virtualmachineinstances", ("spec",)), ("virtualmachines", ("spec", "template", "spec"))):
        obj = cluster.store.get(plural, "default", "app")
        target = obj
        for key in path:
            target = target[key]
        target["nodeSelector"] = dict(spec["node_selector"])
        target.pop("affinity", None)
        if spec["terms"]:
            target["affinity"] = {
                "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": spec["terms"]}}
            }
        if spec["tolerations"]:
            target["tolerations"] = [dict(t) for t in spec["tolerations"]]
        cpu = target["domain"].setdefault("cpu", {})
        if spec.get("features"):
            cpu["features"] = [dict(f) for f in spec["features"]]
        if spec.get("dedicated"):
            cpu["dedicatedCpuPlacement"] = True
        target["domain"].setdefault("resources", {}).setdefault("requests", {})["cpu"] = spec.get("cpu_request", "125m")
        target["domain"]["resources"].setdefault("limits", {})["cpu"] = spec.get("cpu_request", "125m")
        cluster.store.update(plural, obj)
    cluster.advance(1)


def _snapshot(cluster: SimCluster) -> ClusterSnapshot:
    """What livemig reads: every object the API server holds."""
    return ClusterSnapshot.from_objects(
        [{**obj, "kind": resource.kind} for resource, obj in cluster.store.iter_all()], pods_known=True
    )


def simulator_verdicts(cluster: SimCluster, name: str) -> dict[str, bool]:
    """Per node, whether the simulator's scheduler would place a migration target pod for VMI `name` there."""
    sim = kubevirt_of(cluster)
    vmi = sim.index.get("virtualmachineinstances", "default", name)
    source_pod = sim.vms.launcher_pod(vmi)
    source_node = sim.index.node(vmi["status"]["nodeName"])
    probe = {"metadata": {"name": "probe", "uid": "probe"}, "spec": {"vmiName": name}}
    try:
        pod = render.target_pod(vmi, probe, source_pod, source_node, sim.settings(), "virt-launcher-probe")
    except HostModelUnknown:
        return {node: False for node in sim.index.node_names()}  # KubeVirt creates no target pod at all
    return {
        node: sim.runtime.scheduler.refusal(pod, sim.index.parsed_node(node)) is None for node in sim.index.node_names()
    }


def _running(text: str) -> SimCluster:
    return SimCluster.start(parse_scenario(text, name="differential"), manual_clock=True)


def _started(cluster: SimCluster) -> bool:
    vmi = (
        cluster.store.get("virtualmachineinstances", "default", "app")
        if cluster.store.exists("virtualmachineinstances", "default", "app")
        else None
    )
    return vmi is not None and vmi["status"].get("phase") == "Running"


COMMON = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


@settings(COMMON, max_examples=EXAMPLES)
@given(generated=clusters())
def test_the_plan_calls_a_node_eligible_exactly_when_the_simulators_scheduler_accepts_it(generated):
    nodes, spec = generated
    with _running(scenario_text(nodes, spec)) as cluster:
        cluster.advance(6)
        assert _started(cluster)
        constrain(cluster, spec)
        expected = simulator_verdicts(cluster, "app")
        plan = plan_for(_snapshot(cluster), "default", "app", cluster.clock.now())
    found = {verdict.node: verdict.eligible for verdict in plan.nodes}
    disagreements = {
        node: {
            "livemig": found.get(node),
            "simulator": accepted,
            "reasons": [r.code for v in plan.nodes if v.node == node for r in v.reasons],
        }
        for node, accepted in expected.items()
        if found.get(node) != accepted
    }
    assert disagreements == {}, f"cluster: {yaml.safe_dump({'nodes': nodes, 'vm': spec}, sort_keys=False)}"


@settings(COMMON, max_examples=MIGRATIONS)
@given(generated=clusters(versions=PINNABLE))
def test_a_migration_to_a_node_the_plan_calls_eligible_lands_there(generated, tmp_path_factory):
    nodes, spec = generated
    with _running(scenario_text(nodes, spec)) as cluster:
        cluster.advance(6)
        assert _started(cluster)
        constrain(cluster, spec)
        plan = plan_for(_snapshot(cluster), "default", "app", cluster.clock.now())
        eligible = [v.node for v in plan.nodes if v.eligible]
        assume(plan.migratable and eligible)
        target = eligible[-1]
        path = cluster.write_kubeconfig(Path(tmp_path_factory.mktemp("kube")) / "config")
        from kubernetes import config

        api = config.new_client_from_config(config_file=str(path), context="sim-admin")
        try:
            body = {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachineInstanceMigration",
                "metadata": {"name": "to-target"},
                "spec": {"vmiName": "app", "addedNodeSelector": {"kubernetes.io/hostname": target}},
            }
            client.CustomObjectsApi(api).create_namespaced_custom_object(
                *KUBEVIRT, "default", "virtualmachineinstancemigrations", body
            )
            phase = advance_until(cluster, "to-target", ("Succeeded", "Failed"), limit=400)
            node = cluster.store.get("virtualmachineinstances", "default", "app")["status"]["nodeName"]
        finally:
            api.close()
    assert (phase, node) == ("Succeeded", target)


@settings(COMMON, max_examples=MIGRATIONS)
@given(generated=clusters(versions=PINNABLE))
def test_after_a_migration_the_plan_still_agrees_with_the_simulator(generated):
    """A VM that migrated once: its launcher pod now carries the selectors of a target pod (a
    host-model VM's first host model among them), which the next target pod copies."""
    nodes, spec = generated
    with _running(scenario_text(nodes, spec)) as cluster:
        cluster.advance(6)
        constrain(cluster, spec)
        eligible = [
            v.node for v in plan_for(_snapshot(cluster), "default", "app", cluster.clock.now()).nodes if v.eligible
        ]
        assume(eligible)
        body = {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachineInstanceMigration",
            "metadata": {"name": "first"},
            "spec": {"vmiName": "app", "addedNodeSelector": {"kubernetes.io/hostname": eligible[0]}},
        }
        cluster.store.create("virtualmachineinstancemigrations", body, "default")
        assert advance_until(cluster, "first", ("Succeeded", "Failed"), limit=400) == "Succeeded"
        cluster.advance(3)
        expected = simulator_verdicts(cluster, "app")
        plan = plan_for(_snapshot(cluster), "default", "app", cluster.clock.now())
    assert {v.node: v.eligible for v in plan.nodes} == expected, yaml.safe_dump(
        {"nodes": nodes, "vm": spec}, sort_keys=False
    )


def test_the_generated_scenarios_load(tmp_path):
    nodes = [
        {
            "name": "n0",
            "labels": {"zone": "a"},
            "taints": [],
            "cordoned": False,
            "ready": "True",
            "memory": "16Gi",
            "host_model": "XYZ",
        },
        {
            "name": "n1",
            "labels": {},
            "taints": [TAINTS[0]],
            "cordoned": True,
            "ready": "False",
            "memory": "8Gi",
            "host_model": None,
        },
    ]
    spec = {
        "node_selector": {},
        "terms": [],
        "tolerations": [],
        "model": "host-model",
        "memory": "1Gi",
        "version": "1.6.3",
        "filler": None,
    }
    with _running(scenario_text(nodes, spec)) as cluster:
        cluster.advance(6)
        assert _started(cluster)
        verdicts = simulator_verdicts(cluster, "app")
    assert verdicts == {"n0": False, "n1": False}  # the source node, and a cordoned, tainted, NotReady node


def test_the_video_ram_overhead_before_kubevirt_1_6():
    """The first disagreement the generated clusters found, kept as a case: KubeVirt adds 16 MiB of video
    RAM up to 1.5.x and 32 MiB from 1.6.0 (pkg/virt-controller/services/renderresources.go
    GetMemoryOverhead, MustParse("16Mi") at v1.3.0 to v1.5.2, "32Mi" at v1.6.0); livemig counted 32 MiB
    at every version and refused a node with just enough memory on KubeVirt 1.4."""
    nodes = [
        {
            "name": "n0",
            "labels": {},
            "taints": [],
            "cordoned": False,
            "ready": "True",
            "memory": "64Gi",
            "host_model": "XYZ",
        },
        {
            "name": "n1",
            "labels": {},
            "taints": [],
            "cordoned": False,
            "ready": "True",
            "memory": "4Gi",
            "host_model": "XYZ",
        },
    ]
    spec = {
        "node_selector": {},
        "terms": [],
        "tolerations": [],
        "model": "host-model",
        "memory": "1Gi",
        "features": [],
        "cpu_request": "125m",
        "dedicated": False,
        "version": "1.4.1",
        "filler": "2Gi",
    }
    with _running(scenario_text(nodes, spec)) as cluster:
        cluster.advance(6)
        constrain(cluster, spec)
        simulator = simulator_verdicts(cluster, "app")["n1"]
        plan = plan_for(_snapshot(cluster), "default", "app", cluster.clock.now())
    assert simulator is True  # the target pod fits, with less than 1 MiB to spare
    assert {v.node: v.eligible for v in plan.nodes}["n1"] is True
