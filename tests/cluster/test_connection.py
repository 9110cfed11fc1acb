"""The connection's words: a kind's status, and the cluster's status summed up from its kinds'."""

from __future__ import annotations

from tui.cluster.connection import ConnectionState, ConnectionStatus, overall_status
from tui.domain.kinds import NAMES


def states(**changed: ConnectionState) -> dict[str, ConnectionState]:
    found = {kind: ConnectionState(kind, ConnectionStatus.CONNECTED) for kind in NAMES}
    found.update(changed)
    return found


def test_a_status_is_its_word_in_comparisons_and_in_text():
    assert ConnectionStatus.FORBIDDEN == "forbidden"
    assert f"{ConnectionStatus.ABSENT}" == "absent" and str(ConnectionStatus.STARTING) == "starting"


def test_every_kind_listed_is_connected():
    assert overall_status(states()) == ConnectionStatus.CONNECTED


def test_one_kind_reconnecting_makes_the_cluster_reconnect_even_while_another_starts():
    found = states(
        pods=ConnectionState("pods", ConnectionStatus.RECONNECTING, attempt=2),
        nads=ConnectionState("nads", ConnectionStatus.STARTING),
    )
    assert overall_status(found) == ConnectionStatus.RECONNECTING


def test_a_kind_not_listed_yet_keeps_the_cluster_starting():
    assert overall_status(states(nads=ConnectionState("nads"))) == ConnectionStatus.STARTING


def test_an_important_kind_forbidden_or_partly_read_limits_the_view():
    assert (
        overall_status(states(nodes=ConnectionState("nodes", ConnectionStatus.FORBIDDEN))) == ConnectionStatus.LIMITED
    )
    partial = ConnectionState("pods", ConnectionStatus.CONNECTED, partial="only the virt-launcher pods of default")
    assert overall_status(states(pods=partial)) == ConnectionStatus.LIMITED


def test_a_kind_that_only_refines_the_answer_does_not_limit_the_view():
    assert (
        overall_status(states(policies=ConnectionState("policies", ConnectionStatus.ABSENT)))
        == ConnectionStatus.CONNECTED
    )
