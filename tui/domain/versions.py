"""Which KubeVirt and Harvester versions a cluster runs, and so which version's rules livemig applies.

KubeVirt's version comes from its CR (status.observedKubeVirtVersion) or, when the CR cannot be read,
from virt-api's version subresource (the stand-in CR). Harvester's comes from its `server-version`
setting, else from the nodes' OS image ("Harvester v1.7.0", status.nodeInfo.osImage): the oldest one,
as during an upgrade nodes still on the old release keep its rules.

The rules that change with the version (each named with the upstream source that decides it):

- `machine-type.node.kubevirt.io/<type>` on launcher and target pods: from KubeVirt 1.5.1
  (pkg/virt-controller/services/nodeselectorrenderer.go, absent at v1.5.0, WithMachineType at v1.5.1).
- Volume migrations in the data size: KubeVirt 1.7.2 and later add the source claims of
  status.migratedVolumes in bytes; before, only claims still in volumeStatus, each byte read as 10^9
  bytes (pkg/storage/types/pvc.go GetTotalSizeMigratedVolumes, v1.7.1 and v1.7.2).
- The default completionTimeoutPerGiB: 800 up to KubeVirt 1.3, 150 from 1.4 (budget.py).
- A migration naming its target (spec.addedNodeSelector): KubeVirt 1.6 and later (plan.py).
- Harvester's refusal of CD-ROMs and container disks: its migrate action up to v1.4
  (pkg/api/vm/handler.go, v1.4.0), ValidateVMMigratable from v1.5.0 to v1.7.x
  (pkg/util/virtualmachineinstance/virtualmachineinstance.go, v1.5.0 and v1.7.3); gone in v1.8.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui.domain.objects import parse_version
from tui.domain.snapshot import ClusterSnapshot

Version = tuple[int, int, int]

HARVESTER_FROM_SETTING = "server-version setting"
HARVESTER_FROM_OS_IMAGE = "nodes' OS image"

MACHINE_TYPE_FROM = (1, 5, 1)
MIGRATED_VOLUMES_IN_BYTES_FROM = (1, 7, 2)
HARVESTER_CDROM_ALLOWED_FROM = (1, 8, 0)


def shown(version: Version) -> str:
    return ".".join(str(part) for part in version)


@dataclass(frozen=True)
class RuleVersions:
    """The versions whose rules apply, where each was read, and the rules assumed for what is unknown."""

    kubevirt: Version | None
    kubevirt_text: str  # as the cluster spells it ("v1.6.3"), "" when unknown
    harvester_cluster: bool
    harvester: Version | None
    harvester_text: str
    harvester_source: str  # HARVESTER_FROM_*, "" when unknown or not Harvester

    @property
    def assumed(self) -> tuple[str, ...]:
        """One sentence per rule applied without knowing the version it depends on."""
        found = []
        if self.kubevirt is None:
            found.append(
                "KubeVirt version unknown: assuming no machine-type node label on target pods (KubeVirt 1.5.1 "
                "and later ask for it), the 150 s/GB default time limit (KubeVirt 1.4 and later), volume "
                "migrations counted in bytes (KubeVirt 1.7.2 and later), and no target node in a migration "
                "(KubeVirt 1.6 and later take one)."
            )
        if self.harvester_cluster and self.harvester is None:
            found.append(
                "Harvester version unknown: applying the rule of Harvester 1.4 to 1.7, which refuses to "
                "migrate a VM with a CD-ROM or a container disk (Harvester 1.8 and later allow it)."
            )
        return tuple(found)

    def kubevirt_line(self) -> str:
        return f"KubeVirt {self.kubevirt_text}" if self.kubevirt is not None else "KubeVirt version unknown"

    def harvester_line(self) -> str:
        if not self.harvester_cluster:
            return "not a Harvester cluster"
        if self.harvester is None:
            return "Harvester version unknown"
        return f"Harvester {self.harvester_text} (from the {self.harvester_source})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kubevirt": self.kubevirt_text or None,
            "harvester": (self.harvester_text or None) if self.harvester_cluster else None,
            "harvester_source": self.harvester_source or None,
            "harvester_cluster": self.harvester_cluster,
            "assumed": list(self.assumed),
        }


def rule_versions(snapshot: ClusterSnapshot) -> RuleVersions:
    return snapshot.memo("rule_versions", lambda: _rule_versions(snapshot))


def _rule_versions(snapshot: ClusterSnapshot) -> RuleVersions:
    kubevirt = snapshot.kubevirt
    version = kubevirt.version if kubevirt is not None else None
    harvester, text, source = _harvester_version(snapshot)
    return RuleVersions(
        kubevirt=version,
        kubevirt_text=(kubevirt.version_text if kubevirt is not None and version is not None else ""),
        harvester_cluster=snapshot.is_harvester() or harvester is not None,
        harvester=harvester,
        harvester_text=text,
        harvester_source=source,
    )


def _harvester_version(snapshot: ClusterSnapshot) -> tuple[Version | None, str, str]:
    setting = parse_version(snapshot.harvester_server_version)
    if setting is not None:
        return setting, snapshot.harvester_server_version, HARVESTER_FROM_SETTING
    found = []
    for node in snapshot.nodes.values():
        image = node.os_image.strip()
        if image.lower().startswith("harvester"):
            parsed = parse_version(image)
            if parsed is not None:
                found.append((parsed, image.split()[-1]))
    if not found:
        return None, "", ""
    oldest = min(found)
    return oldest[0], oldest[1], HARVESTER_FROM_OS_IMAGE


def machine_type_required(kubevirt: Version | None) -> bool:
    """Whether KubeVirt puts machine-type.node.kubevirt.io/<type> on launcher pods (1.5.1 and later);
    with the version unknown, not assumed."""
    return kubevirt is not None and kubevirt >= MACHINE_TYPE_FROM


def harvester_refuses_cdrom(versions: RuleVersions) -> bool:
    """Whether Harvester refuses to migrate a VM with a CD-ROM or a container disk: up to 1.7.x, and
    when its version is unknown (the older rule, said in `assumed`)."""
    if not versions.harvester_cluster:
        return False
    return versions.harvester is None or versions.harvester < HARVESTER_CDROM_ALLOWED_FROM


def migrated_volumes_in_bytes(kubevirt: Version | None) -> bool:
    """KubeVirt 1.7.2 and later (and unknown versions, the newest rule) count migrated volumes in bytes."""
    return kubevirt is None or kubevirt >= MIGRATED_VOLUMES_IN_BYTES_FROM
