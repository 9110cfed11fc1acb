"""Where the first lists' time and memory go: a ClusterSession against `livemig-sim serve --scenario large`
in a separate process (run by hand; asserts nothing).

    python tests/benchmarks/profile_listing.py [--vms 10000] [--runs 3]
    py-spy record -o /tmp/listing.svg -- python tests/benchmarks/profile_listing.py --runs 1

Per run it prints seconds from `start()` until each kind is listed (the first screen's kinds: VMs,
VMIs, nodes, the KubeVirt CR; then everything), the process's CPU seconds over that time, and its
peak and current resident memory (VmHWM, VmRSS) once everything is listed (the peak is the first
run's, since the process keeps it). The reflectors run in threads: profile with py-spy, as above.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import start_server  # noqa: E402

from tui.cluster.connection import SETTLED  # noqa: E402
from tui.cluster.session import ClusterSession, ConnectOptions  # noqa: E402

FIRST_SCREEN = ("vms", "vmis", "nodes", "kubevirts")


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def one_run(kubeconfig: Path) -> dict[str, float]:
    session = ClusterSession.connect(ConnectOptions(kubeconfig=str(kubeconfig), all_namespaces=True))
    cpu_before = time.process_time()
    started = time.perf_counter()
    session.start()
    listed_at: dict[str, float] = {}
    version = -1
    while True:
        states = session.store.states()
        now = time.perf_counter() - started
        for kind, state in states.items():
            if kind not in listed_at and state.status in SETTLED:
                listed_at[kind] = now
        if len(listed_at) == len(states):
            break
        version = session.store.wait_for_change(version, 0.05)
    cpu = time.process_time() - cpu_before
    first_screen = max(listed_at[kind] for kind in FIRST_SCREEN)
    session.store.snapshot()
    gc.collect()
    figures = {
        "first_screen_kinds_s": first_screen,
        "all_kinds_s": max(listed_at.values()),
        "cpu_s": cpu,
        "hwm_mb": _status_kb("VmHWM") / 1024,
        "rss_mb": _status_kb("VmRSS") / 1024,
        **{f"{kind}_s": at for kind, at in listed_at.items()},
    }
    session.stop()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        server = start_server("large", arguments.vms, Path(directory))
        try:
            runs = []
            for _ in range(arguments.runs):
                figures = one_run(server.kubeconfig)
                runs.append(figures)
                print(" ".join(f"{key}={value:.2f}" for key, value in figures.items()), flush=True)
        finally:
            server.stop()
    print("median:", {key: round(statistics.median(run[key] for run in runs), 2) for key in runs[0]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
