"""How long KubeVirt lets a migration run: the completion budget, the progress timeout and the keepalive.

KubeVirt's own computation (virt-launcher's migration monitor):

    acceptableCompletionTime = completionTimeoutPerGiB * dataSize
    dataSize = (memory.guest, else resources.requests.memory)
               + the ephemeral disks when status.migrationMethod is BlockMigration
               + the volumes a volume migration copies (status.migratedVolumes),
               as Quantity.ScaledValue(Giga): whole units of 10^9 bytes, rounded UP.

The ephemeral disks are what virt-launcher finds in its ephemeral-disk directory (cloud-init ISOs,
container-disk and ephemeral overlays), whose sizes KubeVirt does not report; an emptyDisk lives
elsewhere and is not counted (pkg/virt-launcher/virtwrap/manager.go getVMIMigrationDataSize, v1.6.0).
A migrated volume counts min(requests, capacity) of its source claim: from KubeVirt 1.7.2 each
migratedVolumes entry's sourcePVCInfo, in bytes; before, only source claims still listed in
volumeStatus, and each byte as 10^9 bytes (NewScaledQuantity(size, Giga)), which makes the budget
practically unlimited (pkg/storage/types/pvc.go GetTotalSizeMigratedVolumes, v1.7.1 and v1.7.2).

So the "per GiB" value is really per 10^9 bytes: 8G is 8 units, but 8Gi (8.59e9 bytes) is 9. The
KubeVirt documentation's example (8 GiB at 800 s/GiB "= 6400 s") holds for "8G" only: for a guest
with "8Gi" KubeVirt allows 9 x 800 = 7200 s. livemig shows KubeVirt's number (7200 s), the one the
migration is actually aborted at, with the computation spelled out ("9 GB x 800 s/GB = 2 h").

completionTimeoutPerGiB comes from, first found: the VMI's status.migrationState
.migrationConfiguration while a migration is in flight (what KubeVirt fixed at hand-off); the
MigrationPolicy that matches the VMI best; the KubeVirt CR's spec.configuration.migrations; the
configuration the VMI's previous migration ran with (it records what KubeVirt applied, useful when
the CR cannot be read); else KubeVirt's default, 800 up to 1.3 and 150 from 1.4.

The clock starts at migrationState.startTimestamp. On expiry KubeVirt aborts the migration ("Live
migration is not completed after N seconds and has been aborted") unless allowWorkloadDisruption
is on: then it switches to post-copy (if allowPostCopy) or pauses the guest and doubles the budget,
once. Separately it aborts a migration whose remaining data has not shrunk from one reading to the
next for progressTimeout seconds ("Live migration stuck for N seconds and has been aborted": its
"progress watermark" is the previous reading, not the lowest), and libvirt's
keepalive (5 s x 5 probes) drops a migration whose peer is silent for about 30 s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from tui.domain.objects import VMI, MigrationConfig, MigrationPolicy, MigrationState
from tui.domain.snapshot import ClusterSnapshot
from tui.domain.units import exact_duration, human_bytes
from tui.domain.versions import Version, migrated_volumes_in_bytes

DATA_UNIT_BYTES = 10**9  # Quantity.ScaledValue(resource.Giga)
DEFAULT_PER_GIB = 150  # KubeVirt >= 1.4
DEFAULT_PER_GIB_BEFORE_1_4 = 800  # KubeVirt <= 1.3 (and what the Harvester docs still say)
DEFAULT_PROGRESS_TIMEOUT = 150  # seconds
KEEPALIVE_INTERVAL_SECONDS = 5  # libvirt's keepalive between the two libvirt daemons
KEEPALIVE_COUNT = 5  # unanswered probes before libvirt gives up
KEEPALIVE_SECONDS = 30  # about: interval x count plus the first interval; a short outage only delays

SOURCE_VMI = "vmi"  # the in-flight migration's migrationConfiguration
SOURCE_POLICY = "policy"
SOURCE_KUBEVIRT = "kubevirt"
SOURCE_PREVIOUS = "previous-migration"
SOURCE_DEFAULT = "default"

EXPIRY_ABORT = "abort"
EXPIRY_POST_COPY = "post-copy"
EXPIRY_PAUSE = "pause"

_MAX_UNITS = 2**63 - 1
# Volume sources whose data lives in the launcher's ephemeral-disk directory (what BlockMigration adds).
_EPHEMERAL_SOURCES = ("containerDisk", "cloudInitNoCloud", "cloudInitConfigDrive", "ephemeral")


@dataclass(frozen=True)
class CompletionBudget:
    """How long KubeVirt lets a migration of this VM run, and why.

    `seconds` is per_gib x data_units; None when the memory size is unknown. A per_gib of 0 means
    KubeVirt sets no completion timeout at all (`limited` is False).
    """

    seconds: int | None
    per_gib: int
    data_units: int | None
    source: str  # SOURCE_*
    source_detail: str  # in words: "MigrationPolicy fast-lane", "KubeVirt 1.6.3 default", ...
    memory_bytes: int | None = None
    ephemeral_bytes: int = 0  # ephemeral disks counted in (BlockMigration)
    migrated_volume_units: int = 0  # units of 10^9 bytes added for a volume migration
    ephemeral_complete: bool = True  # False when some ephemeral disk's size is not known
    progress_timeout: int = DEFAULT_PROGRESS_TIMEOUT
    progress_timeout_source: str = SOURCE_DEFAULT
    on_expiry: str = EXPIRY_ABORT  # EXPIRY_*
    notes: tuple[str, ...] = ()

    @property
    def limited(self) -> bool:
        return self.per_gib > 0

    def text(self) -> str:
        """The computation as the UI shows it: "9 GB x 800 s/GB = 2 h", "5 GB x 150 s/GB = 12 min 30 s".

        The result is exact (never rounded down): the factors are on screen, so it must be their product.
        """
        if not self.limited:
            return "no completion timeout (completionTimeoutPerGiB is 0)"
        units = "?" if self.data_units is None else str(self.data_units)
        result = "unknown" if self.seconds is None else exact_duration(self.seconds)
        return f"{units} GB x {self.per_gib} s/GB = {result}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "per_gib": self.per_gib,
            "data_units": self.data_units,
            "source": self.source,
        }


def default_per_gib(version: tuple[int, int, int] | None) -> tuple[int, str]:
    """KubeVirt's default completionTimeoutPerGiB for a version, and how it was chosen.

    With the version unknown, the shorter default (150): showing the longer one could let an
    operator believe a migration has more time than KubeVirt gives it.
    """
    if version is None:
        return DEFAULT_PER_GIB, (
            f"KubeVirt version unknown: assuming the shorter default, {DEFAULT_PER_GIB} s (KubeVirt 1.4 and "
            f"later); clusters on 1.3 or earlier allow {DEFAULT_PER_GIB_BEFORE_1_4} s"
        )
    shown = ".".join(str(part) for part in version)
    if version < (1, 4, 0):
        return DEFAULT_PER_GIB_BEFORE_1_4, f"KubeVirt {shown} default"
    return DEFAULT_PER_GIB, f"KubeVirt {shown} default"


def matching_policy(snapshot: ClusterSnapshot, vmi: VMI) -> MigrationPolicy | None:
    """The MigrationPolicy KubeVirt applies to this VMI (migration controller's matchPolicy).

    A policy matches when each of its VMI-selector labels is on the VMI and each namespace-selector
    label is on the VMI's namespace; a policy without spec.selectors never matches. The best has the
    most matching labels in total; on a tie, the most matching VMI labels; then the name that sorts
    first. KubeVirt skips both selectors for a VMI with no labels at all (every policy with selectors
    then matches it with no labels counted).
    """
    vmi_labels = vmi.meta.labels
    namespace_labels = snapshot.namespace_labels(vmi.namespace)
    best: tuple[int, int] | None = None
    winners: list[MigrationPolicy] = []
    for policy in snapshot.policies.values():
        if policy in unevaluated_policies(snapshot, vmi):
            continue
        score = _policy_score(policy, vmi_labels, namespace_labels)
        if score is None:
            continue
        rank = (score[0] + score[1], score[0])
        if best is None or rank > best:
            best, winners = rank, [policy]
        elif rank == best:
            winners.append(policy)
    return min(winners, key=lambda p: p.name) if winners else None


def unevaluated_policies(snapshot: ClusterSnapshot, vmi: VMI) -> tuple[MigrationPolicy, ...]:
    """Policies whose namespaceSelector cannot be evaluated: the VMI's namespace could not be read (and
    KubeVirt would read its labels: the VMI has labels, and the policy's VMI selector matches them)."""
    if snapshot.namespaces_known or vmi.namespace in snapshot.namespaces or not vmi.meta.labels:
        return ()
    return tuple(
        sorted(
            (
                policy
                for policy in snapshot.policies.values()
                if policy.selectors_set
                and policy.namespace_selector
                and all(vmi.meta.labels.get(k) == v for k, v in policy.vmi_selector.items())
            ),
            key=lambda p: p.name,
        )
    )


def _policy_score(
    policy: MigrationPolicy, vmi_labels: Mapping[str, str], namespace_labels: Mapping[str, str]
) -> tuple[int, int] | None:
    """(matching VMI labels, matching namespace labels), or None when the policy does not match."""
    if not policy.selectors_set:
        return None
    if not vmi_labels:
        return (0, 0)
    for key, value in policy.vmi_selector.items():
        if vmi_labels.get(key) != value:
            return None
    for key, value in policy.namespace_selector.items():
        if namespace_labels.get(key) != value:
            return None
    return (len(policy.vmi_selector), len(policy.namespace_selector))


def in_flight_configuration(vmi: VMI) -> MigrationConfig | None:
    """The configuration KubeVirt fixed for the migration running now (None when none is in flight)."""
    state = vmi.migration_state
    if state is None or state.configuration is None or state.end is not None or state.completed or state.failed:
        return None
    return state.configuration


def _previous_configuration(vmi: VMI) -> MigrationConfig | None:
    state = vmi.migration_state
    if state is None or state.configuration is None or in_flight_configuration(vmi) is not None:
        return None
    return state.configuration


def data_size(vmi: VMI, kubevirt: Version | None = None) -> tuple[int | None, int, bool, Fraction | None]:
    """(memory bytes, ephemeral bytes counted, whether all ephemeral sizes were known, exact total
    in bytes, migrated volumes included) for the KubeVirt version `kubevirt` (None: the newest rule)."""
    memory = vmi.spec.memory
    if memory is None:
        return None, 0, True, None
    ephemeral, complete = 0, True
    if vmi.migration_method == "BlockMigration":
        sizes = {status.name: status.size for status in vmi.volume_status}
        for volume in vmi.spec.volumes:
            if volume.source not in _EPHEMERAL_SOURCES:
                continue
            size = sizes.get(volume.name)
            if size is None:
                complete = False
            else:
                ephemeral += max(size, 0)
    return memory.ceil(), ephemeral, complete, memory.value + ephemeral + migrated_volume_bytes(vmi, kubevirt)


def migrated_volume_bytes(vmi: VMI, kubevirt: Version | None = None) -> int:
    """What KubeVirt adds to the data size for a volume migration, in bytes (see the module's docstring)."""
    if migrated_volumes_in_bytes(kubevirt):
        return sum(_claim_size(volume.source_request, volume.source_capacity) for volume in vmi.migrated_volumes)
    sources = {volume.source_claim for volume in vmi.migrated_volumes if volume.source_claim}
    counted = sum(
        _claim_size(status.request, status.capacity)
        for status in vmi.volume_status
        if status.is_pvc and status.claim_name in sources
    )
    return counted * DATA_UNIT_BYTES


def _claim_size(request: int | None, capacity: int | None) -> int:
    """KubeVirt's GetDiskCapacity: the smaller of requests and capacity; nothing when either is missing."""
    if request is None or capacity is None:
        return 0
    return max(min(request, capacity), 0)


def data_units(vmi: VMI, kubevirt: Version | None = None) -> int | None:
    """KubeVirt's dataSize: whole units of 10^9 bytes, rounded up; None when unknown or beyond int64."""
    total = data_size(vmi, kubevirt)[3]
    if total is None:
        return None
    units = max(math.ceil(total / DATA_UNIT_BYTES), 0)
    return units if units <= _MAX_UNITS else None


def completion_budget(snapshot: ClusterSnapshot, vmi: VMI) -> CompletionBudget:
    """KubeVirt's completion timeout for migrating this VMI, with where each number came from."""
    kubevirt = snapshot.kubevirt
    in_flight = in_flight_configuration(vmi)
    policy = matching_policy(snapshot, vmi)
    cluster = kubevirt.migrations if kubevirt is not None else None
    # The previous migration's record stands in only when KubeVirt's own settings cannot be read: with
    # the CR and its version known, KubeVirt's default is exact, and the record may be outdated.
    previous = _previous_configuration(vmi) if kubevirt is None or kubevirt.version is None else None
    notes: list[str] = []

    sources: list[tuple[str, str, MigrationConfig | None]] = [
        (SOURCE_VMI, "the running migration's configuration (status.migrationState.migrationConfiguration)", in_flight),
        (SOURCE_POLICY, f"MigrationPolicy {policy.name}" if policy else "", policy.config if policy else None),
        (SOURCE_KUBEVIRT, "the KubeVirt CR (spec.configuration.migrations)", cluster),
        (SOURCE_PREVIOUS, "the configuration of the VM's previous migration", previous),
    ]
    per_gib, source, detail = _first(sources, "completion_timeout_per_gib")
    if per_gib is None:
        per_gib, detail = default_per_gib(kubevirt.version if kubevirt is not None else None)
        source = SOURCE_DEFAULT
        if kubevirt is None or kubevirt.version is None:
            notes.append(detail)
    per_gib = max(per_gib, 0)
    for skipped in unevaluated_policies(snapshot, vmi):
        notes.append(
            f"MigrationPolicy {skipped.name} selects namespaces by label, and namespace {vmi.namespace} could not "
            "be read: whether it applies could not be evaluated, and it was left out."
        )

    # Policies carry no progress timeout: only the in-flight, cluster and previous configurations do.
    progress, progress_source, _ = _first([s for s in sources if s[0] != SOURCE_POLICY], "progress_timeout")
    if progress is None:
        progress, progress_source = DEFAULT_PROGRESS_TIMEOUT, SOURCE_DEFAULT

    version = kubevirt.version if kubevirt is not None else None
    memory_bytes, ephemeral, complete, total = data_size(vmi, version)
    units = None if total is None else max(math.ceil(total / DATA_UNIT_BYTES), 0)
    volume_bytes = migrated_volume_bytes(vmi, version)
    volume_units = (
        math.ceil(total / DATA_UNIT_BYTES) - math.ceil((total - volume_bytes) / DATA_UNIT_BYTES)
        if total is not None
        else 0
    )
    if vmi.migrated_volumes:
        if migrated_volumes_in_bytes(version):
            notes.append(
                f"A volume migration copies {human_bytes(volume_bytes)} of source volumes, counted in the data size."
            )
        elif volume_bytes:
            notes.append(
                "A volume migration's source claims are counted as KubeVirt before 1.7.2 counts them, each byte "
                "as a GB: the time limit is practically unlimited."
            )
    if units is not None and units > _MAX_UNITS:
        units = None  # beyond KubeVirt's int64 arithmetic: no real VM, so no number to show
        notes.append("The VM's memory size is out of any real range; no budget can be computed.")
    if memory_bytes is None:
        notes.append("The VM's memory size is unknown (neither memory.guest nor requests.memory is readable).")
    if not complete:
        notes.append(
            "Some ephemeral disks' sizes are unknown; with BlockMigration KubeVirt counts them in, so the real "
            "budget may be a little longer."
        )
    return CompletionBudget(
        seconds=None if units is None else per_gib * units,
        per_gib=per_gib,
        data_units=units,
        source=source,
        source_detail=detail,
        memory_bytes=memory_bytes,
        ephemeral_bytes=ephemeral,
        migrated_volume_units=volume_units,
        ephemeral_complete=complete,
        progress_timeout=max(progress, 0),
        progress_timeout_source=progress_source,
        on_expiry=_on_expiry(sources),
        notes=tuple(notes),
    )


def _first(sources: list[tuple[str, str, MigrationConfig | None]], attribute: str) -> tuple[Any, str, str]:
    for source, detail, config in sources:
        value = getattr(config, attribute) if config is not None else None
        if value is not None:
            return value, source, detail
    return None, SOURCE_DEFAULT, ""


def _on_expiry(sources: list[tuple[str, str, MigrationConfig | None]]) -> str:
    """What KubeVirt does when the budget runs out. allowWorkloadDisruption, when not set, follows
    allowPostCopy (KubeVirt's backward-compatible default)."""
    disruption = post_copy = None
    for _, _, config in sources:
        if config is None:
            continue
        if disruption is None:
            disruption = config.allow_workload_disruption
            if disruption is None and config.allow_post_copy is not None:
                disruption = config.allow_post_copy
        if post_copy is None:
            post_copy = config.allow_post_copy
    if not disruption:
        return EXPIRY_ABORT
    return EXPIRY_POST_COPY if post_copy else EXPIRY_PAUSE


def remaining_seconds(budget: CompletionBudget, migration_state: MigrationState | None, now: datetime) -> float | None:
    """Seconds left before KubeVirt acts on the completion timeout (negative when overdue).

    None when there is no clock to read: no budget (size unknown, or no limit), the memory copy has
    not started (no startTimestamp), or the migration is in post-copy (KubeVirt then never aborts).
    A guest paused under allowWorkloadDisruption has twice the budget, once. A finished migration's
    clock stops at its endTimestamp.
    """
    if budget.seconds is None or not budget.limited:
        return None
    if migration_state is None or migration_state.start is None:
        return None
    if migration_state.mode == "PostCopy":
        return None
    allowed = budget.seconds * (2 if migration_state.mode == "Paused" else 1)
    until = migration_state.end or now
    return allowed - (until - migration_state.start).total_seconds()
