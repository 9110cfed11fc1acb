"""Migrations end to end against the simulated KubeVirt: pinned to a node, aborted, pruned on old KubeVirt, --wait.

The built-in scenarios come with the simulated KubeVirt; these tests pick their VMs by what the
plan says (a running VM that may move to at least two nodes), not by name.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.simulated import connect, eventually
from tui.cli import main
from tui.cluster.actions import ClusterActions
from tui.cluster.session import ClusterSession
from tui.cluster.store import Store
from tui.domain.phases import Outcome
from tui.domain.plan import plan_for
from tui.domain.progress import migration_progress
from tui.sim.runtime import SimCluster
from tui.sim.scenario import builtin_scenarios

SETTLE = 5  # simulated seconds for the simulated KubeVirt to start VMIs and launcher pods
LONGEST = 1800  # simulated seconds any migration of the scenarios may take


def started(scenario: str, tmp_path: Path) -> Iterator[tuple[SimCluster, Path]]:
    assert scenario in builtin_scenarios()
    with SimCluster.start(scenario, manual_clock=True, bookmark_interval=0.2) as cluster:
        cluster.advance(SETTLE)
        yield cluster, cluster.write_kubeconfig(tmp_path / "config")


@pytest.fixture
def default(tmp_path) -> Iterator[tuple[SimCluster, Path]]:
    yield from started("default", tmp_path)


@pytest.fixture
def old_kubevirt(tmp_path) -> Iterator[tuple[SimCluster, Path]]:
    yield from started("old-kubevirt", tmp_path)


def movable_vm(session: ClusterSession, cluster: SimCluster) -> tuple[str, str, list[str]]:
    """A running VM that may go to two nodes or more: (namespace, name, eligible nodes)."""
    snapshot = session.store.snapshot()
    for key in sorted(snapshot.vmis):
        namespace, name = key.split("/")
        plan = plan_for(snapshot, namespace, name, cluster.clock.now())
        eligible = [verdict.node for verdict in plan.nodes if verdict.eligible]
        if plan.migratable and len(eligible) >= 2:
            return namespace, name, eligible
    raise AssertionError("the scenario has a running VM that may go to two nodes")


def caught_up(cluster: SimCluster, sessions: list[ClusterSession]) -> bool:
    """Every session's store holds the server's migrations and VMIs as they are now."""
    for session in sessions:
        snapshot = session.store.snapshot()
        for objects, resource in (
            (snapshot.migrations, "virtualmachineinstancemigrations"),
            (snapshot.vmis, "virtualmachineinstances"),
        ):
            theirs = {
                f"{o['metadata']['namespace']}/{o['metadata']['name']}": o["metadata"]["resourceVersion"]
                for o in cluster.store.list(resource, None)
            }
            if {key: obj.meta.resource_version for key, obj in objects.items()} != theirs:
                return False
    return True


def run_until(cluster: SimCluster, sessions: list[ClusterSession], done, limit: float = LONGEST, step: float = 5.0):
    """Advance the simulated clock step by step until `done()` is truthy; between steps the sessions'
    watches deliver what the step changed."""
    elapsed = 0.0
    while True:
        value = done()
        if value:
            return value
        if elapsed >= limit:
            raise AssertionError(f"not done after {limit} simulated seconds")
        cluster.advance(step)
        elapsed += step
        eventually(lambda: caught_up(cluster, sessions), timeout=10)


@pytest.fixture
def sessions() -> Iterator[list[ClusterSession]]:
    opened: list[ClusterSession] = []
    yield opened
    for session in opened:
        session.stop()


def open_session(sessions: list[ClusterSession], kubeconfig: Path) -> ClusterSession:
    session = connect(kubeconfig, all_namespaces=True)
    sessions.append(session)
    return session


def outcome(session: ClusterSession, namespace: str, vm: str, migration: str):
    snapshot = session.store.snapshot()
    found = snapshot.migrations.get(f"{namespace}/{migration}")
    if found is None or not found.is_final:
        return None
    return migration_progress(found, snapshot.vmis.get(f"{namespace}/{vm}"))


def test_a_migration_pinned_to_a_chosen_node_lands_there(default, sessions):
    cluster, kubeconfig = default
    session = open_session(sessions, kubeconfig)
    namespace, name, eligible = movable_vm(session, cluster)
    target = eligible[-1]
    result = session.actions.migrate(namespace, name, target=target)
    assert result.ok and result.warning == "", result.message
    progress = run_until(cluster, sessions, lambda: outcome(session, namespace, name, result.name))
    assert progress.outcome == Outcome.SUCCEEDED, progress.outcome_message
    assert session.store.snapshot().vmis[f"{namespace}/{name}"].node_name == target


def test_an_abort_of_a_running_migration_leaves_the_vm_where_it_was(default, sessions):
    cluster, kubeconfig = default
    session = open_session(sessions, kubeconfig)
    namespace, name, _ = movable_vm(session, cluster)
    source = session.store.snapshot().vmis[f"{namespace}/{name}"].node_name
    result = session.actions.migrate(namespace, name)
    assert result.ok, result.message
    key = f"{namespace}/{result.name}"
    run_until(
        cluster,
        sessions,
        lambda: (m := session.store.get("migrations", key)) is not None and m.phase == "Running",
        step=1.0,
    )
    migration = session.store.get("migrations", key)
    aborted = session.actions.abort(namespace, result.name, migration.meta.uid)
    assert aborted.ok, aborted.message
    vmi_key = f"{namespace}/{name}"

    def aborted_on_vmi():
        state = session.store.snapshot().vmis[vmi_key].migration_state
        return (
            state is not None
            and state.migration_uid == migration.meta.uid
            and state.abort_status == "Succeeded"
            and state
        )

    state = run_until(cluster, sessions, aborted_on_vmi)
    assert state.abort_requested and state.failed
    assert session.store.snapshot().vmis[vmi_key].node_name == source


def test_an_abort_racing_the_end_of_a_migration_deletes_nothing_and_says_where_the_vm_is(default, sessions):
    cluster, kubeconfig = default
    session = open_session(sessions, kubeconfig)
    namespace, name, _ = movable_vm(session, cluster)
    result = session.actions.migrate(namespace, name)
    key = f"{namespace}/{result.name}"
    run_until(
        cluster,
        sessions,
        lambda: (m := session.store.get("migrations", key)) is not None and m.phase == "Running",
        step=1.0,
    )
    running = session.store.get("migrations", key)
    # The operator decided on what they saw (Running); the migration then ends before the abort arrives.
    run_until(cluster, sessions, lambda: session.store.get("migrations", key).phase == "Succeeded")
    landed = session.store.snapshot().vmis[f"{namespace}/{name}"].node_name
    late = ClusterActions(session.transport, Store())  # a view still showing it running
    aborted = late.abort(namespace, result.name, running.meta.uid, running.meta.resource_version)
    assert not aborted.ok and aborted.ended_meanwhile
    assert aborted.message == f"Migration {result.name} finished meanwhile: the VM is on {landed}."
    assert (
        cluster.store.get("virtualmachineinstancemigrations", namespace, result.name)["status"]["phase"] == "Succeeded"
    )


def test_old_kubevirt_refuses_a_target_node_and_creates_nothing(old_kubevirt, sessions):
    cluster, kubeconfig = old_kubevirt
    session = open_session(sessions, kubeconfig)
    namespace, name, eligible = movable_vm(session, cluster)
    result = session.actions.migrate(namespace, name, target=eligible[0])
    assert not result.ok and result.refused and "older than 1.6" in result.message
    assert cluster.store.list("virtualmachineinstancemigrations", None) == []


def test_old_kubevirt_prunes_added_node_selector_and_the_result_warns(old_kubevirt, sessions):
    cluster, kubeconfig = old_kubevirt
    session = open_session(sessions, kubeconfig)
    namespace, name, eligible = movable_vm(session, cluster)
    # The KubeVirt CR already reports 1.6 (an upgrade under way) while the API still has the old schema.
    kubevirt = session.store.snapshot().kubevirt
    cluster.store.patch(
        "kubevirts",
        kubevirt.meta.namespace,
        kubevirt.meta.name,
        {"status": {"observedKubeVirtVersion": "v1.6.0"}},
        status=True,
    )
    eventually(lambda: session.store.snapshot().kubevirt.version == (1, 6, 0))
    result = session.actions.migrate(namespace, name, target=eligible[0])
    assert result.ok, result.message
    assert "dropped spec.addedNodeSelector" in result.warning
    created = cluster.store.get("virtualmachineinstancemigrations", namespace, result.name)
    assert "addedNodeSelector" not in created["spec"]


class Command:
    """`livemig ...` in a thread, while the test moves the simulated clock."""

    def __init__(self, *args: str) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()
        self.code: int | None = None
        self.thread = threading.Thread(
            target=lambda: setattr(self, "code", main(list(args), out=self.out, err=self.err)), daemon=True
        )
        self.thread.start()

    def finished(self) -> bool:
        return not self.thread.is_alive()


def test_migrate_wait_exits_0_when_the_migration_succeeds(default, sessions):
    cluster, kubeconfig = default
    session = open_session(sessions, kubeconfig)
    namespace, name, eligible = movable_vm(session, cluster)
    command = Command("migrate", f"{namespace}/{name}", "--to", eligible[-1], "--wait", "--kubeconfig", str(kubeconfig))
    eventually(lambda: cluster.store.list("virtualmachineinstancemigrations", namespace))
    run_until(cluster, sessions, lambda: command.finished() or (command.thread.join(0.2) or command.finished()))
    assert command.code == 0, command.err.getvalue()
    assert command.out.getvalue().strip().splitlines()[-1].startswith("Migrated from")


def test_migrate_wait_exits_1_when_kubevirt_gives_up(default, sessions):
    cluster, kubeconfig = default
    open_session(sessions, kubeconfig)  # run_until lets it catch up between clock steps
    simulation = cluster.simulation
    busy = [key for key, rate in simulation.dirty_rates.items() if rate >= simulation.migration_bandwidth]
    assert busy, "the default scenario has a VM that dirties memory faster than it can be copied"
    namespace, name = busy[0].split("/")
    command = Command("migrate", f"{namespace}/{name}", "--wait", "--kubeconfig", str(kubeconfig))
    eventually(lambda: cluster.store.list("virtualmachineinstancemigrations", namespace))
    run_until(cluster, sessions, lambda: command.finished() or (command.thread.join(0.2) or command.finished()))
    assert command.code == 1, command.err.getvalue()
    assert "KubeVirt aborted it" in command.out.getvalue()
