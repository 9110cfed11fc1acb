"""Registers the disruption controller, the simulated KubeVirt and Harvester, and the built-in scenarios, with the simulated cluster.

SimCluster imports this module when it starts; so does anything that wants the built-in scenarios
(`default`, `old-kubevirt`, `large`) before starting a cluster.
"""

from __future__ import annotations

from tui.sim import disruption
from tui.sim import scenarios as _scenarios  # noqa: F401  (registers the built-in scenarios)
from tui.sim.kubevirt.simulation import install, simulation_of
from tui.sim.runtime import register_installer

register_installer(disruption.install)
register_installer(install)

__all__ = ["install", "simulation_of"]
