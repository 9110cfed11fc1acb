"""Rows before verdicts, without Textual or a server: what a row says while the kinds its verdict reads
are still being listed, and the order in which pending verdicts are made."""

from __future__ import annotations

from tests.ui.fake_session import NOW, fake_session
from tui.view.ledger import MigrationLedger
from tui.view.model import LiveView
from tui.view.vm_list import VMListModel


def cells(model: VMListModel, key: str) -> dict[str, str]:
    """The plain text of each cell of the row of `key`."""
    row = next(row for row in model.rows("", "name", False, lambda key: None) if row.key == key)
    return {column: getattr(value, "plain", value) for column, value in row.cells.items()}


def model_listing(*listing: str) -> VMListModel:
    model = VMListModel()
    model.update(fake_session().store.snapshot(), None, MigrationLedger(NOW), listing=frozenset(listing))
    return model


def test_while_vmis_are_listed_a_running_vm_says_listing_where_its_instance_speaks_and_its_verdict_is_pending():
    row = cells(model_listing("vmis", "pods"), "default/web-1")
    # Its own status (the VM's printableStatus) is known; where it runs and what it runs are not yet.
    assert row["status"] == "Running"
    assert (row["node"], row["cpu"], row["memory"]) == ("listing…", "listing…", "listing…")
    assert row["migratable"] == "… pending"


def test_while_vmis_are_listed_a_stopped_vm_is_not_called_not_running_either():
    row = cells(model_listing("vmis"), "default/db-1")
    assert row["status"] == "Stopped"
    assert row["migratable"] == "… pending"


def test_with_vmis_listed_but_nodes_not_yet_the_row_shows_its_node_and_its_verdict_waits():
    model = model_listing("nodes")
    row = cells(model, "default/web-1")
    assert (row["node"], row["migratable"]) == ("node-a", "… pending")
    assert model.pending == {"default/web-1", "default/db-1"}
    # Nothing can be made before the nodes are listed.
    assert model.settle(fake_session().store.snapshot(), MigrationLedger(NOW), budget=1.0) == set()


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
    # A slice makes at least one verdict, the one asked for first, whatever its budget.
    assert live.settle(first=("default/db-1",), budget=0.0) == {"default/db-1"}
    assert cells(live.vm_list, "default/db-1")["migratable"] == "✗ not running"
    assert cells(live.vm_list, "default/web-1")["migratable"] == "… pending"
    assert live.settle(budget=0.0) == {"default/web-1"}
    assert live.action_state("migrate", "default/web-1") == (True, "")
    assert not live.vm_list.pending and live.header_facts().checking == 0
    assert live.settle(budget=1.0) == frozenset()


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
