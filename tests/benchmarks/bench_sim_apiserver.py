"""Benchmark of the simulated API server (run by hand; measures, asserts nothing about speed).

    python tests/benchmarks/bench_sim_apiserver.py [--objects 10000] [--rate 1000] [--seconds 10] [--watchers 10]

1. Listing: 10,000 VirtualMachines and 10,000 VirtualMachineInstances shaped like Harvester's (data/),
   in pages of 500, as raw bytes, and through the kubernetes client with `_preload_content=False` plus
   orjson (how livemig lists), and once as kubectl's server-side Table.
2. Fan-out: changes at 1,000 per second to 10 concurrent watches (in a separate process, so the
   readers do not share the server's interpreter); every watch must see every change, in order.
"""

from __future__ import annotations

import argparse
import copy
import multiprocessing
import statistics
import sys
import threading
import time
from pathlib import Path

import orjson
import urllib3
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tui.sim.runtime import SimCluster  # noqa: E402
from tui.sim.scenario import Scenario, Simulation  # noqa: E402
from tui.sim.tls import CERTIFICATE_PEM  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
PAGE = 500


def harvester_objects(count: int) -> list[dict]:
    """`count` VMs and their running VMIs, copies of the captured ones with their own names and nodes."""
    vm_template = yaml.safe_load((DATA / "harvester-vm.yaml").read_text())
    vmi_template = yaml.safe_load((DATA / "harvester-vmi.yaml").read_text())
    objects: list[dict] = []
    for index in range(count):
        name = f"vm-{index:05d}"
        node = f"harv{index % 50:02d}"
        vm = copy.deepcopy(vm_template)
        vm["metadata"].update(name=name, namespace="default")
        vm["metadata"].pop("uid", None)
        vmi = copy.deepcopy(vmi_template)
        vmi["metadata"].update(name=name, namespace="default")
        vmi["metadata"].pop("uid", None)
        vmi["metadata"]["labels"].update({"harvesterhci.io/vmName": name, "kubevirt.io/nodeName": node})
        vmi["status"]["nodeName"] = node
        objects += [vm, vmi]
    return objects


def pool() -> urllib3.PoolManager:
    return urllib3.PoolManager(maxsize=16, ca_cert_data=CERTIFICATE_PEM, cert_reqs="CERT_REQUIRED", retries=False)


def list_all(http: urllib3.PoolManager, url: str, token: str, accept: str = "application/json") -> tuple[int, int, int]:
    """(items, pages, bytes) of a full paged list."""
    items = pages = size = 0
    token_param = ""
    while True:
        response = http.request(
            "GET", f"{url}?limit={PAGE}{token_param}", headers={"Authorization": f"Bearer {token}", "Accept": accept}
        )
        body = orjson.loads(response.data)
        size += len(response.data)
        pages += 1
        items += len(body.get("items", body.get("rows", [])))
        following = body["metadata"].get("continue")
        if not following:
            return items, pages, size
        token_param = f"&continue={following}"


def bench_listing(cluster: SimCluster, count: int) -> None:
    http = pool()
    token = cluster.tokens["admin"]
    from kubernetes import client, config

    api = config.new_client_from_config_dict(cluster.kubeconfig())
    custom = client.CustomObjectsApi(api)
    for plural in ("virtualmachines", "virtualmachineinstances"):
        url = f"{cluster.url}/apis/kubevirt.io/v1/namespaces/default/{plural}"
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            items, pages, size = list_all(http, url, token)
            timings.append(time.perf_counter() - started)
        print(
            f"list {count} {plural} in {pages} pages of {PAGE} (raw HTTP + orjson): best {min(timings):.2f} s, "
            f"median {statistics.median(timings):.2f} s, {size / 1e6:.1f} MB, {items} items"
        )
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            following, seen = None, 0
            while True:
                raw = custom.list_namespaced_custom_object(
                    "kubevirt.io", "v1", "default", plural, limit=PAGE, _continue=following, _preload_content=False
                )
                body = orjson.loads(raw.data)
                seen += len(body["items"])
                following = body["metadata"].get("continue")
                if not following:
                    break
            timings.append(time.perf_counter() - started)
        print(
            f"list {count} {plural} with the kubernetes client (_preload_content=False + orjson): best {min(timings):.2f} s, "
            f"median {statistics.median(timings):.2f} s, {seen} items"
        )
        started = time.perf_counter()
        items, pages, size = list_all(
            http, url, token, accept="application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
        )
        print(f"list {count} {plural} as kubectl's Table: {time.perf_counter() - started:.2f} s, {size / 1e6:.1f} MB")
    api.close()


def _watcher_process(url: str, token: str, watchers: int, expected: int, ready, results) -> None:
    http = pool()
    received: list[list[int]] = [[] for _ in range(watchers)]
    latencies: list[list[float]] = [[] for _ in range(watchers)]

    def watch(index: int) -> None:
        response = http.request(
            "GET",
            f"{url}?watch=true&resourceVersion={ready['rv']}&timeoutSeconds=600",
            headers={"Authorization": f"Bearer {token}"},
            preload_content=False,
            timeout=urllib3.Timeout(connect=5, read=60),
        )
        buffer = b""
        for chunk in response.stream(65536):
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            now = time.time()
            for line in lines:
                event = orjson.loads(line)
                received[index].append(int(event["object"]["metadata"]["resourceVersion"]))
                sent = event["object"]["metadata"].get("annotations", {}).get("bench/sent")
                if sent:
                    latencies[index].append(now - float(sent))
            if len(received[index]) >= expected:
                break
        response.release_conn()

    threads = [threading.Thread(target=watch, args=(i,), daemon=True) for i in range(watchers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    results.put(
        (
            received,
            [statistics.median(times) if times else None for times in latencies],
            [max(times) if times else None for times in latencies],
        )
    )


def bench_fan_out(cluster: SimCluster, rate: int, seconds: float, watchers: int) -> None:
    expected = int(rate * seconds)
    names = [f"fan-{i:03d}" for i in range(100)]
    for name in names:
        cluster.store.create(
            "virtualmachineinstancemigrations", {"metadata": {"name": name}, "spec": {"vmiName": name}}, "default"
        )
    manager = multiprocessing.Manager()
    ready = manager.dict(rv=str(cluster.store.resource_version))
    results = manager.Queue()
    url = f"{cluster.url}/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstancemigrations"
    process = multiprocessing.Process(
        target=_watcher_process, args=(url, cluster.tokens["admin"], watchers, expected, ready, results)
    )
    process.start()
    deadline = time.time() + 30
    while len(cluster.server.hub.watches) < watchers and time.time() < deadline:
        time.sleep(0.05)
    produced: list[int] = []
    started = time.perf_counter()
    for index in range(expected):
        target = started + index / rate
        pause = target - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        name = names[index % len(names)]
        changed = cluster.store.patch(
            "virtualmachineinstancemigrations",
            "default",
            name,
            {
                "metadata": {"annotations": {"bench/sent": repr(time.time())}},
                "status": {"phase": "Running", "migrationState": {"dataProcessed": index}},
            },
            status=False,
        )
        produced.append(int(changed["metadata"]["resourceVersion"]))
    elapsed = time.perf_counter() - started
    received, medians, worst = results.get(timeout=180)
    process.join(timeout=30)
    complete = sum(1 for got in received if got == produced)
    print(
        f"fan-out: {expected} changes in {elapsed:.2f} s ({expected / elapsed:.0f}/s) to {watchers} watches: "
        f"{complete}/{watchers} saw every change in order; lost {sum(len(produced) - len(set(got) & set(produced)) for got in received)}"
    )
    lat = [m for m in medians if m is not None]
    if lat:
        print(
            f"fan-out latency from change to receipt: median {statistics.median(lat) * 1000:.1f} ms, worst {max(w for w in worst if w) * 1000:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10000)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--watchers", type=int, default=10)
    args = parser.parse_args()
    started = time.perf_counter()
    scenario = Scenario("bench", tuple(harvester_objects(args.objects)), Simulation(history_size=args.rate * 20))
    with SimCluster.start(scenario) as cluster:
        print(f"loaded {2 * args.objects} objects in {time.perf_counter() - started:.1f} s")
        bench_listing(cluster, args.objects)
        bench_fan_out(cluster, args.rate, args.seconds, args.watchers)


if __name__ == "__main__":
    main()
