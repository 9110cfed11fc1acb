"""The text of the details' history and events: cluster text shown as it is (never markup, never an escape
sequence), warnings marked with a sign, a reading problem in one line."""

from __future__ import annotations

from datetime import datetime, timezone

from textual.content import Content

from tests.domain.clusters import cluster
from tui.domain.events import parse_event
from tui.domain.history import migration_history
from tui.view.history import age, events_parts, history_parts

NOW = datetime(2026, 6, 17, 13, 0, tzinfo=timezone.utc)


def plain(parts) -> str:
    return Content.assemble(*parts).plain


def test_the_history_lists_outcomes_routes_reasons_and_who_started_each():
    text = plain(history_parts(migration_history(cluster("history"), "default/slesvm-longhorn")))
    assert "4 in the cluster; KubeVirt keeps the last 5 finished per VM" in text
    assert "✓ 2026-06-17 12:42 harvester-01 → harvester-03, 13 seconds, Succeeded" in text
    assert "✗ 2026-06-15 09:06 harvester-02 → harvester-03, 10 minutes, Timed out" in text
    assert "KubeVirt: Live migration is not completed after 600 seconds and has been aborted" in text
    assert "started by KubeVirt (evacuating harvester-02, Harvester maintenance mode)" in text
    assert "started by KubeVirt (workload update after a KubeVirt upgrade)" in text


def test_event_text_is_data():
    event = parse_event(
        {
            "metadata": {"name": "vm1.1"},
            "involvedObject": {"kind": "VirtualMachineInstance", "name": "vm1"},
            "type": "Warning",
            "reason": "Migrated",
            "message": "[bold]failed[/bold] \x1b[2J reason:x",
            "source": {"component": "virt-handler"},
            "lastTimestamp": "2026-06-17T12:47:00Z",
            "firstTimestamp": "2026-06-17T12:40:00Z",
            "count": 3,
        }
    )
    text = plain(events_parts((event,), "", NOW))
    assert "⚠ Migrated (x3 over 20m) · virt-handler\n        [bold]failed[/bold] ␛[2J reason:x" in text
    assert "\x1b" not in text


def test_a_problem_reading_events_is_one_line():
    text = plain(events_parts(None, "Events are not readable here: may not list events in prod.", NOW))
    assert text.splitlines()[-1] == "◐ Events are not readable here: may not list events in prod."


def test_ages_read_as_kubectl_prints_them():
    assert [age(datetime(2026, 6, 17, 12, 59, 15, tzinfo=timezone.utc), NOW), age(None, NOW)] == ["45s", "?"]
    assert age(datetime(2026, 6, 17, 10, 0, tzinfo=timezone.utc), NOW) == "3h"
    assert age(datetime(2026, 6, 14, 13, 0, tzinfo=timezone.utc), NOW) == "3d"
