"""How long the simulated virt-launcher lets a migration run, and which MigrationPolicy configures it.

The simulator's own reading of the KubeVirt sources (never livemig's tui.domain.budget):

- The completion timeout (pkg/virt-launcher/virtwrap/live-migration-source.go, v1.3.0 ... v1.8.0):
  acceptableCompletionTime = completionTimeoutPerGiB x getVMIMigrationDataSize (manager.go), the data
  size being, in whole units of 10^9 bytes rounded up (ScaledValue(resource.Giga)): the guest memory
  (spec.domain.memory.guest, else resources.requests.memory), plus the files under the ephemeral-disk
  directory for a block migration (status.migrationMethod BlockMigration: the cloud-init ISO, whose
  size virt-handler reports in volumeStatus; an emptyDisk lives elsewhere and is not counted), plus
  storagetypes.GetTotalSizeMigratedVolumes (pkg/storage/types/pvc.go). Up to v1.7.1 that sum takes the
  volumeStatus claims named by status.migratedVolumes' sourcePVCInfo, each min(request, capacity) in
  bytes, and returns it as a quantity of that many *gigabytes* (NewScaledQuantity(size, Giga)); from
  v1.7.2 and v1.8.0 it takes sourcePVCInfo's own min(request, capacity) in bytes (NewQuantity).
  A timeout of 0 means none. The timeout fires once the elapsed whole seconds exceed it.
- The policy (pkg/virt-controller/watch/migration/migrationpolicy.go, v1.6.0 matchPolicy): a policy
  matches when every label of its VMI selector is on the VMI (not checked when the VMI has no labels)
  and every label of its namespace selector is on the namespace (not checked when the VMI has no
  labels); the most matched labels win, the VMI's count breaking ties, then the policy name.
- libvirt's keepalive (virtqemud.conf keepalive_interval 5, keepalive_count 5): a peer silent for about
  30 s ends the migration.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from tui.domain.quantity import parse_quantity

DATA_UNIT_BYTES = 10**9
KEEPALIVE_SECONDS = 30
Version = tuple[int, int, int]


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _bytes(raw: Any) -> int | None:
    parsed = parse_quantity(raw)
    return None if parsed is None else parsed.ceil()


def guest_memory(vmi: Mapping[str, Any]) -> int:
    domain = _dict(_dict(vmi.get("spec")).get("domain"))
    guest = _bytes(_dict(domain.get("memory")).get("guest"))
    if guest is not None:
        return guest
    return _bytes(_dict(_dict(domain.get("resources")).get("requests")).get("memory")) or 0


def ephemeral_bytes(vmi: Mapping[str, Any]) -> int:
    """What a block migration copies from the ephemeral-disk directory (the sizes virt-handler reports)."""
    status = _dict(vmi.get("status"))
    if status.get("migrationMethod") != "BlockMigration":
        return 0
    sources = {str(_dict(v).get("name")): _dict(v) for v in _list(_dict(vmi.get("spec")).get("volumes"))}
    total = 0
    for entry in (_dict(e) for e in _list(status.get("volumeStatus"))):
        volume = sources.get(str(entry.get("name")), {})
        if "emptyDisk" in volume or "persistentVolumeClaim" in volume or "dataVolume" in volume:
            continue
        size = entry.get("size")
        if isinstance(size, int) and not isinstance(size, bool) and size > 0:
            total += size
    return total


def _claim_size(info: Mapping[str, Any]) -> int | None:
    """GetDiskCapacity: min(requests.storage, capacity.storage), None when either is missing."""
    capacity = _bytes(_dict(info.get("capacity")).get("storage"))
    request = _bytes(_dict(info.get("requests")).get("storage"))
    if capacity is None or request is None:
        return None
    return min(capacity, request)


def migrated_volumes_bytes(vmi: Mapping[str, Any], version: Version) -> int:
    status = _dict(vmi.get("status"))
    migrated = [
        _dict(_dict(v).get("sourcePVCInfo"))
        for v in _list(status.get("migratedVolumes"))
        if _dict(v).get("sourcePVCInfo")
    ]
    if version >= (1, 7, 2):
        return sum(size for size in (_claim_size(info) for info in migrated) if size is not None)
    claims = {info.get("claimName") for info in migrated}
    total = 0
    for entry in (_dict(e) for e in _list(status.get("volumeStatus"))):
        info = _dict(entry.get("persistentVolumeClaimInfo"))
        if info and info.get("claimName") in claims:
            size = _claim_size(info)
            total += size or 0
    return total * DATA_UNIT_BYTES


def data_bytes(vmi: Mapping[str, Any], version: Version) -> int:
    """Memory plus ephemeral disks plus migrated volumes, as getVMIMigrationDataSize adds them."""
    return guest_memory(vmi) + ephemeral_bytes(vmi) + migrated_volumes_bytes(vmi, version)


def data_units(vmi: Mapping[str, Any], version: Version) -> int:
    return max(math.ceil(data_bytes(vmi, version) / DATA_UNIT_BYTES), 0)


def acceptable_completion_seconds(per_gib: int, vmi: Mapping[str, Any], version: Version) -> int:
    """acceptableCompletionTime: 0 means the migration has no completion timeout."""
    return max(per_gib, 0) * data_units(vmi, version)


def _count(selector: Any, labels: Mapping[str, str] | None) -> int | None:
    """countLabelsHelper: how many of the selector's labels match, None when one does not."""
    if not isinstance(selector, dict) or labels is None:
        return 0
    for key, value in selector.items():
        if labels.get(key) != value:
            return None
    return len(selector)


def match_policy(
    policies: Iterable[Mapping[str, Any]],
    vmi_labels: Mapping[str, str] | None,
    namespace_labels: Mapping[str, str] | None,
) -> Mapping[str, Any] | None:
    """The MigrationPolicy KubeVirt applies to a VMI, or None."""
    best: tuple[int, int, str] | None = None
    chosen = None
    for policy in policies:
        selectors = _dict(policy.get("spec")).get("selectors")
        if not isinstance(selectors, dict):
            continue
        vmi_count = _count(selectors.get("virtualMachineInstanceSelector"), vmi_labels)
        if vmi_count is None:
            continue
        namespace_count = 0
        if vmi_labels is not None:
            namespace_count = _count(selectors.get("namespaceSelector"), namespace_labels or {})
            if namespace_count is None:
                continue
        name = str(_dict(policy.get("metadata")).get("name") or "")
        # Highest total first, then the most VMI labels; the lexicographically first name among equals.
        score = (-(vmi_count + namespace_count), -vmi_count, name)
        if best is None or score < best:
            best, chosen = score, policy
    return chosen


def policy_configuration(cluster: Mapping[str, Any], policy: Mapping[str, Any], version: Version) -> dict[str, Any]:
    """GetMigrationConfByPolicy: the policy's fields over the cluster's; allowWorkloadDisruption follows
    the policy's allowPostCopy when the policy sets one but not the other (from v1.5.0)."""
    spec = _dict(policy.get("spec"))
    result = dict(cluster)
    for key in ("allowAutoConverge", "bandwidthPerMigration", "completionTimeoutPerGiB", "allowPostCopy"):
        if spec.get(key) is not None:
            result[key] = (
                str(spec[key]) if key == "bandwidthPerMigration" and not isinstance(spec[key], str) else spec[key]
            )
    if version >= (1, 5, 0):
        if spec.get("allowWorkloadDisruption") is not None:
            result["allowWorkloadDisruption"] = spec["allowWorkloadDisruption"]
        elif spec.get("allowPostCopy") is not None:
            result["allowWorkloadDisruption"] = spec["allowPostCopy"]
    return result
