"""A Simulation document names VMs and nodes of its scenario, and a mistyped kind is answered with the nearest one."""

from __future__ import annotations

import pytest

from tui.sim.scenario import ScenarioError, parse_scenario

NODE_AND_VM = """
---
apiVersion: v1
kind: Node
metadata:
  name: harv-1
  labels: {kubernetes.io/hostname: harv-1}
---
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: db-primary, namespace: finance}
spec: {runStrategy: Halted}
"""


def refusal(text: str) -> str:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(text)
    return str(raised.value)


def test_a_dirty_rate_for_a_vm_the_scenario_does_not_hold_is_refused_with_the_nearest_name():
    message = refusal(
        "apiVersion: livemig.io/v1alpha1\nkind: Simulation\ndirtyRates: {finance/db-primry: 512Mi}\n" + NODE_AND_VM
    )
    assert message == (
        "document 1 (Simulation): dirtyRates[finance/db-primry]: the scenario has no VirtualMachine or "
        'VirtualMachineInstance finance/db-primry (did you mean "finance/db-primary"?)'
    )


def test_a_dirty_rate_naming_the_wrong_namespace_is_refused():
    message = refusal(
        "apiVersion: livemig.io/v1alpha1\nkind: Simulation\ndirtyRates: {default/db-primary: 512Mi}\n" + NODE_AND_VM
    )
    assert message.startswith(
        "document 1 (Simulation): dirtyRates[default/db-primary]: the scenario has no VirtualMachine"
    )


def test_node_cpus_for_a_node_the_scenario_does_not_hold_are_refused():
    message = refusal(
        "apiVersion: livemig.io/v1alpha1\nkind: Simulation\nnodeCPUs: {harv-9: {hostModel: XYZ}}\n" + NODE_AND_VM
    )
    assert (
        message == 'document 1 (Simulation): nodeCPUs[harv-9]: the scenario has no Node harv-9 (did you mean "harv-1"?)'
    )


def test_dirty_rates_and_node_cpus_naming_what_the_scenario_holds_are_read():
    scenario = parse_scenario(
        "apiVersion: livemig.io/v1alpha1\nkind: Simulation\ndirtyRates: {finance/db-primary: 512Mi}\n"
        "nodeCPUs: {harv-1: {hostModel: XYZ}}\n" + NODE_AND_VM
    )
    assert scenario.simulation.dirty_rate("finance", "db-primary") == 512 * 1024 * 1024
    assert scenario.simulation.node_cpus["harv-1"].host_model == "XYZ"


def test_a_mistyped_simulation_kind_is_answered_with_simulation_among_the_served_kinds():
    message = refusal("apiVersion: livemig.io/v1alpha1\nkind: Simulaton\nmonitoring: true\n")
    assert message.startswith(
        'document 1 (Simulaton): kind: unknown kind "Simulaton" in apiVersion "livemig.io/v1alpha1" '
        "(did you mean Simulation (livemig.io/v1alpha1)?); the simulated cluster serves Simulation (livemig.io/v1alpha1), "
    )


def test_a_kind_under_an_old_api_version_is_answered_with_the_served_one():
    message = refusal("apiVersion: kubevirt.io/v1alpha3\nkind: VirtualMachine\nmetadata: {name: web-1}\n")
    assert "(did you mean VirtualMachine (kubevirt.io/v1)?)" in message
