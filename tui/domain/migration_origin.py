"""Who started a migration: KubeVirt itself (a drain's evacuation, a workload or volume update) or a user.

Read from the VirtualMachineInstanceMigration alone, as KubeVirt marks its own (KubeVirt v1.3.0 to v1.9.0):
- evacuation: annotation `kubevirt.io/evacuationMigration` = the node being drained, name
  `kubevirt-evacuation-…` (pkg/virt-controller/watch/drain/evacuation/evacuation.go
  GenerateNewMigration, v1.6.0; the constant in staging/src/kubevirt.io/api/core/v1/types.go). A
  Harvester maintenance mode drains the node (pkg/controller/master/nodedrain, Harvester v1.7.0), so
  its migrations are evacuations too; the node then carries `harvesterhci.io/maintain-status`.
- workload update: annotation `kubevirt.io/workloadUpdateMigration` (value ""), name
  `kubevirt-workload-update-…` (pkg/virt-controller/watch/workload-updater/workload-updater.go, v1.6.0);
  with label `kubevirt.io/volume-update-migration` when it moves volumes (same file).
- anything else was created by a user: livemig, `virtctl migrate`, kubectl, or Harvester's Migrate
  action, whose migration is a plain `<vm>-…` object (pkg/api/vm/handler.go migrate, Harvester v1.4.0
  to v1.8.0) that cannot be told from the others once it ended; while it runs with a chosen node the
  VMI carries Harvester's `harvesterhci.io/migrationTargetNodeName` (same handler).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from tui.domain.objects import VMI, Migration, Node

EVACUATION_ANNOTATION = "kubevirt.io/evacuationMigration"
WORKLOAD_UPDATE_ANNOTATION = "kubevirt.io/workloadUpdateMigration"
VOLUME_UPDATE_LABEL = "kubevirt.io/volume-update-migration"
EVACUATION_PREFIX = "kubevirt-evacuation-"
WORKLOAD_UPDATE_PREFIX = "kubevirt-workload-update-"
HARVESTER_TARGET_ANNOTATION = "harvesterhci.io/migrationTargetNodeName"
HARVESTER_MAINTENANCE_ANNOTATION = "harvesterhci.io/maintain-status"


class Starter(str, Enum):
    """Who created the migration object."""

    EVACUATION = "evacuation"
    WORKLOAD_UPDATE = "workload-update"
    VOLUME_UPDATE = "volume-update"
    HARVESTER = "harvester"
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class MigrationOrigin:
    """Where a migration came from, in a word for a cell and a sentence for the details."""

    starter: Starter
    node: str = ""  # the node being evacuated (EVACUATION)
    maintenance: bool = False  # that node is in Harvester's maintenance mode

    @property
    def by_kubevirt(self) -> bool:
        return self.starter in (Starter.EVACUATION, Starter.WORKLOAD_UPDATE, Starter.VOLUME_UPDATE)

    @property
    def short(self) -> str:
        """A cell: "evacuation", "update", "Harvester", "user"."""
        return {
            Starter.EVACUATION: "maintenance" if self.maintenance else "evacuation",
            Starter.WORKLOAD_UPDATE: "update",
            Starter.VOLUME_UPDATE: "volumes",
            Starter.HARVESTER: "Harvester",
            Starter.USER: "user",
        }[self.starter]

    @property
    def sentence(self) -> str:
        """ "started by KubeVirt (evacuating harv-1)", "started by a user (livemig, virtctl, Harvester UI)"."""
        if self.starter == Starter.EVACUATION:
            why = f"evacuating {self.node}" if self.node else "evacuating a node"
            if self.maintenance:
                why += ", Harvester maintenance mode"
            return f"started by KubeVirt ({why})"
        if self.starter == Starter.WORKLOAD_UPDATE:
            return "started by KubeVirt (workload update after a KubeVirt upgrade)"
        if self.starter == Starter.VOLUME_UPDATE:
            return "started by KubeVirt (volume update)"
        if self.starter == Starter.HARVESTER:
            return "started by Harvester's Migrate action"
        return "started by a user (livemig, virtctl, Harvester UI)"


def migration_origin(
    migration: Migration, vmi: VMI | None = None, nodes: Mapping[str, Node] | None = None
) -> MigrationOrigin:
    """Who started `migration`; `vmi` (its VMI) and `nodes` refine it when known."""
    annotations = migration.meta.annotations
    if EVACUATION_ANNOTATION in annotations or migration.name.startswith(EVACUATION_PREFIX):
        node = annotations.get(EVACUATION_ANNOTATION, "")
        if not node and vmi is not None:
            node = vmi.evacuation_node
        found = (nodes or {}).get(node) if node else None
        maintenance = found is not None and HARVESTER_MAINTENANCE_ANNOTATION in found.meta.annotations
        return MigrationOrigin(Starter.EVACUATION, node=node, maintenance=maintenance)
    if VOLUME_UPDATE_LABEL in migration.meta.labels:
        return MigrationOrigin(Starter.VOLUME_UPDATE)
    if WORKLOAD_UPDATE_ANNOTATION in annotations or migration.name.startswith(WORKLOAD_UPDATE_PREFIX):
        return MigrationOrigin(Starter.WORKLOAD_UPDATE)
    if vmi is not None and not migration.is_final:
        # Harvester 1.4-1.6 pin through the VMI or VM node selector, 1.7+ through addedNodeSelector.
        chosen = vmi.meta.annotations.get(HARVESTER_TARGET_ANNOTATION)
        pinned = migration.pinned_node
        if chosen and (not pinned or pinned == chosen):
            return MigrationOrigin(Starter.HARVESTER)
    return MigrationOrigin(Starter.USER)
