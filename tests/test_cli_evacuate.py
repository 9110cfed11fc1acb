"""`livemig evacuate NODE`: the plan in words and JSON, the cordon, one migration per movable VM, and
--wait following them all on the `default` scenario's KubeVirt, driven by the simulated clock."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.cluster.simulated import eventually
from tests.test_cli import Run, livemig
from tests.ui.harness import scenario, simulated, vmi_node
from tui.cli import main
from tui.sim.access import AccessRule
from tui.sim.runtime import SimCluster
from tui.sim.scenario import UserSpec


@pytest.fixture
def cluster() -> Iterator[SimCluster]:
    with simulated("default") as running:
        yield running


# May read everything and create migrations anywhere, but not change nodes.
OPERATOR = UserSpec(
    "operator",
    rules=(
        AccessRule(verbs=("get", "list", "watch")),
        AccessRule(
            verbs=("create", "delete"), api_groups=("kubevirt.io",), resources=("virtualmachineinstancemigrations",)
        ),
    ),
)


@pytest.fixture
def kubeconfig(cluster: SimCluster, tmp_path: Path) -> str:
    return str(cluster.write_kubeconfig(tmp_path / "config"))


def cordoned(cluster: SimCluster, node: str) -> bool:
    return bool(cluster.store.get("nodes", "", node).get("spec", {}).get("unschedulable"))


def all_migrations(cluster: SimCluster) -> list[dict]:
    return [
        m
        for namespace in ("default", "finance")
        for m in cluster.store.list("virtualmachineinstancemigrations", namespace)
    ]


def test_dry_run_prints_who_moves_and_who_cannot_and_why_and_changes_nothing(cluster, kubeconfig):
    run = livemig("evacuate", "harvester-node-3", "--dry-run", "--kubeconfig", kubeconfig)
    assert run.code == 1, run.err  # some VMs cannot move
    text = " ".join(run.out.split())
    assert text.startswith("Evacuate harvester-node-3: 1 VM will move, 3 cannot.")
    assert "default/jump-host: the scheduler picks one of harvester-node-0, harvester-node-1, harvester-node-2" in text
    assert "default/dev-sandbox NotLiveMigratable: KubeVirt says the VM is not live-migratable" in text
    assert "default/monitoring-01 NoEligibleNode: No other node can take it" in text
    assert "A drain would evict it: the guest shuts down, and it stays stopped (runStrategy RerunOnFailure)." in text
    assert not cordoned(cluster, "harvester-node-3")
    assert all_migrations(cluster) == []


def test_the_plan_as_json_names_every_vm_with_its_verdict(cluster, kubeconfig):
    run = livemig("evacuate", "harvester-node-3", "--dry-run", "-o", "json", "--kubeconfig", kubeconfig)
    plan = json.loads(run.out)
    assert plan["node"] == "harvester-node-3" and plan["cordoned"] is False
    assert [item["vm"]["name"] for item in plan["movable"]] == ["jump-host"]
    assert {item["vm"]["name"]: item["code"] for item in plan["unmovable"]} == {
        "dev-sandbox": "NotLiveMigratable",
        "monitoring-01": "NoEligibleNode",
        "legacy-erp": "NotLiveMigratable",
    }


def test_evacuate_cordons_the_node_and_migrates_each_movable_vm_letting_the_scheduler_choose(cluster, kubeconfig):
    run = livemig("evacuate", "harvester-node-3", "--kubeconfig", kubeconfig)
    assert run.code == 1  # dev-sandbox, monitoring-01 and legacy-erp stay
    assert cordoned(cluster, "harvester-node-3")
    [created] = all_migrations(cluster)
    assert created["spec"] == {"vmiName": "jump-host"}
    assert "Node harvester-node-3 cordoned: no new VM or pod is placed there." in run.out
    assert f"Migration {created['metadata']['name']} of default/jump-host created." in run.out


def test_no_cordon_leaves_the_node_schedulable(cluster, kubeconfig):
    run = livemig("evacuate", "harvester-node-0", "--no-cordon", "--kubeconfig", kubeconfig)
    assert run.code == 0, run.err
    assert not cordoned(cluster, "harvester-node-0")
    assert sorted(m["spec"]["vmiName"] for m in all_migrations(cluster)) == ["ci-runner-07", "web-frontend-01"]


def test_wait_follows_every_migration_and_exits_0_when_all_arrived_elsewhere(cluster, kubeconfig):
    out, err = io.StringIO(), io.StringIO()
    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(
            main(["evacuate", "harvester-node-0", "--wait", "--kubeconfig", kubeconfig], out=out, err=err)
        ),
        daemon=True,
    )
    thread.start()
    eventually(lambda: len(all_migrations(cluster)) == 2)
    for _ in range(600):  # ten simulated minutes at most
        if not thread.is_alive():
            break
        cluster.advance(1)
        thread.join(0.02)
    thread.join(30)
    assert result == [0], err.getvalue()
    assert vmi_node(cluster, "web-frontend-01") in ("harvester-node-1", "harvester-node-2")
    assert vmi_node(cluster, "ci-runner-07") == "harvester-node-1"
    lines = out.getvalue().splitlines()
    assert "default/ci-runner-07: Migrated from harvester-node-0 to harvester-node-1." in lines
    assert any(line.startswith("default/web-frontend-01: Migrated from harvester-node-0 to") for line in lines)


def test_a_node_with_nothing_on_it_exits_0(cluster, kubeconfig):
    run = livemig("evacuate", "harvester-node-4", "--kubeconfig", kubeconfig)
    assert run.code == 0, run.err
    assert "No VM runs on harvester-node-4: nothing to move." in run.out
    assert "harvester-node-4 is cordoned already" in run.out


def test_an_unknown_node_exits_2_listing_the_nodes(kubeconfig):
    run = livemig("evacuate", "harvester-node-9", "--kubeconfig", kubeconfig)
    assert run.code == 2
    assert run.err.startswith("livemig: there is no node named harvester-node-9 (nodes: harvester-node-0,")


def test_readonly_refuses_an_evacuation_but_not_a_dry_run(cluster, kubeconfig):
    refused = livemig("--readonly", "evacuate", "harvester-node-0", "--kubeconfig", kubeconfig)
    assert refused.code == 2
    assert "--readonly and evacuate exclude each other" in refused.err
    shown = livemig("--readonly", "evacuate", "harvester-node-0", "--dry-run", "--kubeconfig", kubeconfig)
    assert shown.code == 0, shown.err
    assert all_migrations(cluster) == [] and not cordoned(cluster, "harvester-node-0")


def test_a_namespace_is_refused_since_a_node_is_emptied_of_every_namespaces_vms(kubeconfig):
    run = livemig("evacuate", "harvester-node-0", "-n", "default", "--kubeconfig", kubeconfig)
    assert run.code == 2
    assert "evacuate moves every VM on the node, in every namespace: leave out -n" in run.err


def test_a_user_who_may_not_cordon_gets_exit_2_and_nothing_is_migrated(cluster, kubeconfig):
    run = livemig("evacuate", "harvester-node-0", "--kubeconfig", kubeconfig, "--context", "sim-viewer")
    assert run.code == 2
    assert "You may not cordon node harvester-node-0: that needs the right to patch nodes" in run.err
    assert "No VM was migrated." in run.err
    assert all_migrations(cluster) == []


def test_ctrl_c_while_waiting_says_the_migrations_go_on_and_how_to_abort_them(tmp_path):
    environment = {**os.environ, "TMPDIR": str(tmp_path)}
    command = [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())"]
    process = subprocess.Popen(
        [*command, "--demo", "evacuate", "harvester-node-0", "--wait"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        for line in process.stdout:
            if "Created, waiting for KubeVirt" in line or "Scheduling" in line:
                break
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    run = Run(process.returncode, "", stderr)
    assert run.code == 130, run.err
    assert "Stopped waiting. These migrations go on: default/ci-runner-07 (" in run.err
    assert "Abort them with: livemig abort default/ci-runner-07; livemig abort default/web-frontend-01" in run.err
    assert "Traceback" not in run.err


@pytest.mark.kubectl
def test_kubectl_livemig_evacuate_prints_the_plan_and_passes_the_exit_code_through():
    from tests.test_kubectl_plugin import BIN, KUBECTL, kubectl

    if KUBECTL is None or not (BIN / "kubectl-livemig").exists():
        pytest.skip("kubectl, or livemig's kubectl-livemig script, is not installed")
    done = kubectl("livemig", "evacuate", "--demo", "harvester-node-3", "--dry-run")
    assert done.returncode == 1, done.stderr  # some VMs of harvester-node-3 cannot move
    assert done.stdout.startswith("Evacuate harvester-node-3: 1 VM will move, 3 cannot.")


def test_with_json_only_the_plan_goes_to_stdout_and_what_was_done_to_stderr(cluster, kubeconfig):
    run = livemig("evacuate", "harvester-node-0", "-o", "json", "--kubeconfig", kubeconfig)
    assert run.code == 0, run.err
    plan = json.loads(run.out)
    assert sorted(item["vm"]["name"] for item in plan["movable"]) == ["ci-runner-07", "web-frontend-01"]
    assert "Node harvester-node-0 cordoned" in run.err
    assert run.err.count(" created.") == 2


def test_who_may_migrate_but_not_cordon_is_stopped_by_the_cordon_and_goes_on_with_no_cordon(tmp_path):
    loaded = scenario("default")
    users = (*loaded.simulation.users, OPERATOR)
    with SimCluster.start(
        replace(loaded, simulation=replace(loaded.simulation, users=users)), manual_clock=True, seed=7
    ) as cluster:
        kubeconfig = str(cluster.write_kubeconfig(tmp_path / "config"))
        refused = livemig("evacuate", "harvester-node-0", "--kubeconfig", kubeconfig, "--context", "sim-operator")
        assert refused.code == 2
        assert "You may not cordon node harvester-node-0" in refused.err
        assert all_migrations(cluster) == []
        done = livemig(
            "evacuate", "harvester-node-0", "--no-cordon", "--kubeconfig", kubeconfig, "--context", "sim-operator"
        )
        assert done.code == 0, done.err
        assert len(all_migrations(cluster)) == 2 and not cordoned(cluster, "harvester-node-0")


# -- onto chosen nodes (--to) ----------------------------------------------------------------------


def test_to_names_each_vms_chosen_node_in_the_plan_and_its_json(kubeconfig):
    both = ("--to", "harvester-node-1,harvester-node-2")
    run = livemig("evacuate", "harvester-node-0", "--dry-run", *both, "--kubeconfig", kubeconfig)
    assert run.code == 0, run.err
    text = " ".join(run.out.split())
    assert "Onto harvester-node-1, harvester-node-2: each VM goes to the one of them that can take it" in text
    assert "default/ci-runner-07: to harvester-node-1" in text  # the only chosen node its plan allows
    shown = livemig("evacuate", "harvester-node-0", "--dry-run", "-o", "json", *both, "--kubeconfig", kubeconfig)
    plan = json.loads(shown.out)
    assert plan["onto"] == ["harvester-node-1", "harvester-node-2"]
    targets = {item["vm"]["name"]: item["target"] for item in plan["movable"]}
    assert targets["ci-runner-07"] == "harvester-node-1"
    assert targets["web-frontend-01"] in ("harvester-node-1", "harvester-node-2")
    assert f"default/web-frontend-01: to {targets['web-frontend-01']}" in text


def test_to_pins_each_migration_and_a_vm_no_chosen_node_can_take_stays(cluster, kubeconfig):
    run = livemig("evacuate", "harvester-node-0", "--to", "harvester-node-2", "--kubeconfig", kubeconfig)
    assert run.code == 1  # ci-runner-07 can go only to harvester-node-1
    [created] = all_migrations(cluster)
    assert created["spec"] == {
        "vmiName": "web-frontend-01",
        "addedNodeSelector": {"kubernetes.io/hostname": "harvester-node-2"},
    }
    text = " ".join(run.out.split())
    assert "default/ci-runner-07 NotOnChosenNodes: None of the chosen nodes (harvester-node-2) can take it;" in text
    assert "the nodes that can: harvester-node-1." in text
    assert f"Migration {created['metadata']['name']} of default/web-frontend-01 to harvester-node-2 created." in text


def test_with_to_repeated_and_wait_every_vm_lands_on_the_node_it_was_given(cluster, kubeconfig):
    out, err = io.StringIO(), io.StringIO()
    arguments = ["evacuate", "harvester-node-0", "--wait", "--to", "harvester-node-2", "--to", "harvester-node-1"]
    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(main([*arguments, "--kubeconfig", kubeconfig], out=out, err=err)), daemon=True
    )
    thread.start()
    eventually(lambda: len(all_migrations(cluster)) == 2)
    for _ in range(600):  # ten simulated minutes at most
        if not thread.is_alive():
            break
        cluster.advance(1)
        thread.join(0.02)
    thread.join(30)
    assert result == [0], err.getvalue()
    given = {
        m["spec"]["vmiName"]: m["spec"]["addedNodeSelector"]["kubernetes.io/hostname"] for m in all_migrations(cluster)
    }
    assert given["ci-runner-07"] == "harvester-node-1"
    for vm, node in given.items():
        assert vmi_node(cluster, vm) == node
        assert f"default/{vm}: to {node}" in out.getvalue()


def test_an_unknown_chosen_node_exits_2_listing_the_nodes_and_changes_nothing(cluster, kubeconfig):
    run = livemig(
        "evacuate", "harvester-node-0", "--to", "harvester-node-1,harvester-node-9", "--kubeconfig", kubeconfig
    )
    assert run.code == 2
    assert run.err.startswith("livemig: there is no node named harvester-node-9 (nodes: harvester-node-0,")
    assert all_migrations(cluster) == [] and not cordoned(cluster, "harvester-node-0")


def test_a_chosen_node_that_can_take_none_of_the_vms_is_refused_saying_which_can(cluster, kubeconfig):
    run = livemig("evacuate", "harvester-node-0", "--to", "harvester-node-4", "--kubeconfig", kubeconfig)
    assert run.code == 1
    assert run.err == (
        "livemig: harvester-node-4 can take none of the VMs that move off harvester-node-0 (it is cordoned); "
        "the nodes that can take at least one: harvester-node-1, harvester-node-2.\n"
    )
    itself = livemig("evacuate", "harvester-node-0", "--to", "harvester-node-0", "--kubeconfig", kubeconfig)
    assert itself.code == 2
    assert "livemig: harvester-node-0 is the node being emptied: leave it out of --to." in itself.err
    empty = livemig("evacuate", "harvester-node-0", "--to", ",", "--kubeconfig", kubeconfig)
    assert empty.code == 2 and "--to needs at least one node name" in empty.err
    assert all_migrations(cluster) == [] and not cordoned(cluster, "harvester-node-0")


def test_on_kubevirt_older_than_1_6_to_is_refused_with_the_words_of_migrate_to(tmp_path):
    with simulated("old-kubevirt") as old:
        kubeconfig = str(old.write_kubeconfig(tmp_path / "config"))
        run = livemig("evacuate", "harvester-node-0", "--to", "harvester-node-1", "--kubeconfig", kubeconfig)
        single = livemig("migrate", "default/ci-runner-07", "--to", "harvester-node-1", "--kubeconfig", kubeconfig)
        assert run.code == single.code == 1
        assert run.err.startswith("livemig: cannot send the migrations to harvester-node-1: KubeVirt 1.5.2 is older")
        assert run.err.partition(": KubeVirt")[2] == single.err.partition(": KubeVirt")[2]
        assert all_migrations(old) == []
        assert not cordoned(old, "harvester-node-0")
