"""The simulated cluster's KubeVirt and Harvester: VMIs and launcher pods, migrations, node agents, webhooks.

`install(cluster)` (tui.sim.kubevirt.simulation) is the SimCluster installer; tui.sim.controller
registers it.
"""
