"""The VM details: every node's verdict, and every reason of the highlighted node, at 80x24 as at 120x40."""

from __future__ import annotations

from tests.ui.harness import (
    cursor_to,
    make_app,
    screen_text,
    select_vm,
    step_until,
    typed,
    until,
    widget_text,
)
from tui.screens.vm_detail import VMDetailScreen

# harvester-witness cannot take analytics-etl for seven reasons; the first and the last:
FIRST = "Witness: Node is a Harvester witness node"
LAST = "devices.kubevirt.io/vhost-net (1)."


async def open_witness(pilot) -> None:
    await select_vm(pilot, "analytics-etl")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, VMDetailScreen))
    await cursor_to(pilot, "harvester-witness", "detail-nodes")


async def test_at_80x24_tab_reaches_the_reasons_that_do_not_fit_and_scrolls_them(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_witness(pilot)
        assert FIRST in screen_text(app) and LAST not in screen_text(app)
        await pilot.press("tab")
        assert app.focused is app.screen.query_one("#detail-node-scroll")
        await pilot.press("end")
        await until(pilot, lambda: LAST in screen_text(app), what="the last reason scrolled into view")


async def test_at_120x40_every_reason_is_shown_under_the_table(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_witness(pilot)
        text = screen_text(app)
        for code in ("Witness", "KubevirtNotSchedulable", "NodeSelector", "Network", "Taint", "CPUModel", "Resources"):
            assert f"• {code}: " in text
        assert LAST in text


async def test_tab_is_offered_in_the_footer(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_witness(pilot)
        assert "tab Reasons" in screen_text(app).splitlines()[-1]


async def test_a_stalled_migration_is_signed_in_the_summary(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "kafka-broker-2")
        assert app.start_migration("default/kafka-broker-2", None)
        await step_until(
            pilot,
            cluster,
            lambda: (v := app.live.ledger.running_for_vm("default/kafka-broker-2")) is not None and v.stalled,
        )
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, VMDetailScreen))
        await until(pilot, lambda: "⚠ no progress for" in widget_text(app, "#detail-summary"))
        assert "before KubeVirt's timeout" in widget_text(app, "#detail-summary")


async def test_downs_typed_together_scroll_the_reasons_one_line_each(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_witness(pilot)
        await pilot.press("tab")
        await typed(pilot, "down", "down", "down")
        assert app.screen.query_one("#detail-node-scroll").scroll_y == 3


async def test_another_nodes_reasons_start_from_their_first_line(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_witness(pilot)
        await pilot.press("tab", "end", "tab", "up")
        await until(pilot, lambda: "harvester-node-6 cannot take it:" in screen_text(app))
        assert app.screen.query_one("#detail-node-scroll").scroll_y == 0


async def test_a_node_that_can_take_the_vm_names_the_rules_livemig_does_not_check(cluster, admin):
    anti_affinity = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "etl"}}, "topologyKey": "kubernetes.io/hostname"}
            ]
        }
    }
    cluster.store.patch("virtualmachineinstances", "default", "analytics-etl", {"spec": {"affinity": anti_affinity}})
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm(pilot, "analytics-etl")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, VMDetailScreen))
        await cursor_to(pilot, "harvester-node-3", "detail-nodes")
        await until(pilot, lambda: "harvester-node-3 can take it" in widget_text(app, "#detail-node"))
        shown = " ".join(widget_text(app, "#detail-node").split())
        assert "? The VM's required pod anti-affinity (spec.affinity.podAntiAffinity) is not checked" in shown
