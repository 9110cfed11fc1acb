"""Starting the UI: a bad theme is refused before anything connects or goes full-screen."""

from __future__ import annotations

import io

from tui.cli import main


def test_an_unknown_theme_is_refused_with_exit_2_before_connecting():
    out, err = io.StringIO(), io.StringIO()
    code = main(["--kubeconfig", "/nonexistent/kubeconfig", "--theme", "no-such-theme"], out, err)
    assert code == 2
    assert 'there is no theme "no-such-theme"' in err.getvalue()
    assert "livemig-16" in err.getvalue()
    assert "kubeconfig" not in err.getvalue().split("error:", 1)[1]
