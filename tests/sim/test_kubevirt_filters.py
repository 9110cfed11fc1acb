"""The simulated scheduler's filters against cases carried over from kube-scheduler's own unit tests.

Sources (kubernetes/kubernetes): pkg/scheduler/framework/plugins/tainttoleration/taint_toleration_test.go,
nodeaffinity/node_affinity_test.go, nodeunschedulable/node_unschedulable_test.go and
noderesources/fit_test.go; the facts (inputs and verdicts) carry over, not the code.
"""

from __future__ import annotations

import pytest

from tui.sim.kubevirt.filters import (
    SchedNode,
    Taint,
    Usage,
    cordon_refuses,
    insufficient,
    node_affinity_matches,
    ordered_requests,
    pod_facts,
    pod_requests,
    sched_node,
    untolerated_taint,
)


def _pod(tolerations=None, node_selector=None, affinity=None, containers=None, init=None, overhead=None) -> dict:
    spec: dict = {"containers": containers or [{"name": "c"}]}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    if node_selector is not None:
        spec["nodeSelector"] = node_selector
    if affinity is not None:
        spec["affinity"] = affinity
    if init is not None:
        spec["initContainers"] = init
    if overhead is not None:
        spec["overhead"] = overhead
    return {"metadata": {"name": "p", "namespace": "default"}, "spec": spec}


# -- TaintToleration (taint_toleration_test.go TestTaintTolerationFilter) ---------------------------

NO_SCHEDULE = [Taint("dedicated", "user1", "NoSchedule")]
TAINT_CASES = [
    ("no tolerations, node with taints", [], NO_SCHEDULE, False),
    (
        "dedicated to user1, tolerates user1",
        [{"key": "dedicated", "value": "user1", "effect": "NoSchedule"}],
        NO_SCHEDULE,
        True,
    ),
    (
        "dedicated to user2, pod tolerates user1",
        [{"key": "dedicated", "operator": "Equal", "value": "user2", "effect": "NoSchedule"}],
        NO_SCHEDULE,
        False,
    ),
    (
        "operator Exists tolerates any value",
        [{"key": "foo", "operator": "Exists", "effect": "NoSchedule"}],
        [Taint("foo", "bar", "NoSchedule")],
        True,
    ),
    (
        "multiple tolerations, every taint tolerated",
        [
            {"key": "dedicated", "operator": "Equal", "value": "user2", "effect": "NoSchedule"},
            {"key": "foo", "operator": "Exists", "effect": "NoSchedule"},
        ],
        [Taint("dedicated", "user2", "NoSchedule"), Taint("foo", "bar", "NoSchedule")],
        True,
    ),
    (
        "key and value match, effect does not",
        [{"key": "foo", "operator": "Equal", "value": "bar", "effect": "PreferNoSchedule"}],
        [Taint("foo", "bar", "NoSchedule")],
        False,
    ),
    (
        "empty toleration effect matches every effect",
        [{"key": "foo", "operator": "Equal", "value": "bar"}],
        [Taint("foo", "bar", "NoSchedule")],
        True,
    ),
    (
        "PreferNoSchedule never refuses",
        [{"key": "dedicated", "operator": "Equal", "value": "user2", "effect": "NoSchedule"}],
        [Taint("dedicated", "user1", "PreferNoSchedule")],
        True,
    ),
    ("no tolerations, PreferNoSchedule taint", [], [Taint("dedicated", "user1", "PreferNoSchedule")], True),
    (
        "empty key with Exists tolerates everything",
        [{"operator": "Exists"}],
        [Taint("a", "b", "NoExecute"), Taint("c", "", "NoSchedule")],
        True,
    ),
]


@pytest.mark.parametrize(
    ("tolerations", "taints", "fits"), [case[1:] for case in TAINT_CASES], ids=[case[0] for case in TAINT_CASES]
)
def test_taint_toleration(tolerations, taints, fits):
    node = SchedNode("n", taints=tuple(taints))
    assert (untolerated_taint(node, pod_facts(_pod(tolerations=tolerations))) is None) is fits


def test_the_first_untolerated_taint_in_the_nodes_order_is_named():
    node = SchedNode(
        "n", taints=(Taint("a", "1", "PreferNoSchedule"), Taint("b", "2", "NoExecute"), Taint("c", "3", "NoSchedule"))
    )
    assert untolerated_taint(node, pod_facts(_pod())) == Taint("b", "2", "NoExecute")


# -- NodeUnschedulable (node_unschedulable_test.go) ------------------------------------------------


@pytest.mark.parametrize(
    ("unschedulable", "tolerations", "refused"),
    [
        (False, [], False),
        (True, [], True),
        (True, [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}], False),
        (True, [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoExecute"}], True),
    ],
)
def test_node_unschedulable(unschedulable, tolerations, refused):
    assert (
        cordon_refuses(SchedNode("n", unschedulable=unschedulable), pod_facts(_pod(tolerations=tolerations))) is refused
    )


# -- NodeAffinity (node_affinity_test.go TestNodeAffinity) ------------------------------------------


def _required(*terms: dict) -> dict:
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}}


def _expr(key: str, operator: str, *values: str) -> dict:
    return {"key": key, "operator": operator, **({"values": list(values)} if values else {})}


AFFINITY_CASES = [
    ("no selector", {}, None, {}, "node1", True),
    ("missing labels", {"foo": "bar"}, None, {}, "node1", False),
    ("same labels", {"foo": "bar"}, None, {"foo": "bar"}, "node1", True),
    ("node labels are superset", {"foo": "bar"}, None, {"foo": "bar", "baz": "blah"}, "node1", True),
    (
        "In matches",
        None,
        _required({"matchExpressions": [_expr("foo", "In", "bar", "value2")]}),
        {"foo": "bar"},
        "node1",
        True,
    ),
    (
        "Gt matches",
        None,
        _required({"matchExpressions": [_expr("kernel-version", "Gt", "0204")]}),
        {"kernel-version": "0206"},
        "node1",
        True,
    ),
    (
        "NotIn matches",
        None,
        _required({"matchExpressions": [_expr("mem-type", "NotIn", "DDR", "DDR2")]}),
        {"mem-type": "DDR3"},
        "node1",
        True,
    ),
    (
        "Exists matches",
        None,
        _required({"matchExpressions": [_expr("GPU", "Exists")]}),
        {"GPU": "NVIDIA-GRID-K1"},
        "node1",
        True,
    ),
    (
        "In does not match",
        None,
        _required({"matchExpressions": [_expr("foo", "In", "value1", "value2")]}),
        {"foo": "bar"},
        "node1",
        False,
    ),
    (
        "nil nodeSelectorTerms",
        None,
        {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": None}}},
        {"foo": "bar"},
        "node1",
        False,
    ),
    ("empty nodeSelectorTerms", None, _required(), {"foo": "bar"}, "node1", False),
    (
        "empty matchExpressions matches nothing",
        None,
        _required({"matchExpressions": []}),
        {"foo": "bar"},
        "node1",
        False,
    ),
    ("no affinity", None, {}, {"foo": "bar"}, "node1", True),
    ("affinity without node selector", None, {"nodeAffinity": {}}, {"foo": "bar"}, "node1", True),
    (
        "expressions ANDed, all hold",
        None,
        _required({"matchExpressions": [_expr("GPU", "Exists"), _expr("GPU", "NotIn", "AMD", "INTER")]}),
        {"GPU": "NVIDIA-GRID-K1"},
        "node1",
        True,
    ),
    (
        "expressions ANDed, one fails",
        None,
        _required({"matchExpressions": [_expr("GPU", "Exists"), _expr("GPU", "In", "AMD", "INTER")]}),
        {"GPU": "NVIDIA-GRID-K1"},
        "node1",
        False,
    ),
    (
        "terms ORed, one holds",
        None,
        _required(
            {"matchExpressions": [_expr("foo", "In", "bar", "value2")]},
            {"matchExpressions": [_expr("diffkey", "In", "wrong", "value2")]},
        ),
        {"foo": "bar"},
        "node1",
        True,
    ),
    (
        "affinity and nodeSelector both hold",
        {"foo": "bar"},
        _required({"matchExpressions": [_expr("foo", "Exists")]}),
        {"foo": "bar"},
        "node1",
        True,
    ),
    (
        "affinity holds, nodeSelector does not",
        {"foo": "bar"},
        _required({"matchExpressions": [_expr("foo", "Exists")]}),
        {"foo": "barrrrrr"},
        "node1",
        False,
    ),
    (
        "matchFields In matches",
        None,
        _required({"matchFields": [_expr("metadata.name", "In", "node1")]}),
        {},
        "node1",
        True,
    ),
    (
        "matchFields In does not match",
        None,
        _required({"matchFields": [_expr("metadata.name", "In", "node1")]}),
        {},
        "node2",
        False,
    ),
    (
        "two terms: fields fail, labels hold",
        None,
        _required(
            {"matchFields": [_expr("metadata.name", "In", "node1")]}, {"matchExpressions": [_expr("foo", "In", "bar")]}
        ),
        {"foo": "bar"},
        "node2",
        True,
    ),
    (
        "one term: fields fail, labels hold",
        None,
        _required(
            {"matchFields": [_expr("metadata.name", "In", "node1")], "matchExpressions": [_expr("foo", "In", "bar")]}
        ),
        {"foo": "bar"},
        "node2",
        False,
    ),
    (
        "one term: fields and labels hold",
        None,
        _required(
            {"matchFields": [_expr("metadata.name", "In", "node1")], "matchExpressions": [_expr("foo", "In", "bar")]}
        ),
        {"foo": "bar"},
        "node1",
        True,
    ),
    (
        "matchFields with two values is invalid",
        None,
        _required({"matchFields": [_expr("metadata.name", "In", "node1", "node2")]}),
        {},
        "node1",
        False,
    ),
    (
        "In without values is invalid",
        None,
        _required({"matchExpressions": [_expr("foo", "In")]}),
        {"foo": "bar"},
        "node1",
        False,
    ),
    (
        "Gt with a word is invalid",
        None,
        _required({"matchExpressions": [_expr("foo", "Gt", "ten")]}),
        {"foo": "11"},
        "node1",
        False,
    ),
    (
        "DoesNotExist holds on a node without the key",
        None,
        _required({"matchExpressions": [_expr("foo", "DoesNotExist")]}),
        {"bar": "1"},
        "node1",
        True,
    ),
]


@pytest.mark.parametrize(
    ("node_selector", "affinity", "labels", "node_name", "fits"),
    [case[1:] for case in AFFINITY_CASES],
    ids=[case[0] for case in AFFINITY_CASES],
)
def test_node_affinity(node_selector, affinity, labels, node_name, fits):
    pod = _pod(node_selector=node_selector, affinity=affinity)
    assert node_affinity_matches(pod_facts(pod), SchedNode(node_name, labels=labels)) is fits


# -- NodeResourcesFit (fit_test.go) ----------------------------------------------------------------


def _container(cpu: str | None = None, memory: str | None = None, **extra: str) -> dict:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    requests.update(extra)
    return {"name": "c", "resources": {"requests": requests}}


def test_requests_are_the_containers_sum_at_least_an_init_containers_plus_overhead():
    pod = _pod(
        containers=[_container("1", "1Gi"), _container("500m", "1Gi")],
        init=[_container("3", "512Mi")],
        overhead={"cpu": "250m", "memory": "100Mi"},
    )
    assert pod_requests(pod) == {"cpu": 3250, "memory": 2 * 1024**3 + 100 * 1024**2}


def test_a_restartable_init_container_adds_to_the_pod_and_to_later_init_containers():
    sidecar = {**_container("1"), "restartPolicy": "Always"}
    pod = _pod(containers=[_container("1")], init=[sidecar, _container("2")])
    assert pod_requests(pod) == {"cpu": 3000}


NODE = sched_node(
    {
        "metadata": {"name": "n"},
        "status": {"allocatable": {"cpu": "10", "memory": "20", "pods": "32", "example.com/aaa": "5"}},
    }
)


@pytest.mark.parametrize(
    ("requests", "usage", "reasons"),
    [
        (
            {"cpu": 1000, "memory": 1},
            Usage({"cpu": 10000, "memory": 20}, 1),
            ["Insufficient cpu", "Insufficient memory"],
        ),
        ({"cpu": 1000, "memory": 1}, Usage({"cpu": 9000, "memory": 19}, 1), []),
        ({"cpu": 1000}, Usage({"cpu": 9001}, 1), ["Insufficient cpu"]),
        ({}, Usage({"cpu": 10000, "memory": 20}, 1), []),
        ({}, Usage({}, 32), ["Too many pods"]),
        ({"example.com/aaa": 6}, Usage({}, 0), ["Insufficient example.com/aaa"]),
        ({"example.com/bbb": 1}, Usage({}, 0), ["Insufficient example.com/bbb"]),
        ({"ephemeral-storage": 1}, Usage({}, 0), ["Insufficient ephemeral-storage"]),
    ],
)
def test_node_resources_fit(requests, usage, reasons):
    assert insufficient(NODE, ordered_requests(requests), usage) == reasons
