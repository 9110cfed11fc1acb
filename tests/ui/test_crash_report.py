"""An internal error never shows a credential: the crash report (Textual's traceback, with its local
variables) is redacted before it is written to its file or, with LIVEMIG_DEBUG, to the terminal."""

from __future__ import annotations

import tempfile

import pytest

from tests.ui.harness import make_app, until
from tui.cluster import redaction

SECRET = "sha256~crashreport-token-9f8e7d6c5b4a"


async def crash_with_a_secret_in_scope(app, pilot) -> None:
    def explode() -> None:
        bearer = f"Bearer {SECRET}"  # a local the traceback shows
        raise RuntimeError(f"boom while holding {len(bearer)} characters")

    app.call_later(explode)
    await until(pilot, lambda: app._exit_renderables, what="the crash report")


@pytest.fixture(autouse=True)
def secret_known():
    redaction.register(SECRET)


async def test_the_crash_file_names_the_error_and_not_the_token(admin, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("LIVEMIG_DEBUG", raising=False)
    app = make_app(admin)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(100, 30)) as pilot:
            await crash_with_a_secret_in_scope(app, pilot)
    app._print_error_renderables()
    [report] = list(tmp_path.glob("livemig-crash-*.txt"))
    text = report.read_text()
    assert "RuntimeError" in text and "boom while holding" in text
    assert SECRET not in text
    assert SECRET not in capsys.readouterr().err


async def test_livemig_debug_prints_the_report_redacted(admin, monkeypatch, capsys):
    monkeypatch.setenv("LIVEMIG_DEBUG", "1")
    app = make_app(admin)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(100, 30)) as pilot:
            await crash_with_a_secret_in_scope(app, pilot)
    app._print_error_renderables()
    printed = capsys.readouterr().err
    assert "boom while holding" in printed
    assert SECRET not in printed
