"""The real kubernetes Python client against the simulated API server: the wire protocol in detail."""

from __future__ import annotations

import threading
from datetime import datetime

import orjson
import pytest
from kubernetes import client, dynamic, watch
from kubernetes.client.exceptions import ApiException

from tests.sim.conftest import vm, vmi, vmim
from tui.sim.admission import AdmissionDenied

KUBEVIRT = ("kubevirt.io", "v1")


def custom(api: client.ApiClient) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(api)


def status_of(error: ApiException) -> dict:
    return orjson.loads(error.body)


@pytest.fixture(scope="module")
def lab(cluster):
    """A namespace of its own for tests that count objects."""
    cluster.store.create("namespaces", {"metadata": {"name": "lab"}})
    return "lab"


def events(api, plural: str, namespace: str, count: int, **kwargs) -> list[tuple[str, str]]:
    """The first `count` (type, name) a watch delivers (the server ends it after 5 s at the latest)."""
    seen = []
    for event in watch.Watch().stream(
        custom(api).list_namespaced_custom_object, *KUBEVIRT, namespace, plural, timeout_seconds=5, **kwargs
    ):
        seen.append((event["type"], event["object"]["metadata"].get("name")))
        if len(seen) == count:
            break
    return seen


def watch_lines(http, path: str, count: int, **kwargs) -> list[dict]:
    """The first `count` events of a raw watch request (which the server ends after 5 s at the latest)."""
    response = http.request("GET", path + "&timeoutSeconds=5", preload=False, **kwargs)
    buffer = b""
    lines: list[dict] = []
    try:
        for chunk in response.stream(1024):
            buffer += chunk
            while b"\n" in buffer and len(lines) < count:
                line, buffer = buffer.split(b"\n", 1)
                lines.append(orjson.loads(line))
            if len(lines) >= count:
                break
    finally:
        response.drain_conn() if len(lines) < count else response.close()
    return lines


# Discovery ------------------------------------------------------------------------------------


def test_the_dynamic_client_discovers_kubevirt_resources(api):
    resources = dynamic.DynamicClient(api).resources
    migrations = resources.get(api_version="kubevirt.io/v1", kind="VirtualMachineInstanceMigration")
    assert migrations.name == "virtualmachineinstancemigrations" and migrations.short_names == ["vmim", "vmims"]
    assert migrations.namespaced


def test_aggregated_discovery_is_answered_when_asked(http):
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    response = http.request("GET", "/apis", headers={"Accept": accept})
    body = orjson.loads(response.data)
    assert response.headers["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    kubevirt = next(item for item in body["items"] if item["metadata"]["name"] == "kubevirt.io")
    vmi_entry = next(r for r in kubevirt["versions"][0]["resources"] if r["resource"] == "virtualmachineinstances")
    assert vmi_entry["shortNames"] == ["vmi", "vmis"] and "subresources" not in vmi_entry


def test_openapi_v3_advertises_field_validation_on_patch(http):
    status, index = http.json("GET", "/openapi/v3")
    url = index["paths"]["apis/kubevirt.io/v1"]["serverRelativeURL"]
    status, document = http.json("GET", url)
    patch = document["paths"]["/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstancemigrations/{name}"][
        "patch"
    ]
    assert {"name": "fieldValidation", "in": "query"}.items() <= patch["parameters"][2].items()
    assert patch["x-kubernetes-group-version-kind"]["kind"] == "VirtualMachineInstanceMigration"


# Lists -----------------------------------------------------------------------------------------


def test_pages_share_the_list_resource_version_and_count_what_remains(cluster, api, lab):
    for index in range(5):
        cluster.store.create("virtualmachineinstances", vmi(f"page-{index}", namespace=lab))
    first = custom(api).list_namespaced_custom_object(*KUBEVIRT, lab, "virtualmachineinstances", limit=2)
    cluster.store.create("virtualmachineinstances", vmi("page-late", namespace=lab))
    second = custom(api).list_namespaced_custom_object(
        *KUBEVIRT, lab, "virtualmachineinstances", limit=2, _continue=first["metadata"]["continue"]
    )
    assert first["metadata"]["remainingItemCount"] == 3
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert [i["metadata"]["name"] for i in first["items"] + second["items"]] == ["page-0", "page-1", "page-2", "page-3"]


def test_built_in_list_items_come_without_kind(api):
    raw = client.CoreV1Api(api).list_namespace(_preload_content=False)
    body = orjson.loads(raw.data)
    assert body["kind"] == "NamespaceList" and "kind" not in body["items"][0]


def test_the_table_form_carries_the_printer_columns(cluster, http):
    cluster.store.create("virtualmachineinstances", vmi("table-client-vm"))
    status, table = http.json(
        "GET",
        "/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances?fieldSelector=metadata.name%3Dtable-client-vm",
        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"},
    )
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]][:6] == ["Name", "Age", "Phase", "IP", "NodeName", "Ready"]
    assert table["rows"][0]["cells"][2:6] == ["Running", "10.52.0.77", "harv41", "True"]


def test_an_unsupported_field_selector_is_400(api):
    with pytest.raises(ApiException) as error:
        client.CoreV1Api(api).list_namespaced_pod("default", field_selector="status.hostIP=10.0.0.1")
    assert error.value.status == 400
    assert status_of(error.value)["message"] == "field label not supported: status.hostIP"


# Watches ---------------------------------------------------------------------------------------


def test_a_watch_without_resource_version_starts_with_every_object(cluster, api):
    cluster.store.create("namespaces", {"metadata": {"name": "w-initial"}})
    cluster.store.create("virtualmachineinstances", vmi("existing", namespace="w-initial"))
    assert events(api, "virtualmachineinstances", "w-initial", 1) == [("ADDED", "existing")]


def test_a_watch_from_resource_version_zero_also_starts_with_every_object(cluster, api):
    cluster.store.create("namespaces", {"metadata": {"name": "w-zero"}})
    cluster.store.create("virtualmachineinstances", vmi("existing", namespace="w-zero"))
    assert events(api, "virtualmachineinstances", "w-zero", 1, resource_version="0") == [("ADDED", "existing")]


def test_a_watch_resumes_after_the_given_resource_version(cluster, api):
    cluster.store.create("namespaces", {"metadata": {"name": "w-resume"}})
    cluster.store.create("virtualmachineinstances", vmi("before", namespace="w-resume"))
    listed = custom(api).list_namespaced_custom_object(*KUBEVIRT, "w-resume", "virtualmachineinstances")
    cluster.store.create("virtualmachineinstances", vmi("after", namespace="w-resume"))
    cluster.store.delete("virtualmachineinstances", "w-resume", "before")
    seen = events(api, "virtualmachineinstances", "w-resume", 2, resource_version=listed["metadata"]["resourceVersion"])
    assert seen == [("ADDED", "after"), ("DELETED", "before")]


def test_a_watch_streams_changes_as_they_happen(cluster, api):
    cluster.store.create("namespaces", {"metadata": {"name": "w-live"}})
    seen: list[tuple[str, str]] = []
    started = threading.Event()

    def run() -> None:
        for event in watch.Watch().stream(
            custom(api).list_namespaced_custom_object,
            *KUBEVIRT,
            "w-live",
            "virtualmachineinstancemigrations",
            timeout_seconds=5,
            allow_watch_bookmarks=True,
        ):
            started.set()
            seen.append((event["type"], event["object"]["metadata"].get("name")))
            if event["type"] == "DELETED":
                return

    reader = threading.Thread(target=run)
    reader.start()
    cluster.store.create(
        "virtualmachineinstancemigrations", {"metadata": {"name": "m1"}, "spec": {"vmiName": "vm1"}}, "w-live"
    )
    started.wait(5)
    cluster.store.patch(
        "virtualmachineinstancemigrations", "w-live", "m1", {"status": {"phase": "Running"}}, status=True
    )
    cluster.store.delete("virtualmachineinstancemigrations", "w-live", "m1")
    reader.join(10)
    assert [e for e in seen if e[0] != "BOOKMARK"] == [("ADDED", "m1"), ("MODIFIED", "m1"), ("DELETED", "m1")]


def test_bookmarks_carry_only_a_resource_version(cluster, http):
    cluster.store.create("namespaces", {"metadata": {"name": "w-bookmark"}})
    lines = watch_lines(
        http, "/apis/kubevirt.io/v1/namespaces/w-bookmark/virtualmachineinstances?watch=1&allowWatchBookmarks=true", 2
    )
    assert [line["type"] for line in lines] == ["BOOKMARK", "BOOKMARK"]
    assert (
        set(lines[0]["object"]) == {"kind", "apiVersion", "metadata"}
        and lines[0]["object"]["metadata"]["resourceVersion"]
    )


@pytest.mark.parametrize("flag", ["true", "True", "1"])
def test_every_spelling_of_watch_true_streams(cluster, http, flag):
    response = http.request(
        "GET", f"/api/v1/namespaces?watch={flag}&timeoutSeconds=5&fieldSelector=metadata.name%3Ddefault", preload=False
    )
    first = response.stream(1024).__next__()
    response.close()
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert orjson.loads(first.splitlines()[0])["type"] == "ADDED"


def test_a_streaming_list_ends_its_initial_events_with_a_bookmark(cluster, http):
    namespaces = len(cluster.store.list("namespaces"))
    lines = watch_lines(
        http,
        "/api/v1/namespaces?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan",
        namespaces + 1,
    )
    end = namespaces
    assert {line["type"] for line in lines[:end]} == {"ADDED"}
    assert lines[end]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_an_object_that_stops_matching_the_selector_is_deleted_from_the_watch(cluster, http):
    cluster.store.create("namespaces", {"metadata": {"name": "w-select"}})
    cluster.store.create("virtualmachineinstances", vmi("moving", namespace="w-select", node="harv2"))
    listed_rv = cluster.store.resource_version
    cluster.store.patch(
        "virtualmachineinstances", "w-select", "moving", {"metadata": {"labels": {"kubevirt.io/nodeName": "harv41"}}}
    )
    lines = watch_lines(
        http,
        f"/apis/kubevirt.io/v1/namespaces/w-select/virtualmachineinstances?watch=true&resourceVersion={listed_rv}&labelSelector=kubevirt.io%2FnodeName%3Dharv2",
        1,
    )
    assert [line["type"] for line in lines] == ["DELETED"]


def test_a_table_watch_sends_rows(cluster, http):
    cluster.store.create("namespaces", {"metadata": {"name": "w-table"}})
    cluster.store.create("virtualmachineinstances", vmi("row", namespace="w-table"))
    [event] = watch_lines(
        http,
        "/apis/kubevirt.io/v1/namespaces/w-table/virtualmachineinstances?watch=true",
        1,
        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
    )
    assert event["object"]["kind"] == "Table" and event["object"]["rows"][0]["cells"][0] == "row"


# Writes ----------------------------------------------------------------------------------------


def test_creating_an_existing_object_is_409_already_exists(cluster, api):
    custom(api).create_namespaced_custom_object(*KUBEVIRT, "default", "virtualmachines", vm("twice"))
    with pytest.raises(ApiException) as error:
        custom(api).create_namespaced_custom_object(*KUBEVIRT, "default", "virtualmachines", vm("twice"))
    body = status_of(error.value)
    assert (error.value.status, body["reason"], body["message"]) == (
        409,
        "AlreadyExists",
        'virtualmachines.kubevirt.io "twice" already exists',
    )
    assert body["details"] == {"name": "twice", "group": "kubevirt.io", "kind": "virtualmachines"}


def test_generate_name_gives_the_created_object_a_name(api):
    created = custom(api).create_namespaced_custom_object(
        *KUBEVIRT, "default", "virtualmachineinstancemigrations", vmim("vm1")
    )
    assert created["metadata"]["name"].startswith("vm1-") and created["metadata"]["generateName"] == "vm1-"


def test_an_update_with_a_stale_resource_version_is_409_conflict(api):
    created = custom(api).create_namespaced_custom_object(*KUBEVIRT, "default", "virtualmachines", vm("stale"))
    custom(api).patch_namespaced_custom_object(
        *KUBEVIRT, "default", "virtualmachines", "stale", {"metadata": {"labels": {"x": "y"}}}
    )
    with pytest.raises(ApiException) as error:
        custom(api).replace_namespaced_custom_object(*KUBEVIRT, "default", "virtualmachines", "stale", created)
    assert error.value.status == 409 and status_of(error.value)["reason"] == "Conflict"


def test_an_update_without_resource_version_is_invalid_for_custom_resources(api):
    created = custom(api).create_namespaced_custom_object(*KUBEVIRT, "default", "virtualmachines", vm("unconditional"))
    del created["metadata"]["resourceVersion"]
    with pytest.raises(ApiException) as error:
        custom(api).replace_namespaced_custom_object(*KUBEVIRT, "default", "virtualmachines", "unconditional", created)
    assert error.value.status == 422 and "must be specified for an update" in status_of(error.value)["message"]


def test_a_merge_patch_through_the_client(api):
    custom(api).create_namespaced_custom_object(*KUBEVIRT, "default", "virtualmachines", vm("merge-me"))
    patched = custom(api).patch_namespaced_custom_object(
        *KUBEVIRT, "default", "virtualmachines", "merge-me", {"spec": {"runStrategy": "Halted"}}
    )
    assert patched["spec"]["runStrategy"] == "Halted" and patched["metadata"]["generation"] == 2


def test_a_json_patch_through_the_client(api):
    custom(api).create_namespaced_custom_object(*KUBEVIRT, "default", "virtualmachines", vm("json-me"))
    patched = custom(api).patch_namespaced_custom_object(
        *KUBEVIRT,
        "default",
        "virtualmachines",
        "json-me",
        [{"op": "replace", "path": "/spec/runStrategy", "value": "Always"}],
        _content_type="application/json-patch+json",
    )
    assert patched["spec"]["runStrategy"] == "Always"


def test_a_strategic_merge_patch_on_a_node(cluster, api):
    cluster.store.create("nodes", {"metadata": {"name": "smp-node"}, "spec": {}})
    patched = client.CoreV1Api(api).patch_node("smp-node", {"spec": {"unschedulable": True}})
    assert patched.spec.unschedulable is True


def test_a_strategic_merge_patch_on_a_custom_resource_is_415(cluster, http):
    cluster.store.create("virtualmachines", vm("smp-415"))
    status, body = http.json(
        "PATCH",
        "/apis/kubevirt.io/v1/namespaces/default/virtualmachines/smp-415",
        {"spec": {}},
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    assert (status, body["reason"]) == (415, "UnsupportedMediaType")


def test_server_side_apply_creates_and_merges(http):
    path = "/apis/kubevirt.io/v1/namespaces/default/virtualmachines/applied?fieldManager=test"
    manifest = orjson.dumps(vm("applied")).decode()
    created, _ = http.json("PATCH", path, manifest, headers={"Content-Type": "application/apply-patch+yaml"})
    updated, body = http.json(
        "PATCH", path, "spec:\n  runStrategy: Halted\n", headers={"Content-Type": "application/apply-patch+yaml"}
    )
    assert (created, updated) == (201, 200)
    assert body["spec"]["runStrategy"] == "Halted" and body["spec"]["template"]


def test_the_status_subresource_changes_only_status(cluster, api):
    cluster.store.create("virtualmachines", vm("status-vm"))
    current = custom(api).get_namespaced_custom_object(*KUBEVIRT, "default", "virtualmachines", "status-vm")
    current["status"] = {"printableStatus": "Running"}
    current["spec"]["runStrategy"] = "Halted"
    updated = custom(api).replace_namespaced_custom_object_status(
        *KUBEVIRT, "default", "virtualmachines", "status-vm", current
    )
    assert updated["status"] == {"printableStatus": "Running"} and updated["spec"]["runStrategy"] == "RerunOnFailure"


def test_the_vmi_has_no_status_subresource(cluster, api):
    cluster.store.create("virtualmachineinstances", vmi("no-status"))
    with pytest.raises(ApiException) as error:
        custom(api).patch_namespaced_custom_object_status(
            *KUBEVIRT, "default", "virtualmachineinstances", "no-status", {"status": {}}
        )
    assert error.value.status == 404


def test_a_server_dry_run_stores_nothing(cluster, http):
    status, body = http.json("POST", "/apis/kubevirt.io/v1/namespaces/default/virtualmachines?dryRun=All", vm("dry"))
    assert status == 201 and body["metadata"]["name"] == "dry"
    assert not cluster.store.exists("virtualmachines", "default", "dry")


# Deletes ---------------------------------------------------------------------------------------


def test_delete_with_finalizers_then_their_removal(cluster, api):
    obj = vm("finalized")
    obj["metadata"]["finalizers"] = ["harvesterhci.io/VMController.UnsetOwnerOfPVCs"]
    custom(api).create_namespaced_custom_object(*KUBEVIRT, "default", "virtualmachines", obj)
    answer = custom(api).delete_namespaced_custom_object(*KUBEVIRT, "default", "virtualmachines", "finalized")
    assert answer["metadata"]["deletionTimestamp"]
    custom(api).patch_namespaced_custom_object(
        *KUBEVIRT, "default", "virtualmachines", "finalized", {"metadata": {"finalizers": None}}
    )
    assert not cluster.store.exists("virtualmachines", "default", "finalized")


def test_delete_with_a_wrong_uid_precondition_is_409(cluster, api):
    cluster.store.create("virtualmachines", vm("guarded"))
    body = client.V1DeleteOptions(preconditions=client.V1Preconditions(uid="00000000-0000-4000-8000-000000000000"))
    with pytest.raises(ApiException) as error:
        custom(api).delete_namespaced_custom_object(*KUBEVIRT, "default", "virtualmachines", "guarded", body=body)
    assert error.value.status == 409
    assert (
        "Precondition failed: UID in precondition: 00000000-0000-4000-8000-000000000000"
        in status_of(error.value)["message"]
    )
    assert cluster.store.exists("virtualmachines", "default", "guarded")


def test_delete_with_the_right_uid_and_a_propagation_policy(cluster, api):
    created = cluster.store.create("virtualmachines", vm("uid-ok"))
    body = client.V1DeleteOptions(
        propagation_policy="Foreground", preconditions=client.V1Preconditions(uid=created["metadata"]["uid"])
    )
    answer = custom(api).delete_namespaced_custom_object(*KUBEVIRT, "default", "virtualmachines", "uid-ok", body=body)
    assert answer["status"] == "Success" and answer["details"]["uid"] == created["metadata"]["uid"]


def test_delete_collection_by_label(cluster, api, lab):
    cluster.store.create("namespaces", {"metadata": {"name": "sweep"}})
    for name in ("a", "b"):
        cluster.store.create("virtualmachineinstances", vmi(name, namespace="sweep"))
    custom(api).delete_collection_namespaced_custom_object(
        *KUBEVIRT, "sweep", "virtualmachineinstances", label_selector="harvesterhci.io/vmName=a"
    )
    assert [o["metadata"]["name"] for o in cluster.store.list("virtualmachineinstances", "sweep")] == ["b"]


# Authentication and authorization ----------------------------------------------------------------


def test_a_request_without_token_is_401(http):
    status, body = http.json("GET", "/api/v1/namespaces", user="")
    assert (status, body["reason"], body["message"]) == (401, "Unauthorized", "Unauthorized")


def test_the_viewer_gets_403_with_the_authorizers_wording(viewer_api):
    with pytest.raises(ApiException) as error:
        custom(viewer_api).create_namespaced_custom_object(
            *KUBEVIRT, "default", "virtualmachineinstancemigrations", vmim("vm1")
        )
    assert error.value.status == 403
    assert status_of(error.value)["message"] == (
        'virtualmachineinstancemigrations.kubevirt.io is forbidden: User "viewer" cannot create resource '
        '"virtualmachineinstancemigrations" in API group "kubevirt.io" in the namespace "default"'
    )


def test_a_self_subject_access_review_answers_from_the_same_rules(viewer_api):
    review = client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(
            resource_attributes=client.V1ResourceAttributes(
                group="kubevirt.io", resource="virtualmachineinstancemigrations", verb="create", namespace="default"
            )
        )
    )
    answer = client.AuthorizationV1Api(viewer_api).create_self_subject_access_review(review)
    assert answer.status.allowed is False
    review.spec.resource_attributes.verb = "watch"
    assert client.AuthorizationV1Api(viewer_api).create_self_subject_access_review(review).status.allowed is True


# Extension points ------------------------------------------------------------------------------


def test_an_admission_hook_denial_reads_like_a_webhook_denial(cluster, api):
    def refuse_frozen(request):
        if request.object["spec"].get("vmiName") == "frozen":
            raise AdmissionDenied(
                "migration-create-validator.kubevirt.io", "Cannot migrate VMI, Reason: frozen for the test"
            )
        return None

    remove = cluster.admission.register("virtualmachineinstancemigrations", refuse_frozen, operations=["create"])
    try:
        with pytest.raises(ApiException) as error:
            custom(api).create_namespaced_custom_object(
                *KUBEVIRT, "default", "virtualmachineinstancemigrations", vmim("frozen")
            )
    finally:
        remove()
    body = status_of(error.value)
    assert (error.value.status, body["reason"]) == (422, "Invalid")
    assert (
        body["message"]
        == 'admission webhook "migration-create-validator.kubevirt.io" denied the request: Cannot migrate VMI, Reason: frozen for the test'
    )


def test_a_mutating_admission_hook_changes_what_is_stored(cluster, api):
    def label_it(request):
        request.object["metadata"].setdefault("labels", {})["kubevirt.io/vmi-name"] = request.object["spec"]["vmiName"]
        return request.object

    remove = cluster.admission.register("virtualmachineinstancemigrations", label_it, operations=["create"])
    try:
        created = custom(api).create_namespaced_custom_object(
            *KUBEVIRT, "default", "virtualmachineinstancemigrations", vmim("labelled")
        )
    finally:
        remove()
    assert created["metadata"]["labels"] == {"kubevirt.io/vmi-name": "labelled"}


def test_pruned_fields_are_dropped_with_a_warning(cluster, http):
    cluster.admission.prune_fields("virtualmachineinstancemigrations", ["spec.addedNodeSelector"])
    try:
        body = vmim("pruned")
        body["spec"]["addedNodeSelector"] = {"kubernetes.io/hostname": "harv41"}
        response = http.request(
            "POST", "/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstancemigrations", body
        )
        strict, refused = http.json(
            "POST",
            "/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstancemigrations?fieldValidation=Strict",
            body,
        )
    finally:
        cluster.admission.prune_fields("virtualmachineinstancemigrations", [])
    assert "addedNodeSelector" not in orjson.loads(response.data)["spec"]
    assert response.headers["Warning"] == '299 - "unknown field \\"spec.addedNodeSelector\\""'
    assert strict == 400 and 'strict decoding error: unknown field "spec.addedNodeSelector"' in refused["message"]


PROMETHEUS = (
    "/api/v1/namespaces/cattle-monitoring-system/services/http:rancher-monitoring-prometheus:9090/proxy/api/v1/query"
)


def test_prometheus_is_503_like_a_service_without_endpoints_when_monitoring_is_off(cluster, http):
    cluster.monitoring = False
    status, body = http.json("GET", PROMETHEUS + "?query=up")
    assert (status, body["reason"], body["message"]) == (
        503,
        "ServiceUnavailable",
        'no endpoints available for service "rancher-monitoring-prometheus"',
    )


def test_prometheus_answers_instant_queries_from_the_metrics_source(cluster, http):
    def source(metric: str, now: datetime):
        if metric != "kubevirt_vmi_migration_data_remaining_bytes":
            return []
        return [
            ({"namespace": "default", "name": "vm1", "node": "harv2"}, 764030976.0),
            ({"namespace": "other", "name": "vm2", "node": "harv2"}, 1.0),
        ]

    cluster.monitoring = True
    cluster.set_metrics_source(source)
    try:
        status, body = http.json(
            "GET", PROMETHEUS + '?query=kubevirt_vmi_migration_data_remaining_bytes{namespace="default",name=~"vm.*"}'
        )
    finally:
        cluster.monitoring = False
        cluster.set_metrics_source(None)
    assert status == 200 and body["status"] == "success" and body["data"]["resultType"] == "vector"
    [series] = body["data"]["result"]
    assert series["metric"] == {
        "__name__": "kubevirt_vmi_migration_data_remaining_bytes",
        "namespace": "default",
        "name": "vm1",
        "node": "harv2",
    }
    assert series["value"][1] == "764030976" and series["value"][0] == round(cluster.clock.now().timestamp(), 3)


def test_a_query_prometheus_cannot_parse_is_400_bad_data(cluster, http):
    cluster.monitoring = True
    try:
        status, body = http.json("GET", PROMETHEUS + "?query=rate(x[5m])")
    finally:
        cluster.monitoring = False
    assert status == 400 and body["errorType"] == "bad_data"
