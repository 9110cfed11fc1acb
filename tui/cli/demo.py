"""`--demo`: a simulated cluster started in this process, and a temporary kubeconfig for it.

The simulator is imported here only, when the demo starts: parsing the arguments never loads it.
"""

from __future__ import annotations

import contextlib
import difflib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from tui.cluster.errors import ConnectError

if TYPE_CHECKING:
    from tui.sim.runtime import SimCluster


def builtin_scenarios() -> dict[str, str]:
    """The simulator's built-in scenarios (registered when its KubeVirt is imported); {} without it."""
    try:
        from tui.sim.scenario import builtin_scenarios as listed

        with contextlib.suppress(ImportError):
            import tui.sim.controller  # noqa: F401  (registers the built-in scenarios)
        return listed()
    except Exception:  # noqa: BLE001 - the simulator cannot be imported: only files can be scenarios then
        return {}


@contextlib.contextmanager
def demo_cluster(scenario: str) -> Iterator[tuple[str, SimCluster]]:
    """A simulated cluster in this process, real-time clock, and a temporary kubeconfig for it."""
    from tui.sim.runtime import SimCluster
    from tui.sim.scenario import ScenarioError

    known = builtin_scenarios()  # a scenario named here must be registered before the cluster loads it
    try:
        cluster = SimCluster.start(scenario, manual_clock=False)
    except ScenarioError as error:
        nearest = difflib.get_close_matches(scenario, list(known), n=1) if not Path(scenario).exists() else []
        hint = f' Did you mean "{nearest[0]}"?' if nearest else ""
        raise ConnectError("bad-kubeconfig", f"The demo cannot start: {error}.{hint}") from None
    except OSError as error:
        raise ConnectError("unreachable", f"The demo cannot start its simulated API server: {error}.") from None
    directory = tempfile.mkdtemp(prefix="livemig-demo-")
    try:
        path = cluster.write_kubeconfig(Path(directory) / "config")
        yield str(path), cluster
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
