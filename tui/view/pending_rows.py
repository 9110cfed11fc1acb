"""What a VM's row says before its verdict is made: what the lists read so far tell of it, and nothing
they do not. A VM whose VMIs are not listed yet reads "listing…" where its instance would speak (node,
CPU model, memory), never "not running"; a verdict not made yet reads "pending", never a refusal."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from tui.domain.cpu import effective_cpu_model
from tui.domain.objects import VM
from tui.domain.plan import VMSummary
from tui.domain.snapshot import ClusterSnapshot

LISTING = "listing…"  # a cell whose value waits for a kind still being listed
PENDING = "pending"  # the reason code of a summary whose verdict is not made yet

# The kinds a row's verdict reads (tui.domain.migratable.vm_blockers with the list's node check: the
# VM, its VMI, its migrations, the nodes and their networks, the KubeVirt CR for the rules' versions);
# pods are not among them, as the list leaves free capacity to the node picker.
VERDICT_KINDS = frozenset({"vms", "vmis", "migrations", "nodes", "nads", "kubevirts"})
# The kinds a row's other cells read besides its VM: the VMI (node, CPU model, memory), the KubeVirt CR
# (the default CPU model).
FACT_KINDS = frozenset({"vmis", "kubevirts"})


def facts_summary(snapshot: ClusterSnapshot, vm: VM, listing: Collection[str]) -> VMSummary:
    """The VM's row without its verdict (`reason_code` PENDING), with LISTING where a kind in
    `listing` (not listed yet) would decide the cell."""
    vmi = snapshot.vmi_of(vm)
    # A VMI not held yet may still come with the rest of its list (those held are shown as they come).
    vmis_listed = "vmis" not in listing or vmi is not None
    spec = vmi.spec if vmi is not None else vm.template
    status = vm.printable_status or (vmi.phase if vmi is not None else "") or ("Unknown" if vmis_listed else LISTING)
    if not vmis_listed:
        node, cpu_model, memory = LISTING, LISTING, None
    else:
        node = vmi.node_name if vmi is not None else ""
        cpu_model = LISTING if "kubevirts" in listing else effective_cpu_model(spec, snapshot.kubevirt)
        memory = spec.memory.ceil() if spec.memory is not None else None
    return VMSummary(
        namespace=vm.namespace,
        name=vm.name,
        status=status,
        node=node,
        cpu_model=cpu_model,
        memory_bytes=memory,
        migratable=False,
        reason_code=PENDING,
        reason=PENDING,
    )


def with_verdict_of(facts: VMSummary, before: VMSummary) -> VMSummary:
    """The row's new facts with the verdict it had, shown until the verdict is made again."""
    return replace(
        facts,
        migratable=before.migratable,
        reason_code=before.reason_code,
        reason=before.reason,
        warning=before.warning,
    )


def is_pending(summary: VMSummary) -> bool:
    return summary.reason_code == PENDING
