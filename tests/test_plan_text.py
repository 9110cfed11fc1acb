"""`livemig plan`'s text and JSON for what the verdicts add beyond yes and no: cautions, warnings, versions."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from tests.domain.clusters import cluster
from tui.cli.output import WIDTH
from tui.cli.rendering import plan_text
from tui.domain.plan import plan_for

NOW = datetime(2026, 6, 17, 12, 0, 0, tzinfo=timezone.utc)
CPU = cluster("cpu")
BLOCKERS = cluster("blockers")


def test_a_host_passthrough_vm_lists_every_node_the_scheduler_accepts_with_the_caution_in_json():
    plan = json.loads(json.dumps(plan_for(CPU, "default", "vm-passthrough", NOW).to_dict()))
    eligible = {node["name"]: node["cautions"] for node in plan["nodes"] if node["eligible"]}
    assert sorted(eligible) == ["node-cascade", "node-haswell", "node-sky-2", "node-sky-nopdpe", "node-unlabelled"]
    assert [name for name, cautions in eligible.items() if cautions] == [
        "node-cascade",
        "node-haswell",
        "node-unlabelled",
    ]
    assert plan["migratable"] is True


def test_the_text_plan_counts_and_shows_the_cautions_under_their_node():
    text = plan_text(plan_for(CPU, "default", "vm-passthrough", NOW))
    assert "5 of 6 can take it (3 with a caution)" in text
    lines = text.splitlines()
    cascade = lines.index(next(line for line in lines if line.startswith("  node-cascade")))
    assert lines[cascade + 1].strip().startswith("caution: The VM uses host-passthrough")
    assert all(len(line) <= WIDTH for line in lines)


def test_the_text_plan_says_whose_rules_it_applied_and_what_it_assumed():
    text = plan_text(plan_for(CPU, "default", "vm-passthrough", NOW))
    assert "Rules of      KubeVirt v1.6.3; Harvester version unknown" in text
    assert "assumed: Harvester version unknown" in text


def test_a_not_ready_vm_is_migratable_and_the_text_plan_warns():
    text = plan_text(plan_for(BLOCKERS, "default", "vm-not-ready", NOW))
    assert "Migratable    yes" in text
    assert "Warning       The VM instance is not Ready" in text


def test_the_plan_says_what_the_target_pod_would_request_and_how_that_was_known():
    snapshot = cluster("scheduler-rules")
    plan = plan_for(snapshot, "default", "vm-hugepages", NOW)
    assert plan.to_dict()["target_requests"]["source"] == "source-pod"  # hugepages: not rendered
    assert "Target pod    requests" in plan_text(plan) and "copied from the source pod" in plan_text(plan)


def test_over_http_a_host_passthrough_vm_in_a_cluster_of_mixed_cpus_can_go_wherever_the_scheduler_accepts(tmp_path):
    """`livemig plan -o json` against the simulated cluster (two CPU generations, XYZ and ABC): the
    default scenario with one VM switched to host-passthrough and unpinned from its rack."""
    import io
    from pathlib import Path

    import tui.sim.scenarios
    from tui.cli import main
    from tui.sim.runtime import SimCluster

    text = (Path(tui.sim.scenarios.__file__).parent / "default.yaml").read_text()
    start = text.index("  name: ci-runner-07\n")
    end = text.index("kind: VirtualMachine", start)
    vm = (
        text[start:end]
        .replace("model: '123'", "model: host-passthrough", 1)
        .replace("      nodeSelector:\n        rack: r1\n", "", 1)
    )
    scenario = tmp_path / "passthrough.yaml"
    scenario.write_text(text[:start] + vm + text[end:])
    with SimCluster.start(scenario, manual_clock=True) as sim:
        sim.advance(5)
        kubeconfig = str(sim.write_kubeconfig(tmp_path / "config"))
        out, err = io.StringIO(), io.StringIO()
        code = main(["plan", "default/ci-runner-07", "-o", "json", "--kubeconfig", kubeconfig], out=out, err=err)
    plan = json.loads(out.getvalue())
    assert code == 0 and plan["cpu_model"] == "host-passthrough" and plan["migratable"]
    eligible = {node["name"]: node["cautions"] for node in plan["nodes"] if node["eligible"]}
    other_cpu = [name for name, cautions in eligible.items() if cautions]
    same_cpu = [name for name, cautions in eligible.items() if not cautions]
    assert other_cpu and same_cpu  # both generations are offered; only the other one is cautioned
    assert all("host-passthrough" in eligible[name][0] for name in other_cpu)
