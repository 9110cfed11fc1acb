"""`livemig plan`'s text and JSON for what the verdicts add beyond yes and no: cautions, warnings, versions."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from tests.domain.clusters import cluster
from tui.cli import WIDTH, plan_text
from tui.domain.plan import plan_for

NOW = datetime(2026, 6, 17, 12, 0, 0, tzinfo=timezone.utc)
CPU = cluster("cpu")
BLOCKERS = cluster("blockers")


def test_a_host_passthrough_vm_lists_every_node_the_scheduler_accepts_with_the_caution_in_json():
    plan = json.loads(json.dumps(plan_for(CPU, "default", "vm-passthrough", NOW).to_dict()))
    eligible = {node["name"]: node["cautions"] for node in plan["nodes"] if node["eligible"]}
    assert sorted(eligible) == ["node-cascade", "node-haswell", "node-sky-2", "node-sky-nopdpe", "node-unlabelled"]
    assert [name for name, cautions in eligible.items() if cautions] == ["node-cascade", "node-haswell", "node-unlabelled"]
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
