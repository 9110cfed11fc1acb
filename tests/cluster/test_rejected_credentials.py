"""Credentials rejected while livemig runs (401 from a server that no longer knows the token): the
cluster layer says so as its own state, retries only now and then, and the banner says what start-up
says and what to do."""

from __future__ import annotations

from pathlib import Path

from tests.cluster.simulated import connect, eventually, start_cluster
from tui.cluster.connection import ConnectionStatus
from tui.sim.runtime import SimCluster
from tui.view.connection import connection_summary


def test_a_401_while_running_is_a_rejected_state_and_the_banner_says_to_get_a_fresh_kubeconfig(
    cluster: SimCluster, kubeconfig: Path
) -> None:
    with connect(kubeconfig) as session:
        port = cluster.port
        cluster.stop()
        # A server at the same address that does not know the token (new tokens, as a rebuilt cluster has).
        with start_cluster(port=port) as rebuilt:
            assert rebuilt.tokens["admin"] != cluster.tokens["admin"]
            state = eventually(
                lambda: (s := session.store.state("vms")).status == ConnectionStatus.RECONNECTING and s.rejected and s,
                timeout=30,
            )
            assert state.last_error.startswith("401 Unauthorized")
            summary = connection_summary(session.store.states())
            assert summary.short == "credentials rejected"
            assert "Get a fresh kubeconfig (or log in again) and restart livemig" in summary.banner
