"""Benchmark of the terminal UI's keys under churn (run by hand; measures, asserts nothing about speed).

    python tests/benchmarks/bench_ui_churn.py [--vms 5000] [--rate 17] [--keys 60] [--headless]

A simulated cluster of `--vms` VMs (the generated `large` scenario) runs in its own process
(`livemig-sim serve`), as a real API server would; a second process changes `--rate` VMIs a second
over HTTP (a merge patch of an annotation: each is a watch event livemig receives and applies as any
status change). Then a cursor key (down, then up) about every 0.3 s, and for each the time from the
key to the screen showing where it put the cursor (key-to-repaint): p50, p95 and max, and the CPU
livemig used (every thread: the watches, the store, the UI) as a share of one core.

By default livemig runs as an operator runs it, in a real terminal (tmux, 80x24): keys are sent with
`tmux send-keys` and the pane is read with `capture-pane` until the line under the list names the VM
the cursor moved to (the pane is polled, so a figure includes a few ms of polling). `--headless` runs
the app in this process instead (Textual's headless driver) and times each key from its arrival to
the first screen update showing the cursor moved and the line under the list naming its VM.

On a machine shared with other work, `taskset -c 0 python tests/benchmarks/bench_ui_churn.py` puts the
simulated cluster, the churn and livemig on one core: the contention under which keys were slow.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import re
import resource
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from textual import events  # noqa: E402

from tests.ui.harness import THEME  # noqa: E402


def _admin(kubeconfig: Path) -> tuple[str, str, ssl.SSLContext]:
    config = yaml.safe_load(kubeconfig.read_text())
    context = next(c["context"] for c in config["contexts"] if c["name"] == "sim-admin")
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    tls = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    return cluster["server"], user["token"], tls


def churn(kubeconfig: Path, rate: float) -> None:
    """Change `rate` VMIs a second until killed (an annotation each: one MODIFIED watch event)."""
    server, token, tls = _admin(kubeconfig)
    headers = {"Authorization": f"Bearer {token}"}
    request = urllib.request.Request(f"{server}/apis/kubevirt.io/v1/virtualmachineinstances", headers=headers)
    with urllib.request.urlopen(request, context=tls) as answer:
        vmis = [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in json.load(answer)["items"]]
    print(f"churn: {len(vmis)} VMIs, {rate} changes a second", flush=True)
    interval, tick, count = 1.0 / rate, time.monotonic(), 0
    while True:
        namespace, name = random.choice(vmis)
        count += 1
        body = json.dumps({"metadata": {"annotations": {"bench.livemig.io/tick": str(count)}}}).encode()
        patch = urllib.request.Request(
            f"{server}/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances/{name}",
            data=body,
            method="PATCH",
            headers={**headers, "Content-Type": "application/merge-patch+json"},
        )
        with urllib.request.urlopen(patch, context=tls) as answer:
            answer.read()
        tick += interval
        time.sleep(max(tick - time.monotonic(), 0.0))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(kubeconfig: Path, keys: int, size: tuple[int, int], settle: float) -> None:
    from tui.app import LivemigApp
    from tui.cluster.session import ClusterSession, ConnectOptions

    started = time.perf_counter()
    session = ClusterSession.connect(
        ConnectOptions(kubeconfig=str(kubeconfig), context="sim-admin", all_namespaces=True)
    )
    session.start()
    session.wait_until_synced(120)
    print(f"session listed every kind in {time.perf_counter() - started:.1f} s")
    app = LivemigApp(session, theme=THEME, environ={}, freeze_first_lists=True)
    shown: list[tuple[float, str | None]] = []
    try:
        async with app.run_test(size=size) as pilot:
            table = app.screen.query_one("#vm-table")
            info = app.screen.query_one("#vm-info")
            original = app._display

            def display(screen, renderable) -> None:  # every screen update, after the compositor's work
                original(screen, renderable)
                if renderable is not None:
                    # The cursor's row, once the line under the list speaks of it too (as in the terminal).
                    said = str(getattr(info.render(), "plain", ""))
                    key = table.cursor_key
                    shown.append((time.perf_counter(), key if key and said.startswith(key) else None))

            app._display = display  # type: ignore[method-assign]
            while len(app.live.vm_list) == 0:
                await pilot.pause(0.1)
            await pilot.pause(settle)
            first, second = table.rows[0].key, table.rows[1].key
            print(
                f"{len(app.live.vm_list)} VMs in the list; terminal {size[0]}x{size[1]}; churn running {settle:.0f} s"
            )
            driver = app._driver
            assert driver is not None
            latencies: list[float] = []
            missed = 0
            done = threading.Event()

            def typist() -> None:
                nonlocal missed
                for index in range(keys):
                    name, expected = ("down", second) if index % 2 == 0 else ("up", first)
                    time.sleep(0.2 + random.random() * 0.2)
                    count = len(shown)
                    sent = time.perf_counter()
                    event = events.Key(name, None)
                    event.set_sender(app)
                    driver.send_message(event)
                    end = sent + 10.0
                    while time.perf_counter() < end:
                        seen = next((t for t, key in shown[count:] if key == expected), None)
                        if seen is not None:
                            latencies.append((seen - sent) * 1000)
                            break
                        time.sleep(0.002)
                    else:
                        missed += 1
                done.set()

            cpu, wall = cpu_seconds(), time.perf_counter()
            thread = threading.Thread(target=typist, daemon=True)
            thread.start()
            while not done.is_set():
                await pilot.pause(0.1)
            cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
            report(latencies, missed, cpu, wall, f" ({len(shown) / wall:.1f} screen updates a second)")
    finally:
        session.stop()


KEYS = ["Down", "Up"]  # tmux key names


def _cpu_of(pid: int) -> float:
    """CPU seconds process `pid` used so far (user and system, every thread)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def in_terminal(kubeconfig: Path, keys: int, size: tuple[int, int], settle: float) -> None:
    tmux = shutil.which("tmux")
    if tmux is None:
        sys.exit("tmux is not installed: use --headless")
    socket = f"livemig-bench-{os.getpid()}"
    livemig = Path(sys.executable).with_name("livemig")
    command = f"KUBECONFIG={kubeconfig} exec {livemig} --context sim-admin -A"

    def run(*args: str) -> str:
        return subprocess.run([tmux, "-L", socket, *args], capture_output=True, text=True, timeout=20).stdout

    def info_line() -> str:
        return next(
            (line for line in run("capture-pane", "-p", "-t", "bench").splitlines() if line.startswith(" team-")), ""
        )

    run("new-session", "-d", "-s", "bench", "-x", str(size[0]), "-y", str(size[1]), command)
    pid = int(run("display", "-p", "-t", "bench", "#{pane_pid}").strip())
    try:
        end = time.monotonic() + 120
        while "vm-00000 " not in info_line():
            if time.monotonic() > end:
                sys.exit("livemig did not show the list within 120 s:\n" + run("capture-pane", "-p", "-t", "bench"))
            time.sleep(0.2)
        time.sleep(settle)
        print(f"livemig in tmux {size[0]}x{size[1]}; churn running {settle:.0f} s")
        latencies: list[float] = []
        missed = 0
        cpu, wall = _cpu_of(pid), time.perf_counter()
        for index in range(keys):
            name, expected = (KEYS[0], "vm-00001 ") if index % 2 == 0 else (KEYS[1], "vm-00000 ")
            time.sleep(0.2 + random.random() * 0.2)
            sent = time.perf_counter()
            run("send-keys", "-t", "bench", name)
            while expected not in info_line():
                if time.perf_counter() - sent > 10:
                    missed += 1
                    break
            else:
                latencies.append((time.perf_counter() - sent) * 1000)
        cpu, wall = _cpu_of(pid) - cpu, time.perf_counter() - wall
        report(latencies, missed, cpu, wall)
    finally:
        run("kill-server")
        end = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and time.monotonic() < end:
            time.sleep(0.2)
        if Path(f"/proc/{pid}").exists():  # it did not end with its terminal: say so, and end it
            print(f"livemig (pid {pid}) was still running 10 s after its terminal went away; killed")
            os.kill(pid, 9)


def report(latencies: list[float], missed: int, cpu: float, wall: float, extra: str = "") -> None:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    print(
        f"key-to-repaint over {len(latencies)} keys: p50 {statistics.median(ordered):.0f} ms, "
        f"p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms" + (f"; {missed} keys not shown within 10 s" if missed else "")
    )
    print(f"CPU: {100 * cpu / wall:.0f} % of one core over {wall:.1f} s{extra}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vms", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=17.0, help="VMI changes a second")
    parser.add_argument("--keys", type=int, default=60)
    parser.add_argument("--size", default="80x24")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds of churn before the first key")
    parser.add_argument("--headless", action="store_true", help="run the app in this process, not in tmux")
    parser.add_argument("--letters", action="store_true", help="j and k instead of the arrow keys (no escape sequence)")
    parser.add_argument("--churn", type=Path, default=None, help=argparse.SUPPRESS)  # the churn process itself
    args = parser.parse_args()
    if args.churn is not None:
        churn(args.churn, args.rate)
        return
    if args.letters:
        KEYS[:] = ["j", "k"]
    columns, _, rows = args.size.partition("x")
    print(f"Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as directory:
        kubeconfig = Path(directory) / "kubeconfig"
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("livemig-sim")),
                "serve",
                "--scenario",
                "large",
                "--vms",
                str(args.vms),
                "--kubeconfig-out",
                str(kubeconfig),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        churner = None
        try:
            assert server.stdout is not None
            for text in server.stdout:
                if re.search(r"kubeconfig ", text):
                    break
            print(f"simulated cluster of {args.vms} VMs serving")
            churner = subprocess.Popen(
                [sys.executable, __file__, "--churn", str(kubeconfig), "--rate", str(args.rate)], cwd=ROOT
            )
            size = (int(columns), int(rows))
            if args.headless:
                asyncio.run(measure(kubeconfig, args.keys, size, args.settle))
            else:
                in_terminal(kubeconfig, args.keys, size, args.settle)
        finally:
            for process in (churner, server):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=20)


if __name__ == "__main__":
    main()
