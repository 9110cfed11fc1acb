"""The VM list's filter as it is typed: a longer filter searches only what the shorter one matched, and
gives the same rows a search of every row would."""

from __future__ import annotations

from tests.ui.fake_session import fake_session
from tui.view.model import LiveView


def names(live: LiveView, text: str) -> list[str]:
    return [row.key for row in live.vm_list.rows(text, "name", False, live.ledger.for_vm)]


def test_typing_a_filter_narrows_it_and_a_new_word_or_a_change_searches_every_row_again():
    live = LiveView(fake_session(), readonly=False)
    live.apply(full=True)
    assert names(live, "") == ["default/db-1", "default/web-1"]
    assert names(live, "d") == ["default/db-1", "default/web-1"]  # "default" matches both
    assert names(live, "db") == ["default/db-1"]
    assert names(live, "db-1 stopped") == ["default/db-1"]
    # Not a narrowing of the last filter: every row is searched.
    assert names(live, "web") == ["default/web-1"]
    assert names(live, "node-a") == ["default/web-1"]
    assert names(live, "node-a running") == ["default/web-1"]
    assert names(live, "node-b") == []
    # After a change, the same filter searches every row again.
    live.apply(full=True)
    assert names(live, "node-a running") == ["default/web-1"]
