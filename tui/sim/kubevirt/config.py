"""What the KubeVirt CR and the Simulation document say: version, images, and migration settings with KubeVirt's defaults.

KubeVirt's migration configuration, as virt-controller hands it to a migration (the VMI's
`status.migrationState.migrationConfiguration`), is its defaults for the running version, overlaid
field by field with the CR's `spec.configuration.migrations`, then with the matching MigrationPolicy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from tui.domain.objects import parse_version
from tui.domain.quantity import parse_quantity
from tui.sim.scenario import Simulation

Version = tuple[int, int, int]

HARVESTER_NAMESPACE = "harvester-system"
DRAIN_TAINT_KEY = "kubevirt.io/drain"
# Fields a MigrationPolicy may set (migrations.kubevirt.io/v1alpha1 MigrationPolicySpec).
POLICY_FIELDS = (
    "allowAutoConverge",
    "bandwidthPerMigration",
    "completionTimeoutPerGiB",
    "allowPostCopy",
    "allowWorkloadDisruption",
)


def default_migration_configuration(version: Version) -> dict[str, Any]:
    """KubeVirt's migration defaults for a version, as it writes them into migrationConfiguration."""
    config: dict[str, Any] = {
        "allowAutoConverge": False,
        "allowPostCopy": False,
        "bandwidthPerMigration": "0",
        "completionTimeoutPerGiB": 150 if version >= (1, 4, 0) else 800,
        "nodeDrainTaintKey": DRAIN_TAINT_KEY,
        "parallelMigrationsPerCluster": 5,
        "parallelOutboundMigrationsPerNode": 2,
        "progressTimeout": 150,
        "unsafeMigrationOverride": False,
    }
    if version >= (1, 5, 0):
        config["allowWorkloadDisruption"] = False
    return config


def _normalized(key: str, value: Any) -> Any:
    if key == "bandwidthPerMigration" and value is not None and not isinstance(value, str):
        return str(value)
    return value


def overlay(
    base: Mapping[str, Any], overrides: Mapping[str, Any] | None, keys: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """`base` with every field `overrides` sets (None and absent fields leave the base value)."""
    result = dict(base)
    for key, value in (overrides or {}).items():
        if value is None or (keys is not None and key not in keys):
            continue
        result[key] = _normalized(key, value)
    return result


def bandwidth_limit(config: Mapping[str, Any]) -> int:
    """bandwidthPerMigration in bytes per second; 0 means no limit."""
    quantity = parse_quantity(config.get("bandwidthPerMigration"))
    return max(quantity.ceil(), 0) if quantity is not None else 0


def int_setting(config: Mapping[str, Any], key: str, default: int) -> int:
    value = config.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return int(value)


@dataclass(frozen=True)
class KubeVirtSettings:
    """The cluster's KubeVirt as the simulated components read it from its CR (and the Simulation)."""

    version: Version
    version_text: str
    namespace: str = HARVESTER_NAMESPACE
    name: str = "kubevirt"
    registry: str = "registry.suse.com/suse/sles/15.7"
    cpu_model: str = ""
    migrations: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    node_selectors: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    overhead_ratio: str = ""
    cpu_allocation_ratio: int = (
        10  # developerConfiguration.cpuAllocationRatio (virt-config.go DefaultCPUAllocationRatio)
    )
    eviction_strategy: str = ""  # spec.configuration.evictionStrategy: the default of VMIs that name none

    @property
    def harvester(self) -> bool:
        """Harvester deploys its KubeVirt CR in harvester-system; then Harvester's controllers run too."""
        return self.namespace == HARVESTER_NAMESPACE

    @property
    def added_node_selector(self) -> bool:
        """VMIM spec.addedNodeSelector exists from KubeVirt 1.6."""
        return self.version >= (1, 6, 0)

    @property
    def machine_type_label(self) -> bool:
        """Launcher pods ask for the machine type's node label from KubeVirt 1.5.1 (nodeselectorrenderer.go
        has WithMachineType from v1.5.1; v1.5.0 has none)."""
        return self.version >= (1, 5, 1)

    @property
    def cpu_manager_label(self) -> str:
        return "kubevirt.io/cpumanager" if self.version >= (1, 8, 0) else "cpumanager"

    @property
    def machine_type(self) -> str:
        """The machine type the guest reports in status.machine.type (QEMU of that release)."""
        return "pc-q35-9.2" if self.version >= (1, 5, 0) else "pc-q35-8.2"

    def image(self, component: str) -> str:
        return f"{self.registry}/{component}:{self.version_text}"

    @property
    def abort_reason(self) -> str:
        """virt-launcher's failureReason for a cancelled migration: "Live migration aborted " (the trailing
        space is KubeVirt's) in live-migration-source.go up to v1.8.x, "Live migration has been aborted"
        from v1.9.0."""
        return "Live migration has been aborted" if self.version >= (1, 9, 0) else "Live migration aborted "

    def migration_configuration(self) -> dict[str, Any]:
        """The cluster-wide migrationConfiguration: defaults for the version, then the CR's settings;
        from v1.5.0 allowWorkloadDisruption follows allowPostCopy when the CR does not set it
        (pkg/virt-config/virt-config.go GetMigrationConfiguration)."""
        config = overlay(default_migration_configuration(self.version), self.migrations)
        if self.version >= (1, 5, 0) and self.migrations.get("allowWorkloadDisruption") is None:
            config["allowWorkloadDisruption"] = config.get("allowPostCopy") is True
        return config


def settings_from(kubevirt: Mapping[str, Any] | None, simulation: Simulation) -> KubeVirtSettings:
    """Read the KubeVirt CR; the CR's observed version wins over the Simulation's (a dump says what runs)."""
    kubevirt = kubevirt or {}
    meta = kubevirt.get("metadata") if isinstance(kubevirt.get("metadata"), dict) else {}
    spec = kubevirt.get("spec") if isinstance(kubevirt.get("spec"), dict) else {}
    status = kubevirt.get("status") if isinstance(kubevirt.get("status"), dict) else {}
    configuration = spec.get("configuration") if isinstance(spec.get("configuration"), dict) else {}
    developer = (
        configuration.get("developerConfiguration")
        if isinstance(configuration.get("developerConfiguration"), dict)
        else {}
    )
    text = str(
        status.get("observedKubeVirtVersion") or status.get("targetKubeVirtVersion") or simulation.kubevirt_version
    )
    version = parse_version(text) or parse_version(simulation.kubevirt_version) or (1, 6, 3)
    namespace = str(meta.get("namespace") or HARVESTER_NAMESPACE)
    default_registry = "registry.suse.com/suse/sles/15.7" if namespace == HARVESTER_NAMESPACE else "quay.io/kubevirt"
    migrations = configuration.get("migrations") if isinstance(configuration.get("migrations"), dict) else {}
    selectors = developer.get("nodeSelectors") if isinstance(developer.get("nodeSelectors"), dict) else {}
    ratio = configuration.get("additionalGuestMemoryOverheadRatio")
    allocation = developer.get("cpuAllocationRatio")
    return KubeVirtSettings(
        version=version,
        version_text=text,
        namespace=namespace,
        name=str(meta.get("name") or "kubevirt"),
        registry=str(status.get("observedKubeVirtRegistry") or default_registry),
        cpu_model=str(configuration.get("cpuModel") or ""),
        migrations=MappingProxyType(dict(migrations)),
        node_selectors=MappingProxyType({str(k): str(v) for k, v in selectors.items()}),
        overhead_ratio=str(ratio) if ratio not in (None, "") else "",
        eviction_strategy=str(configuration.get("evictionStrategy") or ""),
        cpu_allocation_ratio=allocation
        if isinstance(allocation, int) and not isinstance(allocation, bool) and allocation > 0
        else 10,
    )
