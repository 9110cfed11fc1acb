"""The built-in scenarios of livemig-sim: `default`, `old-kubevirt`, `large` and the `release-*` ones.

`default` is default.yaml, next to this module: ordinary Kubernetes YAML plus a Simulation document,
to be read as an example of a scenario dumped from a cluster. `old-kubevirt` is the same cluster on
KubeVirt 1.5 (Harvester 1.6), where a migration's spec.addedNodeSelector does not exist. `large` is
generated (tui.sim.scenarios.large). `release-kubevirt-<version>` and `release-harvester-<version>`
are the default cluster at other releases (tui.sim.scenarios.versions).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tui.sim.scenario import Scenario, ScenarioOptions, parse_scenario, register_scenario
from tui.sim.store import copy_object

SCENARIO_DIR = Path(__file__).resolve().parent
OLD_KUBEVIRT_VERSION = "1.5.2"
OLD_KUBEVIRT_BUILD = "1.5.2-150600.5.21.1"


def default_scenario(options: ScenarioOptions = ScenarioOptions()) -> Scenario:
    text = (SCENARIO_DIR / "default.yaml").read_text(encoding="utf-8")
    return parse_scenario(text, name="default")


def old_kubevirt_scenario(options: ScenarioOptions = ScenarioOptions()) -> Scenario:
    """The default cluster one Harvester release back: KubeVirt 1.5, without addedNodeSelector."""
    base = default_scenario(options)
    objects = []
    for obj in base.objects:
        if obj.get("kind") == "KubeVirt":
            obj = copy_object(obj)
            status = obj.setdefault("status", {})
            status["observedKubeVirtVersion"] = status["targetKubeVirtVersion"] = OLD_KUBEVIRT_BUILD
            status["operatorVersion"] = f"v{OLD_KUBEVIRT_VERSION}"
        objects.append(obj)
    simulation = replace(base.simulation, kubevirt_version=OLD_KUBEVIRT_VERSION)
    return Scenario(name="old-kubevirt", objects=tuple(objects), simulation=simulation)


def large_scenario(options: ScenarioOptions = ScenarioOptions()) -> Scenario:
    from tui.sim.scenarios.large import generate

    return generate(options.vms if options.vms is not None else 1000)


register_scenario(
    "default",
    default_scenario,
    "a small Harvester 1.7 cluster: two CPU generations, every kind of VM that cannot move, a busy VM",
)
register_scenario(
    "old-kubevirt",
    old_kubevirt_scenario,
    "the default cluster on KubeVirt 1.5 (Harvester 1.6): no spec.addedNodeSelector",
)
register_scenario("large", large_scenario, "generated: --vms N Harvester VMs (default 1000) over N/30 nodes")

from tui.sim.scenarios.versions import register_releases  # noqa: E402  (it reads default_scenario above)

register_releases()
