"""Benchmark of the rule engine at 10,000 VMs (run by hand; measures, asserts nothing about speed).

    python tests/benchmarks/bench_domain.py [--vms 10000] [--nodes 50] [--repeat 5]

Builds a Harvester-shaped cluster from the domain test fixtures (VMs, running VMIs, their launcher
pods, one migration in a hundred) and times:

1. building the snapshot from API objects (parsing everything);
2. `vm_summary` for every VM, on a fresh snapshot (its indexes built on the way) and again;
3. `node_verdicts` and `plan_for` for one VM against every node;
4. `cpu_model_advice` for one VM.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tui.domain.placement import node_verdicts  # noqa: E402
from tui.domain.placement.cpu_advice import cpu_model_advice  # noqa: E402
from tui.domain.plan import plan_for, vm_summary  # noqa: E402
from tui.domain.snapshot import ClusterSnapshot  # noqa: E402

FIXTURES = ROOT / "tests" / "domain" / "fixtures"
NOW = datetime(2026, 6, 17, 12, 0, 0, tzinfo=timezone.utc)


def items(name: str) -> list[dict]:
    return yaml.safe_load((FIXTURES / f"{name}.yaml").read_text())["items"]


def cluster_objects(vm_count: int, node_count: int) -> list[dict]:
    plan = {(o["kind"], o["metadata"]["name"]): o for o in items("plan")}
    kubevirt = plan[("KubeVirt", "kubevirt")]
    node_template = plan[("Node", "node-1")]
    vm_template, vmi_template = plan[("VirtualMachine", "vm1")], plan[("VirtualMachineInstance", "vm1")]
    pod_template = plan[("Pod", "virt-launcher-vm1-rmbgb")]
    migration_template = plan[("VirtualMachineInstanceMigration", "vm-moving-abcde")]

    objects: list[dict] = [kubevirt]
    for n in range(node_count):
        node = copy.deepcopy(node_template)
        node["metadata"]["name"] = f"node-{n}"
        node["metadata"]["labels"]["kubernetes.io/hostname"] = f"node-{n}"
        objects.append(node)
    for v in range(vm_count):
        name, node, namespace = f"vm-{v:05d}", f"node-{v % node_count}", f"team-{v % 20}"
        vm, vmi, pod = copy.deepcopy(vm_template), copy.deepcopy(vmi_template), copy.deepcopy(pod_template)
        for obj in (vm, vmi):
            obj["metadata"].update(name=name, namespace=namespace)
        vmi["metadata"]["uid"] = f"uid-{v}"
        vmi["metadata"]["labels"] = {"harvesterhci.io/vmName": name, "kubevirt.io/nodeName": node}
        vmi["status"]["nodeName"] = node
        pod["metadata"].update(name=f"virt-launcher-{name}-abcde", namespace=namespace)
        pod["metadata"]["annotations"] = {"kubevirt.io/domain": name}
        pod["spec"]["nodeName"] = node
        objects += [vm, vmi, pod]
        if v % 100 == 0:
            migration = copy.deepcopy(migration_template)
            migration["metadata"].update(name=f"{name}-mig", namespace=namespace, uid=f"mig-{v}")
            migration["spec"]["vmiName"] = name
            objects.append(migration)
    return objects


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def report(label: str, times: list[float], per: int = 1) -> None:
    best, median = min(times), statistics.median(times)
    extra = f"  ({median / per * 1e6:.1f} us each)" if per > 1 else ""
    print(f"{label:<48} median {median * 1000:9.1f} ms   best {best * 1000:9.1f} ms{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vms", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    objects = cluster_objects(args.vms, args.nodes)
    python = sys.version.split()[0]
    print(f"{args.vms} VMs, {args.vms} VMIs, {args.vms} launcher pods, {args.nodes} nodes, Python {python}")

    report("snapshot from API objects (parse all)", timed(lambda: ClusterSnapshot.from_objects(objects), args.repeat))
    snapshot = ClusterSnapshot.from_objects(objects)
    vms = list(snapshot.vms.values())

    def summaries_fresh() -> None:
        fresh = ClusterSnapshot.of(
            nodes=snapshot.nodes.values(),
            vms=vms,
            vmis=snapshot.vmis.values(),
            migrations=snapshot.migrations.values(),
            pods=snapshot.pods.values(),
            kubevirt=snapshot.kubevirt,
        )
        for vm in vms:
            vm_summary(fresh, vm)

    report(f"vm_summary x {len(vms)}, fresh snapshot", timed(summaries_fresh, args.repeat), len(vms))
    report(
        f"vm_summary x {len(vms)}, indexes built",
        timed(lambda: [vm_summary(snapshot, vm) for vm in vms], args.repeat),
        len(vms),
    )

    vmi = snapshot.vmis["team-1/vm-00001"]
    report(f"node_verdicts, one VM x {args.nodes} nodes", timed(lambda: node_verdicts(snapshot, vmi), args.repeat))
    report("plan_for, one VM", timed(lambda: plan_for(snapshot, vmi.namespace, vmi.name, NOW), args.repeat))
    report("cpu_model_advice, one VM", timed(lambda: cpu_model_advice(snapshot, vmi), args.repeat))


if __name__ == "__main__":
    main()
