"""Reading a VM's events from the API server as `kubectl describe` does: a field selector per object name,
only the VM's kinds, newest first; a user who may not list events gets one sentence, not a traceback."""

from __future__ import annotations

from pathlib import Path

from tui.cluster.events import read_events
from tui.cluster.kubeconfig import KubeconfigChoice, choose_target, client_configuration
from tui.cluster.transport import ApiTransport
from tui.sim.runtime import SimCluster


def transport_for(cluster: SimCluster, tmp_path: Path, user: str) -> ApiTransport:
    kubeconfig = cluster.write_kubeconfig(tmp_path / f"kubeconfig-{user}")
    target = choose_target(KubeconfigChoice(kubeconfig=str(kubeconfig), context=f"sim-{user}"), environ={})
    return ApiTransport(client_configuration(target))


def event(name: str, kind: str, about: str, reason: str, message: str, last: str, **more) -> dict:
    """A core/v1 Event as client-go's legacy recorder writes it (cf. KubeVirt's, events.txt Part C)."""
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "default"},
        "involvedObject": {"apiVersion": "kubevirt.io/v1", "kind": kind, "name": about, "namespace": "default"},
        "reason": reason,
        "message": message,
        "source": {"component": more.pop("component", "virt-handler")},
        "firstTimestamp": more.pop("first", last),
        "lastTimestamp": last,
        "count": more.pop("count", 1),
        "type": more.pop("type", "Normal"),
    }


def post(transport: ApiTransport, body: dict) -> None:
    transport.request("POST", "/api/v1/namespaces/default/events", body=body)


def test_the_events_of_the_vm_its_vmi_and_its_migrations_newest_first(cluster: SimCluster, tmp_path: Path):
    admin = transport_for(cluster, tmp_path, "admin")
    post(admin, event("web-1.1", "VirtualMachineInstance", "web-1", "Migrated",
                      "The VirtualMachineInstance migrated to node harv-2.", "2026-01-19T05:03:00Z"))  # fmt: skip
    post(admin, event("web-1-abcde.1", "VirtualMachineInstanceMigration", "web-1-abcde", "SuccessfulCreate",
                      "Created migration target pod virt-launcher-web-1-x", "2026-01-19T05:01:00Z",
                      component="virtualmachine-controller"))  # fmt: skip
    post(admin, event("web-1.2", "VirtualMachine", "web-1", "SuccessfulCreate",
                      "Started the virtual machine by creating the new virtual machine instance web-1",
                      "2026-01-19T05:00:00Z", count=3, first="2026-01-19T04:00:00Z"))  # fmt: skip
    # Not the VM's: another VM, and a pod that happens to share the VM's name.
    post(admin, event("db-1.1", "VirtualMachineInstance", "db-1", "Started", "VirtualMachineInstance started.",
                      "2026-01-19T05:04:00Z"))  # fmt: skip
    pod = event("web-1.3", "Pod", "web-1", "Scheduled", "Successfully assigned", "2026-01-19T05:05:00Z")
    pod["involvedObject"]["apiVersion"] = "v1"
    post(admin, pod)

    reading = read_events(transport_for(cluster, tmp_path, "alice"), "default", ["web-1", "web-1-abcde"])
    assert reading.problem == ""
    assert [(e.kind, e.reason) for e in reading.events] == [
        ("VirtualMachineInstance", "Migrated"),
        ("VirtualMachineInstanceMigration", "SuccessfulCreate"),
        ("VirtualMachine", "SuccessfulCreate"),
    ]
    assert (reading.events[2].count, reading.events[1].component) == (3, "virtualmachine-controller")


def test_event_text_is_kept_verbatim(cluster: SimCluster, tmp_path: Path):
    admin = transport_for(cluster, tmp_path, "admin")
    message = "reason:[bold red]not markup[/] \x1b[31m"
    post(admin, event("web-1.9", "VirtualMachineInstance", "web-1", "Migrated", message, "2026-01-19T05:03:00Z",
                      type="Warning"))  # fmt: skip
    (found,) = read_events(admin, "default", ["web-1"]).events
    assert (found.message, found.warning) == (message, True)


def test_a_user_who_may_not_list_events_is_told_in_one_sentence(cluster: SimCluster, tmp_path: Path):
    # tenant may do everything in namespace default and nothing elsewhere.
    reading = read_events(transport_for(cluster, tmp_path, "tenant"), "kube-system", ["web-1"])
    assert reading.events == ()
    assert reading.problem.startswith("Events are not readable here: may not list events in kube-system")
    assert "\n" not in reading.problem and reading.problem.endswith(".")
