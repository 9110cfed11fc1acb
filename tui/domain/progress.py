"""How far a migration has got: its step in KubeVirt's phase order, a bar, bytes and ETA, and how it ended.

The VMIM phases run "" (new), Pending, Scheduling, Scheduled, PreparingTarget, TargetReady, Running,
then Succeeded or Failed (WaitingForSync and Synchronizing exist only for decentralized migrations).
The memory copy (Running) takes nearly all the time, so it gets 90% of the bar; the earlier phases
share the first 10%. Byte counts exist only as Prometheus metrics; without them the bar stays at
the start of the copy rather than guess.

How it ended, from the VMIM and the VMI's (or the final VMIM's) migrationState:
Succeeded; TimedOut (KubeVirt's "Live migration is not completed after N seconds and has been
aborted"); Stuck ("Live migration stuck for N seconds and has been aborted"); AbortFailed
(abortStatus Failed); Aborted when the abort was asked for (abortRequested, the
migrationAbortRequested condition, or the VMIM deleted before the migration ended) and KubeVirt's
reason is an abort or none; else Failed with KubeVirt's failureReason, even if the VMIM was deleted
afterwards.

Newer KubeVirt aborts a timed-out or stuck migration the way it aborts one on request, and records
only "Live migration has been aborted" with abortStatus Succeeded. When nobody asked for that abort,
the outcome is inferred from how long the copy ran against the completion budget (the one KubeVirt
recorded in migrationConfiguration, else the caller's): past it, TimedOut; before it but past the
progress timeout, Stuck; the message then says it was inferred.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from tui.domain.budget import DEFAULT_PROGRESS_TIMEOUT, CompletionBudget, data_units
from tui.domain.objects import VMI, Migration, MigrationState
from tui.domain.phases import AbortStatus, MigrationPhase, Outcome
from tui.domain.units import exact_duration

# (phase, label) in KubeVirt's order; the step number is the position, from 1.
PHASES: tuple[tuple[MigrationPhase, str], ...] = (
    (MigrationPhase.NEW, "Created, waiting for KubeVirt"),
    (MigrationPhase.PENDING, "Waiting for a migration slot"),
    (MigrationPhase.SCHEDULING, "Scheduling the target pod"),
    (MigrationPhase.SCHEDULED, "Target pod scheduled"),
    (MigrationPhase.PREPARING_TARGET, "Preparing the target"),
    (MigrationPhase.TARGET_READY, "Target ready"),
    (MigrationPhase.RUNNING, "Copying memory"),
    (MigrationPhase.SUCCEEDED, "Done"),
)
TOTAL_STEPS = len(PHASES)
_STEP: dict[str, int] = {phase: index + 1 for index, (phase, _) in enumerate(PHASES)}
_LABEL: dict[str, str] = dict(PHASES)
_STEP[MigrationPhase.FAILED], _LABEL[MigrationPhase.FAILED] = TOTAL_STEPS, "Failed"
# Decentralized (cross-cluster) migrations replace the early phases with these.
_STEP[MigrationPhase.WAITING_FOR_SYNC] = _STEP[MigrationPhase.PENDING]
_LABEL[MigrationPhase.WAITING_FOR_SYNC] = "Waiting for the other cluster"
_STEP[MigrationPhase.SYNCHRONIZING] = _STEP[MigrationPhase.RUNNING]
_LABEL[MigrationPhase.SYNCHRONIZING] = "Synchronizing with the other cluster"

_RUNNING_STEP = _STEP[MigrationPhase.RUNNING]
_BEFORE_COPY_SHARE = 0.1  # of the bar, for everything before the memory copy

TIMED_OUT = re.compile(r"Live migration is not completed after (\d+) seconds and has been aborted")
STUCK = re.compile(r"Live migration stuck for (\d+) seconds")
_ABORT_CONDITION = "migrationAbortRequested"
# What KubeVirt records when libvirt's job was cancelled, whoever cancelled it ("canceled by client" is
# libvirt's own text, which newer KubeVirt rewrites to "Live migration has been aborted").
_GENERIC_ABORT = re.compile(r"^\s*live migration (has been )?aborted\.?\s*$|canceled by client", re.IGNORECASE)
_ABORT_WORD = re.compile(r"abort", re.IGNORECASE)
# The VMIM's deletionTimestamp comes from the API server's clock and endTimestamp from the node's: a
# deletion up to this much after the end still counts as what ended it.
_CLOCK_SLACK = timedelta(seconds=5)


@dataclass(frozen=True)
class ByteCounters:
    """What Prometheus says of a running migration (virt-handler's kubevirt_vmi_migration_* metrics).

    Bytes and bytes per second; None where a metric was not available.
    """

    processed: int | None = None
    remaining: int | None = None
    total: int | None = None
    transfer_rate: float | None = None
    dirty_rate: float | None = None
    at: datetime | None = None

    def fraction(self) -> float | None:
        """Share of the data copied: 1 - remaining/total, else processed/(processed+remaining)."""
        processed, remaining, total = _number(self.processed), _number(self.remaining), _number(self.total)
        if remaining is not None and total:
            return _clamp(1 - remaining / total)
        if processed is not None and remaining is not None and processed + remaining > 0:
            return _clamp(processed / (processed + remaining))
        return None


@dataclass(frozen=True)
class MigrationProgress:
    """One migration as the UI shows it."""

    migration: str
    phase: str
    step: int | None  # 1..TOTAL_STEPS; None for a phase this version does not know
    total_steps: int
    label: str
    fraction: float  # 0..1, for a bar
    outcome: str = ""  # "" until final; then an Outcome
    outcome_message: str = ""
    failure_reason: str = ""  # KubeVirt's, verbatim
    timeout_seconds: int | None = None  # the N of a TimedOut or Stuck message (or the timeout inferred)
    abort_requested: bool = False
    abort_status: str = ""  # "", Aborting, Succeeded, Failed
    mode: str = ""  # PreCopy, PostCopy, Paused
    source_node: str = ""
    target_node: str = ""
    started: datetime | None = None  # memory copy started (migrationState.startTimestamp)
    ended: datetime | None = None
    byte_fraction: float | None = None
    eta_seconds: float | None = None
    converging: bool | None = None  # transfer rate above dirty rate; None when unknown
    went_backwards: bool = False  # the byte fraction fell since the previous counters
    unknown_phase: bool = False
    # True when TimedOut or Stuck was inferred from the times, KubeVirt having recorded only an abort.
    outcome_inferred: bool = False

    @property
    def final(self) -> bool:
        return bool(self.outcome)


def migration_state_of(migration: Migration, vmi: VMI | None) -> MigrationState | None:
    """This migration's state: live on the VMI once handed off to it, else the copy a final VMIM keeps."""
    uid = migration.meta.uid
    if vmi is not None and vmi.migration_state is not None and uid and vmi.migration_state.migration_uid == uid:
        return vmi.migration_state
    return migration.migration_state


def migration_progress(
    migration: Migration,
    vmi: VMI | None,
    counters: ByteCounters | None = None,
    previous: ByteCounters | None = None,
    *,
    budget: CompletionBudget | None = None,
) -> MigrationProgress:
    """The progress of one migration. `previous` are the counters seen before `counters`, so that a
    byte fraction going backwards (the guest dirties memory faster than it is copied) is flagged.

    `budget` (completion_budget of the VMI) is used to tell a timeout from a stuck migration when
    KubeVirt recorded neither its reason nor the configuration it applied."""
    state = migration_state_of(migration, vmi)
    phase = migration.phase
    known = phase in _STEP
    step = _STEP.get(phase)
    label = _LABEL[phase] if known else f"Unknown phase {phase!r}"
    outcome, message, seconds, inferred = _outcome(migration, state, vmi, budget)

    byte_fraction = eta = converging = None
    backwards = False
    if counters is not None and not outcome:
        byte_fraction = counters.fraction()
        eta, converging = _eta(counters)
        backwards = _went_backwards(counters, previous)

    return MigrationProgress(
        migration=migration.name,
        phase=phase,
        step=step,
        total_steps=TOTAL_STEPS,
        label=label,
        fraction=_bar(migration, outcome, step, byte_fraction),
        outcome=outcome,
        outcome_message=message,
        failure_reason=state.failure_reason if state else "",
        timeout_seconds=seconds,
        abort_requested=_abort_asked(migration, state),
        abort_status=state.abort_status if state else "",
        mode=state.mode if state else "",
        source_node=(state.source_node if state else "") or (vmi.node_name if vmi and not outcome else ""),
        target_node=state.target_node if state else "",
        started=state.start if state else None,
        ended=state.end if state else None,
        byte_fraction=byte_fraction,
        eta_seconds=eta,
        converging=converging,
        went_backwards=backwards,
        unknown_phase=not known,
        outcome_inferred=inferred,
    )


def _outcome(
    migration: Migration, state: MigrationState | None, vmi: VMI | None, budget: CompletionBudget | None
) -> tuple[str, str, int | None, bool]:
    """(outcome, message, timeout seconds, inferred)."""
    source = state.source_node if state and state.source_node else "its node"
    if migration.phase == MigrationPhase.SUCCEEDED:
        target = state.target_node if state and state.target_node else "the target node"
        return Outcome.SUCCEEDED, f"Migrated from {source} to {target}.", None, False
    if migration.phase != MigrationPhase.FAILED:
        return "", "", None, False
    reason = state.failure_reason if state else ""
    timed_out, stuck = TIMED_OUT.search(reason), STUCK.search(reason)
    if timed_out:
        seconds = int(timed_out.group(1))
        return (
            Outcome.TIMED_OUT,
            (
                f"KubeVirt aborted it: not completed within its completion timeout of {seconds} s. "
                f"The VM stays on {source}."
            ),
            seconds,
            False,
        )
    if stuck:
        seconds = int(stuck.group(1))
        return (
            Outcome.STUCK,
            f"KubeVirt aborted it: no progress for {seconds} s (its progress timeout). The VM stays on {source}.",
            seconds,
            False,
        )
    if state is not None and state.abort_status == AbortStatus.FAILED:
        return Outcome.ABORT_FAILED, f"The abort failed{f': {reason}' if reason else ''}.", None, False
    abort_succeeded = state is not None and state.abort_status == AbortStatus.SUCCEEDED
    if _abort_asked(migration, state):
        # The reason first: a migration that failed on its own and was deleted afterwards failed.
        if abort_succeeded or not reason or _ABORT_WORD.search(reason):
            return Outcome.ABORTED, f"Aborted on request; the VM stays on {source}.", None, False
    elif state is not None and abort_succeeded and (not reason or _GENERIC_ABORT.search(reason)):
        return _kubevirts_own_abort(state, vmi, budget, source)
    if reason:
        return Outcome.FAILED, f"Failed: {reason}", None, False
    return Outcome.FAILED, "Failed; KubeVirt recorded no reason (see the migration's events).", None, False


def _abort_asked(migration: Migration, state: MigrationState | None) -> bool:
    """Whether someone asked for this migration to stop before it ended."""
    if state is not None and state.abort_requested:
        return True
    condition = migration.condition(_ABORT_CONDITION)
    if condition is not None and condition.status is True:
        return True
    deleted = migration.meta.deleted
    if deleted is None:
        return False
    # Deleting a migration that had already ended (tidying up) did not end it.
    end = state.end if state is not None else None
    return end is None or deleted <= end + _CLOCK_SLACK


def _kubevirts_own_abort(
    state: MigrationState, vmi: VMI | None, budget: CompletionBudget | None, source: str
) -> tuple[str, str, int | None, bool]:
    """An abort nobody asked for, recorded only as an abort: KubeVirt's completion or progress timeout.
    Which one follows from how long the copy ran."""
    recorded = state.failure_reason or "no reason"
    inferred = f'(inferred: KubeVirt recorded only "{recorded}", and nobody asked for an abort)'
    elapsed = (state.end - state.start).total_seconds() if state.end and state.start else None
    allowed = _allowed_seconds(state, vmi, budget)
    if allowed is not None and state.mode == "Paused":
        allowed *= 2  # a guest paused under allowWorkloadDisruption gets the budget twice
    progress_timeout = _progress_timeout(state, budget)
    stays = f"The VM stays on {source}."
    if elapsed is not None and allowed and elapsed >= allowed:
        return (
            Outcome.TIMED_OUT,
            (
                f"KubeVirt aborted it after {exact_duration(elapsed)}, past its completion timeout of "
                f"{exact_duration(allowed)} {inferred}. {stays}"
            ),
            allowed,
            True,
        )
    if elapsed is not None and allowed is not None and progress_timeout > 0 and elapsed >= progress_timeout:
        within = f", within its completion timeout of {exact_duration(allowed)}" if allowed else ""
        return (
            Outcome.STUCK,
            (
                f"KubeVirt aborted it after {exact_duration(elapsed)}{within}: most likely its progress timeout, "
                f"{exact_duration(progress_timeout)} without progress {inferred}. {stays}"
            ),
            progress_timeout,
            True,
        )
    if elapsed is None:
        unknown = "no start or end time was recorded"
    elif allowed is None:
        unknown = "its completion budget is not known"
    else:
        unknown = f"it ran {exact_duration(elapsed)}, short of both"
    return (
        Outcome.FAILED,
        (
            f"KubeVirt aborted it itself, not on request: its completion timeout or its progress timeout ran out, "
            f'and which one cannot be told ({unknown}; KubeVirt recorded only "{recorded}"). {stays}'
        ),
        None,
        False,
    )


def _allowed_seconds(state: MigrationState, vmi: VMI | None, budget: CompletionBudget | None) -> int | None:
    """The completion budget the migration ran against (0: none): KubeVirt's recorded completionTimeoutPerGiB
    times the VMI's data size, else the caller's budget; None when neither is known."""
    per_gib = state.configuration.completion_timeout_per_gib if state.configuration is not None else None
    units = budget.data_units if budget is not None and budget.data_units is not None else None
    if units is None and vmi is not None:
        units = data_units(vmi)
    if per_gib is not None and units is not None:
        return max(per_gib, 0) * units
    if budget is not None:
        return budget.seconds if budget.limited else 0
    return None


def _progress_timeout(state: MigrationState, budget: CompletionBudget | None) -> int:
    recorded = state.configuration.progress_timeout if state.configuration is not None else None
    if recorded is not None:
        return max(recorded, 0)
    return budget.progress_timeout if budget is not None else DEFAULT_PROGRESS_TIMEOUT


def _bar(migration: Migration, outcome: str, step: int | None, byte_fraction: float | None) -> float:
    if outcome == Outcome.SUCCEEDED:
        return 1.0
    if outcome:
        # A failed migration's bar stays where it stopped: at the last phase it reached.
        reached = [
            _STEP[t.phase] for t in migration.phase_transitions if t.phase in _STEP and t.phase != MigrationPhase.FAILED
        ]
        step = max(reached, default=1)
        byte_fraction = None
    if step is None:
        return 0.0
    if step < _RUNNING_STEP:
        return _BEFORE_COPY_SHARE * (step - 1) / (_RUNNING_STEP - 1)
    return _BEFORE_COPY_SHARE + (1 - _BEFORE_COPY_SHARE) * (byte_fraction or 0.0)


def _eta(counters: ByteCounters) -> tuple[float | None, bool | None]:
    """Seconds to copy what remains at the net rate (transfer minus dirtying); None when it is not
    shrinking. `converging` is None when the dirty rate is unknown."""
    remaining, rate, dirty = _number(counters.remaining), _number(counters.transfer_rate), _number(counters.dirty_rate)
    if remaining is None or rate is None or rate <= 0:
        return None, None
    if dirty is None:
        return _seconds(remaining / rate), None
    net = rate - dirty
    if net <= 0:
        return None, False
    return _seconds(remaining / net), True


def _seconds(value: float) -> float | None:
    return max(value, 0.0) if math.isfinite(value) else None


def _went_backwards(counters: ByteCounters, previous: ByteCounters | None) -> bool:
    if previous is None:
        return False
    now, before = counters.fraction(), previous.fraction()
    if now is not None and before is not None:
        return now < before
    remaining, before_remaining = _number(counters.remaining), _number(previous.remaining)
    if remaining is not None and before_remaining is not None:
        return remaining > before_remaining
    return False


def _number(value: object) -> float | None:
    """A counter as a finite float; None when missing or not a usable number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _clamp(value: float) -> float:
    return 0.0 if math.isnan(value) else min(max(value, 0.0), 1.0)
