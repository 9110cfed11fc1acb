"""Decoding only what the parsers read changes nothing they return: pruned objects parse as the whole
ones, whatever their values, and events and errors keep what the reflector reads."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from tests.cluster.simulated import RESOURCES, start_cluster
from tui.cluster.decoding import collector_paused, decode_event, decode_page
from tui.domain.kinds import KIND_BY_API_KIND, KIND_BY_NAME, KINDS, Kind
from tui.sim.scenario import ScenarioOptions, load_scenario

ROOT = Path(__file__).resolve().parents[2]
YAML_SOURCES = [
    *sorted((ROOT / "tests").glob("**/fixtures/**/*.yaml")),
    *sorted((ROOT / "tests" / "benchmarks" / "data").glob("*.yaml")),
    *sorted((ROOT / "tui" / "sim" / "scenarios").glob("*.yaml")),
]


def _objects_in(value: Any) -> Iterator[dict[str, Any]]:
    """Every API object (a dict whose `kind` is a watched kind) anywhere in a loaded YAML document."""
    if isinstance(value, dict):
        if value.get("kind") in KIND_BY_API_KIND and isinstance(value.get("metadata"), dict):
            yield value
        for item in value.values():
            yield from _objects_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects_in(item)


def _example_objects() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in YAML_SOURCES:
        for document in yaml.safe_load_all(path.read_text()):
            found.extend(_objects_in(document))
    found.extend(load_scenario("large", ScenarioOptions(vms=30)).objects)
    return found


def _pruned(kind: Kind, obj: Any) -> Any:
    items = decode_page(kind, orjson.dumps({"metadata": {}, "items": [obj]}, default=str))["items"]
    assert len(items) == 1
    return items[0]


def _whole(obj: Any) -> Any:
    """The object as the API sends it: through JSON (YAML's dates become strings)."""
    return orjson.loads(orjson.dumps(obj, default=str))


def test_every_example_object_parses_the_same_pruned_as_whole():
    objects = _example_objects()
    kinds_seen = set()
    for obj in objects:
        kind = KIND_BY_API_KIND[obj["kind"]]
        whole = _whole(obj)
        assert kind.parse(_pruned(kind, whole)) == kind.parse(whole), (kind.name, obj["metadata"].get("name"))
        kinds_seen.add(kind.name)
    assert {"vms", "vmis", "pods", "nodes"} <= kinds_seen


def test_objects_the_simulated_controller_made_parse_the_same_pruned_as_whole():
    cluster = start_cluster("large", controller=True, vms=40)
    try:
        cluster.clock.advance(120)
        compared = 0
        for kind in KINDS:
            for obj in cluster.store.list(RESOURCES[kind.name], None):
                whole = _whole(obj)
                assert kind.parse(_pruned(kind, whole)) == kind.parse(whole), (kind.name, obj["metadata"]["name"])
                compared += 1
        assert compared > 100
    finally:
        cluster.stop()


ODD_VALUES: list[Any] = [None, "text", 7, 2.5, True, [], [1, "a", None, {}], {}, {"unexpected": {"deep": [1]}}]


@pytest.mark.parametrize("odd", ODD_VALUES, ids=repr)
def test_a_value_of_any_type_anywhere_parses_the_same_pruned_as_whole(odd: Any):
    vmi = _whole(yaml.safe_load((ROOT / "tests" / "benchmarks" / "data" / "harvester-vmi.yaml").read_text()))
    pod = _whole(yaml.safe_load((ROOT / "tests" / "benchmarks" / "data" / "virt-launcher-pod.yaml").read_text()))
    vm = _whole(yaml.safe_load((ROOT / "tests" / "benchmarks" / "data" / "harvester-vm.yaml").read_text()))
    cases = [
        ("vmis", vmi, ("metadata",)),
        ("vmis", vmi, ("spec", "domain")),
        ("vmis", vmi, ("spec", "domain", "devices", "disks")),
        ("vmis", vmi, ("spec", "volumes")),
        ("vmis", vmi, ("status", "volumeStatus")),
        ("vmis", vmi, ("status", "interfaces")),
        ("vmis", vmi, ("metadata", "ownerReferences")),
        ("vms", vm, ("spec", "template")),
        ("vms", vm, ("spec", "template", "spec", "domain", "cpu")),
        ("pods", pod, ("spec", "containers")),
        ("pods", pod, ("spec",)),
    ]
    for name, original, path in cases:
        obj = orjson.loads(orjson.dumps(original))
        holder = obj
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = odd
        kind = KIND_BY_NAME[name]
        assert kind.parse(_pruned(kind, obj)) == kind.parse(obj), (name, path)
        # The same value as an item of a list the parser walks.
        if isinstance(original.get("spec"), dict) and name == "vmis":
            listed = orjson.loads(orjson.dumps(original))
            listed["spec"]["volumes"] = [odd, *listed["spec"]["volumes"]]
            listed["spec"]["domain"]["devices"]["disks"] = [odd, *listed["spec"]["domain"]["devices"]["disks"]]
            assert kind.parse(_pruned(kind, listed)) == kind.parse(listed)


def test_a_page_keeps_its_list_metadata():
    kind = KIND_BY_NAME["vmis"]
    page = decode_page(
        kind,
        b'{"kind":"VirtualMachineInstanceList","metadata":{"resourceVersion":"42","continue":"abc",'
        b'"remainingItemCount":7},"items":[]}',
    )
    assert page["metadata"] == {"resourceVersion": "42", "continue": "abc", "remainingItemCount": 7}
    assert page["items"] == []


def test_bytes_that_are_not_json_raise_as_before():
    with pytest.raises(orjson.JSONDecodeError):
        decode_page(KIND_BY_NAME["vms"], b'{"items": [')
    with pytest.raises(orjson.JSONDecodeError):
        decode_event(KIND_BY_NAME["vms"], b"not json")


def test_an_error_event_keeps_its_whole_status():
    line = orjson.dumps(
        {
            "type": "ERROR",
            "object": {
                "kind": "Status",
                "code": 504,
                "reason": "Timeout",
                "message": "Too large resource version: 9, current: 3",
                "details": {"causes": [{"reason": "ResourceVersionTooLarge"}]},
            },
        }
    )
    event = decode_event(KIND_BY_NAME["vmis"], line)
    assert event["object"]["code"] == 504
    assert event["object"]["details"] == {"causes": [{"reason": "ResourceVersionTooLarge"}]}


def test_a_bookmark_keeps_its_resource_version():
    line = b'{"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"77"}}}'
    event = decode_event(KIND_BY_NAME["pods"], line)
    assert event["object"]["metadata"]["resourceVersion"] == "77"


def test_the_collector_pauses_while_any_decoder_runs_and_comes_back_as_it_was():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_a_first_list_keeps_is_frozen_out_of_the_collectors_sight():
    frozen = gc.get_freeze_count()
    try:
        with collector_paused(keep=True):
            kept = [[index] for index in range(1000)]  # lists: always tracked by the collector
        assert gc.get_freeze_count() >= frozen + len(kept)
        assert gc.isenabled()
    finally:
        gc.unfreeze()
