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


async def test_the_ui_process_keeps_its_first_lists_out_of_the_cycle_collectors_sight(cluster, admin):
    import gc

    from tests.ui.harness import THEME, until
    from tui.app import GC_THRESHOLDS, LivemigApp

    thresholds = gc.get_threshold()
    app = LivemigApp(admin, theme=THEME, environ={}, freeze_first_lists=True)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.first_list_seconds is not None)
            assert gc.get_freeze_count() > 0
            # Full collections made rarer, since what they would walk again and again is frozen.
            assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()  # this test process goes on with other apps
        gc.set_threshold(*thresholds)
