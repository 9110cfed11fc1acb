"""The simulated clock: manual time that ticks every simulated second."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from tui.sim.clock import SimClock

START = datetime(2026, 1, 19, 5, 0, tzinfo=timezone.utc)


def test_manual_time_stands_still_until_advanced():
    clock = SimClock(start=START, manual=True)
    assert clock.now() == START
    assert clock.advance(90) == START + timedelta(seconds=90)


def test_advancing_ten_minutes_ticks_every_second_in_order():
    clock = SimClock(start=START, manual=True)
    ticks: list[datetime] = []
    clock.on_tick(ticks.append)
    clock.advance(600)
    assert len(ticks) == 600
    assert ticks[0] == START + timedelta(seconds=1) and ticks[-1] == START + timedelta(seconds=600)
    assert ticks == sorted(ticks)


def test_a_fractional_advance_ends_with_a_short_step():
    clock = SimClock(start=START, manual=True)
    ticks: list[datetime] = []
    clock.on_tick(ticks.append)
    clock.advance(2.5)
    assert ticks[-1] == START + timedelta(seconds=2.5) and len(ticks) == 3


def test_ticks_hold_the_given_lock():
    lock = threading.RLock()
    clock = SimClock(start=START, manual=True, lock=lock)
    held: list[bool] = []
    clock.on_tick(lambda now: held.append(lock._is_owned()))  # type: ignore[attr-defined]
    clock.advance(1)
    assert held == [True]


def test_an_unregistered_callback_is_not_called():
    clock = SimClock(start=START, manual=True)
    ticks: list[datetime] = []
    remove = clock.on_tick(ticks.append)
    remove()
    clock.advance(3)
    assert ticks == []


def test_a_failing_callback_does_not_stop_the_others():
    clock = SimClock(start=START, manual=True)
    ticks: list[datetime] = []
    clock.on_tick(lambda now: 1 / 0)
    clock.on_tick(ticks.append)
    clock.advance(2)
    assert len(ticks) == 2


def test_real_time_mode_refuses_advance():
    with pytest.raises(RuntimeError):
        SimClock(start=START).advance(1)


def test_the_server_date_header_follows_the_simulated_clock(tmp_path):
    from email.utils import parsedate_to_datetime

    from kubernetes import client, config

    from tui.sim.runtime import SimCluster

    with SimCluster.start("empty", manual_clock=True) as cluster:
        cluster.advance(86_400)
        api = config.new_client_from_config(config_file=str(cluster.write_kubeconfig(tmp_path / "config")))
        try:
            _, status, headers = client.VersionApi(api).get_code_with_http_info()
        finally:
            api.close()
        assert status == 200
        assert parsedate_to_datetime(headers["Date"]) == cluster.clock.now().replace(microsecond=0)
