"""The eviction subresource and PodDisruptionBudgets of the simulated API server, over HTTP (a cluster without KubeVirt)."""

from __future__ import annotations

import pytest

from tests.sim.conftest import RawHttp

EVICTION = {"apiVersion": "policy/v1", "kind": "Eviction"}


def _pod(name: str, namespace: str, labels: dict, ready: bool = True, phase: str = "Running") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "registry.example/app:1"}]},
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def _budget(name: str, namespace: str, app: str, **spec: object) -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": {"matchLabels": {"app": app}}, **spec},
    }


@pytest.fixture
def namespace(cluster, request) -> str:
    name = request.node.name.replace("_", "-")[:50].strip("-")
    cluster.store.create("namespaces", {"metadata": {"name": name}})
    return name


def _evict(http: RawHttp, namespace: str, pod: str, body: object = None, **kwargs: object) -> tuple[int, dict]:
    return http.json(
        "POST", f"/api/v1/namespaces/{namespace}/pods/{pod}/eviction", EVICTION if body is None else body, **kwargs
    )


def _pods(cluster, namespace: str) -> list[str]:
    return sorted(p["metadata"]["name"] for p in cluster.store.list("pods", namespace))


# -- discovery -------------------------------------------------------------------------------------


def test_the_core_group_lists_pods_eviction_as_a_policy_v1_eviction(http):
    status, document = http.json("GET", "/api/v1")
    assert status == 200
    entry = next(r for r in document["resources"] if r["name"] == "pods/eviction")
    assert (entry["group"], entry["version"], entry["kind"], entry["verbs"]) == ("policy", "v1", "Eviction", ["create"])


def test_aggregated_discovery_lists_the_eviction_subresource_of_pods(http):
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    status, document = http.json("GET", "/api", headers={"Accept": accept})
    assert status == 200
    pods = next(
        r for item in document["items"] for v in item["versions"] for r in v["resources"] if r["resource"] == "pods"
    )
    eviction = next(s for s in pods["subresources"] if s["subresource"] == "eviction")
    assert eviction["responseKind"] == {"group": "policy", "version": "v1", "kind": "Eviction"}


def test_policy_v1_serves_poddisruptionbudgets(http):
    status, document = http.json("GET", "/apis/policy/v1")
    assert status == 200
    entry = next(r for r in document["resources"] if r["name"] == "poddisruptionbudgets")
    assert entry["kind"] == "PodDisruptionBudget" and entry["shortNames"] == ["pdb"]


# -- evictions without a budget ----------------------------------------------------------------------


def test_an_eviction_without_a_budget_deletes_the_pod_and_answers_201(cluster, http, namespace):
    cluster.store.create("pods", _pod("web-0", namespace, {"app": "web"}))
    status, body = _evict(http, namespace, "web-0")
    assert (status, body["status"]) == (201, "Success")
    assert _pods(cluster, namespace) == []


def test_an_eviction_of_a_missing_pod_is_not_found(http, namespace):
    status, body = _evict(http, namespace, "nothing-here")
    assert (status, body["reason"]) == (404, "NotFound")


def test_an_eviction_whose_name_differs_from_the_url_is_a_bad_request(cluster, http, namespace):
    cluster.store.create("pods", _pod("web-0", namespace, {"app": "web"}))
    status, body = _evict(http, namespace, "web-0", {**EVICTION, "metadata": {"name": "web-1"}})
    assert status == 400 and "does not match" in body["message"]
    assert _pods(cluster, namespace) == ["web-0"]


def test_a_dry_run_eviction_keeps_the_pod(cluster, http, namespace):
    cluster.store.create("pods", _pod("web-0", namespace, {"app": "web"}))
    status, _ = _evict(http, namespace, "web-0", {**EVICTION, "deleteOptions": {"dryRun": ["All"]}})
    assert status == 201
    assert _pods(cluster, namespace) == ["web-0"]


def test_the_viewer_may_not_evict(cluster, http, namespace):
    cluster.store.create("pods", _pod("web-0", namespace, {"app": "web"}))
    status, body = _evict(http, namespace, "web-0", user="viewer")
    assert status == 403 and 'cannot create resource "pods/eviction"' in body["message"]


# -- budgets ----------------------------------------------------------------------------------------------


def test_the_disruption_controller_computes_allowed_disruptions_from_min_available(cluster, http, namespace):
    for index in range(3):
        cluster.store.create("pods", _pod(f"web-{index}", namespace, {"app": "web"}))
    cluster.store.create("poddisruptionbudgets", _budget("web", namespace, "web", minAvailable=2))
    cluster.advance(1)
    status = cluster.store.get("poddisruptionbudgets", namespace, "web")["status"]
    assert (
        status["expectedPods"],
        status["currentHealthy"],
        status["desiredHealthy"],
        status["disruptionsAllowed"],
    ) == (3, 3, 2, 1)


def test_max_unavailable_as_a_percentage_rounds_up(cluster, namespace):
    for index in range(3):
        cluster.store.create("pods", _pod(f"db-{index}", namespace, {"app": "db"}))
    cluster.store.create("poddisruptionbudgets", _budget("db", namespace, "db", maxUnavailable="50%"))
    cluster.advance(1)
    status = cluster.store.get("poddisruptionbudgets", namespace, "db")["status"]
    # 50 % of 3 rounds up to 2 unavailable: 1 must stay healthy, so 2 may go.
    assert (status["desiredHealthy"], status["disruptionsAllowed"]) == (1, 2)


def test_an_eviction_that_would_break_the_budget_is_refused_with_429(cluster, http, namespace):
    for index in range(2):
        cluster.store.create("pods", _pod(f"web-{index}", namespace, {"app": "web"}))
    cluster.store.create("poddisruptionbudgets", _budget("web", namespace, "web", minAvailable=1))
    cluster.advance(1)
    first, _ = _evict(http, namespace, "web-0")
    cluster.advance(1)  # the disruption controller sees web-0 gone
    second, body = _evict(http, namespace, "web-1")
    assert first == 201
    assert second == 429
    assert body["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert (
        body["details"]["causes"][0]["message"] == "The disruption budget web needs 1 healthy pods and has 1 currently"
    )
    assert _pods(cluster, namespace) == ["web-1"]


def test_a_budget_the_controller_has_not_seen_refuses_evictions(cluster, http, namespace):
    cluster.store.create("pods", _pod("web-0", namespace, {"app": "web"}))
    cluster.store.create("poddisruptionbudgets", _budget("web", namespace, "web", maxUnavailable=1))
    status, _ = _evict(http, namespace, "web-0")  # before the next clock step: no observedGeneration yet
    assert status == 429
    assert _pods(cluster, namespace) == ["web-0"]


def test_a_finished_pod_is_evicted_whatever_its_budget_says(cluster, http, namespace):
    cluster.store.create("pods", _pod("job-0", namespace, {"app": "job"}, ready=False, phase="Succeeded"))
    cluster.store.create("poddisruptionbudgets", _budget("job", namespace, "job", minAvailable=5))
    cluster.advance(1)
    status, _ = _evict(http, namespace, "job-0")
    assert status == 201


def test_an_allowed_eviction_counts_until_the_controller_looks_again(cluster, http, namespace):
    for index in range(3):
        cluster.store.create("pods", _pod(f"web-{index}", namespace, {"app": "web"}))
    cluster.store.create("poddisruptionbudgets", _budget("web", namespace, "web", minAvailable=2))
    cluster.advance(1)
    first, _ = _evict(http, namespace, "web-0")
    second, _ = _evict(http, namespace, "web-1")  # same moment: the first one already took the only disruption
    assert (first, second) == (201, 429)
    assert "web-0" in cluster.store.get("poddisruptionbudgets", namespace, "web")["status"]["disruptedPods"]


def test_a_pod_under_two_budgets_cannot_be_evicted(cluster, http, namespace):
    cluster.store.create("pods", _pod("web-0", namespace, {"app": "web"}))
    cluster.store.create("poddisruptionbudgets", _budget("one", namespace, "web", maxUnavailable=1))
    cluster.store.create("poddisruptionbudgets", _budget("two", namespace, "web", maxUnavailable=1))
    cluster.advance(1)
    status, body = _evict(http, namespace, "web-0")
    assert status == 500 and "more than one PodDisruptionBudget" in body["message"]


def test_kubectl_lists_budgets_with_their_allowed_disruptions(cluster, kubectl, namespace):
    for index in range(3):
        cluster.store.create("pods", _pod(f"web-{index}", namespace, {"app": "web"}))
    cluster.store.create("poddisruptionbudgets", _budget("web", namespace, "web", minAvailable=2))
    cluster.advance(1)
    result = kubectl("get", "pdb", "-n", namespace)
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split() == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"]
    assert row.split()[:4] == ["web", "2", "N/A", "1"]


# -- protobuf, as kubectl's typed clients send it ------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = _field(1, api_version.encode()) + _field(2, kind.encode())
    return b"k8s\x00" + _field(1, type_meta) + _field(2, raw)


def test_a_protobuf_eviction_is_understood(cluster, http, namespace):
    cluster.store.create("pods", _pod("web-0", namespace, {"app": "web"}))
    meta = _field(1, b"web-0") + _field(3, namespace.encode())
    options = _varint(1 << 3 | 0) + _varint(30)  # gracePeriodSeconds: 30
    body = _envelope("policy/v1", "Eviction", _field(1, meta) + _field(2, options))
    response = http.request(
        "POST",
        f"/api/v1/namespaces/{namespace}/pods/web-0/eviction",
        body,
        headers={"Content-Type": "application/vnd.kubernetes.protobuf"},
    )
    assert response.status == 201
    assert _pods(cluster, namespace) == []


def test_a_protobuf_delete_options_body_is_understood(cluster, http, namespace):
    cluster.store.create("pods", _pod("web-0", namespace, {"app": "web"}))
    body = _envelope("v1", "DeleteOptions", _varint(4 << 3 | 2) + _varint(len(b"Background")) + b"Background")
    response = http.request(
        "DELETE",
        f"/api/v1/namespaces/{namespace}/pods/web-0",
        body,
        headers={"Content-Type": "application/vnd.kubernetes.protobuf"},
    )
    assert response.status == 200
    assert _pods(cluster, namespace) == []
