"""Another context or namespace: the kubeconfig's contexts, namespace names, and the options of the new session."""

from __future__ import annotations

import pytest

from tui.cluster.contexts import (
    ALL_NAMESPACES,
    ContextEntry,
    kubeconfig_contexts,
    namespace_choices,
    namespace_problem,
    options_for,
)
from tui.cluster.session import ConnectOptions

CONFIG = {
    "contexts": [
        {"name": "prod", "context": {"cluster": "harvester", "user": "op", "namespace": "vms"}},
        {"name": "lab", "context": {"cluster": "lab", "user": "op"}},
        {"name": "", "context": {}},
        "not a mapping",
    ]
}


def test_the_contexts_come_in_the_kubeconfigs_order_with_the_one_in_use_marked():
    assert kubeconfig_contexts(CONFIG, "lab") == [
        ContextEntry("prod", "harvester", "op", "vms", current=False),
        ContextEntry("lab", "lab", "op", "", current=True),
    ]


@pytest.mark.parametrize("name", ["default", "vms-1", "a", "x" * 63])
def test_dns_labels_are_namespace_names(name):
    assert namespace_problem(name) == ""


@pytest.mark.parametrize("name", ["Bad", "-vms", "vms-", "a_b", "x" * 64, "a.b", ""])
def test_other_names_are_refused_in_one_sentence(name):
    assert namespace_problem(name).startswith(f'"{name}" is no namespace name')


def test_the_namespaces_offered_are_the_clusters_and_the_watched_ones_sorted():
    assert namespace_choices(["default", "finance"], ("vms",)) == ["default", "finance", "vms"]
    assert namespace_choices([], None) == []


def test_the_new_sessions_options_keep_everything_but_context_and_namespace():
    options = ConnectOptions(kubeconfig="/k", context="prod", namespace="vms", readonly=True, probe_interval=1.0)
    lab = options_for(options, "lab", None)
    assert (lab.context, lab.namespace, lab.all_namespaces) == ("lab", None, False)
    assert (lab.kubeconfig, lab.readonly, lab.probe_interval) == ("/k", True, 1.0)
    everything = options_for(options, "prod", ALL_NAMESPACES)
    assert (everything.namespace, everything.all_namespaces) == (None, True)
    assert options_for(options, "prod", "web").namespace == "web"
