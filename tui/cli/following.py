"""`migrate --wait`: a migration followed until it ends, as the UI's migrations ledger sees it.

On a terminal one line is redrawn with a bar; otherwise a line is printed when what it says changes
(the step, a kind of warning, whether the server answers), and an unchanged one again every
`Timings.repeat_line_every` seconds. What changed is told by comparing states, never printed text.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from typing import TextIO

from tui.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    WIDTH,
    ServerSilent,
    clean,
    say,
)
from tui.cli.rendering import bar, progress_line, trouble_notes, warning_sign
from tui.cli.timings import Timings
from tui.cluster.connection import ConnectionStatus
from tui.cluster.session import ClusterSession
from tui.domain.keys import VMKey
from tui.domain.kinds import MIGRATIONS, VMIS
from tui.domain.phases import MigrationPhase, Outcome
from tui.domain.units import human_duration
from tui.view.ledger import MigrationLedger, MigrationView


@dataclass(frozen=True)
class _Told:
    """What a printed line tells apart from its numbers: a change of any of it is printed at once."""

    step: int | None
    label: str
    stalled: bool
    not_converging: bool
    low_on_time: bool
    silent_since: str


class _Silence:
    """Since when the API server has not answered what the follower needs; gives up after the limit."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.since: tuple[float, str] | None = None  # (monotonic, local time) of the first missed answer

    def observe(self, lost: str) -> None:
        """Take in whether the server answers ("" when it does); raise ServerSilent past the limit."""
        if not lost:
            self.since = None
            return
        if self.since is None:
            self.since = (time.monotonic(), time.strftime("%H:%M:%S"))
        waited = time.monotonic() - self.since[0]
        if waited >= self.limit:
            raise ServerSilent(self.since[1], waited)

    def words(self, lost: str) -> str:
        """How the connection stands, for the progress line ("" while the server answers)."""
        if self.since is None:
            return ""
        silent_for = human_duration(time.monotonic() - self.since[0])
        return f"no answer from the API server since {self.since[1]} ({silent_for}; {lost})"


def connection_lost(session: ClusterSession) -> str:
    """Why the API server does not answer what a follower needs ("" while it does)."""
    if not session.server_reachable:
        return session.server_error.rstrip(".") or "the health probe failed"
    for kind in (MIGRATIONS.name, VMIS.name):
        state = session.store.state(kind)
        if state.status == ConnectionStatus.RECONNECTING and state.rejected:
            return "the API server rejects the credentials (401 Unauthorized): get a fresh kubeconfig"
        if state.status == ConnectionStatus.RECONNECTING:
            return f"reconnecting, attempt {state.attempt}: {state.last_error.rstrip('.')}"
    return ""


class _Follower:
    """One migration followed on one output."""

    def __init__(
        self, session: ClusterSession, key: VMKey, migration: str, target: str | None, out: TextIO, timings: Timings
    ) -> None:
        self.session, self.key, self.migration, self.target, self.out = session, key, migration, target, out
        self.timings = timings
        self.tty = out.isatty()
        self.sign = warning_sign(out)
        self.ledger = MigrationLedger(session.now())
        self.silence = _Silence(timings.give_up_without_answer)
        self.told: _Told | None = None
        self.told_at = 0.0

    def run(self) -> int:
        changed = threading.Event()
        self.session.store.subscribe(lambda batch: changed.set())
        self.session.metrics.subscribe(changed.set)
        migration_key = f"{self.key.namespace}/{self.migration}"
        went_back = self.session.store.server_went_back
        while True:
            lost = connection_lost(self.session)
            try:
                self.silence.observe(lost)
            except ServerSilent:
                self._end_line("\n")
                raise
            snapshot = self.session.store.snapshot()
            seen = self.ledger.view(migration_key) is not None
            if migration_key not in snapshot.migrations and seen and self.session.store.server_went_back > went_back:
                # Not deleted: the server came back with state from before it (restored, failed over, recreated).
                self._end_line("\n")
                say(
                    self.out,
                    clean(
                        f"Migration {self.migration} is gone: the API server came back with other state (restored from a backup, "
                        f"failed over or recreated) and does not know it. Where the VM runs now: livemig plan {self.key}."
                    ),
                )
                return EXIT_USAGE
            self.ledger.update(
                snapshot, [migration_key], [str(self.key)], self.session.metrics.counters, self.session.now()
            )
            view = self.ledger.view(migration_key)
            if view is not None:
                if view.final:
                    return self._ended(view)
                self._show(view, lost)
            changed.wait(1.0)
            changed.clear()

    def _end_line(self, ending: str) -> None:
        if self.tty:
            self.out.write(ending)

    def _ended(self, view: MigrationView) -> int:
        progress = view.progress
        if view.deleted and progress.outcome != Outcome.SUCCEEDED:
            # Deleted before the store saw it end, and the VMI's migration state says it did not move.
            self._end_line("\n")
            say(
                self.out,
                clean(
                    f"Migration {self.migration} was deleted before it finished (aborted): the VM stays where it was."
                ),
            )
            return EXIT_FAILED
        self._end_line("\r\x1b[K")
        say(self.out, clean(progress.outcome_message))
        if progress.outcome != Outcome.SUCCEEDED:
            return EXIT_FAILED
        # The VMI's own watch may not have delivered its new node yet: the migration's state says it.
        vmi = self.session.store.snapshot().vmis.get(str(self.key))
        landed = progress.target_node or (vmi.node_name if vmi is not None else "")
        if self.target and landed and landed != self.target:
            say(self.out, clean(f"livemig: the VM runs on {landed}, not on the chosen node {self.target}."))
            return EXIT_FAILED
        return EXIT_OK

    def _show(self, view: MigrationView, lost: str) -> None:
        progress = view.progress
        stalled = view.stalled and progress.phase == MigrationPhase.RUNNING
        notes = trouble_notes(progress, view.stalled_for if stalled else None, view.low_on_time, self.sign)
        line = progress_line(progress, view.remaining, self.silence.words(lost), notes, view.counters)
        if self.tty:
            width = min(shutil.get_terminal_size((WIDTH, 24)).columns, 120)
            # The bar is the percentage on the line (the share copied), else the phase steps.
            shown = progress.byte_fraction if progress.byte_fraction is not None else progress.fraction
            text = f"[{bar(shown, 20)}] {line}"
            self.out.write("\r\x1b[K" + text[: max(width - 1, 20)])
            self.out.flush()
            return
        told = _Told(
            step=progress.step,
            label=progress.label,
            stalled=stalled,
            not_converging=progress.converging is False,
            low_on_time=view.low_on_time,
            silent_since=self.silence.since[1] if self.silence.since is not None else "",
        )
        now = time.monotonic()
        if told != self.told or now - self.told_at >= self.timings.repeat_line_every:
            say(self.out, line)
            self.told, self.told_at = told, now


def follow_migration(
    session: ClusterSession, key: VMKey, migration: str, target: str | None, out: TextIO, timings: Timings
) -> int:
    """Show the migration until it ends: a bar on a terminal, lines otherwise. 0 succeeded, 1 not, 2
    when the API server came back with other state and no longer knows the migration; ServerSilent
    when the server gave no answer for `timings.give_up_without_answer` seconds."""
    return _Follower(session, key, migration, target, out, timings).run()
