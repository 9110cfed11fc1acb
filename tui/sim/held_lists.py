"""Lists held back: `hold-lists resources=virtualmachineinstances,pods` keeps every list of those
resources waiting (watches and the other verbs answer as usual) until `release-lists`, so a client can
be seen while some kinds are listed and others are not yet.

    livemig-sim fault hold-lists resources=virtualmachineinstances
    livemig-sim fault release-lists                   # every held resource; or resources=...
"""

from __future__ import annotations

import asyncio
import threading

from tui.sim.faults import FaultBoard, FaultError

POLL_SECONDS = 0.01


def _resources(params: dict, required: bool) -> set[str]:
    """The plural resource names of the `resources` parameter (comma-separated)."""
    value = params.get("resources", "")
    if not isinstance(value, str):
        raise FaultError('parameter "resources" must be plural resource names separated by commas')
    names = {name.strip() for name in value.split(",") if name.strip()}
    if required and not names:
        raise FaultError('parameter "resources" is required, e.g. resources=virtualmachineinstances,pods')
    return names


class HeldLists:
    """Which resources' lists wait, consulted by the API server before it answers a list."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[str] = set()

    @classmethod
    def install(cls, faults: FaultBoard) -> HeldLists:
        """A new one, with its faults `hold-lists` and `release-lists` registered on `faults`."""
        held = cls()
        faults.register("hold-lists", held.hold)
        faults.register("release-lists", held.release)
        return held

    def hold(self, params: dict) -> dict:
        names = _resources(params, required=True)
        with self._lock:
            self._held |= names
            return {"heldLists": sorted(self._held)}

    def release(self, params: dict) -> dict:
        names = _resources(params, required=False)
        with self._lock:
            self._held = self._held - names if names else set()
            return {"heldLists": sorted(self._held)}

    def held(self, plural: str) -> bool:
        with self._lock:
            return plural in self._held

    async def wait(self, plural: str) -> None:
        """Return once lists of `plural` are no longer held (at once when they are not)."""
        while self.held(plural):
            await asyncio.sleep(POLL_SECONDS)
