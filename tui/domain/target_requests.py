"""What a migration target pod will request: KubeVirt renders it from the current VMI and configuration.

KubeVirt builds a target pod as it builds any launcher pod (pkg/virt-controller/services/template.go
VMIResourcePredicates and renderresources.go, v1.6.0), from the VMI as it is now (hotplugged CPU
sockets and memory included) and the KubeVirt CR as it is now, not from the source pod. The "compute"
container requests:

- CPU: with dedicated CPUs, one per vCPU (and one for an isolated emulator thread); else the VMI's
  requests.cpu; else vCPUs (cores x sockets x threads, 1 when none is set) divided by
  cpuAllocationRatio (developerConfiguration, default 10), in millicores.
- memory: the VMI's requests.memory plus the launcher overhead, unless overcommitGuestOverhead. The
  overhead (GetMemoryOverhead): page tables (requests.memory, rounded up to kB, / 512), the fixed RSS
  of virt-launcher-monitor, virt-launcher, virtlogd, virtqemud and QEMU (210 MiB up to KubeVirt 1.4,
  220 MiB from 1.5: virtlogd 20 -> 25 MiB, virtqemud 35 -> 40 MiB), 8 MiB per vCPU, 8 MiB for the
  IO thread, video RAM unless autoattachGraphicsDevice is false (16 MiB up to KubeVirt 1.5, 32 MiB
  from 1.6.0), 128 MiB on arm64, 1 GiB with host devices or GPUs (VFIO), 1 MiB for downwardMetrics,
  256 MiB for SEV, 53 MiB for a TPM, 100 MiB with dedicated CPUs or guaranteed QoS; all of it times
  additionalGuestMemoryOverheadRatio (in kB, truncated), but for the 100 MiB before KubeVirt 1.6,
  which was added after the ratio (renderresources.go at v1.4.0, v1.5.2 and v1.6.0).

The pod's other containers and its overhead do not change between source and target: they are taken
from the source pod. When the VMI says too little to render (no memory request, hugepages, probes,
whose overheads are not modelled), the source pod's own requests stand in, and `source` says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tui.domain.objects import VMI, KubeVirt, Pod

RENDERED = "rendered"
SOURCE_POD = "source-pod"

MI = 1024 * 1024
DEFAULT_CPU_ALLOCATION_RATIO = 10


@dataclass(frozen=True)
class TargetRequests:
    """The CPU (millicores) and memory (bytes) the target pod requests, and how they were obtained."""

    cpu_milli: int
    memory: int
    source: str  # RENDERED or SOURCE_POD
    detail: str  # in words, for the plan

    def to_dict(self) -> dict[str, Any]:
        return {"cpu_milli": self.cpu_milli, "memory": self.memory, "source": self.source}


def vcpus(vmi: VMI) -> int:
    """hardware.GetNumberOfVCPUs: cores x sockets x threads, each only when set; at least 1."""
    count = 0
    for part in (vmi.spec.cores, vmi.spec.sockets, vmi.spec.threads):
        if part:
            count = part if count == 0 else count * part
    return max(count, 1)


def memory_overhead(vmi: VMI, kubevirt: KubeVirt | None) -> int:
    """KubeVirt's GetMemoryOverhead in bytes for this VMI and KubeVirt version (see the module docstring).

    Unknown versions take the newest rule.
    """
    spec = vmi.spec
    version = kubevirt.version if kubevirt is not None else None
    before_1_5 = version is not None and version < (1, 5, 0)
    before_1_6 = version is not None and version < (1, 6, 0)
    request = spec.memory_request.ceil() if spec.memory_request is not None else 0
    overhead = math.ceil(request / 1000) * 1000 // 512
    overhead += (210 if before_1_5 else 220) * MI
    overhead += 8 * MI * vcpus(vmi) + 8 * MI
    if spec.autoattach_graphics:
        overhead += (16 if before_1_6 else 32) * MI
    if spec.architecture.lower() == "arm64":
        overhead += 128 * MI
    if spec.host_devices or spec.gpus:
        overhead += 1024 * MI
    if any(volume.source == "downwardMetrics" for volume in spec.volumes):
        overhead += 1 * MI
    if spec.sev:
        overhead += 256 * MI
    if spec.tpm:
        overhead += 53 * MI
    pinned = 100 * MI if spec.dedicated_cpu or _guaranteed(vmi) else 0
    if not before_1_6:
        overhead += pinned
    ratio = _ratio(kubevirt.memory_overhead_ratio if kubevirt is not None else "")
    if ratio is not None:
        kilo = math.ceil(overhead / 1000)
        overhead += int(kilo * (ratio - 1.0)) * 1000
    if before_1_6:
        overhead += pinned  # before 1.6 added after the ratio, so not multiplied by it
    return overhead


def _guaranteed(vmi: VMI) -> bool:
    """WantsToHaveQOSGuaranteed (staging/src/kubevirt.io/api/core/v1/types.go, v1.6.0): CPU and memory
    requests set, not zero, and equal to their limits."""
    spec = vmi.spec
    return (
        spec.memory_request is not None
        and spec.memory_limit is not None
        and spec.memory_request.value != 0
        and spec.memory_request.value == spec.memory_limit.value
        and bool(spec.cpu_request_milli)
        and spec.cpu_request_milli == spec.cpu_limit_milli
    )


def _ratio(text: str) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _unrenderable(vmi: VMI) -> str:
    spec = vmi.spec
    if spec.memory_request is None:
        return "the VM's memory request is not known"
    if spec.hugepages:
        return "the VM uses hugepages"
    if spec.probes:
        return "the VM has probes, whose overhead livemig does not model"
    return ""


def compute_requests(vmi: VMI, kubevirt: KubeVirt | None) -> tuple[int, int] | None:
    """The compute container's (CPU millicores, memory bytes) as KubeVirt renders them now; None when it
    cannot be done (see `_unrenderable`)."""
    if _unrenderable(vmi):
        return None
    spec = vmi.spec
    if spec.dedicated_cpu:
        # WithCPUPinning: one CPU per vCPU whatever the VMI requests, one more for an isolated emulator
        # thread (two with the EmulatorThreadCompleteToEvenParity annotation, not modelled).
        cpu = 1000 * (vcpus(vmi) + (1 if spec.isolate_emulator_thread else 0))
    elif spec.cpu_request_milli is not None:
        cpu = spec.cpu_request_milli
    else:
        ratio = kubevirt.cpu_allocation_ratio if kubevirt is not None else None
        ratio = ratio if ratio is not None and ratio > 0 else DEFAULT_CPU_ALLOCATION_RATIO
        cpu = math.ceil(1000 * vcpus(vmi) / ratio)
    memory = spec.memory_request.ceil() if spec.memory_request is not None else 0
    if not spec.overcommit_guest_overhead:
        memory += memory_overhead(vmi, kubevirt)
    return cpu, memory


def target_requests(vmi: VMI, kubevirt: KubeVirt | None, source_pod: Pod | None) -> TargetRequests | None:
    """The target pod's CPU and memory requests; None when neither rendering nor the source pod tells."""
    rendered = compute_requests(vmi, kubevirt)
    if rendered is not None and source_pod is not None and source_pod.compute_requests is not None:
        cpu_then, memory_then = source_pod.compute_requests
        return TargetRequests(
            cpu_milli=max(source_pod.cpu_request_milli - cpu_then, 0) + rendered[0],
            memory=max(source_pod.memory_request - memory_then, 0) + rendered[1],
            source=RENDERED,
            detail=(
                "rendered from the VM and KubeVirt's configuration as they are now (the other containers as on "
                "the source pod)"
            ),
        )
    if source_pod is not None and source_pod.requests_known:
        why = _unrenderable(vmi) or "the source pod has no compute container"
        return TargetRequests(
            cpu_milli=source_pod.cpu_request_milli,
            memory=source_pod.memory_request,
            source=SOURCE_POD,
            detail=f"copied from the source pod, as {why}",
        )
    return None
