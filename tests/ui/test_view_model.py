"""The view model without Textual and without a server: what the screens read, from a session's snapshot."""

from __future__ import annotations

from tests.ui.fake_session import fake_session
from tui.cluster.access import Permission
from tui.view.model import LiveView


def applied(readonly: bool = False) -> LiveView:
    live = LiveView(fake_session(), readonly=readonly)
    live.apply(full=True)
    return live


def test_a_full_apply_lists_every_vm_and_counts_them_for_the_header():
    live = applied()
    assert set(live.vm_list.summaries) == {"default/web-1", "default/db-1"}
    facts = live.header_facts()
    assert (facts.context, facts.scope, facts.vms, facts.running, facts.nodes, facts.nodes_ready) == (
        "fake-context",
        "all namespaces",
        2,
        1,
        2,
        2,
    )
    assert facts.kubevirt == "1.6.3"


def test_migrate_applies_to_a_running_vm_and_not_to_a_stopped_one():
    live = applied()
    assert live.action_state("migrate", "default/web-1") == (True, "")
    state, reason = live.action_state("migrate", "default/db-1")
    assert state is None and reason.startswith("db-1 cannot be migrated: ")
    assert live.action_state("abort", "default/web-1") == (None, "web-1 has no running migration to abort.")
    assert live.action_state("migrate", None) == (None, "No VM is selected.")


def test_a_migration_asked_for_guards_the_vm_until_the_answer_says_none_was_created():
    live = applied()
    live.migration_asked("default/web-1")
    assert live.action_state("migrate", "default/web-1") == (None, "A migration of web-1 is being started.")
    live.migration_answered("default/web-1", None)
    assert live.action_state("migrate", "default/web-1") == (True, "")


def test_a_created_migration_keeps_the_guard_until_the_store_shows_it():
    live = applied()
    live.migration_asked("default/web-1")
    live.migration_answered("default/web-1", "web-1-abcde")
    assert live.action_state("migrate", "default/web-1")[0] is None


def test_read_only_hides_migrate_and_abort_and_says_why():
    live = applied(readonly=True)
    assert live.action_state("migrate", "default/web-1") == (
        False,
        "livemig runs read-only (--readonly): it changes nothing.",
    )
    assert live.permission("abort", "default") == Permission(False, "livemig runs read-only (--readonly)")
    assert live.needs_permissions("default") is False


def test_permissions_are_asked_once_per_namespace_until_forgotten():
    live = applied()
    assert live.needs_permissions("default") is True
    assert live.needs_permissions("default") is False
    live.permission_checked("migrate", "default", Permission(False, "no create on virtualmachineinstancemigrations"))
    assert live.action_state("migrate", "default/web-1") == (
        None,
        "Not allowed: no create on virtualmachineinstancemigrations.",
    )
    live.forget_permissions()
    assert live.permission("migrate", "default") is None
    assert live.needs_permissions("default") is True
