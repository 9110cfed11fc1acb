"""The words KubeVirt uses for a migration's and a VM instance's phase, and livemig's for how a migration ended.

They are str enums: a member equals the text the API gives ("Running" == VMIPhase.RUNNING), so a
phase read from the cluster, which may be one this version does not know, stays a plain string and
is compared with members. Python 3.10 is supported, hence `(str, Enum)` rather than StrEnum; `str()`
and f-strings give the value on every version.
"""

from __future__ import annotations

from enum import Enum


class _Word(str, Enum):
    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class MigrationPhase(_Word):
    """A VirtualMachineInstanceMigration's status.phase.

    KubeVirt v1.9.0, staging/src/kubevirt.io/api/core/v1/types.go (v1.3.0 has all but the last two).
    """

    NEW = ""  # created, no phase yet
    PENDING = "Pending"
    SCHEDULING = "Scheduling"
    SCHEDULED = "Scheduled"
    PREPARING_TARGET = "PreparingTarget"
    TARGET_READY = "TargetReady"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    # Decentralized (cross-cluster) migrations only.
    WAITING_FOR_SYNC = "WaitingForSync"
    SYNCHRONIZING = "Synchronizing"


MIGRATION_FINAL_PHASES = frozenset({MigrationPhase.SUCCEEDED, MigrationPhase.FAILED})


class VMIPhase(_Word):
    """A VirtualMachineInstance's status.phase (same file)."""

    NEW = ""
    PENDING = "Pending"
    SCHEDULING = "Scheduling"
    SCHEDULED = "Scheduled"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    UNKNOWN = "Unknown"


VMI_FINAL_PHASES = frozenset({VMIPhase.SUCCEEDED, VMIPhase.FAILED})


class Outcome(_Word):
    """How a finished migration ended, as livemig tells it (see tui/domain/progress.py)."""

    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    ABORTED = "Aborted"
    ABORT_FAILED = "AbortFailed"
    TIMED_OUT = "TimedOut"
    STUCK = "Stuck"


class KubeVirtPhase(_Word):
    """The KubeVirt CR's status.phase."""

    DEPLOYING = "Deploying"
    DEPLOYED = "Deployed"
    DELETING = "Deleting"
    DELETED = "Deleted"


class AbortStatus(_Word):
    """migrationState.abortStatus: how an abort that was asked for went."""

    NONE = ""
    ABORTING = "Aborting"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
