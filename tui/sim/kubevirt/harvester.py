"""Harvester's migration controllers: the VMI's migration annotations, the VM's nudge, the clean-up after an abort.

As harvester/pkg/controller/master/migration does it: while a migration is unset or Pending the VMI
carries harvesterhci.io/migrationState "Pending migration", from Scheduling to Running "Migrating",
"Aborting migration" once an abort is requested, with harvesterhci.io/migrationUID; a final
migration removes them, and harvesterhci.io/migrationTargetNodeName when the VMI has it
(vmi_controller.go v1.6.0). That one only Harvester's own migrate action writes (pkg/api/vm/handler.go
v1.6.0, before it creates the migration, which then has no addedNodeSelector): a migration created
through KubeVirt's API, as livemig creates it, never gets it.
Every change bumps the VM's harvesterhci.io/timestamp so its UI refreshes; the target pod of an
aborted migration is deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tui.sim.kubevirt.index import ClusterIndex, key_of
from tui.sim.kubevirt.kubelet import PodRuntime
from tui.sim.store import ObjectStore, copy_object, format_time

MIGRATION_STATE = "harvesterhci.io/migrationState"
MIGRATION_UID = "harvesterhci.io/migrationUID"
MIGRATION_TARGET = "harvesterhci.io/migrationTargetNodeName"
TIMESTAMP = "harvesterhci.io/timestamp"
PENDING = "Pending migration"
MIGRATING = "Migrating"
ABORTING = "Aborting migration"


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _abort_requested(migration: dict) -> bool:
    return any(
        _dict(c).get("type") == "migrationAbortRequested" and _dict(c).get("status") == "True"
        for c in _dict(migration.get("status")).get("conditions") or []
    )


class HarvesterMigrations:
    """Keeps a Harvester cluster's VMI annotations in step with its migrations."""

    def __init__(self, store: ObjectStore, index: ClusterIndex, runtime: PodRuntime) -> None:
        self.store = store
        self.index = index
        self.runtime = runtime

    def on_migration(self, migration: dict, now: datetime) -> None:
        namespace, _ = key_of(migration)
        vmi = self.index.get("virtualmachineinstances", namespace, _dict(migration.get("spec")).get("vmiName", ""))
        if vmi is None:
            return
        uid = _dict(migration.get("metadata")).get("uid", "")
        phase = _dict(migration.get("status")).get("phase") or ""
        if phase in ("Succeeded", "Failed"):
            self._reset(vmi, uid, now)
            self._clean_up_abort(vmi, uid)
            return
        state = ABORTING if _abort_requested(migration) else (PENDING if phase in ("", "Pending") else MIGRATING)
        annotations = _dict(_dict(vmi.get("metadata")).get("annotations"))
        wanted = {MIGRATION_UID: uid, MIGRATION_STATE: state}
        if all(annotations.get(k) == v for k, v in wanted.items()):
            return
        updated = copy_object(vmi)
        updated["metadata"].setdefault("annotations", {}).update(wanted)
        self.store.update("virtualmachineinstances", updated)
        self._nudge_vm(vmi, now)

    def _reset(self, vmi: dict, uid: str, now: datetime) -> None:
        annotations = _dict(_dict(vmi.get("metadata")).get("annotations"))
        if annotations.get(MIGRATION_UID) != uid:
            return
        updated = copy_object(vmi)
        for key in (MIGRATION_UID, MIGRATION_STATE, MIGRATION_TARGET):
            updated["metadata"]["annotations"].pop(key, None)
        self.store.update("virtualmachineinstances", updated)
        self._nudge_vm(vmi, now)

    def _clean_up_abort(self, vmi: dict, uid: str) -> None:
        state = _dict(_dict(vmi.get("status")).get("migrationState"))
        if state.get("migrationUid") != uid or not state.get("completed") or state.get("abortStatus") != "Succeeded":
            return
        for pod in self.index.pods_of_vmi(_dict(vmi.get("metadata")).get("uid", "")):
            if _dict(_dict(pod.get("metadata")).get("labels")).get("kubevirt.io/migrationJobUID") == uid:
                self.runtime.delete(pod)

    def _nudge_vm(self, vmi: dict, now: datetime) -> None:
        vm = self.index.get("virtualmachines", *key_of(vmi))
        if vm is None:
            return
        updated = copy_object(vm)
        updated["metadata"].setdefault("annotations", {})[TIMESTAMP] = format_time(now)
        self.store.update("virtualmachines", updated)
