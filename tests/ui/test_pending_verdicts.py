"""Rows before verdicts, without Textual or a server: what a row says while the kinds its verdict reads
are still being listed, and the order in which pending verdicts are made."""

from __future__ import annotations

from dataclasses import replace

from tests.ui.fake_session import NOW, fake_session, fixture_objects
from tui.domain.plan import vm_summary
from tui.domain.snapshot import ClusterSnapshot
from tui.view.ledger import MigrationLedger
from tui.view.model import LiveView
from tui.view.vm_list import VMListModel


def cells(model: VMListModel, key: str) -> dict[str, str]:
    """The plain text of each cell of the row of `key`."""
    row = next(row for row in model.rows("", "name", False, lambda key: None) if row.key == key)
    return {column: getattr(value, "plain", value) for column, value in row.cells.items()}


def model_listing(*listing: str, vmis: bool = True) -> VMListModel:
    """The model of the fake cluster while the kinds `listing` are listed (without VMIs: none held yet)."""
    objects = [o for o in fixture_objects() if vmis or o["kind"] != "VirtualMachineInstance"]
    model = VMListModel()
    model.update(fake_session(objects).store.snapshot(), None, MigrationLedger(NOW), listing=frozenset(listing))
    return model


def test_while_vmis_are_listed_a_running_vm_says_listing_where_its_instance_speaks_and_its_verdict_is_pending():
    row = cells(model_listing("vmis", "pods", vmis=False), "default/web-1")
    # Its own status (the VM's printableStatus) is known; where it runs and what it runs are not yet.
    assert row["status"] == "Running"
    assert (row["node"], row["cpu"], row["memory"]) == ("listing…", "listing…", "listing…")
    assert row["migratable"] == "… pending"


def test_a_vmi_already_held_is_shown_while_the_rest_of_its_list_comes():
    row = cells(model_listing("vmis"), "default/web-1")
    assert (row["node"], row["migratable"]) == ("node-a", "… pending")


def test_while_vmis_are_listed_a_stopped_vm_is_not_called_not_running_either():
    row = cells(model_listing("vmis", vmis=False), "default/db-1")
    assert row["status"] == "Stopped"
    assert row["migratable"] == "… pending"


def test_with_vmis_listed_but_nodes_not_yet_the_row_shows_its_node_and_its_verdict_waits():
    model = model_listing("nodes")
    row = cells(model, "default/web-1")
    assert (row["node"], row["migratable"]) == ("node-a", "… pending")
    assert model.pending == {"default/web-1", "default/db-1"}
    # Nothing can be made before the nodes are listed.
    assert model.due() == []
    assert model.settle(fake_session().store.snapshot(), MigrationLedger(NOW)) == set()


def test_pods_still_being_listed_do_not_hold_the_verdicts_back():
    model = model_listing("pods")
    assert not model.pending
    assert cells(model, "default/web-1")["migratable"] == "✓ yes"
    assert cells(model, "default/db-1")["migratable"] == "✗ not running"


def test_many_vms_get_their_verdicts_in_slices_those_asked_for_first():
    live = LiveView(fake_session(), readonly=False)
    live.vm_list.immediate = 0  # as with thousands of VMs: no verdict is made in the apply itself
    live.apply(full=True)
    assert live.vm_list.pending == {"default/web-1", "default/db-1"}
    assert cells(live.vm_list, "default/web-1")["migratable"] == "… pending"
    assert live.header_facts().checking == 2
    assert live.action_state("migrate", "default/web-1") == (
        None,
        "web-1 is still being checked: 2 VMs left to check.",
    )
    # Those asked for first are made first.
    assert live.settle(first=("default/db-1",), limit=1) == {"default/db-1"}
    assert cells(live.vm_list, "default/db-1")["migratable"] == "✗ not running"
    assert cells(live.vm_list, "default/web-1")["migratable"] == "… pending"
    assert live.settle(limit=1) == {"default/web-1"}
    assert live.action_state("migrate", "default/web-1") == (True, "")
    assert not live.vm_list.pending and live.header_facts().checking == 0
    assert live.settle() == frozenset()


def test_a_node_change_keeps_the_verdicts_shown_until_they_are_made_again():
    live = LiveView(fake_session(), readonly=False)
    live.vm_list.immediate = 0
    live.apply(full=True)
    while live.vm_list.pending:
        live.settle()
    rows = {row.key: row for row in live.vm_list.rows("", "name", False, live.ledger.for_vm)}
    live.apply(changed={"nodes": {"node-b"}})
    # The node facts are what they were (same snapshot): nothing to make again.
    assert not live.vm_list.pending
    live.apply(changed={"kubevirts": {"kubevirt/kubevirt"}})
    assert live.vm_list.pending == {"default/web-1", "default/db-1"}
    again = {row.key: row for row in live.vm_list.rows("", "name", False, live.ledger.for_vm)}
    assert again == rows  # the same rows, old verdicts included, until each is made again


def test_verdicts_made_apart_are_taken_only_for_vms_unchanged_since_and_only_before_the_nodes_or_rules_change():
    session = fake_session()
    live = LiveView(session, readonly=False)
    live.vm_list.immediate = 0
    live.apply(full=True)
    made_from, epoch, keys = live.verdicts_due()
    assert sorted(keys) == ["default/db-1", "default/web-1"]
    made = {key: vm_summary(made_from, made_from.vms[key]) for key in keys}
    # Meanwhile web-1's VMI moved to node-b: its verdict, made from the older VMI, is not taken.
    objects = fixture_objects()
    vmi = next(o for o in objects if o["kind"] == "VirtualMachineInstance" and o["metadata"]["name"] == "web-1")
    vmi["status"]["nodeName"] = "node-b"
    moved = ClusterSnapshot.from_objects(objects).vmis["default/web-1"]
    # As the store does: the other objects are the same ones.
    session.store.change(replace(made_from, vmis={**made_from.vmis, "default/web-1": moved}), vmis={"default/web-1"})
    live.apply(changed={"vmis": {"default/web-1"}})
    assert cells(live.vm_list, "default/web-1")["node"] == "node-b"
    assert live.verdicts_made(made_from, epoch, made) == {"default/db-1"}
    assert live.vm_list.pending == {"default/web-1"}
    # After the KubeVirt CR changed, nothing made before is taken: every verdict is made again.
    made_from, epoch, keys = live.verdicts_due()
    made = {key: vm_summary(made_from, made_from.vms[key]) for key in keys}
    live.apply(changed={"kubevirts": {"kubevirt/kubevirt"}})
    assert live.verdicts_made(made_from, epoch, made) == frozenset()
    assert live.vm_list.pending == {"default/web-1", "default/db-1"}
