"""The `churn` fault: VMI status changes at a fixed rate, the load a large cluster puts on its watchers.

    livemig-sim fault churn rate=500 seconds=20

On a real cluster virt-handler rewrites every VMI's status often (heartbeats, probes, guest-agent
data), so a client watching 10,000 VMIs sees a steady stream of MODIFIED events that change nothing
it shows. This fault makes that stream: `rate` changes per second for `seconds`, each touching the
Ready condition's `lastProbeTime` of one running VMI, the VMIs taken in a shuffled order (`seed`) so
that every part of a sorted list gets its share.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any, Callable

from tui.sim.clock import SimClock
from tui.sim.faults import FaultError, number_param
from tui.sim.status import ApiError
from tui.sim.store import ObjectStore, format_time


class StatusChurn:
    """One running churn: how many changes are due by now, and which VMI is next."""

    def __init__(
        self, store: ObjectStore, keys: list[tuple[str, str]], rate: float, seconds: float, started: datetime
    ) -> None:
        self.store = store
        self.keys = keys
        self.rate = rate
        self.seconds = seconds
        self.started = started
        self.done = 0
        self.finished = False

    def step(self, now: datetime) -> None:
        elapsed = min((now - self.started).total_seconds(), self.seconds)
        due = int(elapsed * self.rate)
        stamp = format_time(now)
        while self.done < due:
            namespace, name = self.keys[self.done % len(self.keys)]
            self.done += 1
            try:
                vmi = self.store.get("virtualmachineinstances", namespace, name)
            except ApiError:  # a VMI deleted meanwhile is simply skipped
                continue
            conditions = vmi.setdefault("status", {}).setdefault("conditions", [])
            ready = next((c for c in conditions if isinstance(c, dict) and c.get("type") == "Ready"), None)
            if ready is None:
                ready = {"type": "Ready", "status": "True"}
                conditions.append(ready)
            ready["lastProbeTime"] = stamp
            self.store.update_status("virtualmachineinstances", vmi)
        if elapsed >= self.seconds:
            self.finished = True


def register_churn(register: Callable[[str, Callable[[dict], Any]], None], store: ObjectStore, clock: SimClock) -> None:
    """Add `churn` to the cluster's faults."""

    def churn(params: dict) -> dict:
        unknown = set(params) - {"rate", "seconds", "seed"}
        if unknown:
            raise FaultError(f'unknown parameter "{sorted(unknown)[0]}": churn takes rate, seconds and seed')
        rate = number_param(params, "rate", default=500, minimum=1)
        seconds = number_param(params, "seconds", default=20, minimum=0)
        seed = int(number_param(params, "seed", default=0, minimum=0))
        keys = [
            (vmi["metadata"].get("namespace", ""), vmi["metadata"]["name"])
            for vmi in store.list("virtualmachineinstances")
            if vmi.get("status", {}).get("phase") == "Running"
        ]
        if not keys:
            raise FaultError("no running VMI to change", code=409)
        random.Random(seed).shuffle(keys)
        running = StatusChurn(store, keys, rate, seconds, clock.now())

        def tick(now: datetime) -> None:
            running.step(now)
            if running.finished:
                remove()

        remove = clock.on_tick(tick)
        return {"rate": rate, "seconds": seconds, "vmis": len(keys)}

    register("churn", churn)
