"""The Prometheus series KubeVirt exports about migrations, as rancher-monitoring scrapes them.

virt-handler on the source node exports, while a migration copies memory (labels namespace, name,
node): kubevirt_vmi_migration_data_remaining_bytes, _data_processed_bytes, _dirty_memory_rate_bytes,
the transfer rate (_disk_transfer_rate_bytes up to KubeVirt 1.6, _memory_transfer_rate_bytes from
1.7) and the total (_data_total_bytes from 1.5; _data_bytes_total from 1.7, the old name then kept
by a recording rule). virt-controller exports kubevirt_vmi_migrations_in_{pending,scheduling,
running,unset}_phase, kubevirt_vmi_migration_succeeded / _failed, and the start and end times. Each
series carries the scrape target's labels, as the ServiceMonitor with honorLabels adds them.

Prometheus reads them every scrape interval (the Simulation's scrapeInterval), virt-handler's and
virt-controller's series each as one scrape, so all byte counters of a migration are of one instant
and change only at scrapes. (A real virt-handler polls libvirt every 5 s and stamps each sample with
its poll time; here a sample carries its scrape's time, which is as late as that can be.)
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Callable

from tui.domain.objects import parse_time
from tui.sim.kubevirt.config import KubeVirtSettings
from tui.sim.kubevirt.index import ClusterIndex, key_of
from tui.sim.kubevirt.migration import Migrations
from tui.sim.kubevirt.scheduler import AddressBook
from tui.sim.metrics import ScrapeLoop

Series = list[tuple[dict[str, str], float]]

# Everything virt-handler exports about migrations, under any KubeVirt version's names.
HANDLER_METRICS = (
    "kubevirt_vmi_migration_data_remaining_bytes",
    "kubevirt_vmi_migration_data_processed_bytes",
    "kubevirt_vmi_migration_dirty_memory_rate_bytes",
    "kubevirt_vmi_migration_memory_transfer_rate_bytes",
    "kubevirt_vmi_migration_disk_transfer_rate_bytes",
    "kubevirt_vmi_migration_data_total_bytes",
    "kubevirt_vmi_migration_data_bytes_total",
)

_PHASE_GAUGES = {
    "kubevirt_vmi_migrations_in_pending_phase": ("Pending",),
    "kubevirt_vmi_migrations_in_scheduling_phase": ("Scheduling", "Scheduled", "PreparingTarget", "TargetReady"),
    "kubevirt_vmi_migrations_in_running_phase": ("Running",),
    "kubevirt_vmi_migrations_in_unset_phase": ("",),
}
CONTROLLER_METRICS = (
    *_PHASE_GAUGES,
    "kubevirt_vmi_migration_succeeded",
    "kubevirt_vmi_migration_failed",
    "kubevirt_vmi_migration_start_time_seconds",
    "kubevirt_vmi_migration_end_time_seconds",
)


def _target(container: str, pod: str, instance: str) -> dict[str, str]:
    return {
        "container": container,
        "endpoint": "metrics",
        "instance": instance,
        "job": "kubevirt-prometheus-metrics",
        "pod": pod,
        "service": "kubevirt-prometheus-metrics",
    }


def _suffix(text: str) -> str:
    return "".join("bcdfghjklmnpqrstvwxz2456789"[b % 27] for b in hashlib.sha256(text.encode()).digest()[:5])


class MigrationMetrics:
    """A metrics source for the simulated Prometheus: `source(metric, at) -> [(labels, value, sample_time)]`,
    from scrapes taken every `scrape_interval` seconds of the cluster's clock (default: the Simulation's)."""

    def __init__(
        self,
        index: ClusterIndex,
        migrations: Migrations,
        settings: Callable[[], KubeVirtSettings],
        scrape_interval: float | None = None,
    ) -> None:
        self.index = index
        self.migrations = migrations
        self.settings = settings
        interval = scrape_interval if scrape_interval is not None else migrations.simulation.scrape_interval
        self.handler = ScrapeLoop(interval, lambda: {metric: self._series(metric) for metric in HANDLER_METRICS})
        self.controller = ScrapeLoop(interval, lambda: {metric: self._series(metric) for metric in CONTROLLER_METRICS})

    def __call__(self, metric: str, at: datetime) -> list:
        target = (
            self.handler if metric in HANDLER_METRICS else self.controller if metric in CONTROLLER_METRICS else None
        )
        if target is None:
            return []
        with self.migrations.store.lock:  # the clock steps under the same lock, so a scrape is of one instant
            return target.samples(metric, self.migrations.store_now(), at)

    def _series(self, metric: str) -> Series:
        version = self.settings().version
        handler_metrics = {
            "kubevirt_vmi_migration_data_remaining_bytes": lambda c: c.remaining,
            "kubevirt_vmi_migration_data_processed_bytes": lambda c: c.processed,
            "kubevirt_vmi_migration_dirty_memory_rate_bytes": lambda c: c.effective_dirty_rate,
        }
        handler_metrics[
            "kubevirt_vmi_migration_memory_transfer_rate_bytes"
            if version >= (1, 7, 0)
            else "kubevirt_vmi_migration_disk_transfer_rate_bytes"
        ] = lambda c: c.transfer_rate
        if version >= (1, 5, 0):
            handler_metrics["kubevirt_vmi_migration_data_total_bytes"] = lambda c: c.total
        if version >= (1, 7, 0):
            handler_metrics["kubevirt_vmi_migration_data_bytes_total"] = lambda c: c.total
        if metric in handler_metrics:
            return self._handler_series(handler_metrics[metric])
        if metric in _PHASE_GAUGES:
            phases = _PHASE_GAUGES[metric]
            count = sum(
                1
                for migration in self.index.all("virtualmachineinstancemigrations")
                if ((migration.get("status") or {}).get("phase") or "") in phases
            )
            return [(self._controller_target(), float(count))]
        if metric in ("kubevirt_vmi_migration_succeeded", "kubevirt_vmi_migration_failed"):
            wanted = "Succeeded" if metric.endswith("succeeded") else "Failed"
            return [
                (
                    {
                        **self._controller_target(),
                        "namespace": key_of(m)[0],
                        "vmi": (m.get("spec") or {}).get("vmiName", ""),
                        "vmim": key_of(m)[1],
                    },
                    1.0,
                )
                for m in self.index.all("virtualmachineinstancemigrations")
                if (m.get("status") or {}).get("phase") == wanted
            ]
        if metric in ("kubevirt_vmi_migration_start_time_seconds", "kubevirt_vmi_migration_end_time_seconds"):
            return self._times(metric.endswith("start_time_seconds"))
        return []

    def _controller_target(self) -> dict[str, str]:
        return _target("virt-controller", f"virt-controller-6c7b9f8d54-{_suffix('virt-controller')}", "10.52.0.14:8443")

    def _handler_target(self, node_name: str) -> dict[str, str]:
        node = self.index.node(node_name) or {}
        address = AddressBook.host_ip(node) or "10.52.0.1"
        return _target("virt-handler", f"virt-handler-{_suffix(node_name)}", f"{address}:8443")

    def _handler_series(self, value: Callable) -> Series:
        series: Series = []
        for run in sorted(self.migrations.runs.values(), key=lambda r: (r.namespace, r.vmi_name)):
            copy = run.copy
            if copy is None or copy.done:
                continue
            labels = {
                **self._handler_target(run.source_node),
                "namespace": run.namespace,
                "name": run.vmi_name,
                "node": run.source_node,
            }
            series.append((labels, float(value(copy))))
        return series

    def _times(self, start: bool) -> Series:
        series: Series = []
        for vmi in self.index.all("virtualmachineinstances"):
            state = (vmi.get("status") or {}).get("migrationState") or {}
            moment = parse_time(state.get("startTimestamp" if start else "endTimestamp"))
            if moment is None:
                continue
            namespace, name = key_of(vmi)
            migration_name = next(
                (
                    key_of(m)[1]
                    for m in self.index.migrations_of(namespace, name)
                    if (m.get("metadata") or {}).get("uid") == state.get("migrationUid")
                ),
                "",
            )
            labels = {
                **self._controller_target(),
                "namespace": namespace,
                "name": name,
                "node": state.get("sourceNode", ""),
                "migration_name": migration_name,
            }
            if not start:
                labels["status"] = "failed" if state.get("failed") else "succeeded"
            series.append((labels, moment.timestamp()))
        return series
