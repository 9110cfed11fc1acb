"""ClusterSession: who and where, the cluster's clock, and a clean start and stop."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import urllib3

from tests.cluster.simulated import FAST, connect, start_cluster
from tui.cluster.transport import ServerClock


def test_the_session_names_its_context_server_user_and_scope(cluster, kubeconfig):
    with connect(kubeconfig, start=False, namespace="default") as session:
        assert (session.context_name, session.user, session.server_url) == ("sim-admin", "admin", cluster.url)
        assert session.namespaces == ("default",) and session.scope_text == "namespace default"
        assert session.info.kubernetes_version.startswith("v1.")


def test_now_is_the_clock_given_in_the_options(cluster, kubeconfig):
    with connect(kubeconfig, start=False, clock=cluster.clock.now) as session:
        before = session.now()
        cluster.advance(90)
        assert session.now() - before == timedelta(seconds=90)
        assert session.now() == cluster.clock.now()


def test_the_server_clock_follows_the_date_headers_of_the_answers():
    clock = ServerClock()
    local = datetime.now(timezone.utc).timestamp()
    ahead = datetime.fromtimestamp(local + 3600, tz=timezone.utc)
    clock.observe(format_datetime(ahead, usegmt=True), local - 0.1, local + 0.1)
    assert clock.offset == pytest.approx(3600, abs=1.5)


def test_one_odd_date_header_does_not_move_the_server_clock():
    clock = ServerClock()
    local = datetime.now(timezone.utc).timestamp()
    for offset in (10, 10, 500, 10):
        clock.observe(
            format_datetime(datetime.fromtimestamp(local + offset, tz=timezone.utc), usegmt=True), local, local
        )
    assert clock.offset == pytest.approx(10, abs=1.5)


def test_stop_twice_is_harmless(kubeconfig):
    session = connect(kubeconfig)
    session.stop()
    session.stop()
    assert session.threads() == []


def test_waiting_for_the_first_lists_ends_with_the_probes_verdict_when_the_server_stops_answering(cluster, kubeconfig):
    session = connect(kubeconfig, start=False, probe_timeout=0.5)
    try:
        cluster.fault("stall", seconds=60)  # right after connecting: no list is answered
        session.start()
        listing = session.wait_until_listed(timeout=30)
        assert not listing.complete and "vms" in listing.unsettled
        assert listing.server_lost.startswith("no answer from the API server: ")
        assert "did not answer in time" in listing.server_lost
    finally:
        cluster.fault("stall", seconds=0)
        session.stop()


def test_waiting_for_some_kinds_returns_once_they_are_listed_or_forbidden(cluster, kubeconfig):
    with connect(kubeconfig, start=False, context="sim-tenant") as session:
        session.start()
        listing = session.wait_until_listed(("migrations", "nodes"), timeout=30)
        assert listing.complete and listing.server_lost == ""
        assert session.store.state("nodes").status == "forbidden"


def test_a_user_who_may_not_read_nodes_gets_snapshots_that_say_the_nodes_are_unknown(cluster, kubeconfig):
    with connect(kubeconfig, context="sim-tenant") as tenant, connect(kubeconfig) as admin:
        assert tenant.store.snapshot().nodes_known is False
        assert admin.store.snapshot().nodes_known is True


def test_stop_wakes_silent_watches_when_urllib3_has_no_response_shutdown(monkeypatch, tmp_path):
    # urllib3 before 2.3 (which the kubernetes client allows) has no HTTPResponse.shutdown().
    monkeypatch.delattr(urllib3.response.HTTPResponse, "shutdown", raising=False)
    monkeypatch.delattr(urllib3.response.BaseHTTPResponse, "shutdown", raising=False)
    quiet = replace(FAST, watch_idle_timeout=120.0)  # a blocked watch would hold its thread two minutes
    with start_cluster(bookmark_interval=3600) as silent:
        session = connect(silent.write_kubeconfig(tmp_path / "config"), timings=quiet)
        stopping = threading.Thread(target=session.stop, kwargs={"timeout": 5}, daemon=True)
        stopping.start()
        stopping.join(30)  # far less than the watches' idle timeout: only a woken reader ends in time
        assert not stopping.is_alive(), "session.stop() is still waiting for a watch blocked on its socket"
        assert session.threads() == []
