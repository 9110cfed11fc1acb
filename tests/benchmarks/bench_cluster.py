"""Benchmark of livemig's cluster layer (run by hand; measures, asserts nothing about speed).

    python tests/benchmarks/bench_cluster.py [--objects 10000] [--repeat 3] [--skip-sim]

1. Decoding a list of 10,000 VMs, VMIs and virt-launcher pods (Harvester-shaped, data/) from the bytes
   the API returns: only the fields the parsers read (tui/cluster/decoding.py, msgspec) into the
   domain's parse_* functions (livemig's path), orjson and json.loads into the same, the kubernetes client's own deserialisation (plain dicts for custom objects, typed models
   such as V1PodList for built-in kinds), and decoding alone.
2. Time to the first full store over the simulated API server: a ClusterSession listing 10,000 VMs,
   10,000 VMIs and 10,000 launcher pods in pages of 500.
3. Memory the store holds for those objects (tracemalloc), and the peak while decoding a page.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import orjson
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tui.cluster.decoding import decode_page  # noqa: E402
from tui.cluster.session import ClusterSession, ConnectOptions  # noqa: E402
from tui.cluster.store import Store  # noqa: E402
from tui.domain.kinds import KIND_BY_NAME  # noqa: E402
from tui.domain.objects import parse_pod, parse_vm, parse_vmi  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
NODES = 50


def generated(count: int) -> dict[str, list[dict]]:
    """`count` VMs, their VMIs and launcher pods, copies of the captured ones with their own names and nodes."""
    vm_template = yaml.safe_load((DATA / "harvester-vm.yaml").read_text())
    vmi_template = yaml.safe_load((DATA / "harvester-vmi.yaml").read_text())
    pod_template = yaml.safe_load((DATA / "virt-launcher-pod.yaml").read_text())
    kinds: dict[str, list[dict]] = {"vms": [], "vmis": [], "pods": []}
    for index in range(count):
        name, node = f"vm-{index:05d}", f"harv{index % NODES:02d}"
        vm = copy.deepcopy(vm_template)
        vm["metadata"].update(name=name, namespace="default", resourceVersion=str(3 * index + 1))
        vm["metadata"].pop("uid", None)
        vmi = copy.deepcopy(vmi_template)
        vmi["metadata"].update(name=name, namespace="default", resourceVersion=str(3 * index + 2))
        vmi["metadata"].pop("uid", None)
        vmi["metadata"]["labels"].update({"harvesterhci.io/vmName": name, "kubevirt.io/nodeName": node})
        vmi["status"]["nodeName"] = node
        pod = copy.deepcopy(pod_template)
        pod["metadata"].update(
            name=f"virt-launcher-{name}-abcde", namespace="default", resourceVersion=str(3 * index + 3)
        )
        pod["metadata"].pop("uid", None)
        pod["metadata"]["annotations"]["kubevirt.io/domain"] = name
        pod["spec"]["nodeName"] = node
        kinds["vms"].append(vm)
        kinds["vmis"].append(vmi)
        kinds["pods"].append(pod)
    return kinds


def list_body(kind: str, items: list[dict]) -> bytes:
    api = {
        "vms": ("kubevirt.io/v1", "VirtualMachineList"),
        "vmis": ("kubevirt.io/v1", "VirtualMachineInstanceList"),
        "pods": ("v1", "PodList"),
    }[kind]
    if kind == "pods":  # built-in items come without kind and apiVersion in a list
        items = [{k: v for k, v in item.items() if k not in ("kind", "apiVersion")} for item in items]
    return orjson.dumps(
        {"apiVersion": api[0], "kind": api[1], "metadata": {"resourceVersion": "99999"}, "items": items}
    )


def timed(function: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class _Response:
    """What the client's deserialize() reads: .data and headers."""

    def __init__(self, data: bytes) -> None:
        self.data = data


def bench_decoding(kinds: dict[str, list[dict]], repeat: int) -> None:
    from kubernetes.client import ApiClient

    client = ApiClient()
    parsers = {"vms": parse_vm, "vmis": parse_vmi, "pods": parse_pod}
    typed = {"pods": "V1PodList"}
    print(f"1. Decoding {len(kinds['vms']):,} objects of each kind (median of {repeat})")
    print(
        f"   {'kind':<6}{'MB':>7}{'orjson':>9}{'json':>8}{'pruned':>8}{'pruned+parse_*':>16}{'orjson+parse_*':>16}"
        f"{'json+parse_*':>14}{'client dicts':>14}{'client typed':>14}"
    )
    for kind, items in kinds.items():
        body = list_body(kind, items)
        parse = parsers[kind]
        spec = KIND_BY_NAME[kind]
        decode_only = timed(lambda: orjson.loads(body), repeat)
        json_only = timed(lambda: json.loads(body), repeat)
        pruned_only = timed(lambda: decode_page(spec, body), repeat)
        pruned = timed(lambda: [parse(item) for item in decode_page(spec, body)["items"]], repeat)
        chosen = timed(lambda: [parse(item) for item in orjson.loads(body)["items"]], repeat)
        stdlib = timed(lambda: [parse(item) for item in json.loads(body)["items"]], repeat)
        text = body.decode()
        dicts = timed(
            lambda: [parse(item) for item in client.deserialize(text, "object", "application/json")["items"]], repeat
        )
        typed_time = "-"
        if kind in typed:
            typed_time = f"{timed(lambda: client.deserialize(text, typed[kind], 'application/json'), 1):.2f} s"
        print(
            f"   {kind:<6}{len(body) / 1e6:>7.1f}{decode_only:>8.2f}s{json_only:>7.2f}s{pruned_only:>7.2f}s{pruned:>15.2f}s"
            f"{chosen:>15.2f}s{stdlib:>13.2f}s"
            f"{dicts:>13.2f}s{typed_time:>14}"
        )


def bench_memory(kinds: dict[str, list[dict]]) -> None:
    parsers = {"vms": parse_vm, "vmis": parse_vmi, "pods": parse_pod}
    bodies = {kind: list_body(kind, items) for kind, items in kinds.items()}
    gc.collect()
    tracemalloc.start()
    store = Store()
    before = tracemalloc.get_traced_memory()[0]
    peak_page = 0
    for kind, body in bodies.items():
        parsed = []
        for start in range(0, len(kinds[kind]), 500):  # as pages of 500 arrive
            page = orjson.dumps({"items": kinds[kind][start : start + 500]})
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            parsed.extend(parsers[kind](item) for item in decode_page(KIND_BY_NAME[kind], page)["items"])
            peak_page = max(peak_page, tracemalloc.get_traced_memory()[1] - base)
        store.replace(kind, parsed)
        del parsed
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    snapshot_started = time.perf_counter()
    store.snapshot()
    snapshot_time = time.perf_counter() - snapshot_started
    with_snapshot = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    count = len(kinds["vms"])
    raw = sum(len(body) for body in bodies.values())
    print(f"3. Memory of the store ({count:,} VMs + VMIs + launcher pods; {raw / 1e6:.0f} MB of JSON on the wire)")
    print(f"   held by the store:             {held / 1e6:7.1f} MB ({held / (3 * count):,.0f} B per object)")
    print(
        f"   with its first snapshot:       {with_snapshot / 1e6:7.1f} MB (snapshot built in {snapshot_time * 1000:.0f} ms)"
    )
    print(f"   peak while decoding one page:  {peak_page / 1e6:7.1f} MB")
    store.close()


def bench_first_store(kinds: dict[str, list[dict]], repeat: int) -> None:
    from tui.sim.runtime import SimCluster
    from tui.sim.scenario import Scenario

    node_template = {"apiVersion": "v1", "kind": "Node", "metadata": {"labels": {"kubevirt.io/schedulable": "true"}}}
    nodes = []
    for index in range(NODES):
        node = copy.deepcopy(node_template)
        node["metadata"]["name"] = f"harv{index:02d}"
        nodes.append(node)
    objects = nodes + [
        {k: v for k, v in obj.items() if k != "status" or kind != "pods"}
        | {"kind": obj.get("kind", "Pod"), "apiVersion": obj.get("apiVersion", "v1")}
        for kind in ("vms", "vmis", "pods")
        for obj in kinds[kind]
    ]
    for obj in objects:
        obj["metadata"].pop("resourceVersion", None)
        obj["metadata"].pop("ownerReferences", None)
    count = len(kinds["vms"])
    with SimCluster.start(Scenario(name="bench", objects=tuple(objects)), manual_clock=True, installers=[]) as cluster:
        directory = Path(tempfile.mkdtemp())
        kubeconfig = cluster.write_kubeconfig(directory / "config")
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            session = ClusterSession.connect(ConnectOptions(kubeconfig=str(kubeconfig), all_namespaces=True))
            connected = time.perf_counter()
            session.start()
            session.wait_until_synced(600)
            synced = time.perf_counter()
            assert len(session.store.snapshot().vms) == count
            session.stop()
            times.append((connected - started, synced - started))
        connect_time = statistics.median(t[0] for t in times)
        full = statistics.median(t[1] for t in times)
    print(
        f"2. First full store over the simulated API server ({count:,} VMs + VMIs + launcher pods, pages of 500; median of {repeat})"
    )
    print(f"   connect and check:  {connect_time:6.2f} s")
    print(f"   every kind listed:  {full:6.2f} s (nine reflectors in parallel threads)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-sim", action="store_true", help="skip the benchmark over the simulated API server")
    args = parser.parse_args()
    kinds = generated(args.objects)
    bench_decoding(kinds, args.repeat)
    if not args.skip_sim:
        bench_first_store(kinds, args.repeat)
    bench_memory(kinds)


if __name__ == "__main__":
    main()
