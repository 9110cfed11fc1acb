"""What the header and the banner say about the connection."""

from __future__ import annotations

import textwrap

from tui.cluster.connection import ConnectionState, ConnectionStatus
from tui.domain.kinds import NAMES as KINDS
from tui.view.connection import connection_summary


def states(**overrides: ConnectionState) -> dict[str, ConnectionState]:
    found = {kind: ConnectionState(kind, ConnectionStatus.CONNECTED) for kind in KINDS}
    found.update(overrides)
    return found


def test_all_kinds_watched_is_connected_without_a_banner():
    summary = connection_summary(states())
    assert (summary.level, summary.short, summary.banner) == (ConnectionStatus.CONNECTED, "connected", "")


def test_a_reconnecting_kind_names_its_attempt_and_error_and_marks_the_data_stale():
    summary = connection_summary(
        states(
            vms=ConnectionState("vms", ConnectionStatus.RECONNECTING, attempt=3, last_error="connection refused"),
            pods=ConnectionState("pods", ConnectionStatus.RECONNECTING, attempt=1, last_error="read timed out"),
        )
    )
    assert summary.level == ConnectionStatus.RECONNECTING and summary.stale
    assert (
        summary.banner
        == "⚠ Connection lost, the data shown may be stale. Reconnecting (attempt 3): connection refused."
    )


def test_a_forbidden_kind_is_said_with_the_servers_words():
    summary = connection_summary(
        states(
            nodes=ConnectionState(
                "nodes", ConnectionStatus.FORBIDDEN, last_error='nodes is forbidden: User "alice" cannot list'
            )
        )
    )
    assert summary.level == ConnectionStatus.LIMITED and not summary.stale
    assert 'nodes not readable (nodes is forbidden: User "alice" cannot list)' in summary.banner


def test_control_characters_in_an_error_are_made_visible():
    summary = connection_summary(
        states(vms=ConnectionState("vms", ConnectionStatus.RECONNECTING, attempt=1, last_error="bad\x1b[2Jthing"))
    )
    assert "\x1b" not in summary.banner and "bad␛[2Jthing" in summary.banner


def test_rejected_credentials_say_what_start_up_says_and_how_to_reconnect():
    summary = connection_summary(
        states(
            vms=ConnectionState(
                "vms",
                ConnectionStatus.RECONNECTING,
                attempt=7,
                last_error="401 Unauthorized: Unauthorized",
                rejected=True,
            )
        )
    )
    assert summary.level == ConnectionStatus.RECONNECTING and summary.stale and summary.short == "credentials rejected"
    assert "attempt" not in summary.banner
    assert "rejects the credentials (401 Unauthorized)" in summary.banner
    assert (
        "Get a fresh kubeconfig (or log in again) and restart livemig; it tries again every minute meanwhile."
        in summary.banner
    )


def test_a_long_error_is_shortened_at_a_word_so_the_banner_fits_three_lines_of_80_columns():
    error = "https://harvester.example.com:6443 closed the connection without an answer " * 4
    summary = connection_summary(
        states(vms=ConnectionState("vms", ConnectionStatus.RECONNECTING, attempt=2, last_error=error))
    )
    assert summary.banner.startswith(
        "⚠ Connection lost, the data shown may be stale. Reconnecting (attempt 2): https://"
    )
    assert summary.banner.endswith("….")
    assert len(textwrap.wrap(summary.banner, 78)) <= 3
