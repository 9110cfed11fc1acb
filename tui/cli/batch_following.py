"""`evacuate --wait`: several migrations followed until every one has ended, a line per change.

Each migration gets a line when its step changes ("default/web: Copying memory") and one when it
ends, with how it ended. Migrations KubeVirt holds back by its parallel limits (phase Pending) read
"queued". The same ledger as the UI's Migrations screen tells how each one stands.
"""

from __future__ import annotations

import threading
import time
from typing import TextIO

from tui.cli.following import connection_lost
from tui.cli.output import ServerSilent, clean, say
from tui.cli.timings import Timings
from tui.cluster.session import ClusterSession
from tui.domain.keys import VMKey
from tui.domain.phases import MigrationPhase, Outcome
from tui.view.ledger import MigrationLedger, MigrationView

QUEUED = "queued: KubeVirt's parallel limits hold it until another migration ends"


def _step_words(view: MigrationView) -> str:
    progress = view.progress
    if progress.phase == MigrationPhase.PENDING:
        return QUEUED
    return progress.label


def _ending_words(view: MigrationView) -> str:
    if view.deleted and view.progress.outcome != Outcome.SUCCEEDED:
        return f"migration {view.name} was deleted before it finished (aborted): the VM stays where it was."
    return view.progress.outcome_message or view.progress.outcome


class BatchFollower:
    """Migrations `(vm, migration name)` followed on `out` until each has ended."""

    def __init__(
        self, session: ClusterSession, migrations: list[tuple[VMKey, str]], out: TextIO, timings: Timings
    ) -> None:
        self.session, self.out, self.timings = session, out, timings
        self.keys = {f"{vm.namespace}/{name}": vm for vm, name in migrations}
        self.ledger = MigrationLedger(session.now())
        self.told: dict[str, str] = {}
        self.ended: dict[str, bool] = {}  # migration key -> succeeded
        self.silent_since: tuple[float, str] | None = None

    def unfinished(self) -> list[tuple[VMKey, str]]:
        return [(vm, key.partition("/")[2]) for key, vm in self.keys.items() if key not in self.ended]

    def run(self) -> bool:
        """Follow until every migration ended; True when every one succeeded. Raises ServerSilent
        when the API server gave no answer for `timings.give_up_without_answer` seconds."""
        changed = threading.Event()
        self.session.store.subscribe(lambda batch: changed.set())
        while len(self.ended) < len(self.keys):
            self._observe_silence()
            snapshot = self.session.store.snapshot()
            vm_keys = [str(vm) for vm in self.keys.values()]
            self.ledger.update(snapshot, list(self.keys), vm_keys, self.session.metrics.counters, self.session.now())
            for key, vm in self.keys.items():
                view = self.ledger.view(key)
                if view is None or key in self.ended:
                    continue
                if view.final or view.deleted:
                    self.ended[key] = view.progress.outcome == Outcome.SUCCEEDED and not (
                        view.deleted and not view.final
                    )
                    say(self.out, clean(f"{vm}: {_ending_words(view)}"))
                    continue
                words = _step_words(view)
                if self.told.get(key) != words:
                    self.told[key] = words
                    say(self.out, clean(f"{vm}: {words} ({view.name})"))
            if len(self.ended) < len(self.keys):
                changed.wait(1.0)
                changed.clear()
        return all(self.ended.values())

    def _observe_silence(self) -> None:
        lost = connection_lost(self.session)
        if not lost:
            self.silent_since = None
            return
        if self.silent_since is None:
            self.silent_since = (time.monotonic(), time.strftime("%H:%M:%S"))
            say(self.out, clean(f"no answer from the API server since {self.silent_since[1]} ({lost})"))
        waited = time.monotonic() - self.silent_since[0]
        if waited >= self.timings.give_up_without_answer:
            raise ServerSilent(self.silent_since[1], waited)
