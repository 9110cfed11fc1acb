"""What came before, in the UI, against the simulated cluster over HTTP on its manual clock: a VM's
migration history and events in its details, the cluster's finished migrations on the Migrations
screen, and a drain's evacuation: KubeVirt's migrations named as such, the VMs over its limits queued."""

from __future__ import annotations

from tests.ui.harness import (
    cursor_to,
    make_app,
    screen_text,
    select_vm,
    step_until,
    until,
    widget_text,
)
from tui.cluster.errors import ApiError
from tui.cluster.session import ClusterSession
from tui.screens.migrations import MigrationsScreen
from tui.screens.vm_detail import VMDetailScreen
from tui.sim.runtime import SimCluster

VM = "web-frontend-01"  # on harvester-node-0, moves in a few simulated seconds
DRAINED = "harvester-node-1"  # analytics-etl, kafka-broker-2 and win-installer, all live-migratable


def phase(cluster: SimCluster, name: str) -> str:
    return cluster.store.get("virtualmachineinstancemigrations", "default", name).get("status", {}).get("phase", "")


def migrate_and_finish(cluster: SimCluster, session: ClusterSession, vm: str) -> str:
    """A migration of `vm` created over the API, driven to its end on the simulated clock."""
    result = session.actions.migrate("default", vm)
    assert result.ok, result.message
    for _ in range(600):
        if phase(cluster, result.name) in ("Succeeded", "Failed"):
            cluster.advance(5)  # livemig starts a little later
            return result.name
        cluster.advance(1)
    raise AssertionError(f"{result.name} did not end")


def evict_launchers(session: ClusterSession, cluster: SimCluster, node: str) -> int:
    """What `kubectl drain` does to a node's VMs: evict each launcher pod (KubeVirt refuses with 429 and evacuates)."""
    refused = 0
    for pod in cluster.store.list("pods", "default"):
        if (
            pod["spec"].get("nodeName") != node
            or pod["metadata"].get("labels", {}).get("kubevirt.io") != "virt-launcher"
        ):
            continue
        name = pod["metadata"]["name"]
        body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": "default"}}
        try:
            session.transport.request("POST", f"/api/v1/namespaces/default/pods/{name}/eviction", body=body)
        except ApiError as error:
            assert error.code == 429, error.message
            refused += 1
    return refused


async def open_details(pilot, vm: str) -> None:
    await select_vm(pilot, vm)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, VMDetailScreen))


def history(app) -> str:
    return widget_text(app, "#detail-history")


async def test_details_show_a_finished_migration_and_its_events(cluster, admin):
    name = migrate_and_finish(cluster, admin, VM)
    target = cluster.store.get("virtualmachineinstances", "default", VM)["status"]["nodeName"]
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_details(pilot, VM)
        await pilot.press("h")
        await until(pilot, lambda: "Migrated" in history(app), what="the VMI's Migrated event")
        text = history(app)
        assert f"harvester-node-0 → {target}" in text and "Succeeded" in text and name in text
        assert "started by a user" in text
        assert f"The VirtualMachineInstance migrated to node {target}." in text
        assert "Created migration target pod" in text and f"migration {name}" in text  # the migration's own events
        # At 80x24 the pane takes the nodes' place, has the focus and scrolls.
        assert "History" in screen_text(app) and "runs here" not in screen_text(app)
        pane = app.screen.query_one("#detail-history-scroll")
        assert app.focused is pane
        await pilot.press("end")
        await until(pilot, lambda: pane.scroll_y > 0, what="the pane scrolled")
        await pilot.press("h")
        await until(pilot, lambda: "runs here" in screen_text(app), what="the nodes again")
        assert app.focused is app.screen.query_one("#detail-nodes")


async def test_the_history_and_events_follow_a_migration_while_the_details_are_open(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_details(pilot, VM)
        await pilot.press("h")
        await until(pilot, lambda: "No migration of this VM is left in the cluster." in history(app))
        assert app.start_migration(f"default/{VM}", None)
        await step_until(pilot, cluster, lambda: "Succeeded" in history(app), what="the migration in the history")
        await until(pilot, lambda: "Migrated" in history(app), what="its events read again")


async def test_the_migrations_screen_lists_the_clusters_finished_migrations(cluster, admin):
    name = migrate_and_finish(cluster, admin, VM)
    app = make_app(admin)  # started after the migration ended
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, MigrationsScreen))
        await until(pilot, lambda: f"default/{name}" in [r.key for r in app.screen.query_one("#migrations-table").rows])
        assert "0 ended since" in screen_text(app) and "1 earlier" in screen_text(app)


async def test_a_drain_shows_kubevirts_evacuations_and_the_vm_over_the_limit_queued(cluster, admin):
    assert evict_launchers(admin, cluster, DRAINED) == 3
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, MigrationsScreen))
        table = app.screen.query_one("#migrations-table")

        def evacuations() -> list[str]:
            return [r.key for r in table.rows if r.key.startswith("default/kubevirt-evacuation-")]

        def waiting() -> list[str]:
            return [r.key for r in table.rows if r.key.startswith("evacuation:")]

        await step_until(pilot, cluster, lambda: len(evacuations()) == 2 and len(waiting()) == 1, seconds=10)
        assert f"KubeVirt evacuates {DRAINED}" in screen_text(app)
        for key in evacuations():
            row = next(r for r in table.rows if r.key == key)
            assert row.cells["by"] == "evacuation"
        await cursor_to(pilot, evacuations()[0], "migrations-table")
        await until(
            pilot, lambda: f"Started by KubeVirt (evacuating {DRAINED})" in widget_text(app, "#migration-detail")
        )
        await cursor_to(pilot, waiting()[0], "migrations-table")
        # Once both evacuations run, KubeVirt's evacuation controller has no place left on the node.
        await step_until(
            pilot,
            cluster,
            lambda: f"queued (2 of 2 leaving {DRAINED})" in widget_text(app, "#migration-detail"),
            seconds=4,
            what="why it waits",
        )
        assert "Queued" in screen_text(app)


async def test_a_users_migration_over_the_node_limit_reads_queued(cluster, admin):
    # Two evacuations leave harvester-node-1; a third migration from it waits in Pending.
    evict_launchers(admin, cluster, DRAINED)
    cluster.advance(2)
    waiting_vm = next(
        v["metadata"]["name"]
        for v in cluster.store.list("virtualmachineinstances", "default")
        if v["status"].get("evacuationNodeName") == DRAINED
        and not any(
            m["spec"]["vmiName"] == v["metadata"]["name"]
            for m in cluster.store.list("virtualmachineinstancemigrations", "default")
        )
    )
    result = admin.actions.migrate("default", waiting_vm)
    assert result.ok, result.message
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, MigrationsScreen))
        key = f"default/{result.name}"
        await until(pilot, lambda: key in [r.key for r in app.screen.query_one("#migrations-table").rows])
        await cursor_to(pilot, key, "migrations-table")
        await until(
            pilot,
            lambda: f"Queued (2 of 2 leaving {DRAINED})" in widget_text(app, "#migration-detail"),
            what="the hold in the detail",
        )
        row = next(r for r in app.screen.query_one("#migrations-table").rows if r.key == key)
        assert row.cells["phase"].plain == "Queued"


async def test_the_details_of_a_vm_a_drain_marked_say_what_kubevirt_does_with_it(cluster, admin):
    evict_launchers(admin, cluster, DRAINED)
    app = make_app(admin)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, MigrationsScreen))
        table = app.screen.query_one("#migrations-table")
        await step_until(
            pilot, cluster, lambda: len([r for r in table.rows if r.key.startswith("evacuation:")]) == 1, seconds=4
        )
        (waiting,) = [r.key for r in table.rows if r.key.startswith("evacuation:")]
        moving = next(r.key for r in table.rows if r.key.startswith("default/kubevirt-evacuation-"))
        await cursor_to(pilot, waiting, "migrations-table")
        await step_until(pilot, cluster, lambda: "leaving" in widget_text(app, "#migration-detail"), seconds=4)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, VMDetailScreen))
        await until(
            pilot,
            lambda: (
                (
                    f"Evacuation from {DRAINED} (a drain): KubeVirt has not created its migration yet, "
                    f"queued (2 of 2 leaving {DRAINED})"
                )
                in widget_text(app, "#detail-summary")
            ),
            what="the waiting evacuation in the summary",
        )
        vm = cluster.store.get("virtualmachineinstancemigrations", *moving.split("/"))["spec"]["vmiName"]
        app.screen.show_vm(f"default/{vm}")
        await until(
            pilot,
            lambda: f"started by KubeVirt (evacuating {DRAINED})" in widget_text(app, "#detail-summary"),
            what="who started the running evacuation",
        )


async def test_the_history_holds_the_five_migrations_kubevirt_keeps(cluster, admin):
    names = [migrate_and_finish(cluster, admin, VM) for _ in range(6)]
    app = make_app(admin)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_details(pilot, VM)
        await pilot.press("h")
        await until(pilot, lambda: names[-1] in history(app), what="the newest migration")
        text = history(app)
        assert "5 in the cluster" in text
        assert names[0] not in text.split("Events")[0]  # collected by KubeVirt's garbage collection
        shown = [name for name in names if name in text.split("Events")[0]]
        assert shown == names[1:]
        assert [text.index(name) for name in reversed(shown)] == sorted(text.index(name) for name in shown)
