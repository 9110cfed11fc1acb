"""ClusterSession: who and where, the cluster's clock, and a clean start and stop."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from tests.cluster.simulated import connect
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
        clock.observe(format_datetime(datetime.fromtimestamp(local + offset, tz=timezone.utc), usegmt=True), local, local)
    assert clock.offset == pytest.approx(10, abs=1.5)


def test_stop_twice_is_harmless(kubeconfig):
    session = connect(kubeconfig)
    session.stop()
    session.stop()
    assert session.threads() == []
