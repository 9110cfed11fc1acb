"""The VM list: every VM live, filter, sort, and a cursor that stays on its VM while rows change."""

from __future__ import annotations

import re

from tests.ui.harness import (
    make_app,
    screen_text,
    select_vm,
    step_until,
    until,
    widget_text,
)
from tui.widgets.row_table import RowTable


def table(app) -> RowTable:
    return app.screen.query_one("#vm-table", RowTable)


def names(app) -> list[str]:
    return [row.key.partition("/")[2] for row in table(app).rows]


def plain(value) -> str:
    return getattr(value, "plain", value)


async def test_every_vm_is_listed_with_its_status_node_and_whether_it_can_move(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(table(app).rows) == 11)
        rows = {row.key: row.cells for row in table(app).rows}
        web = rows["default/web-frontend-01"]
        assert (plain(web["status"]), web["node"], plain(web["migratable"])) == ("Running", "harvester-node-0", "✓ yes")
        assert plain(rows["default/old-backup"]["status"]) == "Stopped"
        assert plain(rows["default/old-backup"]["migratable"]) == "✗ not running"
        assert plain(rows["default/win-installer"]["migratable"]) == "✗ CD-ROM"
        assert "11 VMs" in screen_text(app) and "8 nodes (7 ready)" in screen_text(app)


async def test_the_highlighted_vm_says_why_it_cannot_move(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "win-installer")
        assert "cannot migrate: CD-ROM" in widget_text(app, "#vm-info")


async def test_the_filter_keeps_vms_matching_name_namespace_node_or_status(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(table(app).rows) == 11)
        await pilot.press("slash", *"node-3")
        await until(pilot, lambda: names(app) == ["dev-sandbox", "jump-host", "monitoring-01"])
        assert "filter node-3 (3 shown)" in screen_text(app)
        await pilot.press("enter")
        assert app.focused is table(app)
        await pilot.press("escape")
        await until(pilot, lambda: len(names(app)) == 11)


async def test_filter_words_must_all_match(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(table(app).rows) == 11)
        await pilot.press("slash", *"stopped backup")
        await until(pilot, lambda: names(app) == ["old-backup"])


async def test_sort_cycles_through_the_columns_and_shift_s_reverses(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(table(app).rows) == 11)
        assert names(app) == sorted(names(app))
        await pilot.press("s", "s")  # status, node (one namespace: no Namespace column to sort by)
        await until(pilot, lambda: "sort Node ▲" in screen_text(app))
        nodes = [row.cells["node"] for row in table(app).rows]
        assert nodes == sorted(nodes, key=lambda n: (n == "-", n))
        await pilot.press("S")
        await until(pilot, lambda: "sort Node ▼" in screen_text(app))
        assert [row.cells["node"] for row in table(app).rows][-1] == "harvester-node-0"


async def test_the_cursor_stays_on_its_vm_when_a_new_vm_appears_above_it(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(table(app).rows) == 11)
        await pilot.press("down", "down", "down")
        chosen = table(app).cursor_key
        template = cluster.store.get("virtualmachines", "default", "jump-host")
        template["metadata"] = {"name": "aaa-new", "namespace": "default"}
        template.pop("status", None)
        template["spec"]["runStrategy"] = "Halted"
        cluster.store.create("virtualmachines", template)
        await until(pilot, lambda: names(app)[0] == "aaa-new")
        assert table(app).cursor_key == chosen


async def test_rows_follow_the_cluster(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(table(app).rows) == 11)
        cluster.store.patch("virtualmachines", "default", "jump-host", {"spec": {"runStrategy": "Halted"}})

        def rows():
            return {row.key: row.cells for row in table(app).rows}

        await step_until(pilot, cluster, lambda: plain(rows()["default/jump-host"]["status"]) == "Stopped")
        assert rows()["default/jump-host"]["node"] == "-"
        cluster.store.delete("virtualmachines", "default", "old-backup")
        await step_until(pilot, cluster, lambda: "default/old-backup" not in rows())
        assert "10 VMs" in screen_text(app)


async def test_the_line_under_the_list_signs_little_time_left_not_only_by_colour(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm(pilot, "kafka-broker-2")
        assert app.start_migration("default/kafka-broker-2", None)
        await step_until(
            pilot,
            cluster,
            lambda: (v := app.live.ledger.running_for_vm("default/kafka-broker-2")) is not None and v.low_on_time,
            stride=5,
        )
        await until(pilot, lambda: re.search(r"⚠ 0:\d\d before KubeVirt's timeout", widget_text(app, "#vm-info")))


async def test_the_line_under_the_list_says_when_a_migration_does_not_converge(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm(pilot, "kafka-broker-2")
        assert app.start_migration("default/kafka-broker-2", None)
        await step_until(
            pilot,
            cluster,
            lambda: (
                (v := app.live.ledger.running_for_vm("default/kafka-broker-2")) is not None
                and v.progress.converging is False
            ),
        )
        await until(pilot, lambda: "⚠ not converging" in widget_text(app, "#vm-info"))


async def test_the_header_counts_a_migrating_vm_once_as_migrating_not_also_as_running(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "10 running  0 migrating" in screen_text(app), what="the counts before")
        assert app.start_migration("default/db-primary", None)
        await step_until(
            pilot,
            cluster,
            lambda: (
                plain(table(app).rows[[r.key for r in table(app).rows].index("default/db-primary")].cells["status"])
                == "Migrating"
            ),
        )
        await until(
            pilot,
            lambda: "9 running  1 migrating" in screen_text(app),
            what="the counts adding up as the Status column reads",
        )


async def test_the_hint_for_a_vm_no_node_can_take_says_m_shows_each_nodes_reasons(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "monitoring-01")
        hint = widget_text(app, "#vm-info")
        assert "No node can take it: m shows each node's reasons" in hint
        assert "choose a target node" not in hint


async def test_the_migration_cells_bar_fills_as_far_as_the_percentage_beside_it(cluster, admin):
    from tui.view.progress_cell import bar

    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm(pilot, "db-primary")
        assert app.start_migration("default/db-primary", None)
        await step_until(
            pilot,
            cluster,
            lambda: (
                (v := app.live.ledger.running_for_vm("default/db-primary")) is not None
                and (v.progress.byte_fraction or 0) > 0.2
            ),
            stride=5,
        )
        app.updates_paused = True
        await pilot.pause(0.2)
        cells = table(app).rows[[r.key for r in table(app).rows].index("default/db-primary")].cells
        shown, percent = plain(cells["migration"]).split()[:2]
        copied = app.live.ledger.running_for_vm("default/db-primary").progress.byte_fraction
        assert (shown, percent) == (bar(copied, 4), f"{copied * 100:.0f}%")


async def test_sort_cycles_only_through_the_columns_shown_at_this_width(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(table(app).rows) == 11)
        shown = {column.label for column, _ in table(app).visible_columns()}
        seen = []
        for _ in range(10):
            await pilot.press("s")
            await pilot.pause(0.05)
            seen.append(re.search(r"sort (.+?) [▲▼]", screen_text(app)).group(1))
        assert "Namespace" not in shown
        assert set(seen) <= shown and "Name" in seen
