"""Another kubeconfig context or namespace inside the UI: a chooser with the one in use marked; the app
reconnects cleanly (the old session's threads stop, no row of the old cluster stays), and a context
that cannot connect leaves the old connection in place with one sentence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.ui.harness import FAST, make_app, screen_text, simulated, until
from tui.cluster.session import ClusterSession, ConnectOptions
from tui.screens.chooser import ChooserScreen
from tui.sim.runtime import SimCluster
from tui.widgets.row_table import RowTable

OTHER_VM = {
    "apiVersion": "kubevirt.io/v1",
    "kind": "VirtualMachine",
    "metadata": {"name": "beta-only-vm", "namespace": "default"},
    "spec": {"runStrategy": "Halted", "template": {"spec": {"domain": {"memory": {"guest": "1Gi"}}}}},
}


def two_cluster_kubeconfig(alpha: SimCluster, beta: SimCluster, path: Path) -> Path:
    """One kubeconfig: contexts alpha and beta (admin on each), and broken (nothing listens there)."""
    a, b = alpha.kubeconfig(), beta.kubeconfig()

    def admin(config: dict) -> dict:
        return next(u["user"] for u in config["users"] if u["name"] == "admin")

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "alpha", "cluster": a["clusters"][0]["cluster"]},
            {"name": "beta", "cluster": b["clusters"][0]["cluster"]},
            {"name": "broken", "cluster": {**a["clusters"][0]["cluster"], "server": "https://127.0.0.1:9"}},
        ],
        "users": [{"name": "alpha-admin", "user": admin(a)}, {"name": "beta-admin", "user": admin(b)}],
        "contexts": [
            {"name": "alpha", "context": {"cluster": "alpha", "user": "alpha-admin", "namespace": "default"}},
            {"name": "beta", "context": {"cluster": "beta", "user": "beta-admin", "namespace": "default"}},
            {"name": "broken", "context": {"cluster": "broken", "user": "alpha-admin"}},
        ],
        "current-context": "alpha",
    }
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


@pytest.fixture
def beta() -> Iterator[SimCluster]:
    with simulated("empty") as running:
        running.store.create("virtualmachines", OTHER_VM, "default")
        yield running


@pytest.fixture
def alpha_session(cluster: SimCluster, beta: SimCluster, tmp_path: Path) -> Iterator[ClusterSession]:
    kubeconfig = two_cluster_kubeconfig(cluster, beta, tmp_path / "kubeconfig")
    options = ConnectOptions(
        kubeconfig=str(kubeconfig),
        clock=cluster.clock.now,
        probe_interval=0.2,
        probe_timeout=1.0,
        metrics_interval=0.2,
        timings=FAST,
        environ={},
    )
    session = ClusterSession.connect(options)
    session.start()
    session.wait_until_synced(30)
    yield session
    session.stop()


def told(app, words: str) -> bool:
    return any(words in n.message for n in app._notifications)


async def test_k_lists_the_contexts_with_the_one_in_use_marked(alpha_session):
    app = make_app(alpha_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "web-frontend-01" in screen_text(app))
        await pilot.press("K")
        await until(pilot, lambda: isinstance(app.screen, ChooserScreen), what="the chooser")
        table = app.screen.query_one(RowTable)
        assert [row.key for row in table.rows] == ["alpha", "beta", "broken"]
        assert table.cursor_key == "alpha"
        assert "● now" in screen_text(app)


async def test_switching_context_shows_the_other_cluster_and_stops_the_old_sessions_threads(alpha_session):
    app = make_app(alpha_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "web-frontend-01" in screen_text(app))
        await pilot.press("K")
        await until(pilot, lambda: isinstance(app.screen, ChooserScreen))
        await pilot.press("down", "enter")
        await until(pilot, lambda: "beta-only-vm" in screen_text(app), what="the other cluster's VM")
        text = screen_text(app)
        assert "web-frontend-01" not in text and "beta" in text.splitlines()[0]
        assert app.session is not alpha_session and app.session.context_name == "beta"
        assert list(app.live.vm_list.summaries) == ["default/beta-only-vm"]
        await until(pilot, lambda: alpha_session.threads() == [], what="the old session's threads stopped")
        app.session.stop()


async def test_a_context_that_cannot_connect_leaves_the_old_connection_and_says_why(alpha_session):
    app = make_app(alpha_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "web-frontend-01" in screen_text(app))
        await pilot.press("K")
        await until(pilot, lambda: isinstance(app.screen, ChooserScreen))
        await pilot.press("end", "enter")
        await until(pilot, lambda: told(app, "Cannot connect to context broken"), timeout=30)
        assert told(app, "livemig stays on context alpha")
        assert app.session is alpha_session and alpha_session.threads()
        assert "web-frontend-01" in screen_text(app)


async def test_n_switches_to_another_namespace_and_to_all_of_them(alpha_session):
    app = make_app(alpha_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "web-frontend-01" in screen_text(app))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ChooserScreen))
        keys = [row.key for row in app.screen.query_one(RowTable).rows]
        assert keys[0] == "*" and "finance" in keys and "default" in keys
        await pilot.press("tab", *"finance", "enter")
        await until(pilot, lambda: "legacy-erp" in screen_text(app), what="the finance namespace's VM")
        assert "web-frontend-01" not in screen_text(app)
        assert app.session.namespaces == ("finance",)
        first = app.session
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ChooserScreen))
        await pilot.press("home", "enter")
        await until(pilot, lambda: app.session.namespaces is None and "web-frontend-01" in screen_text(app))
        await until(pilot, lambda: first.threads() == [])
        app.session.stop()


async def test_a_typed_name_that_is_no_namespace_is_refused_in_one_sentence(alpha_session):
    app = make_app(alpha_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "web-frontend-01" in screen_text(app))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ChooserScreen))
        await pilot.press("tab", *"Bad_NS", "enter")
        await until(pilot, lambda: told(app, '"Bad_NS" is no namespace name'))
        assert app.session is alpha_session
