"""Text from the cluster made safe to show, for both faces of livemig: lines and one-line cells."""

from __future__ import annotations

import pytest

from tui.text import clean


def test_a_printed_line_shows_control_characters_as_escapes_and_keeps_tabs_and_line_breaks():
    assert clean("web\x1b[31m-1\x07\tok\nnext\x9b") == "web\\x1b[31m-1\\x07\tok\nnext\\x9b"


@pytest.mark.parametrize(("raw", "shown"), [("a\x1bb", "a␛b"), ("a\tb\nc\rd", "a b c d"), ("a\x07\x7f\x85b", "a���b")])
def test_a_cell_is_one_line_with_a_visible_stand_in_for_each_control_character(raw, shown):
    assert clean(raw, one_line=True) == shown


def test_markup_is_left_as_the_characters_it_is():
    assert clean("[bold]vm[/]") == clean("[bold]vm[/]", one_line=True) == "[bold]vm[/]"


def test_nothing_is_the_empty_text_and_other_values_their_text():
    assert clean(None) == clean(None, one_line=True) == ""
    assert clean(42) == "42"
