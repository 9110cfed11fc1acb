"""Cluster fixtures: YAML files of API objects (as `kubectl get -o yaml` prints them, trimmed) turned into snapshots."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from tui.domain.placement import NodeVerdict
from tui.domain.reasons import Reason
from tui.domain.snapshot import ClusterSnapshot

FIXTURES = Path(__file__).parent / "fixtures"


@cache
def objects(name: str) -> tuple:
    """The documents of fixtures/<name>.yaml (the files use YAML anchors to share label sets)."""
    with open(FIXTURES / f"{name}.yaml") as handle:
        return tuple(doc for doc in yaml.safe_load_all(handle) if doc)


def cluster(name: str, *, pods_known: bool | None = None) -> ClusterSnapshot:
    return ClusterSnapshot.from_objects(list(objects(name)), pods_known=pods_known)


def verdict(verdicts: list[NodeVerdict], node: str) -> NodeVerdict:
    found = [v for v in verdicts if v.node == node]
    assert len(found) == 1, f"one verdict for {node}, got {found}"
    return found[0]


def codes(reasons: tuple[Reason, ...] | list[Reason]) -> list[str]:
    return [reason.code for reason in reasons]
