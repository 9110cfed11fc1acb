"""The VM list's order after rows change, come and go: always the order a list made afresh from the
same cluster has (re-sorts start from the last order and reuse what rows are sorted by)."""

from __future__ import annotations

import copy
from typing import Any

from tests.ui.fake_session import NOW, fake_session, fixture_objects
from tui.view.ledger import MigrationLedger
from tui.view.vm_list import VMListModel

COLUMNS = ("name", "namespace", "status", "node", "cpu", "memory", "migratable", "migration")


def order(model: VMListModel, column: str, reverse: bool = False) -> list[str]:
    return [row.key for row in model.rows("", column, reverse, lambda key: None)]


def fresh_order(objects: list[dict[str, Any]], column: str, reverse: bool = False) -> list[str]:
    model = VMListModel()
    model.update(fake_session(objects).store.snapshot(), None, MigrationLedger(NOW))
    return order(model, column, reverse)


def renamed(objects: list[dict[str, Any]], old: str, new: str) -> list[dict[str, Any]]:
    """Copies of the VM `old` and its VMI, called `new`."""
    made = []
    for obj in objects:
        if obj["kind"] in ("VirtualMachine", "VirtualMachineInstance") and obj["metadata"]["name"] == old:
            twin = copy.deepcopy(obj)
            twin["metadata"]["name"] = new
            twin["metadata"]["uid"] = f"{twin['metadata'].get('uid', '')}-{new}"
            made.append(twin)
    return made


def test_the_order_after_changes_is_the_order_of_a_list_made_afresh():
    objects = fixture_objects()
    ledger = MigrationLedger(NOW)
    model = VMListModel()
    model.update(fake_session(objects).store.snapshot(), None, ledger)
    for column in COLUMNS:
        assert order(model, column) == fresh_order(objects, column), column
    order(model, "node")  # the values rows are sorted by are the node column's, kept across changes

    # A VM moves to another node, another comes (a copy of one), and one goes.
    vm_names = [o["metadata"]["name"] for o in objects if o["kind"] == "VirtualMachine"]
    moved, copied, gone = vm_names[0], vm_names[0], vm_names[-1]
    changed = copy.deepcopy(objects) + renamed(objects, copied, "aaa-first-by-name")
    for obj in changed:
        if obj["kind"] == "VirtualMachineInstance" and obj["metadata"]["name"] == moved:
            obj["status"]["nodeName"] = "zzz-last-node"
    changed = [
        o
        for o in changed
        if not (o["kind"] in ("VirtualMachine", "VirtualMachineInstance") and o["metadata"]["name"] == gone)
    ]
    namespace = next(o["metadata"]["namespace"] for o in objects if o["kind"] == "VirtualMachine")
    keys = {f"{namespace}/{name}" for name in (moved, "aaa-first-by-name", gone)}
    model.update(fake_session(changed).store.snapshot(), keys, ledger)

    for column in ("node", "name", "status"):
        for reverse in (False, True):
            assert order(model, column, reverse) == fresh_order(changed, column, reverse), (column, reverse)
    assert order(model, "name")[0] == f"{namespace}/aaa-first-by-name"
    assert order(model, "node")[-1] == f"{namespace}/{moved}"
    assert f"{namespace}/{gone}" not in order(model, "name")
