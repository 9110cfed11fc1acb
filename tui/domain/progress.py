"""How far a migration has got: its step in KubeVirt's phase order, a bar, bytes and ETA, and how it ended.

The VMIM phases run "" (new), Pending, Scheduling, Scheduled, PreparingTarget, TargetReady, Running,
then Succeeded or Failed (WaitingForSync and Synchronizing exist only for decentralized migrations).
The memory copy (Running) takes nearly all the time, so it gets 90% of the bar; the earlier phases
share the first 10%. Byte counts exist only as Prometheus metrics; without them the bar stays at
the start of the copy rather than guess.

How it ended, from the VMIM and the VMI's (or the final VMIM's) migrationState:
Succeeded; TimedOut (KubeVirt's "Live migration is not completed after N seconds and has been
aborted"); Stuck ("Live migration stuck for N seconds and has been aborted"); AbortFailed
(abortStatus Failed); Aborted (abortRequested and abortStatus Succeeded, or the
migrationAbortRequested condition of a migration cancelled before hand-off); else Failed with
KubeVirt's failureReason.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from tui.domain.objects import VMI, Migration, MigrationState

OUTCOME_SUCCEEDED = "Succeeded"
OUTCOME_FAILED = "Failed"
OUTCOME_ABORTED = "Aborted"
OUTCOME_ABORT_FAILED = "AbortFailed"
OUTCOME_TIMED_OUT = "TimedOut"
OUTCOME_STUCK = "Stuck"

# (phase, label) in KubeVirt's order; the step number is the position, from 1.
PHASES = (
    ("", "Created, waiting for KubeVirt"),
    ("Pending", "Waiting for a migration slot"),
    ("Scheduling", "Scheduling the target pod"),
    ("Scheduled", "Target pod scheduled"),
    ("PreparingTarget", "Preparing the target"),
    ("TargetReady", "Target ready"),
    ("Running", "Copying memory"),
    ("Succeeded", "Done"),
)
TOTAL_STEPS = len(PHASES)
_STEP = {phase: index + 1 for index, (phase, _) in enumerate(PHASES)}
_LABEL = dict(PHASES)
_STEP["Failed"] = TOTAL_STEPS
_LABEL["Failed"] = "Failed"
# Decentralized (cross-cluster) migrations replace the early phases with these.
_STEP["WaitingForSync"], _LABEL["WaitingForSync"] = _STEP["Pending"], "Waiting for the other cluster"
_STEP["Synchronizing"], _LABEL["Synchronizing"] = _STEP["Running"], "Synchronizing with the other cluster"

_RUNNING_STEP = _STEP["Running"]
_BEFORE_COPY_SHARE = 0.1  # of the bar, for everything before the memory copy

TIMED_OUT = re.compile(r"Live migration is not completed after (\d+) seconds and has been aborted")
STUCK = re.compile(r"Live migration stuck for (\d+) seconds")
_ABORT_CONDITION = "migrationAbortRequested"


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
    outcome: str = ""  # "" until final; then OUTCOME_*
    outcome_message: str = ""
    failure_reason: str = ""  # KubeVirt's, verbatim
    timeout_seconds: int | None = None  # the N of a TimedOut or Stuck message
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
) -> MigrationProgress:
    """The progress of one migration. `previous` are the counters seen before `counters`, so that a
    byte fraction going backwards (the guest dirties memory faster than it is copied) is flagged."""
    state = migration_state_of(migration, vmi)
    phase = migration.phase
    known = phase in _STEP
    step = _STEP.get(phase)
    label = _LABEL[phase] if known else f"Unknown phase {phase!r}"
    abort_condition = migration.condition(_ABORT_CONDITION)
    aborting = (abort_condition is not None and abort_condition.status is True) or migration.meta.deleted is not None
    outcome, message, seconds = _outcome(migration, state, aborting)

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
        abort_requested=bool(state and state.abort_requested) or aborting,
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
    )


def _outcome(migration: Migration, state: MigrationState | None, aborting: bool) -> tuple[str, str, int | None]:
    source = state.source_node if state and state.source_node else "its node"
    if migration.phase == "Succeeded":
        target = state.target_node if state and state.target_node else "the target node"
        return OUTCOME_SUCCEEDED, f"Migrated from {source} to {target}.", None
    if migration.phase != "Failed":
        return "", "", None
    reason = state.failure_reason if state else ""
    timed_out, stuck = TIMED_OUT.search(reason), STUCK.search(reason)
    if timed_out:
        seconds = int(timed_out.group(1))
        return (
            OUTCOME_TIMED_OUT,
            f"KubeVirt aborted it: not completed within its completion timeout of {seconds} s. "
            f"The VM stays on {source}.",
            seconds,
        )
    if stuck:
        seconds = int(stuck.group(1))
        return (
            OUTCOME_STUCK,
            f"KubeVirt aborted it: no progress for {seconds} s (its progress timeout). The VM stays on {source}.",
            seconds,
        )
    if state is not None and state.abort_status == "Failed":
        return OUTCOME_ABORT_FAILED, f"The abort failed{f': {reason}' if reason else ''}.", None
    if (state is not None and state.abort_requested and state.abort_status == "Succeeded") or aborting:
        return OUTCOME_ABORTED, f"Aborted on request; the VM stays on {source}.", None
    if reason:
        return OUTCOME_FAILED, f"Failed: {reason}", None
    return OUTCOME_FAILED, "Failed; KubeVirt recorded no reason (see the migration's events).", None


def _bar(migration: Migration, outcome: str, step: int | None, byte_fraction: float | None) -> float:
    if outcome == OUTCOME_SUCCEEDED:
        return 1.0
    if outcome:
        # A failed migration's bar stays where it stopped: at the last phase it reached.
        reached = [_STEP[t.phase] for t in migration.phase_transitions if t.phase in _STEP and t.phase != "Failed"]
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
    return 0.0 if value != value else min(max(value, 0.0), 1.0)
