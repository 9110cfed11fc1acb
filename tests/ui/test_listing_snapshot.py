"""The picture of the VM list while the VMIs and pods are still being listed (the simulated API server
holds their lists back): rows that say "listing…" and "pending", and a header that names what is listed.

Update it after a deliberate change with `pytest tests/ui/test_listing_snapshot.py --snapshot-update`."""

from __future__ import annotations

import tempfile
from pathlib import Path

from textual.pilot import Pilot

from tests.ui.harness import make_app, simulated, until
from tests.ui.test_listing import starting


def test_the_list_while_vmis_and_pods_are_listed(snap_compare) -> None:
    with simulated("default") as cluster, tempfile.TemporaryDirectory() as directory:
        with starting(cluster, Path(directory), "virtualmachineinstances,pods") as session:
            app = make_app(session)

            async def listed_but_vmis_and_pods(pilot: Pilot) -> None:
                await until(
                    pilot,
                    lambda: app.live.listing == ("vmis", "pods") and len(app.live.vm_list) == 11,
                    what="VMs listed, VMIs and pods held",
                )
                await pilot.pause(0.3)

            assert snap_compare(app, terminal_size=(80, 24), run_before=listed_but_vmis_and_pods)
