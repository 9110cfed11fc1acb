"""The events of an evacuation come from the recorder KubeVirt gives its evacuation controller.

pkg/virt-controller/watch/application.go initEvacuationController (KubeVirt v1.6.0) names it
"evacuation-controller"; `kubectl describe vmi` shows it in the From column (a real one in
harvester/harvester#8731: "Normal SuccessfulCreate 13m evacuation-controller Created Migration
kubevirt-evacuation-wmj6r").
"""

from __future__ import annotations

from tests.sim.test_kubevirt_evacuation import evacuations, evict, launcher, mixed  # noqa: F401 - the fixture


def test_the_evacuation_controller_records_the_migration_it_created(mixed):  # noqa: F811 - the fixture
    cluster, http = mixed
    evict(http, launcher(cluster, "mover"))
    cluster.advance(1)
    (migration,) = evacuations(cluster)
    events = cluster.store.list("events", "default", field_selector="involvedObject.name=mover")
    created = [e for e in events if e["reason"] == "SuccessfulCreate" and e["message"].startswith("Created Migration")]
    assert [(e["source"]["component"], e["message"]) for e in created] == [
        ("evacuation-controller", f"Created Migration {migration['metadata']['name']}")
    ]
    assert created[0]["involvedObject"]["kind"] == "VirtualMachineInstance"
