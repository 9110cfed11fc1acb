"""Benchmark of the terminal UI at 10,000 VMs (run by hand; measures, asserts nothing about speed).

    python tests/benchmarks/bench_ui.py [--vms 10000] [--size 120x40] [--repeat 5]

Starts the generated `large` scenario in-process (manual clock), connects a session, and times, inside
a headless app:

1. the first full view: a summary for every VM, the migration ledger, sorting (`_apply(full=True)`);
2. showing the list: filter, sort and rows handed to the table (`show_view`);
3. painting the screen: every visible line of every widget (the compositor's full render);
4. a batch that touches one VM (what a live update costs);
5. scrolling one page down and painting again;
6. re-sorting by another column;
7. filtering by a word;
8. a full collection of the cycle collector (the app freezes the first lists out of its sight, as
   `livemig` does).

The simulated cluster runs in the same process, so its objects count here too.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import tui.sim.controller  # noqa: E402,F401
from tests.ui.harness import THEME, connect_as  # noqa: E402
from tui.app import LivemigApp  # noqa: E402
from tui.sim.runtime import SimCluster  # noqa: E402


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def line(label: str, times: list[float], note: str = "") -> None:
    print(f"{label:<48} median {statistics.median(times):9.1f} ms   best {min(times):9.1f} ms  {note}")


async def run(vms: int, size: tuple[int, int], repeat: int) -> None:
    started = time.perf_counter()
    cluster = SimCluster.start("large", vms=vms, manual_clock=True)
    print(f"simulated cluster with {vms} VMs started in {time.perf_counter() - started:.2f} s")
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        session = connect_as(cluster, Path(directory), namespace=None, all_namespaces=True)
        print(f"session connected and every kind listed in {time.perf_counter() - started:.2f} s")
        try:
            app = LivemigApp(session, theme=THEME, environ={}, freeze_first_lists=True)
            async with app.run_test(size=size) as pilot:
                await pilot.pause(0.5)
                screen = app.screen
                table = screen.query_one("#vm-table")
                print(f"{len(app.live.vm_list)} VMs in the list, {len(table.rows)} rows, terminal {size[0]}x{size[1]}")
                line("first full view (summaries, ledger, sort)", timed(lambda: app._apply(full=True), repeat))
                line("show the list (filter, sort, set rows)", timed(screen.show_view, repeat))

                def paint() -> None:
                    table.refresh()
                    screen._compositor.render_strips()

                before = table.paint_count
                line(
                    "paint the whole screen",
                    timed(paint, repeat),
                    f"({(table.paint_count - before) // repeat} table rows painted each)",
                )
                key = next(iter(app.live.snapshot.vms))

                def one_vm() -> None:
                    app._apply(changed={"vms": {key}})
                    screen.show_view()

                line("a batch touching one VM, list shown again", timed(one_vm, repeat))

                def page() -> None:
                    table.action_page_down()
                    paint()

                line("page down and paint", timed(page, repeat))

                def resort() -> None:
                    screen.sort_by("node" if screen.sort_column != "node" else "name")

                line("sort by another column", timed(resort, repeat))

                def narrow() -> None:
                    screen.filter_text = "vm-01"
                    screen.show_view()
                    screen.filter_text = ""

                line("filter by a word", timed(narrow, repeat))
                line(
                    "a full collection (gc.collect)",
                    timed(gc.collect, repeat),
                    f"({len(gc.get_objects())} objects tracked, {gc.get_freeze_count()} frozen)",
                )
        finally:
            session.stop()
            cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vms", type=int, default=10000)
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    columns, _, rows = args.size.partition("x")
    print(f"Python {sys.version.split()[0]}")
    asyncio.run(run(args.vms, (int(columns), int(rows)), args.repeat))


if __name__ == "__main__":
    main()
