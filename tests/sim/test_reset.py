"""The `reset` fault and reads at a resourceVersion the server has not reached.

A server that comes back with other state (an etcd restore, a cluster recreated at the same address)
serves older resourceVersions than its clients have seen. kube-apiserver answers a list or get at
such a version with 504 "Too large resource version" after waiting for it
(k8s.io/apiserver/pkg/storage/cacher/watch_cache.go waitUntilFreshAndBlock, storage/errors.go
NewTooLargeResourceVersionError), a watch list with one ERROR event carrying that Status
(cacher.go newErrWatcher), and a plain watch with silence until the server passes that version.
"""

from __future__ import annotations

import threading
from typing import Iterator

import orjson
import pytest
import urllib3
from kubernetes import client, watch

from tests.sim.conftest import RawHttp, vmi
from tui.sim.faults import FaultError
from tui.sim.runtime import SimCluster

VMIS = "/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances"


def too_large(requested: int, current: int) -> dict:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f"Timeout: Too large resource version: {requested}, current: {current}",
        "reason": "Timeout",
        "details": {
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1,
        },
        "code": 504,
    }


@pytest.fixture
def fresh() -> Iterator[SimCluster]:
    """A cluster of its own: a reset changes everything in it."""
    with SimCluster.start("empty", manual_clock=True, bookmark_interval=0.2) as running:
        running.server.too_large_wait = 0.2  # the real server waits 3 s; the answer is the same
        yield running


def test_reset_brings_back_the_objects_served_at_start_and_forgets_the_rest():
    with SimCluster.start("empty", manual_clock=True) as cluster:
        start_version = cluster.store.resource_version
        default = cluster.store.get("namespaces", None, "default")
        cluster.store.create("virtualmachineinstances", vmi("later"))
        cluster.store.delete("namespaces", None, "kube-public")
        result = cluster.fault("reset")
        assert result["resourceVersion"] == str(start_version) and cluster.store.resource_version == start_version
        assert not cluster.store.exists("virtualmachineinstances", "default", "later")
        assert cluster.store.get("namespaces", None, "kube-public")["status"]["phase"] == "Active"
        assert (
            cluster.store.get("namespaces", None, "default") == default
        )  # same uid and resourceVersion, as etcd kept them


def test_after_reset_the_same_token_certificate_and_address_serve_the_old_state(fresh):
    http = RawHttp(fresh)
    url = fresh.url
    fresh.store.create("virtualmachineinstances", vmi("vanishes"))
    assert http.json("GET", f"{VMIS}/vanishes")[0] == 200
    fresh.fault("reset")
    status, body = http.json("GET", f"{VMIS}/vanishes")
    assert fresh.url == url and status == 404 and body["reason"] == "NotFound"


def test_reset_ends_every_open_watch(fresh, tmp_path):
    api = client.ApiClient(_configuration(fresh, tmp_path))
    opened, ended = threading.Event(), threading.Event()

    def hold_a_watch() -> None:
        try:
            for _ in watch.Watch().stream(
                client.CoreV1Api(api).list_namespace, timeout_seconds=30, _request_timeout=(5, 30)
            ):
                opened.set()
        except Exception:  # the connection is dropped under it
            pass
        ended.set()

    reader = threading.Thread(target=hold_a_watch)
    reader.start()
    assert opened.wait(10)
    result = fresh.fault("reset")
    reader.join(20)
    assert ended.is_set() and result["droppedConnections"] >= 1
    api.close()


def test_reset_over_http_answers_the_one_who_asked(fresh):
    status, body = RawHttp(fresh).json("POST", "/livemig-sim/v1/faults/reset", {})
    assert status == 200 and body["fault"] == "reset"
    assert body["result"]["resourceVersion"] == str(fresh.store.resource_version)


def test_reset_to_a_named_scenario_serves_its_objects(fresh, tmp_path):
    scenario = tmp_path / "other.yaml"
    scenario.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: elsewhere}\n")
    fresh.store.create("virtualmachineinstances", vmi("before"))
    cluster_id = fresh.store.get("namespaces", None, "kube-system")["metadata"]["uid"]
    fresh.fault("reset", scenario=str(scenario))
    assert fresh.store.exists("namespaces", None, "elsewhere")
    assert not fresh.store.exists("virtualmachineinstances", "default", "before")
    # A recreated cluster: the kube-system namespace's uid, often taken as the cluster's identity, is new.
    assert fresh.store.get("namespaces", None, "kube-system")["metadata"]["uid"] != cluster_id


def test_reset_to_the_start_keeps_the_cluster_identity(fresh):
    cluster_id = fresh.store.get("namespaces", None, "kube-system")["metadata"]["uid"]
    fresh.fault("reset")
    assert fresh.store.get("namespaces", None, "kube-system")["metadata"]["uid"] == cluster_id


def test_reset_to_an_unknown_scenario_is_a_fault_error_that_changes_nothing(fresh):
    fresh.store.create("virtualmachineinstances", vmi("kept"))
    version = fresh.store.resource_version
    with pytest.raises(FaultError, match='bad scenario: no built-in scenario or file named "nowhere"'):
        fresh.fault("reset", scenario="nowhere")
    assert fresh.store.resource_version == version and fresh.store.exists("virtualmachineinstances", "default", "kept")


def test_after_reset_a_list_at_the_version_seen_before_is_504_too_large(fresh):
    http = RawHttp(fresh)
    fresh.store.create("virtualmachineinstances", vmi("seen"))
    seen = fresh.store.resource_version
    fresh.fault("reset")
    response = http.request("GET", f"{VMIS}?resourceVersion={seen}")
    assert response.status == 504 and response.headers["Retry-After"] == "1"
    assert orjson.loads(response.data) == too_large(seen, fresh.store.resource_version)


def test_a_get_at_a_version_not_reached_is_504_too_large(fresh):
    fresh.store.create("virtualmachineinstances", vmi("got"))
    ahead = fresh.store.resource_version + 5
    status, body = RawHttp(fresh).json("GET", f"{VMIS}/got?resourceVersion={ahead}")
    assert status == 504 and body == too_large(ahead, fresh.store.resource_version)


def test_a_list_waits_for_a_version_the_server_reaches_meanwhile(fresh):
    fresh.server.too_large_wait = 30
    http = RawHttp(fresh)
    ahead = fresh.store.resource_version + 1
    answers: list[urllib3.BaseHTTPResponse] = []
    reader = threading.Thread(
        target=lambda: answers.append(http.request("GET", f"{VMIS}?resourceVersion={ahead}", timeout=40))
    )
    reader.start()
    fresh.store.create("virtualmachineinstances", vmi("arrives"))
    reader.join(40)
    body = orjson.loads(answers[0].data)
    assert answers[0].status == 200 and "arrives" in [item["metadata"]["name"] for item in body["items"]]
    assert int(body["metadata"]["resourceVersion"]) >= ahead


def test_a_watch_list_at_a_version_not_reached_is_one_error_event(fresh):
    ahead = fresh.store.resource_version + 3
    response = RawHttp(fresh).request(
        "GET",
        f"{VMIS}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&resourceVersion={ahead}",
    )
    events = [orjson.loads(line) for line in response.data.splitlines()]
    assert response.status == 200 and events == [
        {"type": "ERROR", "object": too_large(ahead, fresh.store.resource_version)}
    ]


def test_a_watch_at_a_version_not_reached_sends_only_what_comes_after_it(fresh):
    ahead = fresh.store.resource_version + 2
    response = RawHttp(fresh).request(
        "GET", f"{VMIS}?watch=true&allowWatchBookmarks=true&resourceVersion={ahead}&timeoutSeconds=20", preload=False
    )
    for name in ("first", "second", "third"):  # resourceVersions ahead-1, ahead and ahead+1
        fresh.store.create("virtualmachineinstances", vmi(name))
    event = orjson.loads(_first_line(response))
    response.release_conn()
    assert event["type"] == "ADDED" and event["object"]["metadata"]["name"] == "third"


def test_livemig_sim_fault_help_documents_reset():
    from tests.sim.test_cli import help_of

    text = help_of("fault")
    assert "\n  reset [seconds=S] [scenario=NAME|FILE]\n" in text and "etcd" in text


def _first_line(response: urllib3.BaseHTTPResponse) -> bytes:
    buffer = b""
    while b"\n" not in buffer:
        chunk = response.read(1)
        if not chunk:
            break
        buffer += chunk
    return buffer.split(b"\n", 1)[0]


def _configuration(cluster: SimCluster, tmp_path) -> client.Configuration:
    from kubernetes import config

    path = cluster.write_kubeconfig(tmp_path / "kubeconfig")
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(path), context="sim-admin", client_configuration=configuration)
    return configuration


def test_after_reset_the_simulated_kubevirt_works_from_the_restored_state():
    with SimCluster.start("default", manual_clock=True, seed=3) as cluster:
        vm = cluster.store.list("virtualmachineinstances")[0]
        namespace, name, node = vm["metadata"]["namespace"], vm["metadata"]["name"], vm["status"]["nodeName"]

        def migrate(migration: str) -> dict:
            cluster.store.create(
                "virtualmachineinstancemigrations",
                {
                    "apiVersion": "kubevirt.io/v1",
                    "kind": "VirtualMachineInstanceMigration",
                    "metadata": {"name": migration, "namespace": namespace},
                    "spec": {"vmiName": name},
                },
            )
            for _ in range(60):  # bounded: a migration of the default scenario ends within minutes of simulated time
                cluster.advance(5)
                current = cluster.store.get("virtualmachineinstancemigrations", namespace, migration)
                if current.get("status", {}).get("phase") in ("Succeeded", "Failed"):
                    return current
            return current

        cluster.store.create(
            "virtualmachineinstancemigrations",
            {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachineInstanceMigration",
                "metadata": {"name": "cut-short", "namespace": namespace},
                "spec": {"vmiName": name},
            },
        )
        cluster.advance(5)
        cluster.fault("reset")
        restored = cluster.store.get("virtualmachineinstances", namespace, name)
        assert restored["status"]["nodeName"] == node and not cluster.store.exists(
            "virtualmachineinstancemigrations", namespace, "cut-short"
        )
        done = migrate("after-reset")
        moved_to = cluster.store.get("virtualmachineinstances", namespace, name)["status"]["nodeName"]
    assert done["status"]["phase"] == "Succeeded" and moved_to != node


@pytest.mark.parametrize("scenario", [None, "empty"], ids=["as-started", "named"])
def test_after_reset_a_watch_from_before_it_is_410_expired(fresh, scenario):
    early = fresh.store.resource_version - 1  # older than what the server comes back with
    fresh.store.create("virtualmachineinstances", vmi("early"))
    fresh.fault("reset", **({"scenario": scenario} if scenario else {}))
    response = RawHttp(fresh).request("GET", f"{VMIS}?watch=true&resourceVersion={early}")
    [event] = [orjson.loads(line) for line in response.data.splitlines()]
    assert event["type"] == "ERROR" and event["object"]["code"] == 410


def test_reset_with_down_time_refuses_connections_then_serves_the_restored_state(fresh):
    http = RawHttp(fresh)
    fresh.store.create("virtualmachineinstances", vmi("gone-after-outage"))
    fresh.fault("reset", seconds=0.5)
    with pytest.raises(urllib3.exceptions.HTTPError):
        http.request("GET", "/version", timeout=2)
    for _ in range(50):  # bounded: the listener comes back after half a second
        try:
            if http.request("GET", "/version", timeout=2).status == 200:
                break
        except urllib3.exceptions.HTTPError:
            threading.Event().wait(0.1)
    assert http.json("GET", f"{VMIS}/gone-after-outage")[0] == 404
