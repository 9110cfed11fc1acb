"""Label and field selectors, parsed and matched as the API server does."""

from __future__ import annotations

import pytest

from tui.sim.resources import EVENTS, PODS, VIRTUAL_MACHINE_INSTANCES
from tui.sim.selectors import SelectorError, check_field_selector, parse_field_selector, parse_label_selector

LABELS = {"harvesterhci.io/vmName": "vm1", "kubevirt.io/nodeName": "harv41", "tier": "3"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("harvesterhci.io/vmName=vm1", True),
        ("harvesterhci.io/vmName==vm2", False),
        ("kubevirt.io/nodeName!=harv2", True),
        ("missing!=x", True),
        ("kubevirt.io/nodeName in (harv2, harv41)", True),
        ("kubevirt.io/nodeName notin (harv41)", False),
        ("missing notin (a)", True),
        ("kubevirt.io/nodeName", True),
        ("!kubevirt.io/nodeName", False),
        ("!missing", True),
        ("tier>2,tier<4", True),
        ("harvesterhci.io/vmName=vm1,kubevirt.io/nodeName=harv2", False),
        ("", True),
    ],
)
def test_label_selector_operators(selector, expected):
    assert parse_label_selector(selector).matches(LABELS) is expected


@pytest.mark.parametrize("selector", ["a b", "a in", "a in (b", "Bad Key=1", "a=(b)", "!"])
def test_malformed_label_selectors_are_refused(selector):
    with pytest.raises(SelectorError):
        parse_label_selector(selector)


def test_field_selector_terms_match_pod_fields():
    pod = {
        "metadata": {"name": "virt-launcher-vm1-abcde", "namespace": "default"},
        "spec": {"nodeName": "harv41"},
        "status": {"phase": "Running"},
    }
    assert parse_field_selector("spec.nodeName=harv41,status.phase!=Pending").matches(PODS, pod)
    assert not parse_field_selector("spec.nodeName==harv2").matches(PODS, pod)


def test_event_source_field_is_the_reporting_component():
    event = {
        "metadata": {"name": "e", "namespace": "default"},
        "source": {"component": "virt-handler", "host": "harv41"},
    }
    assert parse_field_selector("source=virt-handler").matches(EVENTS, event)


def test_custom_resources_only_select_on_name_and_namespace():
    with pytest.raises(SelectorError) as error:
        check_field_selector(VIRTUAL_MACHINE_INSTANCES, parse_field_selector("status.phase=Running"))
    assert (
        str(error.value) == '"status.phase" is not a known field selector: only "metadata.name", "metadata.namespace"'
    )


def test_built_in_types_refuse_unknown_fields_with_their_wording():
    with pytest.raises(SelectorError) as error:
        check_field_selector(PODS, parse_field_selector("status.hostIP=10.0.0.1"))
    assert str(error.value) == "field label not supported: status.hostIP"


def test_a_field_selector_term_without_an_operator_is_refused():
    with pytest.raises(SelectorError):
        parse_field_selector("spec.nodeName")
