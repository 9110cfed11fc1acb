"""KubeVirt's RestartRequired condition on a VM: set when the VM's template changed, since its VMI
started, in a field that cannot reach the running guest (the CPU model among them); gone once the VM
runs a new VMI, or stops.

From addRestartRequiredIfNeeded (pkg/virt-controller/watch/vm/vm.go, v1.3.0 to v1.9.0): the template
as it was when the VMI started is compared with the current one, the fields the LiveUpdate rollout
strategy applies to a running VM left out (CPU sockets, guest memory, node selector, affinity,
tolerations, volumes and disks; interfaces and networks under conditions this simulator does not
follow, so they are left out too); any other difference sets the condition with the message
"a non-live-updatable field was changed in the template spec". The cluster default CPU model is no
part of a template: changing it marks no VM.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from tui.sim.kubevirt.render import moment

RESTART_REQUIRED = "RestartRequired"
MESSAGE = "a non-live-updatable field was changed in the template spec"
Key = tuple[str, str]


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _without_live_updates(template_spec: dict) -> dict:
    """The template spec without the fields KubeVirt updates in a running guest."""
    spec = copy.deepcopy(template_spec)
    for key in ("nodeSelector", "affinity", "tolerations", "volumes", "networks"):
        spec.pop(key, None)
    domain = _dict(spec.get("domain"))
    _dict(domain.get("cpu")).pop("sockets", None)
    _dict(domain.get("memory")).pop("guest", None)
    devices = _dict(domain.get("devices"))
    devices.pop("disks", None)
    devices.pop("interfaces", None)
    return spec


class RestartRequired:
    """The template each VM's running VMI started from, and the condition that follows from it."""

    def __init__(self) -> None:
        self._started: dict[Key, tuple[str, dict]] = {}  # VM key -> (VMI uid, template spec at its start)

    def conditions(self, key: Key, vm: dict, vmi: dict | None, conditions: list, now: datetime) -> list:
        """`conditions` with RestartRequired set or removed as KubeVirt would."""
        previous = next((c for c in conditions if _dict(c).get("type") == RESTART_REQUIRED), None)
        kept = [c for c in conditions if _dict(c).get("type") != RESTART_REQUIRED]
        if vmi is None:
            self._started.pop(key, None)
            return kept
        uid = _dict(vmi.get("metadata")).get("uid", "")
        template = _dict(_dict(_dict(vm.get("spec")).get("template")).get("spec"))
        seen = self._started.get(key)
        if seen is None or seen[0] != uid:
            self._started[key] = (uid, copy.deepcopy(template))  # a new VMI starts from the template as it is
            return kept
        if _without_live_updates(seen[1]) == _without_live_updates(template):
            return kept
        since = _dict(previous).get("lastTransitionTime") or moment(now)
        return kept + [
            {
                "type": RESTART_REQUIRED,
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": since,
                "message": MESSAGE,
            }
        ]
