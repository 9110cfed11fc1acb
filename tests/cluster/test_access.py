"""Access reviews: what the user may do per action and namespace, and why not, in a sentence."""

from __future__ import annotations

from tests.cluster.simulated import connect
from tui.cluster.access import ABORT, MIGRATE, SET_CPU_MODEL


def test_the_admin_may_do_every_action(kubeconfig):
    with connect(kubeconfig, start=False) as session:
        assert all(session.access.check(action, "default").allowed for action in (MIGRATE, ABORT, SET_CPU_MODEL))


def test_the_viewer_may_not_migrate_and_is_told_why(kubeconfig):
    with connect(kubeconfig, start=False, context="sim-viewer") as session:
        permission = session.access.check(MIGRATE, "default")
    assert not permission.allowed
    assert permission.reason == "you may not create virtualmachineinstancemigrations in default"


def test_permissions_are_per_namespace(kubeconfig):
    with connect(kubeconfig, start=False, context="sim-alice") as session:
        assert session.access.check(MIGRATE, "default").allowed
        assert session.access.check(ABORT, "default").allowed
        other = session.access.check(MIGRATE, "web")
        patch = session.access.check(SET_CPU_MODEL, "default")
    assert not other.allowed and other.reason == "you may not create virtualmachineinstancemigrations in web"
    assert not patch.allowed and patch.reason == "you may not patch virtualmachines in default"


def test_answers_are_cached_until_refreshed(kubeconfig):
    with connect(kubeconfig, start=False, context="sim-viewer") as session:
        assert session.access.permission(MIGRATE, "default") is None
        checked = session.access.check(MIGRATE, "default")
        assert session.access.permission(MIGRATE, "default") == checked
        session.access.refresh()
        assert session.access.permission(MIGRATE, "default") is None


def test_read_only_denies_every_action_without_asking(kubeconfig):
    with connect(kubeconfig, start=False, readonly=True) as session:
        permission = session.access.permission(MIGRATE, "default")
        assert permission is not None and not permission.allowed and "read-only" in permission.reason
        assert not session.access.check(SET_CPU_MODEL, "default").allowed
