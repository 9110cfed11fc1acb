"""Harvester's server-version setting, read once at connect over HTTP, and the rules it selects."""

from __future__ import annotations

from tests.cluster.simulated import connect, start_cluster
from tui.domain.versions import HARVESTER_FROM_SETTING, rule_versions


def test_the_server_version_setting_is_read_at_connect_and_names_the_harvester_rules(tmp_path):
    with start_cluster("release-harvester-1.8", controller=True) as cluster:
        kubeconfig = cluster.write_kubeconfig(tmp_path / "config")
        with connect(kubeconfig) as session:
            snapshot = session.store.snapshot()
            assert snapshot.harvester_server_version == "v1.8.0"
            versions = rule_versions(snapshot)
            assert (versions.harvester, versions.harvester_source) == ((1, 8, 0), HARVESTER_FROM_SETTING)


def test_a_cluster_without_harvester_has_no_server_version(tmp_path):
    with start_cluster("empty", controller=True) as cluster:
        kubeconfig = cluster.write_kubeconfig(tmp_path / "config")
        with connect(kubeconfig) as session:
            snapshot = session.store.snapshot()
            assert snapshot.harvester_server_version == ""
            assert not rule_versions(snapshot).harvester_cluster
