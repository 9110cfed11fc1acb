"""The headless commands the way operators use them: tenant users, missing VMs and namespaces, a busy or
silent server, pipes, signals, typos in --demo, and the exit codes --help promises."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.cluster.simulated import connect, eventually
from tests.test_cli import Waiting, created_migration, livemig, migrations, set_phase
from tui.cli import Timings, main
from tui.cli.timings import DEFAULT_TIMINGS
from tui.cluster.session import ClusterSession
from tui.sim.runtime import SimCluster
from tui.view.ledger import MigrationLedger
from tui.view.vm_list import migration_cell

VM_IN_FINANCE = {
    "apiVersion": "kubevirt.io/v1",
    "kind": "VirtualMachine",
    "metadata": {"name": "legacy-erp", "namespace": "finance"},
    "spec": {"runStrategy": "Halted", "template": {"spec": {"domain": {"memory": {"guest": "8Gi"}}}}},
}


def fault_after_connecting(monkeypatch: pytest.MonkeyPatch, cluster: SimCluster, name: str, **params: Any) -> None:
    """Inflict a fault once the connection check passed, just before the first lists."""
    start = ClusterSession.start

    def start_after_the_fault(session: ClusterSession) -> None:
        cluster.fault(name, **params)
        start(session)

    monkeypatch.setattr(ClusterSession, "start", start_after_the_fault)


# -- tenant users: rights in one namespace only ---------------------------------------------------


def test_abort_as_a_tenant_who_may_not_read_nodes_aborts_the_running_migration(cluster, kubeconfig):
    assert livemig("migrate", "default/web-1", "--kubeconfig", kubeconfig).code == 0
    name = migrations(cluster)[0]["metadata"]["name"]
    set_phase(cluster, name, "Running")
    run = livemig("abort", "default/web-1", "--kubeconfig", kubeconfig, "--context", "sim-tenant")
    assert run.code == 0, run.err
    assert run.out == f"Abort of migration {name} requested.\n"
    assert migrations(cluster) == []


def test_plan_as_a_tenant_says_the_nodes_could_not_be_read_and_plans_without_them(kubeconfig):
    run = livemig("plan", "default/web-1", "--kubeconfig", kubeconfig, "--context", "sim-tenant")
    assert run.code == 0, run.err
    assert "Migratable    yes" in run.out
    plan = " ".join(run.out.split())
    assert 'Nodes could not be read: nodes is forbidden: User "tenant" cannot list resource "nodes"' in plan
    assert "the scheduler decides" in plan
    assert 'note: nodes could not be read: nodes is forbidden: User "tenant"' in run.err


def test_migrate_as_a_tenant_without_a_target_lets_the_scheduler_choose(cluster, kubeconfig):
    run = livemig("migrate", "default/web-1", "--kubeconfig", kubeconfig, "--context", "sim-tenant")
    assert run.code == 0, run.err
    created = migrations(cluster)
    assert len(created) == 1 and "addedNodeSelector" not in created[0]["spec"]


def test_migrate_to_a_node_as_a_tenant_who_may_not_read_nodes_exits_2_with_what_to_do(cluster, kubeconfig):
    run = livemig("migrate", "default/web-1", "--to", "harv-2", "--kubeconfig", kubeconfig, "--context", "sim-tenant")
    assert run.code == 2
    assert "cannot check whether node harv-2 can take default/web-1: nodes could not be read" in run.err
    assert "Ask for read access to nodes, or leave out --to: the scheduler then chooses the node." in run.err
    assert migrations(cluster) == []


# -- the KubeVirt version without the KubeVirt CR -------------------------------------------------


def test_migrate_to_a_node_without_read_access_to_the_kubevirt_cr_takes_the_version_from_virt_api(cluster, kubeconfig):
    run = livemig("migrate", "default/web-1", "--to", "harv-2", "--kubeconfig", kubeconfig, "--context", "sim-operator")
    assert run.code == 0, run.err
    assert migrations(cluster)[0]["spec"]["addedNodeSelector"] == {"kubernetes.io/hostname": "harv-2"}
    assert "note: kubevirts: only KubeVirt's version, v1.6.3-150700.3.13.1" in run.err


def test_migrate_to_a_node_with_the_kubevirt_version_unknown_exits_2_with_what_to_do(cluster, kubeconfig):
    cluster.store.delete("kubevirts", "harvester-system", "kubevirt")  # virt-api cannot say either
    run = livemig("migrate", "default/web-1", "--to", "harv-2", "--kubeconfig", kubeconfig, "--context", "sim-operator")
    assert run.code == 2
    assert (
        "cannot send the migration to harv-2: the KubeVirt version is unknown (kubevirts.kubevirt.io is forbidden"
        in run.err
    )
    assert "Ask for read access to kubevirts.kubevirt.io, or leave out --to" in run.err
    assert migrations(cluster) == []


def test_the_plan_says_the_assumed_time_limit_once_when_the_kubevirt_version_is_unknown(cluster, kubeconfig):
    cluster.store.delete("kubevirts", "harvester-system", "kubevirt")
    run = livemig("plan", "default/web-1", "--kubeconfig", kubeconfig)
    assert run.code == 0, run.err
    assert " ".join(run.out.split()).count("KubeVirt version unknown: assuming the shorter default") == 1


# -- a busy or silent server ----------------------------------------------------------------------


def test_first_lists_that_fail_are_retried_and_the_plan_is_complete(cluster, kubeconfig, monkeypatch):
    fault_after_connecting(monkeypatch, cluster, "fail", count=3, code=500)
    run = livemig("plan", "default/web-1", "--kubeconfig", kubeconfig)
    assert run.code == 0 and run.err == ""
    assert "Nodes         1 of 3 can take it" in run.out


def test_a_server_that_stops_answering_after_connecting_is_given_up_on_with_the_probes_verdict(
    cluster, kubeconfig, monkeypatch
):
    fault_after_connecting(monkeypatch, cluster, "stall", seconds=60)
    try:
        run = livemig(
            "plan", "default/web-1", "--kubeconfig", kubeconfig, timings=Timings(probe_interval=0.2, probe_timeout=0.5)
        )
    finally:
        cluster.fault("stall", seconds=0)
    assert run.code == 2
    assert run.err == (
        f"livemig: the API server stopped answering: {cluster.url} accepted the connection but did not answer in time. "
        "Nothing was changed; try again when it answers.\n"
    )


# -- VMs and namespaces that do not exist ---------------------------------------------------------


@pytest.mark.parametrize("args", [["nosuchns/web-1"], ["web-1", "-n", "nosuchns"]], ids=["in-the-argument", "with-n"])
def test_a_namespace_that_does_not_exist_exits_2_listing_the_known_ones(kubeconfig, args):
    run = livemig("plan", *args, "--kubeconfig", kubeconfig)
    assert run.code == 2 and run.out == ""
    assert (
        run.err
        == "livemig: there is no namespace nosuchns (namespaces: default, harvester-system, kube-node-lease, kube-public, kube-system).\n"
    )


@pytest.mark.parametrize("command", ["plan", "migrate", "abort"])
def test_a_vm_that_does_not_exist_exits_2_naming_the_namespace_read(cluster, kubeconfig, command):
    run = livemig(command, "default/nope", "--kubeconfig", kubeconfig)
    assert run.code == 2 and run.out == ""
    assert run.err == "livemig: no VM nope in namespace default.\n"
    assert migrations(cluster) == []


def test_a_vm_that_lives_in_another_namespace_is_named(cluster, kubeconfig):
    cluster.store.create("namespaces", {"metadata": {"name": "finance"}})
    cluster.store.create("virtualmachines", VM_IN_FINANCE)
    run = livemig("plan", "legacy-erp", "--kubeconfig", kubeconfig)  # the context's namespace is default
    assert run.code == 2
    assert (
        run.err
        == "livemig: no VM legacy-erp in namespace default; namespace finance has one: livemig plan finance/legacy-erp.\n"
    )


def test_plan_exits_1_for_a_vm_that_cannot_migrate_and_0_for_one_that_can(kubeconfig):
    assert livemig("plan", "default/db-1", "--kubeconfig", kubeconfig).code == 1
    assert livemig("plan", "default/web-1", "--kubeconfig", kubeconfig).code == 0


# -- permissions ---------------------------------------------------------------------------------


def test_migrate_refused_by_rbac_says_which_right_is_missing_and_what_to_do(cluster, kubeconfig):
    run = livemig("migrate", "default/web-1", "--kubeconfig", kubeconfig, "--context", "sim-viewer")
    assert run.code == 2
    advice = " ".join(run.err.split())
    assert 'user "viewer" may not create virtualmachineinstancemigrations.kubevirt.io in namespace default' in advice
    assert (
        "ask a cluster admin for that right" in advice and "--context (other contexts: sim-admin, sim-alice" in advice
    )
    assert migrations(cluster) == []


def test_abort_refused_by_rbac_says_which_right_is_missing(cluster, kubeconfig):
    assert livemig("migrate", "default/web-1", "--kubeconfig", kubeconfig).code == 0
    run = livemig("abort", "default/web-1", "--kubeconfig", kubeconfig, "--context", "sim-viewer")
    assert run.code == 2
    assert 'user "viewer" may not delete virtualmachineinstancemigrations.kubevirt.io in namespace default' in run.err
    assert len(migrations(cluster)) == 1


# -- pipes, terminals, signals --------------------------------------------------------------------


class ClosedAfterOneLine(io.StringIO):
    """An output whose reader goes away after the first line (`| head -1`)."""

    def write(self, text: str) -> int:
        if self.getvalue():
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def test_migrate_wait_into_a_closed_pipe_says_the_migration_goes_on(cluster, kubeconfig):
    err = io.StringIO()
    code = main(["migrate", "default/web-1", "--wait", "--kubeconfig", kubeconfig], out=ClosedAfterOneLine(), err=err)
    name = migrations(cluster)[0]["metadata"]["name"]
    assert code == 1
    assert err.getvalue() == (
        f"livemig: stopped waiting: the output was closed. Migration {name} goes on. Abort it with: livemig abort default/web-1\n"
    )


@pytest.mark.parametrize("args", [["--demo"], ["--kubeconfig", "/nonexistent/config"]], ids=["demo", "cluster"])
def test_the_terminal_ui_without_a_terminal_exits_2_at_once_pointing_at_the_headless_commands(args):
    run = livemig(*args)  # stdout is a StringIO here, as a file or a pipe would be
    assert run.code == 2 and run.out == ""
    assert (
        run.err == "livemig: the terminal UI needs a terminal; use livemig plan|migrate|abort (see livemig --help).\n"
    )


def test_sigterm_while_waiting_stops_cleanly_and_removes_the_demos_files(tmp_path):
    environment = {**os.environ, "TMPDIR": str(tmp_path)}
    command = [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())"]
    process = subprocess.Popen(
        [*command, "--demo", "migrate", "default/web-frontend-01", "--wait"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        first = process.stdout.readline()
        assert "created" in first, process.stderr.read() if not first else first
        assert list(tmp_path.glob("livemig-demo-*")), "the demo's kubeconfig directory exists while it runs"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert "Stopped waiting; migration" in stderr and "Traceback" not in stderr
    assert list(tmp_path.glob("livemig-demo-*")) == []


# -- --demo typos and --help ---------------------------------------------------------------------


def test_a_mistyped_demo_scenario_is_named_with_the_known_ones_and_the_nearest():
    run = livemig("--demo", "defualt", "plan", "default/web-1")
    assert run.code == 2
    # (tests may register more built-in scenarios after these)
    assert (
        'no built-in scenario or file named "defualt" (built-in scenarios: default, empty, large, old-kubevirt'
        in run.err
    )
    assert run.err.endswith('Did you mean "default"?\n')


def test_help_documents_the_headless_commands_and_every_exit_code():
    text = livemig("--help").out
    for line in ("livemig plan NAMESPACE/VM", "livemig migrate NAMESPACE/VM", "livemig abort NAMESPACE/VM"):
        assert line in text
    for code in ("0 ", "1 ", "2 ", "130 "):
        assert f"\n  {code}" in text


@pytest.mark.parametrize(
    ("command", "promise"),
    [
        ("plan", "0    the VM can migrate now"),
        ("migrate", "0    the migration was created"),
        ("abort", "1    the VM has no running migration"),
    ],
)
def test_each_commands_help_says_what_its_exit_codes_mean(command, promise):
    text = livemig(command, "--help").out
    assert promise in text and "130  interrupted" in text


# -- migrate --wait: the warnings the UI gives --------------------------------------------------------


class MigrationSeries:
    """What Prometheus says of web-1's migration: one sample (remaining bytes, dirty rate) at a time."""

    def __init__(self, remaining: int, dirty_rate: float, at: datetime) -> None:
        self.remaining, self.dirty_rate, self.at = remaining, dirty_rate, at
        self.processed = 4_000_000_000 - remaining
        self.asked = 0

    def scrape(self, remaining: int, at: datetime, processed: int | None = None) -> None:
        """A new sample, returned once livemig has asked for it (twice: a whole poll saw it)."""
        self.remaining, self.at = remaining, at
        self.processed = self.processed if processed is None else processed
        asked = self.asked
        eventually(lambda: self.asked > asked + 2 * len(self.values()))

    def values(self) -> dict[str, float]:
        return {
            "kubevirt_vmi_migration_data_remaining_bytes": self.remaining,
            "kubevirt_vmi_migration_data_processed_bytes": self.processed,
            "kubevirt_vmi_migration_data_total_bytes": 4_000_000_000,
            "kubevirt_vmi_migration_disk_transfer_rate_bytes": 120_000_000,
            "kubevirt_vmi_migration_dirty_memory_rate_bytes": self.dirty_rate,
        }

    def __call__(self, metric: str, now: datetime) -> list[tuple]:
        self.asked += 1
        values = self.values()
        if metric not in values:
            return []
        return [(labels_of_web_1(), float(values[metric]), self.at)]


def labels_of_web_1() -> dict[str, str]:
    return {"namespace": "default", "name": "web-1", "node": "harv-1", "job": "kubevirt-prometheus-metrics"}


def follow_with_prometheus(
    cluster: SimCluster, kubeconfig: str, series: MigrationSeries, started: datetime, timings: Timings = DEFAULT_TIMINGS
):
    cluster.set_metrics_source(series)
    cluster.monitoring = True
    waiting = Waiting(
        "migrate", "default/web-1", "--wait", "--kubeconfig", kubeconfig, timings=replace(timings, metrics_interval=0.1)
    )
    name = created_migration(cluster)["metadata"]["name"]
    stamp = started.strftime("%Y-%m-%dT%H:%M:%SZ")
    set_phase(cluster, name, "Running", sourceNode="harv-1", targetNode="harv-2", startTimestamp=stamp)
    return waiting, name


def end(cluster: SimCluster, waiting: Waiting, name: str) -> str:
    set_phase(cluster, name, "Failed", sourceNode="harv-1", failed=True, failureReason="stopped by the test")
    return waiting.result().out


def test_migrate_wait_warns_when_the_copy_makes_no_progress(cluster, kubeconfig):
    now = cluster.clock.now()
    series = MigrationSeries(1_500_000_000, 4_000_000, now - timedelta(seconds=40))
    waiting, name = follow_with_prometheus(cluster, kubeconfig, series, now)
    eventually(lambda: waiting.printed("GiB copied"))
    series.scrape(1_500_000_000, now - timedelta(seconds=30))
    series.scrape(1_500_000_000, now - timedelta(seconds=20))  # three samples, 20 s without a shrink
    eventually(lambda: waiting.printed("\u26a0 no progress for "))
    out = end(cluster, waiting, name)
    assert "not converging" not in out and "of the time left" not in out


def test_migrate_wait_warns_when_the_guest_dirties_memory_faster_than_it_is_copied(cluster, kubeconfig):
    now = cluster.clock.now()
    series = MigrationSeries(1_500_000_000, 200_000_000, now)
    waiting, name = follow_with_prometheus(cluster, kubeconfig, series, now)
    eventually(lambda: waiting.printed("\u26a0 not converging (the guest dirties memory faster than it is copied)"))
    assert "to go" not in end(cluster, waiting, name)


def test_migrate_wait_warns_when_under_a_fifth_of_the_time_is_left(cluster, kubeconfig):
    now = cluster.clock.now()
    series = MigrationSeries(1_500_000_000, 4_000_000, now)
    # web-1's time limit is 750 s: 700 s into the copy, 50 s are left.
    waiting, name = follow_with_prometheus(cluster, kubeconfig, series, now - timedelta(seconds=700))
    eventually(lambda: waiting.printed("\u26a0 under 20 % of the time left, about"))
    end(cluster, waiting, name)


# -- migrate --wait: a server that stops answering ----------------------------------------------------


def test_migrate_wait_without_an_answer_drops_the_estimate_and_says_since_when(cluster, kubeconfig):
    now = cluster.clock.now()
    series = MigrationSeries(1_500_000_000, 4_000_000, now)
    waiting, _ = follow_with_prometheus(cluster, kubeconfig, series, now, Timings(give_up_without_answer=60.0))
    eventually(lambda: waiting.printed("to go"))
    cluster.stop()
    eventually(lambda: waiting.printed("no answer from the API server since "))
    silent = waiting.out.getvalue().split("no answer from the API server since ")[0].splitlines()[-1]
    assert "Copying memory" in silent and "to go" not in silent


def test_migrate_wait_gives_up_after_the_limit_without_an_answer_with_exit_2_and_what_to_do(
    cluster, kubeconfig, monkeypatch
):
    waiting = Waiting(
        "migrate", "default/web-1", "--wait", "--kubeconfig", kubeconfig, timings=Timings(give_up_without_answer=1.0)
    )
    name = created_migration(cluster)["metadata"]["name"]
    set_phase(cluster, name, "Running")
    eventually(lambda: waiting.printed("Copying memory"))
    cluster.stop()
    run = waiting.result()
    assert run.code == 2
    advice = " ".join(run.err.split())
    assert re.search(r"no answer from the API server for \d+ seconds? \(since \d\d:\d\d:\d\d\)", advice)
    assert f"Migration {name} may still be running: check it with livemig plan default/web-1" in advice
    assert "Abort it with: livemig abort default/web-1" in advice


def test_migrate_wait_shows_the_percentage_the_vm_list_shows_for_the_same_migration(cluster, kubeconfig):
    now = cluster.clock.now()
    series = MigrationSeries(2_200_000_000, 150_000_000, now - timedelta(seconds=20))  # 45 % of 4 GB copied
    every_change = Timings(repeat_line_every=0.0)  # every change printed
    waiting, name = follow_with_prometheus(cluster, kubeconfig, series, now, every_change)
    eventually(lambda: waiting.printed("1.7 GiB copied, 2 GiB remaining"))
    series.scrape(2_320_000_000, now - timedelta(seconds=10), processed=2_500_000_000)  # the guest dirtied more
    eventually(lambda: waiting.printed("2.3 GiB copied, 2.2 GiB remaining"))
    headless = re.search(r"(\d+%) copied, 2.3 GiB copied", waiting.out.getvalue()).group(1)
    # The VM list's Migration cell, from a session of its own at the same moment.
    with connect(kubeconfig, metrics_interval=0.1) as session:
        ledger = MigrationLedger(session.now())

        def cell() -> str:
            ledger.update(session.store.snapshot(), None, (), session.metrics.counters, session.now())
            view = ledger.view(f"default/{name}")
            return migration_cell(view).plain if view is not None and view.progress.byte_fraction is not None else ""

        shown = eventually(cell)
    end(cluster, waiting, name)
    assert headless == "42%"
    assert re.search(r"\d+%", shown).group() == headless


# -- help within 80 columns, and the exit codes it and the README promise ------------------------------


@pytest.mark.parametrize("command", [[], ["plan"], ["migrate"], ["abort"]], ids=["livemig", "plan", "migrate", "abort"])
def test_help_fits_80_columns_on_a_wide_terminal(command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    text = livemig(*command, "--help").out
    assert max(len(line) for line in text.splitlines()) <= 80, max(text.splitlines(), key=len)


def test_the_top_level_help_and_the_readme_say_a_closed_output_while_waiting_exits_1():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| 1 |"))
    assert "`migrate --wait`: the output was closed (the migration goes on)" in row
    codes = " ".join(livemig("--help").out.split("exit codes:")[1].split())
    assert (
        "1 the migration failed" in codes
        and "migrate --wait: the output was closed (the migration goes on) 2 " in codes
    )


def test_migrate_help_says_which_code_an_old_or_unreadable_kubevirt_version_gets_with_to():
    codes = " ".join(livemig("migrate", "--help").out.split("exit codes:")[1].split())
    one, two = codes.split(" 2 ")[0], codes.split(" 2 ")[1].split(" 130 ")[0]
    assert "--to on KubeVirt older than 1.6" in one
    assert "--to with the KubeVirt version unreadable" in two
