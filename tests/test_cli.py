"""The livemig command line against the simulated cluster over HTTP: plan, migrate, abort, errors and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cluster.simulated import HARVESTER, eventually
from tui.cli import Timings, main
from tui.cli.arguments import build_parser, normalise_demo
from tui.cli.timings import DEFAULT_TIMINGS
from tui.domain import reasons
from tui.domain.plan import plan_for
from tui.domain.snapshot import ClusterSnapshot
from tui.sim.runtime import SimCluster

PLAN_KEYS = {
    "vm",
    "node",
    "cpu_model",
    "migratable",
    "blockers",
    "completion_budget",
    "target_pinning",
    "nodes",
    "warnings",
    "rule_versions",
    "not_checked",
    "target_requests",
}


class Run:
    """One `livemig ...` run in this process: exit code, stdout and stderr."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        return json.loads(self.out)


def livemig(*args: str, timings: Timings = DEFAULT_TIMINGS) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err, timings=timings)
    return Run(code, out.getvalue(), err.getvalue())


def migrations(cluster: SimCluster) -> list[dict]:
    return cluster.store.list("virtualmachineinstancemigrations", "default")


# -- arguments -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["plan"],
        ["plan", "a/b/c"],
        ["plan", "/db-primary"],
        ["migrate", "default/web-1", "--to"],
        ["--bogus"],
        ["plan", "default/web-1", "-o", "yaml"],
        ["-n", "a", "-A", "plan", "x"],
        ["--readonly", "migrate", "default/web-1"],
    ],
    ids=[
        "missing-vm",
        "not-namespace-slash-vm",
        "empty-namespace",
        "to-without-node",
        "unknown-option",
        "unknown-format",
        "n-and-A",
        "readonly-migrate",
    ],
)
def test_bad_arguments_print_the_usage_and_exit_2_without_a_traceback(args):
    run = livemig(*args)
    assert run.code == 2
    assert "usage: livemig" in run.err and "Traceback" not in run.err


@pytest.mark.parametrize("vm", ["/db-primary", "default/", "a/b/c"])
@pytest.mark.parametrize("command", ["plan", "migrate", "abort"])
def test_a_vm_argument_that_is_not_namespace_slash_vm_shows_that_commands_usage(command, vm):
    run = livemig(command, vm)
    assert run.code == 2
    assert run.err.startswith(f"usage: livemig {command} ")
    assert run.err.endswith(f'livemig: error: "{vm}" is not NAMESPACE/VM (for example: default/web-1)\n')


def test_the_namespace_flag_and_a_different_namespace_in_the_vm_argument_are_a_usage_error(kubeconfig):
    run = livemig("plan", "default/web-1", "-n", "other", "--kubeconfig", kubeconfig)
    assert run.code == 2 and "differ" in run.err


# -- connection problems -------------------------------------------------------------------------


def test_an_unknown_context_exits_2_with_one_paragraph_listing_the_known_ones(kubeconfig):
    run = livemig("plan", "default/web-1", "--kubeconfig", kubeconfig, "--context", "prod")
    assert run.code == 2
    assert run.err.count("\n") == 1 and "sim-admin, sim-viewer, sim-alice" in run.err


def test_an_unreachable_server_exits_2(cluster, kubeconfig):
    cluster.stop()
    run = livemig("abort", "default/web-1", "--kubeconfig", kubeconfig)
    assert run.code == 2 and "refused the connection" in run.err and "Traceback" not in run.err


def test_no_kubeconfig_exits_2(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    run = livemig("plan", "default/web-1")
    assert run.code == 2 and "No kubeconfig found" in run.err


# -- plan ----------------------------------------------------------------------------------------


def test_plan_json_has_exactly_the_documented_keys(kubeconfig):
    plan = livemig("plan", "default/web-1", "-o", "json", "--kubeconfig", kubeconfig).json()
    assert set(plan) == PLAN_KEYS
    assert plan["vm"] == {"namespace": "default", "name": "web-1"}
    assert set(plan["completion_budget"]) == {"seconds", "per_gib", "data_units", "source"}
    assert all(set(node) == {"name", "eligible", "reasons", "cautions"} for node in plan["nodes"])
    assert plan["target_pinning"] == "addedNodeSelector"


def test_plan_json_says_why_a_vm_or_node_is_not_possible(kubeconfig):
    web = livemig("plan", "default/web-1", "-o", "json", "--kubeconfig", kubeconfig).json()
    db = livemig("plan", "default/db-1", "-o", "json", "--kubeconfig", kubeconfig).json()
    stopped = livemig("plan", "default/build-1", "-o", "json", "--kubeconfig", kubeconfig).json()
    nodes = {node["name"]: [r["code"] for r in node["reasons"]] for node in web["nodes"]}
    assert nodes == {"harv-1": ["SourceNode"], "harv-2": [], "harv-3": ["Unschedulable"]}
    assert [b["code"] for b in db["blockers"]] == ["NotLiveMigratable"]
    assert "PVC db-1-disk-0 is not shared" in db["blockers"][0]["message"]
    assert [b["code"] for b in stopped["blockers"]] == ["NotRunning"]


def scenario_plans(cluster: SimCluster, kubeconfig: str) -> Iterator[tuple[dict, dict]]:
    """(livemig plan -o json, the plan computed straight from the server's objects) for every VM."""
    objects = []
    for resource, obj in cluster.store.iter_all():
        objects.append({**obj, "kind": resource.kind})
    snapshot = ClusterSnapshot.from_objects(objects, pods_known=True)
    for key in sorted(snapshot.vms):
        namespace, name = key.split("/")
        run = livemig("plan", key, "-o", "json", "--kubeconfig", kubeconfig)
        assert run.code == (0 if run.json()["migratable"] else 1), run.err
        yield run.json(), plan_for(snapshot, namespace, name, cluster.clock.now()).to_dict()


def test_plan_json_over_http_equals_the_plan_of_the_servers_objects_for_every_vm(cluster, kubeconfig):
    seen = set()
    for printed, expected in scenario_plans(cluster, kubeconfig):
        assert printed == expected
        seen |= {b["code"] for b in printed["blockers"]} | {r["code"] for n in printed["nodes"] for r in n["reasons"]}
    assert {"SourceNode", "Unschedulable", "NotLiveMigratable", "NotRunning"} <= seen


@pytest.mark.parametrize("scenario", ["default", "old-kubevirt"])
def test_plan_json_for_every_vm_and_reason_code_of_the_built_in_scenarios(scenario, tmp_path):
    with SimCluster.start(scenario, manual_clock=True) as cluster:
        cluster.advance(5)  # let the simulated KubeVirt settle: VMIs, launcher pods, node labels
        kubeconfig = str(cluster.write_kubeconfig(tmp_path / "config"))
        seen: set[str] = set()
        for printed, expected in scenario_plans(cluster, kubeconfig):
            assert set(printed) == PLAN_KEYS
            assert printed == expected
            seen |= {b["code"] for b in printed["blockers"]} | {
                r["code"] for n in printed["nodes"] for r in n["reasons"]
            }
    assert seen <= set(reasons.NODE_CODES) | set(reasons.BLOCKER_CODES)
    # What the built-in scenarios are made to show (a VM or node for each of these cases).
    promised = {"CPUModel", "NodeSelector", "Network", "HostDevice", "CDROM", "NotLiveMigratable", "NotRunning"}
    promised |= {"SourceNode", "Unschedulable", "Maintenance", "NotReady", "Witness"}
    assert promised <= seen, f"the {scenario} scenario does not show {sorted(promised - seen)}"


def test_plan_text_fits_80_columns(kubeconfig):
    run = livemig("plan", "default/web-1", "--kubeconfig", kubeconfig)
    assert run.code == 0
    assert "Unschedulable" in run.out and "Migratable    yes" in run.out
    assert max(len(line) for line in run.out.splitlines()) <= 80


def test_cluster_text_with_escape_sequences_is_printed_literally(cluster, kubeconfig):
    vmi = cluster.store.get("virtualmachineinstances", "default", "db-1")
    vmi["status"]["conditions"][1]["message"] = "disk \x1b]0;owned\x07 not shared \x9b31m"
    cluster.store.update_status("virtualmachineinstances", vmi, "default")
    text = livemig("plan", "default/db-1", "--kubeconfig", kubeconfig).out
    raw = livemig("plan", "default/db-1", "-o", "json", "--kubeconfig", kubeconfig).out
    for output in (text, raw):
        assert "\x1b" not in output and "\x07" not in output and "\x9b" not in output
    assert "\\x1b]0;owned\\x07" in text
    assert json.loads(raw)["blockers"][0]["message"].endswith("not shared \x9b31m")


def test_plan_json_names_a_migration_in_progress(cluster, kubeconfig):
    assert livemig("migrate", "default/web-1", "--kubeconfig", kubeconfig).code == 0
    plan = livemig("plan", "default/web-1", "-o", "json", "--kubeconfig", kubeconfig).json()
    assert plan["migratable"] is False
    assert [b["code"] for b in plan["blockers"]] == ["MigrationInProgress"]


# -- migrate -------------------------------------------------------------------------------------


def test_migrate_without_wait_creates_the_migration_and_exits_0(cluster, kubeconfig):
    run = livemig("migrate", "default/web-1", "--kubeconfig", kubeconfig)
    assert run.code == 0
    created = migrations(cluster)
    assert len(created) == 1 and created[0]["metadata"]["name"] in run.out


def test_migrate_refuses_a_vm_that_cannot_move_with_the_plans_reasons(cluster, kubeconfig):
    run = livemig("migrate", "default/db-1", "--kubeconfig", kubeconfig)
    assert run.code == 1
    assert "NotLiveMigratable" in run.err and "PVC db-1-disk-0 is not shared" in run.err
    assert migrations(cluster) == []


def test_migrate_to_a_node_that_cannot_take_the_vm_says_why(cluster, kubeconfig):
    run = livemig("migrate", "default/web-1", "--to", "harv-3", "--kubeconfig", kubeconfig)
    assert run.code == 1 and "Unschedulable" in run.err
    assert migrations(cluster) == []


def test_migrate_to_a_node_that_does_not_exist_is_a_usage_error(cluster, kubeconfig):
    run = livemig("migrate", "default/web-1", "--to", "harv-9", "--kubeconfig", kubeconfig)
    assert run.code == 2 and "harv-1, harv-2, harv-3" in run.err
    assert migrations(cluster) == []


def test_migrate_as_a_user_without_permission_exits_2_saying_it_once(cluster, kubeconfig):
    run = livemig("migrate", "default/web-1", "--kubeconfig", kubeconfig, "--context", "sim-viewer")
    assert run.code == 2
    assert len(run.err.splitlines()) == 1 and "is forbidden" not in run.err
    assert run.err.startswith('livemig: user "viewer" may not create virtualmachineinstancemigrations.kubevirt.io')
    assert migrations(cluster) == []


class Terminal(io.StringIO):
    """Output that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Waiting:
    """`livemig migrate --wait` running in a thread while the test plays KubeVirt on the server."""

    def __init__(self, *args: str, terminal: bool = False, timings: Timings = DEFAULT_TIMINGS) -> None:
        self.run: Run | None = None
        self.timings = timings
        self.out, self.err = (Terminal() if terminal else io.StringIO()), io.StringIO()
        self.thread = threading.Thread(target=self._main, args=args, daemon=True)
        self.thread.start()

    def _main(self, *args: str) -> None:
        code = main(list(args), out=self.out, err=self.err, timings=self.timings)
        self.run = Run(code, self.out.getvalue(), self.err.getvalue())

    def printed(self, text: str) -> bool:
        return text in self.out.getvalue()

    def result(self) -> Run:
        self.thread.join(60)
        assert self.run is not None, "livemig migrate --wait did not end"
        return self.run


def created_migration(cluster: SimCluster) -> dict:
    return eventually(lambda: migrations(cluster) and migrations(cluster)[0])


def set_phase(cluster: SimCluster, name: str, phase: str, **state: Any) -> None:
    status: dict[str, Any] = {"phase": phase}
    if state:
        status["migrationState"] = state
    cluster.store.patch("virtualmachineinstancemigrations", "default", name, {"status": status}, status=True)


def test_migrate_wait_follows_the_phases_and_exits_0_when_the_vm_arrived(cluster, kubeconfig):
    waiting = Waiting("migrate", "default/web-1", "--to", "harv-2", "--wait", "--kubeconfig", kubeconfig)
    name = created_migration(cluster)["metadata"]["name"]
    set_phase(cluster, name, "Scheduling")
    eventually(lambda: waiting.printed("step 3/8 Scheduling the target pod"))
    set_phase(cluster, name, "Running")
    eventually(lambda: waiting.printed("step 7/8 Copying memory"))
    vmi = cluster.store.get("virtualmachineinstances", "default", "web-1")
    vmi["status"]["nodeName"] = "harv-2"
    cluster.store.update_status("virtualmachineinstances", vmi, "default")
    set_phase(cluster, name, "Succeeded", sourceNode="harv-1", targetNode="harv-2", completed=True)
    run = waiting.result()
    assert run.code == 0, run.err
    assert run.out.strip().splitlines()[-1] == "Migrated from harv-1 to harv-2."


def test_migrate_wait_exits_1_with_kubevirts_reason_when_the_migration_fails(cluster, kubeconfig):
    waiting = Waiting("migrate", "default/web-1", "--wait", "--kubeconfig", kubeconfig)
    name = created_migration(cluster)["metadata"]["name"]
    set_phase(cluster, name, "Running")
    set_phase(
        cluster,
        name,
        "Failed",
        sourceNode="harv-1",
        failed=True,
        failureReason="Live migration is not completed after 750 seconds and has been aborted",
    )
    run = waiting.result()
    assert run.code == 1
    assert "completion timeout of 750 s" in run.out


def test_migrate_wait_exits_1_when_the_migration_is_deleted_before_it_ends(cluster, kubeconfig):
    waiting = Waiting("migrate", "default/web-1", "--wait", "--kubeconfig", kubeconfig)
    name = created_migration(cluster)["metadata"]["name"]
    set_phase(cluster, name, "Scheduling")
    eventually(lambda: waiting.printed("Scheduling the target pod"))
    cluster.store.delete("virtualmachineinstancemigrations", "default", name)
    run = waiting.result()
    assert run.code == 1 and "deleted before it finished" in run.out


def test_migrate_wait_judges_a_migration_deleted_after_it_completed_by_the_vmis_migration_state(cluster, kubeconfig):
    waiting = Waiting("migrate", "default/web-1", "--wait", "--kubeconfig", kubeconfig)
    created = created_migration(cluster)
    name, uid = created["metadata"]["name"], created["metadata"]["uid"]
    set_phase(cluster, name, "Running")
    eventually(lambda: waiting.printed("step 7/8 Copying memory"))
    # The VM arrived (the VMI says so), and the migration object goes before its phase said Succeeded.
    vmi = cluster.store.get("virtualmachineinstances", "default", "web-1")
    vmi["status"]["nodeName"] = "harv-2"
    vmi["status"]["migrationState"] = {
        "migrationUid": uid,
        "sourceNode": "harv-1",
        "targetNode": "harv-2",
        "completed": True,
    }
    cluster.store.update_status("virtualmachineinstances", vmi, "default")
    cluster.store.delete("virtualmachineinstancemigrations", "default", name)
    run = waiting.result()
    assert run.code == 0, run.out + run.err
    assert "deleted before it finished" not in run.out
    assert run.out.strip().splitlines()[-1] == "Migrated from harv-1 to harv-2."


def test_abort_of_a_migration_that_succeeded_meanwhile_deletes_nothing_and_exits_1(cluster, kubeconfig):
    """The CLI read the migration running; it succeeded before the DELETE: preconditions keep it."""
    assert livemig("migrate", "default/web-1", "--kubeconfig", kubeconfig).code == 0
    created = migrations(cluster)[0]
    name, uid = created["metadata"]["name"], created["metadata"]["uid"]
    set_phase(cluster, name, "Running")
    running = cluster.store.get("virtualmachineinstancemigrations", "default", name)
    from tests.cluster.simulated import connect
    from tui.cluster.actions import ClusterActions
    from tui.cluster.store import Store

    with connect(kubeconfig) as session:
        vmi = cluster.store.get("virtualmachineinstances", "default", "web-1")
        vmi["status"]["nodeName"] = "harv-2"
        vmi["status"]["migrationState"] = {
            "migrationUid": uid,
            "sourceNode": "harv-1",
            "targetNode": "harv-2",
            "completed": True,
        }
        cluster.store.update_status("virtualmachineinstances", vmi, "default")
        set_phase(cluster, name, "Succeeded", sourceNode="harv-1", targetNode="harv-2", completed=True)
        result = ClusterActions(session.transport, Store()).abort(
            "default", name, uid, running["metadata"]["resourceVersion"]
        )
    assert not result.ok and result.ended_meanwhile
    assert result.message == f"Migration {name} finished meanwhile: the VM is on harv-2."
    assert cluster.store.get("virtualmachineinstancemigrations", "default", name)["status"]["phase"] == "Succeeded"


def test_abort_of_a_migration_whose_status_moved_on_still_aborts_it(cluster, kubeconfig):
    assert livemig("migrate", "default/web-1", "--kubeconfig", kubeconfig).code == 0
    created = migrations(cluster)[0]
    name, uid = created["metadata"]["name"], created["metadata"]["uid"]
    set_phase(cluster, name, "Running")
    seen = cluster.store.get("virtualmachineinstancemigrations", "default", name)["metadata"]["resourceVersion"]
    set_phase(cluster, name, "Running", sourceNode="harv-1", targetNode="harv-2")  # progress, still running
    from tests.cluster.simulated import connect
    from tui.cluster.actions import ClusterActions
    from tui.cluster.store import Store

    with connect(kubeconfig) as session:
        result = ClusterActions(session.transport, Store()).abort("default", name, uid, seen)
    assert result.ok, result.message
    assert migrations(cluster) == []


# -- abort ---------------------------------------------------------------------------------------


def test_abort_without_a_running_migration_exits_1(kubeconfig):
    run = livemig("abort", "default/web-1", "--kubeconfig", kubeconfig)
    assert run.code == 1 and "no running migration" in run.err


def test_abort_deletes_the_running_migration_and_exits_0(cluster, kubeconfig):
    assert livemig("migrate", "default/web-1", "--kubeconfig", kubeconfig).code == 0
    name = migrations(cluster)[0]["metadata"]["name"]
    set_phase(cluster, name, "Running")
    run = livemig("abort", "default/web-1", "--kubeconfig", kubeconfig)
    assert run.code == 0 and name in run.out
    assert migrations(cluster) == []


def test_abort_as_a_user_without_permission_exits_2_saying_it_once(cluster, kubeconfig):
    assert livemig("migrate", "default/web-1", "--kubeconfig", kubeconfig).code == 0
    run = livemig("abort", "default/web-1", "--kubeconfig", kubeconfig, "--context", "sim-viewer")
    assert run.code == 2
    assert len(run.err.splitlines()) == 1 and "is forbidden" not in run.err
    assert run.err.startswith('livemig: user "viewer" may not delete virtualmachineinstancemigrations.kubevirt.io')
    assert len(migrations(cluster)) == 1


# -- demo and the terminal UI --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "scenario", "vm"),
    [
        (["--demo", "plan", "default/web-1"], "default", "default/web-1"),
        (["--demo", "large", "plan", "default/web-1"], "large", "default/web-1"),
        (["plan", "--demo", "default/web-1"], "default", "default/web-1"),
        (["plan", "--demo", "large", "default/web-1"], "large", "default/web-1"),
        (["plan", "default/web-1", "--demo", "large"], "large", "default/web-1"),
        (["plan", "default/web-1", "--demo"], "default", "default/web-1"),
        (["plan", "-n", "web", "--demo", "db-1"], "default", "db-1"),
    ],
)
def test_demo_takes_the_token_after_it_as_its_scenario_only_when_the_vm_is_given_elsewhere(argv, scenario, vm):
    args = build_parser().parse_args(normalise_demo(argv))
    assert (args.demo, args.vm) == (scenario, vm)


def test_parsing_the_arguments_does_not_load_the_simulator():
    code = (
        "import sys; from tui.cli.arguments import build_parser, normalise_demo; "
        "build_parser().parse_args(normalise_demo(['plan', '--demo', 'large', 'default/web-1'])); "
        "print(sorted(m for m in sys.modules if m.startswith('tui.sim')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_demo_runs_a_scenario_in_process_and_connects_to_it_like_a_cluster():
    run = livemig("--demo", str(HARVESTER), "plan", "default/web-1", "-o", "json")
    assert run.code == 0, run.err
    assert run.json()["node"] == "harv-1"


def test_demo_with_an_unknown_scenario_exits_2(tmp_path):
    run = livemig("plan", "default/web-1", "--demo", str(tmp_path / "missing.yaml"))
    assert run.code == 2 and "demo cannot start" in run.err


def test_migrate_wait_on_a_terminal_redraws_one_line_with_a_bar_and_the_time_left(cluster, kubeconfig):
    waiting = Waiting("migrate", "default/web-1", "--wait", "--kubeconfig", kubeconfig, terminal=True)
    name = created_migration(cluster)["metadata"]["name"]
    # The server's Date header follows the simulated clock: the copy starts now by that clock.
    started = cluster.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    set_phase(cluster, name, "Running", sourceNode="harv-1", targetNode="harv-2", startTimestamp=started)
    eventually(lambda: waiting.printed("Copying memory") and waiting.printed("timeout in 12 minutes"))
    set_phase(cluster, name, "Succeeded", sourceNode="harv-1", targetNode="harv-2", completed=True)
    run = waiting.result()
    assert run.code == 0
    assert "\r\x1b[K[##" in run.out
    assert run.out.endswith("Migrated from harv-1 to harv-2.\n")


def test_migrate_wait_exits_1_when_the_vm_arrived_on_another_node_than_the_chosen_one(cluster, kubeconfig):
    waiting = Waiting("migrate", "default/web-1", "--to", "harv-2", "--wait", "--kubeconfig", kubeconfig)
    name = created_migration(cluster)["metadata"]["name"]
    set_phase(cluster, name, "Succeeded", sourceNode="harv-1", targetNode="harv-3", completed=True)
    run = waiting.result()
    assert run.code == 1
    assert "runs on harv-3, not on the chosen node harv-2" in run.out


def test_plan_text_names_the_scheduling_rules_livemig_does_not_check(cluster, kubeconfig):
    anti_affinity = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}
            ]
        }
    }
    cluster.store.patch("virtualmachineinstances", "default", "web-1", {"spec": {"affinity": anti_affinity}})
    run = livemig("plan", "default/web-1", "--kubeconfig", kubeconfig)
    assert run.code == 0, run.err
    flat = " ".join(run.out.split())
    assert "Not checked The VM's required pod anti-affinity (spec.affinity.podAntiAffinity) is not checked" in flat
    assert flat.count("pod anti-affinity") == 1  # once for the VM, not under every node
    assert "unchecked" not in livemig("plan", "default/web-1", "-o", "json", "--kubeconfig", kubeconfig).json()


def test_a_refusal_wraps_between_words_never_inside_a_hyphenated_name(cluster, kubeconfig):
    vmi = cluster.store.get("virtualmachineinstances", "default", "db-1")
    names = ["harvester-node-0", "cpu-feature-avx512-vnni", "db-1-disk-0", "pvc-3f9a-cc01-ab12"]
    message = "cannot migrate VMI: " + " ".join(f"{name} and" for name in names * 3)
    for condition in vmi["status"]["conditions"]:
        if condition["type"] == "LiveMigratable":
            condition["message"] = message
    cluster.store.update_status("virtualmachineinstances", vmi, "default")
    run = livemig("migrate", "default/db-1", "--kubeconfig", kubeconfig)
    assert run.code == 1
    words = run.err.split()
    assert all(words.count(name) == 3 for name in names), run.err
    assert max(len(line) for line in run.err.splitlines()) <= 80
