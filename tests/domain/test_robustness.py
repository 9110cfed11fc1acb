"""No object shape makes a parser or a rule raise: the API can send anything, and livemig must answer."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.domain.clusters import objects
from tui.domain.budget import completion_budget, remaining_seconds
from tui.domain.cpu import launcher_node_affinity, launcher_node_selector
from tui.domain.migratable import blockers
from tui.domain.objects import (
    parse_guest_spec,
    parse_kubevirt,
    parse_meta,
    parse_migration,
    parse_migration_config,
    parse_migration_policy,
    parse_migration_state,
    parse_nad,
    parse_namespace,
    parse_node,
    parse_pod,
    parse_time,
    parse_version,
    parse_vm,
    parse_vmi,
)
from tui.domain.placement import node_verdicts, node_verdicts_for_template
from tui.domain.placement.cpu_advice import cpu_model_advice
from tui.domain.plan import plan_for, vm_summary
from tui.domain.progress import ByteCounters, migration_progress
from tui.domain.snapshot import ClusterSnapshot

NOW = datetime(2026, 6, 17, 12, 0, 0, tzinfo=timezone.utc)

# Anything JSON can carry (and YAML's floats: inf and nan).
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["True", "False", "Running", "In", "Exists", "8Gi", "host-model", "2026-01-01T00:00:00Z"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)

PARSERS = [
    parse_node,
    parse_vm,
    parse_vmi,
    parse_migration,
    parse_pod,
    parse_kubevirt,
    parse_migration_policy,
    parse_nad,
    parse_namespace,
    parse_meta,
    parse_guest_spec,
    parse_migration_config,
    parse_migration_state,
    parse_time,
    parse_version,
]


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
@given(value=json_values)
def test_no_json_value_makes_a_parser_raise(parser, value):
    parser(value)


@st.composite
def mutated(draw, value, depth=0):
    """A real object with some of its parts replaced by anything, or dropped."""
    if isinstance(value, dict):
        result = {}
        for key, child in value.items():
            choice = draw(st.integers(0, 11))
            if choice == 0:
                continue  # dropped
            if choice == 1:
                result[key] = draw(json_values)
            else:
                result[key] = draw(mutated(child, depth + 1))
        return result
    if isinstance(value, list):
        return [draw(mutated(item, depth + 1)) for item in value if draw(st.integers(0, 9))]
    if draw(st.integers(0, 7)) == 0:
        return draw(json_values)
    return value


def cluster_objects(name: str) -> list:
    return copy.deepcopy(list(objects(name)[0]["items"]))


def exercise(snapshot: ClusterSnapshot) -> None:
    """Every rule, on every VM and VMI of the snapshot."""
    for vmi in snapshot.vmis.values():
        verdicts = node_verdicts(snapshot, vmi, added_node_selector={"kubernetes.io/hostname": "node-2"})
        blockers(snapshot, snapshot.vm_of(vmi), vmi, verdicts)
        budget = completion_budget(snapshot, vmi)
        budget.text()
        remaining_seconds(budget, vmi.migration_state, NOW)
        cpu_model_advice(snapshot, vmi)
        launcher_node_selector(vmi, snapshot.kubevirt)
        launcher_node_affinity(vmi, snapshot.kubevirt)
        plan_for(snapshot, vmi.namespace, vmi.name, NOW).to_dict()
        for migration in snapshot.migrations_of(vmi.namespace, vmi.name):
            migration_progress(migration, vmi, ByteCounters(1, 2, 3, 4.0, 5.0), ByteCounters(2, 1))
    for vm in snapshot.vms.values():
        node_verdicts_for_template(snapshot, vm)
        vm_summary(snapshot, vm)
        plan_for(snapshot, vm.namespace, vm.name, NOW).to_dict()
    for migration in snapshot.migrations.values():
        migration_progress(migration, None)


FIXTURES = ["placement", "affinity", "cpu", "networks", "resources", "blockers", "budget", "progress", "plan"]


@pytest.mark.parametrize("fixture", FIXTURES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_no_mangled_cluster_makes_a_rule_raise(fixture, data):
    items = data.draw(mutated(cluster_objects(fixture)))
    exercise(ClusterSnapshot.from_objects(items))


@given(st.lists(json_values, max_size=6))
def test_no_list_of_values_makes_the_snapshot_builder_raise(values):
    exercise(ClusterSnapshot.from_objects(values))


@given(
    st.builds(
        ByteCounters,
        processed=st.none() | st.integers() | st.floats(),
        remaining=st.none() | st.integers() | st.floats(),
        total=st.none() | st.integers() | st.floats(),
        transfer_rate=st.none() | st.floats() | st.integers(),
        dirty_rate=st.none() | st.floats() | st.integers(),
    ),
    st.builds(ByteCounters, remaining=st.none() | st.integers() | st.floats(), total=st.none() | st.floats()),
)
def test_no_byte_counters_make_progress_raise(counters, previous):
    snapshot = ClusterSnapshot.from_objects(cluster_objects("progress"))
    migration = snapshot.migrations["default/mig-running"]
    progress = migration_progress(migration, snapshot.vmis["default/vm-running"], counters, previous)
    assert 0.0 <= progress.fraction <= 1.0
