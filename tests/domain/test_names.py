"""The names livemig shares between layers: the registry of watched kinds, the phase and outcome words,
and the VM key."""

from __future__ import annotations

import json

import pytest

from tui.domain import kinds
from tui.domain.keys import VMKey
from tui.domain.objects import VM, Node
from tui.domain.phases import MigrationPhase, Outcome, VMIPhase
from tui.domain.snapshot import ClusterSnapshot, deployed_kubevirt


def test_every_kind_has_one_name_one_api_kind_and_kubectls_resource_name() -> None:
    assert len(kinds.NAMES) == len(set(kinds.NAMES)) == len(kinds.KIND_BY_API_KIND)
    assert kinds.VMS.resource == "virtualmachines.kubevirt.io"
    assert kinds.NADS.resource == "network-attachment-definitions.k8s.cni.cncf.io"
    assert kinds.PODS.resource == "pods"


def test_a_command_waits_for_the_kinds_it_cannot_do_without_and_says_what_it_lacks_without_the_others() -> None:
    assert kinds.required_for(kinds.PLAN_COMMAND) == ("vms", "vmis", "migrations")
    assert kinds.required_for(kinds.ABORT_COMMAND) == ("migrations",)
    assert kinds.required_for("nonsense") == ()
    for kind in kinds.KINDS:
        assert bool(kind.without) is not bool(kind.needed_by), kind.name


def test_a_sentence_names_a_kind_in_an_operators_words() -> None:
    assert kinds.words_for("kubevirts") == "the KubeVirt CR"
    assert kinds.words_for("settings") == "settings"


def test_the_snapshot_reads_every_kind_of_the_registry() -> None:
    objects = [
        {"kind": kind.api_kind, "apiVersion": "v1", "metadata": {"name": f"a-{kind.name}", "namespace": "ns"}}
        for kind in kinds.KINDS
    ]
    snapshot = ClusterSnapshot.from_objects(objects)
    assert snapshot.kubevirt is not None
    for kind in kinds.KINDS:
        if kind is kinds.KUBEVIRTS:
            continue
        read = getattr(snapshot, kind.name)
        assert len(read) == 1, kind.name
    assert isinstance(next(iter(snapshot.nodes.values())), Node)
    assert isinstance(next(iter(snapshot.vms.values())), VM)


def _kubevirt(name: str, phase: str) -> dict[str, object]:
    return {"kind": "KubeVirt", "metadata": {"name": name, "namespace": "kubevirt"}, "status": {"phase": phase}}


def test_of_several_kubevirt_crs_the_deployed_one_is_in_charge_else_the_first() -> None:
    crs = [_kubevirt("a", "Deploying"), _kubevirt("b", "Deployed"), _kubevirt("c", "Deployed")]
    chosen = [ClusterSnapshot.from_objects(some).kubevirt for some in (crs, crs[:1])]
    assert [kubevirt.name if kubevirt is not None else None for kubevirt in chosen] == ["b", "a"]
    assert deployed_kubevirt([]) is None


def test_phases_and_outcomes_are_the_words_the_api_and_the_json_output_use() -> None:
    assert VMIPhase.RUNNING == "Running" and MigrationPhase.NEW == ""
    assert f"{Outcome.TIMED_OUT}" == str(Outcome.TIMED_OUT) == "TimedOut"
    assert f"{MigrationPhase.PREPARING_TARGET:>16}" == " PreparingTarget"
    assert json.dumps([Outcome.ABORT_FAILED]) == '["AbortFailed"]'
    assert {"Succeeded": 1}[MigrationPhase.SUCCEEDED] == 1


def test_a_vm_key_reads_and_writes_namespace_slash_name() -> None:
    key = VMKey.parse("default/web-1")
    assert (key.namespace, key.name, str(key)) == ("default", "web-1", "default/web-1")
    assert key == VMKey("default", "web-1") and len({key, VMKey("default", "web-1")}) == 1
    assert sorted([VMKey("b", "a"), VMKey("a", "z")]) == [VMKey("a", "z"), VMKey("b", "a")]


@pytest.mark.parametrize("text", ["web-1", "/web-1", "default/", "a/b/c", ""])
def test_a_text_that_is_no_vm_key_is_refused_with_a_sentence(text: str) -> None:
    with pytest.raises(ValueError, match="is no VM key: write it as namespace/name"):
        VMKey.parse(text)
