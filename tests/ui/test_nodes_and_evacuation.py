"""The Nodes screen and evacuating a node of the `default` scenario: the plan's words, the one
confirmation with the cordon, the movable VMs landing elsewhere, the batch's abort, and the gates."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.ui.harness import (
    connect_as,
    cursor_to,
    make_app,
    migrations_of,
    scenario,
    screen_text,
    settle,
    step_until,
    until,
    vmi_node,
    widget_text,
)
from tui.screens.commands import LivemigPalette
from tui.screens.evacuation import EvacuationPlanScreen, EvacuationQuestion
from tui.screens.evacuation_targets import EvacuationTargetsScreen
from tui.screens.migrations import MigrationsScreen
from tui.screens.nodes import NodesScreen
from tui.sim.access import AccessRule
from tui.sim.runtime import SimCluster
from tui.sim.scenario import UserSpec


def cordoned(cluster, node: str) -> bool:
    return bool(cluster.store.get("nodes", "", node).get("spec", {}).get("unschedulable"))


async def open_nodes(pilot, node: str) -> None:
    app = pilot.app
    await until(pilot, lambda: app.live.snapshot.nodes, what="the nodes listed")
    await pilot.press("N")
    await until(pilot, lambda: isinstance(app.screen, NodesScreen))
    await cursor_to(pilot, node, "nodes-table")


async def evacuate(pilot, node: str, *, keep_cordon: bool = True) -> None:
    app = pilot.app
    await open_nodes(pilot, node)
    await pilot.press("e")
    await until(pilot, lambda: isinstance(app.screen, EvacuationPlanScreen))
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, EvacuationQuestion))
    if not keep_cordon:
        await pilot.press("c")
    await pilot.press("y")


async def test_the_nodes_screen_shows_each_nodes_state_maintenance_and_vms(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_nodes(pilot, "harvester-node-5")
        rows = {row.key: row.cells for row in app.screen.query_one("#nodes-table").rows}
        assert rows["harvester-node-5"]["maintenance"] == "completed"
        assert rows["harvester-node-5"]["state"].plain == "cordoned"
        assert rows["harvester-node-3"]["vms"] == "3"  # dev-sandbox, jump-host, monitoring-01
        assert rows["harvester-node-6"]["state"].plain == "Unknown"
        assert "Nodes: 8, 7 ready, 2 cordoned" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, NodesScreen))


async def test_evacuating_a_node_moves_the_movable_vms_elsewhere_and_says_why_the_others_stay(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_nodes(pilot, "harvester-node-3")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EvacuationPlanScreen))
        plan = " ".join(widget_text(app, "#evacuation-body").split())
        assert plan.startswith("1 VM will move, 2 cannot.")
        assert "Only the VMs of namespace default are known here" in widget_text(app, "#evacuation-scope")
        assert (
            "✓ default/jump-host: the scheduler picks one of harvester-node-0, harvester-node-1, harvester-node-2"
            in plan
        )
        assert "✗ default/dev-sandbox: NotLiveMigratable: KubeVirt says the VM is not live-migratable" in plan
        assert "✗ default/monitoring-01: NoEligibleNode: No other node can take it" in plan
        assert (
            "A drain would evict it: the guest shuts down, and it stays stopped (runStrategy RerunOnFailure)." in plan
        )
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EvacuationQuestion))
        assert "Cordon harvester-node-3 first" in screen_text(app)
        await pilot.press("y")
        await until(pilot, lambda: migrations_of(cluster, "jump-host"), what="the migration on the server")
        assert migrations_of(cluster, "jump-host")[0]["spec"] == {"vmiName": "jump-host"}  # the scheduler decides
        assert cordoned(cluster, "harvester-node-3")
        await until(pilot, lambda: isinstance(app.screen, MigrationsScreen))
        await step_until(
            pilot,
            cluster,
            lambda: vmi_node(cluster, "jump-host") not in ("", "harvester-node-3"),
            what="jump-host landing elsewhere",
            stride=3,
        )
        assert vmi_node(cluster, "jump-host") in ("harvester-node-0", "harvester-node-1", "harvester-node-2")
        assert vmi_node(cluster, "dev-sandbox") == "harvester-node-3"  # it stays
        assert migrations_of(cluster, "dev-sandbox") == migrations_of(cluster, "monitoring-01") == []


async def test_the_cordon_can_be_left_out(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await evacuate(pilot, "harvester-node-0", keep_cordon=False)
        await until(
            pilot, lambda: len(migrations_of(cluster, "web-frontend-01") + migrations_of(cluster, "ci-runner-07")) == 2
        )
        await settle(pilot)
    assert not cordoned(cluster, "harvester-node-0")


async def test_one_key_aborts_the_batchs_migrations_not_yet_finished(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await evacuate(pilot, "harvester-node-0")
        await until(pilot, lambda: isinstance(app.screen, MigrationsScreen))
        await until(pilot, lambda: len(app.evacuations.unfinished("harvester-node-0", app.live.ledger)) == 2)
        await pilot.press("N")
        await until(pilot, lambda: isinstance(app.screen, NodesScreen))
        await cursor_to(pilot, "harvester-node-0", "nodes-table")
        await pilot.press("x")
        await until(pilot, lambda: "Abort the evacuation?" in screen_text(app))
        assert "2 migrations: default/ci-runner-07" in " ".join(screen_text(app).split())
        await pilot.press("y")
        await until(pilot, lambda: not app.evacuations.unfinished("harvester-node-0", app.live.ledger))
        await step_until(
            pilot,
            cluster,
            lambda: not migrations_of(cluster, "web-frontend-01") and not migrations_of(cluster, "ci-runner-07"),
            seconds=60,
            what="both migrations aborted and gone",
        )
        await step_until(pilot, cluster, lambda: vmi_node(cluster, "web-frontend-01") == "harvester-node-0", seconds=30)
    assert vmi_node(cluster, "ci-runner-07") == "harvester-node-0"


async def test_readonly_shows_the_plan_but_carries_nothing_out_and_dims_cordon_saying_why(cluster, tmp_path: Path):
    session = connect_as(cluster, tmp_path, readonly=True)
    try:
        app = make_app(session, readonly=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_nodes(pilot, "harvester-node-0")
            await pilot.press("c")
            await settle(pilot)
            assert isinstance(app.screen, NodesScreen)
            await until(pilot, lambda: [n for n in app._notifications if "read-only" in n.message])
            await pilot.press("e")
            await until(pilot, lambda: isinstance(app.screen, EvacuationPlanScreen))
            assert "read-only" in widget_text(app, "#evacuation-readonly")
            assert "2 VMs will move, 0 cannot." in widget_text(app, "#evacuation-body")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, NodesScreen))
    finally:
        session.stop()
    assert not cordoned(cluster, "harvester-node-0")
    assert migrations_of(cluster, "web-frontend-01") == []


async def test_a_user_who_may_not_patch_nodes_is_told_why_cordon_does_nothing(cluster, tmp_path: Path):
    session = connect_as(cluster, tmp_path, user="viewer")
    try:
        app = make_app(session)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_nodes(pilot, "harvester-node-0")
            await until(pilot, lambda: app.live.permission("cordon", "") is not None, what="the access review")
            await pilot.press("c")
            await until(pilot, lambda: [n for n in app._notifications if "patch nodes (cluster-wide)" in n.message])
    finally:
        session.stop()
    assert not cordoned(cluster, "harvester-node-0")


async def test_cordon_and_uncordon_from_the_nodes_screen(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_nodes(pilot, "harvester-node-2")
        await pilot.press("c")
        await until(pilot, lambda: cordoned(cluster, "harvester-node-2"))
        await until(pilot, lambda: app.live.snapshot.nodes["harvester-node-2"].unschedulable)
        await pilot.press("c")
        await until(pilot, lambda: not cordoned(cluster, "harvester-node-2"))


async def test_cluster_text_on_the_nodes_screen_is_shown_as_written(cluster, admin):
    cluster.store.patch(
        "nodes",
        None,
        "harvester-node-1",
        {"metadata": {"annotations": {"harvesterhci.io/maintain-status": "[b]x[/b]"}}},
    )
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(
            pilot,
            lambda: (
                app.live.snapshot.nodes.get("harvester-node-1") is not None
                and app.live.snapshot.nodes["harvester-node-1"].annotations.get("harvesterhci.io/maintain-status")
            ),
        )
        await open_nodes(pilot, "harvester-node-1")
        assert "[b]x[/b]" in screen_text(app)


async def test_who_may_migrate_but_not_cordon_is_asked_without_the_cordon_and_the_vms_still_move(tmp_path: Path):
    loaded = scenario("default")
    operator = UserSpec(
        "operator",
        rules=(
            AccessRule(verbs=("get", "list", "watch")),
            AccessRule(
                verbs=("create", "delete"), api_groups=("kubevirt.io",), resources=("virtualmachineinstancemigrations",)
            ),
        ),
    )
    users = (*loaded.simulation.users, operator)
    with SimCluster.start(
        replace(loaded, simulation=replace(loaded.simulation, users=users)), manual_clock=True, seed=7
    ) as cluster:
        session = connect_as(cluster, tmp_path, user="operator")
        try:
            app = make_app(session)
            async with app.run_test(size=(100, 30)) as pilot:
                await open_nodes(pilot, "harvester-node-0")
                await until(pilot, lambda: app.live.permission("cordon", "") is not None, what="the access review")
                await pilot.press("e")
                await until(pilot, lambda: isinstance(app.screen, EvacuationPlanScreen))
                await pilot.press("enter")
                await until(pilot, lambda: isinstance(app.screen, EvacuationQuestion))
                text = " ".join(screen_text(app).split())
                assert "Cordon not possible: you may not patch nodes (cluster-wide)" in text
                assert not app.screen.query("#evacuation-cordon")
                await pilot.press("y")
                await until(
                    pilot, lambda: migrations_of(cluster, "web-frontend-01") and migrations_of(cluster, "ci-runner-07")
                )
        finally:
            session.stop()
        assert not cordoned(cluster, "harvester-node-0")


async def test_the_vms_can_be_sent_onto_chosen_nodes_and_land_there_at_80x24(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_nodes(pilot, "harvester-node-0")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EvacuationPlanScreen))
        assert "t targets" in widget_text(app, "#evacuation-keys")
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, EvacuationTargetsScreen))
        text = screen_text(app)
        assert "harvester-node-1  can take 2 of 2 VMs" in text
        assert "harvester-node-2  can take 1 of 2 VMs" in text
        assert "space mark  ⏎ apply  s scheduler decides  esc cancel" in text
        await pilot.press("down", "space", "enter")  # harvester-node-2 only
        await until(pilot, lambda: isinstance(app.screen, EvacuationPlanScreen))
        plan = " ".join(widget_text(app, "#evacuation-body").split())
        assert plan.startswith("1 VM will move, 1 cannot.")
        assert "Onto harvester-node-2: each VM goes to the one of them that can take it" in plan
        assert "✓ default/web-frontend-01: to harvester-node-2" in plan
        assert "✗ default/ci-runner-07: NotOnChosenNodes: None of the chosen nodes (harvester-node-2)" in plan
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EvacuationQuestion))
        assert "1 VM; onto harvester-node-2" in " ".join(screen_text(app).split())
        await pilot.press("y")
        await until(pilot, lambda: migrations_of(cluster, "web-frontend-01"), what="the migration on the server")
        assert migrations_of(cluster, "web-frontend-01")[0]["spec"] == {
            "vmiName": "web-frontend-01",
            "addedNodeSelector": {"kubernetes.io/hostname": "harvester-node-2"},
        }
        await step_until(
            pilot,
            cluster,
            lambda: vmi_node(cluster, "web-frontend-01") == "harvester-node-2",
            what="web-frontend-01 landing on harvester-node-2",
            stride=3,
        )
        assert migrations_of(cluster, "ci-runner-07") == []  # no chosen node can take it: it stays
        assert vmi_node(cluster, "ci-runner-07") == "harvester-node-0"


async def test_the_targets_come_from_the_palette_too_and_choosing_none_again_lets_the_scheduler_decide(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_nodes(pilot, "harvester-node-0")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EvacuationPlanScreen))
        await pilot.press("ctrl+p")
        await until(pilot, lambda: LivemigPalette.is_open(app), what="the palette")
        await pilot.press(*"target nodes")
        await until(pilot, lambda: "Choose the target nodes for harvester-node-0" in screen_text(app))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EvacuationTargetsScreen))
        await pilot.press("space", "enter")
        await until(pilot, lambda: "Onto harvester-node-1" in widget_text(app, "#evacuation-body"))
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, EvacuationTargetsScreen))
        await pilot.press("s")
        await until(pilot, lambda: "Onto" not in widget_text(app, "#evacuation-body"))
        assert "the scheduler picks one of" in " ".join(widget_text(app, "#evacuation-body").split())


async def test_on_kubevirt_older_than_1_6_the_targets_key_says_only_the_scheduler_can_choose(tmp_path: Path):
    with SimCluster.start(scenario("old-kubevirt"), manual_clock=True, seed=7) as cluster:
        session = connect_as(cluster, tmp_path)
        try:
            app = make_app(session)
            async with app.run_test(size=(80, 24)) as pilot:
                await open_nodes(pilot, "harvester-node-0")
                await until(pilot, lambda: app.live.snapshot.kubevirt is not None, what="the KubeVirt CR")
                await pilot.press("e")
                await until(pilot, lambda: isinstance(app.screen, EvacuationPlanScreen))
                await pilot.press("t")
                await until(pilot, lambda: "older than 1.6" in widget_text(app, "#evacuation-targets-note"))
                note = " ".join(widget_text(app, "#evacuation-targets-note").split())
                assert note.endswith("Only the scheduler can choose the nodes.")
                assert isinstance(app.screen, EvacuationPlanScreen)
        finally:
            session.stop()
