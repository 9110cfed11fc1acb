"""KubeVirt's admission webhooks for what livemig writes: migrations (mutate, then validate) and new VMIs.

The migration mutator adds the label kubevirt.io/vmi-name and the finalizer
kubevirt.io/migrationJobFinalize. The validator (migration-create-admitter.go) refuses, in this order:
no vmiName; a VMI that does not exist; a final VMI; a VMI whose LiveMigratable condition is False
("Cannot migrate VMI, Reason: ..., Message: ..."); another migration of the VMI that is not final
("in-flight migration detected. ..."). Its refusals are generic webhook errors (code 400, no
reason), as webhookutils.ToAdmissionResponseError answers. The VMI mutator defaults
spec.domain.cpu.model from the KubeVirt CR (host-model when it names none).
"""

from __future__ import annotations

from typing import Any, Callable

from tui.sim.admission import AdmissionDenied, AdmissionRequest
from tui.sim.kubevirt import conditions as cond
from tui.sim.kubevirt import render
from tui.sim.kubevirt.config import KubeVirtSettings
from tui.sim.kubevirt.index import ClusterIndex, labels_of

MIGRATION_VALIDATOR = "migration-create-validator.kubevirt.io"
MIGRATION_MUTATOR = "migration-mutator.kubevirt.io"
VMI_MUTATOR = "virtualmachineinstances-mutator.kubevirt.io"
VMI_NAME_LABEL = "kubevirt.io/vmi-name"


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def mutate_migration(request: AdmissionRequest) -> dict | None:
    migration = request.object
    if not isinstance(migration, dict):
        return None
    meta = migration.setdefault("metadata", {})
    meta.setdefault("labels", {})[VMI_NAME_LABEL] = str(_dict(migration.get("spec")).get("vmiName") or "")
    meta.setdefault("finalizers", []).append(render.MIGRATION_FINALIZER)
    return migration


def migration_validator(index: ClusterIndex) -> Callable[[AdmissionRequest], None]:
    def validate(request: AdmissionRequest) -> None:
        migration = request.object or {}
        vmi_name = _dict(migration.get("spec")).get("vmiName")
        if not vmi_name:
            raise AdmissionDenied(
                MIGRATION_VALIDATOR,
                "vmiName is missing",
                code=422,
                reason="Invalid",
                causes=[{"reason": "FieldValueRequired", "message": "vmiName is missing", "field": "spec.vmiName"}],
            )
        namespace = request.namespace or _dict(migration.get("metadata")).get("namespace") or "default"
        vmi = index.get("virtualmachineinstances", namespace, str(vmi_name))
        if vmi is None:
            raise AdmissionDenied(
                MIGRATION_VALIDATOR, f'the VMI "{namespace}/{vmi_name}" does not exist', code=400, reason=""
            )
        if _dict(vmi.get("status")).get("phase") in ("Succeeded", "Failed"):
            raise AdmissionDenied(MIGRATION_VALIDATOR, "Cannot migrate VMI in finalized state.", code=400, reason="")
        migratable = cond.find(_dict(vmi.get("status")).get("conditions"), cond.LIVE_MIGRATABLE)
        if migratable is not None and migratable.get("status") == "False":
            raise AdmissionDenied(
                MIGRATION_VALIDATOR,
                f"Cannot migrate VMI, Reason: {migratable.get('reason', '')}, Message: {migratable.get('message', '')}",
                code=400,
                reason="",
            )
        for other in index.migrations_of(namespace, str(vmi_name)):
            if labels_of(other).get(VMI_NAME_LABEL) != vmi_name:
                continue
            if _dict(other.get("status")).get("phase") in ("Succeeded", "Failed"):
                continue
            uid = _dict(other.get("metadata")).get("uid", "")
            raise AdmissionDenied(
                MIGRATION_VALIDATOR,
                f"in-flight migration detected. Active migration job ({uid}) is currently already in progress for VMI {vmi_name}.",
                code=400,
                reason="",
            )

    return validate


def vmi_mutator(settings: Callable[[], KubeVirtSettings]) -> Callable[[AdmissionRequest], dict | None]:
    def mutate(request: AdmissionRequest) -> dict | None:
        vmi = request.object
        if not isinstance(vmi, dict) or not isinstance(vmi.get("spec"), dict):
            return None
        meta = _dict(vmi.get("metadata"))
        render.default_vmi_spec(
            vmi["spec"],
            settings(),
            request.namespace or meta.get("namespace") or "default",
            request.name or meta.get("name") or "",
        )
        return vmi

    return mutate
