"""The two confirmations livemig asks: start this migration (with its time limit), and abort this one."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tui.domain.plan import Plan
from tui.domain.units import human_duration
from tui.messages import ViewUpdated
from tui.screens.confirm import ConfirmScreen
from tui.screens.live import live_app
from tui.view.ledger import MigrationView
from tui.view.progress_cell import OUTCOME_WORDS, outcome_symbol, time_left
from tui.widgets.literal import clean

_EXPIRY_WORDS = {
    "abort": "KubeVirt aborts the migration if it has not completed by then",
    "post-copy": "KubeVirt then switches to post-copy (allowPostCopy)",
    "pause": "KubeVirt then pauses the guest to finish (allowWorkloadDisruption), once",
}


Rows = list[tuple[str, Content]]


def _row(label: str, *parts: str | tuple[str, str]) -> Rows:
    return [(label, Content.assemble(*parts))]


def migration_question(plan: Plan, target: str) -> ConfirmScreen:
    """Confirm migrating `plan`'s VM to `target` ("" for the scheduler's choice)."""
    eligible = [v.node for v in plan.nodes if v.eligible]
    parts: Rows = []
    parts += _row("VM", (clean(f"{plan.namespace}/{plan.name}"), "bold"))
    parts += _row("From", clean(plan.node or "?"))
    if target:
        parts += _row("To", (clean(target), "bold"))
    else:
        parts += _row(
            "To", ("any eligible node", "bold"), clean(f" (the scheduler picks one of {', '.join(eligible)})")
        )
    budget = plan.completion_budget
    if budget is None:
        parts += _row("Time limit", "unknown (the VM's memory size is not known)")
    else:
        parts += _row("Time limit", (clean(budget.text()), "bold"))
        if budget.source_detail:
            parts += _row("", ("from ", "$text-muted"), clean(budget.source_detail))
        if budget.limited:
            parts += _row("", (_EXPIRY_WORDS.get(budget.on_expiry, _EXPIRY_WORDS["abort"]) + ".", "$text-muted"))
        parts += _row(
            "Progress",
            f"aborted after {human_duration(budget.progress_timeout)} without progress (progressTimeout)",
        )
        for note in budget.notes:
            parts += _row("Note", clean(note))
    return ConfirmScreen(
        "Start this live migration?",
        parts,
        yes_label="Migrate",
        no_label="Cancel",
        focus_yes=True,
        id="confirm-migration",
    )


def _abort_rows(view: MigrationView) -> Rows:
    """The abort question's lines for `view` as it is now; the same rows whether it runs or ended."""
    progress = view.progress
    parts: Rows = []
    parts += _row("Migration", (clean(view.name), "bold"))
    parts += _row("VM", clean(view.vm_key))
    route = f"{view.source or '?'} → {view.target or 'the scheduler’s choice'}"
    parts += _row("Route", clean(route))
    if view.final:
        word = OUTCOME_WORDS.get(progress.outcome, clean(progress.outcome) or "Finished")
        ended = f"{outcome_symbol(progress.outcome)} ended: {word}"
        if progress.outcome_message:
            ended += f" ({progress.outcome_message})"
        parts += _row("Now", (clean(ended), "bold"))
        parts += _row("", ("The migration has ended: answering aborts nothing.", "bold $text-warning"))
        return parts
    state = progress.label
    if progress.byte_fraction is not None:
        state += f", {progress.byte_fraction * 100:.0f}% copied"
    if view.remaining is not None:
        left = time_left(view.remaining, " before KubeVirt's timeout")
        state += f", {'⚠ ' if view.low_on_time else ''}{left}"
    warnings = []
    if view.stalled:
        warnings.append(f"⚠ no progress for {int(view.stalled_for or 0)} s")
    elif progress.converging is False:
        warnings.append("⚠ not converging: the guest dirties memory faster than it is copied")
    parts += _row("Now", clean(state), *[("\n" + clean(w), "bold $text-warning") for w in warnings])
    parts += _row(
        "", "The VM keeps running on ", (clean(view.source or "its node"), "bold"), "; what was copied is discarded."
    )
    return parts


class AbortQuestion(ConfirmScreen):
    """The abort confirmation, whose lines follow the migration while it is open (the app's ViewUpdated)."""

    def __init__(self, view: MigrationView) -> None:
        super().__init__(
            "Abort this migration?",
            _abort_rows(view),
            yes_label="Abort migration",
            no_label="No",
            danger=True,
            id="confirm-abort",
        )
        self.migration_key = view.key

    def on_view_updated(self, message: ViewUpdated) -> None:
        view = live_app(self).live.ledger.view(self.migration_key)
        if view is None:
            return
        values = list(self.query(".confirm-value").results(Static))
        for static, (_, value) in zip(values, _abort_rows(view)):
            static.update(value)


def abort_question(view: MigrationView) -> ConfirmScreen:
    """Confirm aborting a running migration; "No" is focused."""
    return AbortQuestion(view)
