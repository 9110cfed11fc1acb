"""A scenario object the simulated KubeVirt cannot work with becomes a ScenarioError that names it."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from tui.sim.scenario import ScenarioError


@contextmanager
def scenario_object(kind: str, namespace: str, name: str) -> Iterator[None]:
    """Run the start-up work for one object; any failure stops the cluster with a message naming it."""
    try:
        yield
    except ScenarioError:
        raise
    except Exception as error:  # a malformed object: say which, instead of failing somewhere inside
        subject = f"{namespace}/{name}" if namespace else name
        raise ScenarioError(
            f"{kind} {subject}: the simulated KubeVirt cannot run it: {type(error).__name__}: {error}"
        ) from None
