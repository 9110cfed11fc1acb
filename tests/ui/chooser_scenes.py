"""The context chooser and the CPU-model confirmation in the demo scenario, set up as an operator gets
there (shared by the snapshot tests and screenshots/generate.py, as tests/ui/scenes.py is)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.pilot import Pilot

from tests.ui.harness import until
from tests.ui.scenes import caught_up, vm_detail
from tui.screens.chooser import ChooserScreen
from tui.screens.confirm import ConfirmScreen
from tui.sim.runtime import SimCluster


async def context_chooser(pilot: Pilot, cluster: SimCluster) -> None:
    await caught_up(pilot, cluster)
    await pilot.press("K")
    await until(pilot, lambda: isinstance(pilot.app.screen, ChooserScreen))
    await pilot.pause(0.2)


async def cpu_model_confirmation(pilot: Pilot, cluster: SimCluster) -> None:
    await vm_detail(pilot, cluster)
    await caught_up(pilot, cluster)
    await pilot.press("c")
    await until(pilot, lambda: isinstance(pilot.app.screen, ChooserScreen))
    await pilot.press("end", "enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
    await pilot.pause(0.2)


CHOOSER_SCENES: dict[str, Callable[[Pilot, SimCluster], Awaitable[None]]] = {
    "context-chooser": context_chooser,
    "cpu-model-confirmation": cpu_model_confirmation,
}
