"""Faults: restart, compaction, stalls, failing requests, and faults the controller registers."""

from __future__ import annotations

import threading

import orjson
import pytest
import urllib3
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from tests.sim.conftest import vmi
from tui.sim.faults import FaultError

FAULTS = "/livemig-sim/v1/faults"


def test_restart_drops_open_watches_and_keeps_the_objects(cluster, api, http):
    cluster.store.create("virtualmachineinstances", vmi("survivor"))
    outcome: list[object] = []
    opened = threading.Event()

    def hold_a_watch() -> None:
        stream = watch.Watch().stream(
            client.CoreV1Api(api).list_namespace, timeout_seconds=30, _request_timeout=(5, 30)
        )
        try:
            for _ in stream:
                opened.set()
        except Exception as error:  # what the client sees when the server goes away
            outcome.append(error)
        else:
            outcome.append("ended")

    reader = threading.Thread(target=hold_a_watch)
    reader.start()
    assert opened.wait(10)
    status, body = http.json("POST", f"{FAULTS}/restart", {})
    reader.join(10)
    assert status == 200 and body["result"]["droppedConnections"] >= 1
    assert not reader.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], urllib3.exceptions.ProtocolError), outcome
    assert cluster.store.exists("virtualmachineinstances", "default", "survivor")
    assert http.json("GET", "/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/survivor")[0] == 200


def test_after_compaction_an_old_resource_version_gets_the_410_error_event(cluster, http):
    old = cluster.store.resource_version
    cluster.store.create("virtualmachineinstances", vmi("compacted"))
    cluster.fault("compact")
    response = http.request(
        "GET", f"/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances?watch=true&resourceVersion={old}"
    )
    [event] = [orjson.loads(line) for line in response.data.splitlines()]
    assert response.status == 200 and event["type"] == "ERROR"
    assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
    assert event["object"]["message"] == f"too old resource version: {old} ({cluster.store.compacted_resource_version})"


def test_after_compaction_the_python_client_watch_raises_410(cluster, api):
    old = cluster.store.resource_version
    cluster.store.create("virtualmachineinstances", vmi("compacted-2"))
    cluster.fault("compact")
    with pytest.raises(ApiException) as error:
        for _ in watch.Watch().stream(
            client.CustomObjectsApi(api).list_namespaced_custom_object,
            "kubevirt.io",
            "v1",
            "default",
            "virtualmachineinstances",
            resource_version=str(old),
        ):
            pass
    assert error.value.status == 410


def test_after_compaction_an_old_continue_token_is_410_with_a_fresh_token(cluster, api):
    for index in range(3):
        cluster.store.create("virtualmachineinstances", vmi(f"cont-{index}"))
    first = client.CustomObjectsApi(api).list_namespaced_custom_object(
        "kubevirt.io", "v1", "default", "virtualmachineinstances", limit=1
    )
    cluster.store.create("virtualmachineinstances", vmi("cont-late"))
    cluster.fault("compact")
    with pytest.raises(ApiException) as error:
        client.CustomObjectsApi(api).list_namespaced_custom_object(
            "kubevirt.io", "v1", "default", "virtualmachineinstances", limit=1, _continue=first["metadata"]["continue"]
        )
    body = orjson.loads(error.value.body)
    assert error.value.status == 410 and body["reason"] == "Expired"
    assert body["message"].startswith("The provided continue parameter is too old to display a consistent list result.")
    assert body["metadata"]["continue"]


def test_stall_accepts_and_answers_nothing_until_it_ends(cluster, http):
    cluster.fault("stall", seconds=0.6)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        http.request("GET", "/api/v1/namespaces/default", timeout=0.2)
    assert http.request("GET", "/api/v1/namespaces/default", timeout=5).status == 200


@pytest.mark.parametrize(("code", "reason"), [(500, "InternalError"), (429, "TooManyRequests")])
def test_fail_answers_the_next_requests_with_the_code(cluster, http, code, reason):
    cluster.fault("fail", count=2, code=code, retryAfter=3)
    answers = [http.request("GET", "/api/v1/namespaces/default") for _ in range(3)]
    assert [a.status for a in answers] == [code, code, 200]
    assert orjson.loads(answers[0].data)["reason"] == reason
    if code == 429:
        assert answers[0].headers["Retry-After"] == "3"


def test_a_registered_fault_runs_over_http_with_its_parameters(cluster, http):
    calls: list[dict] = []
    cluster.faults.register("node-not-ready", lambda params: calls.append(params) or {"node": params["node"]})
    status, body = http.json("POST", f"{FAULTS}/node-not-ready", {"node": "harv41", "seconds": 30})
    assert status == 200 and body == {"fault": "node-not-ready", "result": {"node": "harv41"}}
    assert calls == [{"node": "harv41", "seconds": 30}]


def test_an_unknown_fault_is_404_naming_the_known_ones(http):
    status, body = http.json("POST", f"{FAULTS}/meteor", {})
    assert (
        status == 404 and 'unknown fault "meteor"; known faults: ' in body["message"] and "compact" in body["message"]
    )


def test_a_bad_fault_parameter_is_400(http):
    status, body = http.json("POST", f"{FAULTS}/stall", {"seconds": "forever"})
    assert status == 400 and body["message"] == "parameter \"seconds\" must be a number, not 'forever'"


def test_only_admins_may_inflict_faults(http):
    status, body = http.json("POST", f"{FAULTS}/compact", {}, user="viewer")
    assert status == 403 and body["message"] == f'forbidden: User "viewer" cannot post path "{FAULTS}/compact"'


def test_faults_from_python_raise_fault_error_for_bad_parameters(cluster):
    with pytest.raises(FaultError):
        cluster.fault("fail", code=418)


def test_restart_with_down_time_refuses_connections_for_a_while(cluster, http):
    cluster.fault("restart", seconds=0.5)
    with pytest.raises(urllib3.exceptions.HTTPError):
        http.request("GET", "/version", timeout=2)
    for _ in range(50):  # bounded: the listener comes back after half a second
        try:
            if http.request("GET", "/version", timeout=2).status == 200:
                break
        except urllib3.exceptions.HTTPError:
            threading.Event().wait(0.1)
    assert http.request("GET", "/version", timeout=2).status == 200
