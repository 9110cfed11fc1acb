"""The Nodes screen and an evacuation plan in the demo scenario, set up as an operator gets there, with
time frozen (shared by the snapshot tests, as tests/ui/scenes.py is)."""

from __future__ import annotations

from textual.pilot import Pilot

from tests.ui.harness import cursor_to, until
from tests.ui.scenes import Scene, caught_up
from tui.sim.runtime import SimCluster


async def nodes(pilot: Pilot, cluster: SimCluster) -> None:
    await caught_up(pilot, cluster)
    await pilot.press("N")
    await until(pilot, lambda: pilot.app.screen.id == "nodes")
    await cursor_to(pilot, "harvester-node-3", "nodes-table")
    await caught_up(pilot, cluster)


async def evacuation_plan(pilot: Pilot, cluster: SimCluster) -> None:
    await nodes(pilot, cluster)
    await pilot.press("e")
    await until(pilot, lambda: pilot.app.screen.id == "evacuation-plan")
    await caught_up(pilot, cluster)


async def evacuation_question(pilot: Pilot, cluster: SimCluster) -> None:
    await evacuation_plan(pilot, cluster)
    await pilot.press("enter")
    await until(pilot, lambda: pilot.app.screen.id == "confirm-evacuation")
    await caught_up(pilot, cluster)


EVACUATION_SCENES: dict[str, Scene] = {
    "nodes": nodes,
    "evacuation-plan": evacuation_plan,
    "evacuation-question": evacuation_question,
}
