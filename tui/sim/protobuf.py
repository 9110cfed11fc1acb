"""Decoding the few protobuf request bodies kubectl sends: SelfSubjectAccessReview (`kubectl auth can-i`),
SelfSubjectRulesReview (`kubectl auth can-i --list`), Namespace (`kubectl create namespace`), and
for `kubectl drain` the policy/v1 Eviction and the DeleteOptions of a pod deletion.

kubectl's typed clients encode built-in objects as `application/vnd.kubernetes.protobuf` (the magic
`k8s\\x00`, then a runtime.Unknown envelope around the object) and do not fall back to JSON, so the
server has to read them. Answers are JSON, which those clients also accept.
"""

from __future__ import annotations

from typing import Any

MAGIC = b"k8s\x00"


class ProtobufError(ValueError):
    """A body that is not the protobuf the server expected."""


def _varint(data: bytes, position: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if position >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def fields(data: bytes) -> dict[int, list[Any]]:
    """The fields of one message: number -> values (ints, or bytes for length-delimited fields)."""
    found: dict[int, list[Any]] = {}
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, position = _varint(data, position)
        elif wire_type == 2:
            length, position = _varint(data, position)
            if position + length > len(data):
                raise ProtobufError("truncated field")
            value = data[position : position + length]
            position += length
        elif wire_type == 1:
            value, position = data[position : position + 8], position + 8
        elif wire_type == 5:
            value, position = data[position : position + 4], position + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire_type}")
        found.setdefault(number, []).append(value)
    return found


def _string(message: dict[int, list[Any]], number: int) -> str:
    values = message.get(number)
    if not values or not isinstance(values[-1], bytes):
        return ""
    return values[-1].decode("utf-8", errors="replace")


def _message(message: dict[int, list[Any]], number: int) -> dict[int, list[Any]] | None:
    values = message.get(number)
    if not values or not isinstance(values[-1], bytes):
        return None
    return fields(values[-1])


def unwrap(body: bytes) -> tuple[str, str, bytes]:
    """(apiVersion, kind, raw object bytes) from a k8s protobuf envelope."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing the k8s protobuf prefix")
    envelope = fields(body[len(MAGIC) :])
    type_meta = _message(envelope, 1) or {}
    raw = envelope.get(2, [b""])[-1]
    return _string(type_meta, 1), _string(type_meta, 2), raw if isinstance(raw, bytes) else b""


_RESOURCE_ATTRIBUTES = ("namespace", "verb", "group", "version", "resource", "subresource", "name")


def self_subject_access_review(body: bytes) -> dict[str, Any]:
    """A protobuf SelfSubjectAccessReview as the JSON object it stands for."""
    api_version, kind, raw = unwrap(body)
    if kind != "SelfSubjectAccessReview":
        raise ProtobufError(f"expected a SelfSubjectAccessReview, got {kind or 'nothing'}")
    review = fields(raw)
    spec_message = _message(review, 2) or {}
    spec: dict[str, Any] = {}
    attributes = _message(spec_message, 1)
    if attributes is not None:
        spec["resourceAttributes"] = {
            name: _string(attributes, number)
            for number, name in enumerate(_RESOURCE_ATTRIBUTES, start=1)
            if _string(attributes, number)
        }
    non_resource = _message(spec_message, 2)
    if non_resource is not None:
        spec["nonResourceAttributes"] = {
            name: _string(non_resource, number)
            for number, name in ((1, "path"), (2, "verb"))
            if _string(non_resource, number)
        }
    return {"apiVersion": api_version, "kind": kind, "metadata": {}, "spec": spec}


def self_subject_rules_review(body: bytes) -> dict[str, Any]:
    """A protobuf SelfSubjectRulesReview (spec = 2, its namespace = 1, as in
    k8s.io/api/authorization/v1/generated.proto) as the JSON object it stands for."""
    api_version, kind, raw = unwrap(body)
    if kind != "SelfSubjectRulesReview":
        raise ProtobufError(f"expected a SelfSubjectRulesReview, got {kind or 'nothing'}")
    spec_message = _message(fields(raw), 2) or {}
    spec = {"namespace": _string(spec_message, 1)} if _string(spec_message, 1) else {}
    return {"apiVersion": api_version, "kind": kind, "metadata": {}, "spec": spec}


def _map(message: dict[int, list[Any]], number: int) -> dict[str, str]:
    entries: dict[str, str] = {}
    for value in message.get(number, []):
        if isinstance(value, bytes):
            entry = fields(value)
            entries[_string(entry, 1)] = _string(entry, 2)
    return entries


def object_meta(data: bytes) -> dict[str, Any]:
    """The client-settable fields of an ObjectMeta."""
    message = fields(data)
    meta: dict[str, Any] = {}
    for number, name in ((1, "name"), (2, "generateName"), (3, "namespace"), (6, "resourceVersion")):
        if _string(message, number):
            meta[name] = _string(message, number)
    for number, name in ((11, "labels"), (12, "annotations")):
        entries = _map(message, number)
        if entries:
            meta[name] = entries
    finalizers = [v.decode("utf-8", errors="replace") for v in message.get(14, []) if isinstance(v, bytes)]
    if finalizers:
        meta["finalizers"] = finalizers
    return meta


def namespace(body: bytes) -> dict[str, Any]:
    """A protobuf Namespace as the JSON object it stands for (metadata only: its spec is server-set)."""
    api_version, kind, raw = unwrap(body)
    if kind != "Namespace":
        raise ProtobufError(f"expected a Namespace, got {kind or 'nothing'}")
    message = fields(raw)
    meta_values = message.get(1)
    meta = object_meta(meta_values[-1]) if meta_values and isinstance(meta_values[-1], bytes) else {}
    return {"apiVersion": api_version or "v1", "kind": kind, "metadata": meta}


def _delete_options_fields(message: dict[int, list[Any]]) -> dict[str, Any]:
    """meta/v1 DeleteOptions (generated.proto: gracePeriodSeconds = 1, preconditions = 2 {uid = 1,
    resourceVersion = 2}, orphanDependents = 3, propagationPolicy = 4, dryRun = 5)."""
    options: dict[str, Any] = {}
    grace = message.get(1)
    if grace and isinstance(grace[-1], int):
        value = grace[-1]
        options["gracePeriodSeconds"] = value - (1 << 64) if value >= 1 << 63 else value
    preconditions = _message(message, 2)
    if preconditions is not None:
        options["preconditions"] = {
            name: _string(preconditions, number)
            for number, name in ((1, "uid"), (2, "resourceVersion"))
            if _string(preconditions, number)
        }
    orphan = message.get(3)
    if orphan and isinstance(orphan[-1], int):
        options["orphanDependents"] = bool(orphan[-1])
    if _string(message, 4):
        options["propagationPolicy"] = _string(message, 4)
    dry_run = [v.decode("utf-8", errors="replace") for v in message.get(5, []) if isinstance(v, bytes)]
    if dry_run:
        options["dryRun"] = dry_run
    return options


def delete_options(body: bytes) -> dict[str, Any]:
    """A protobuf DeleteOptions (the body of a DELETE from a typed client) as JSON."""
    api_version, kind, raw = unwrap(body)
    if kind and kind != "DeleteOptions":
        raise ProtobufError(f"expected a DeleteOptions, got {kind}")
    return {"apiVersion": api_version or "v1", "kind": "DeleteOptions", **_delete_options_fields(fields(raw))}


def eviction(body: bytes) -> dict[str, Any]:
    """A protobuf policy/v1 Eviction (metadata = 1, deleteOptions = 2) as JSON."""
    api_version, kind, raw = unwrap(body)
    if kind != "Eviction":
        raise ProtobufError(f"expected an Eviction, got {kind or 'nothing'}")
    message = fields(raw)
    meta_values = message.get(1)
    meta = object_meta(meta_values[-1]) if meta_values and isinstance(meta_values[-1], bytes) else {}
    result: dict[str, Any] = {"apiVersion": api_version or "policy/v1", "kind": kind, "metadata": meta}
    options = _message(message, 2)
    if options is not None:
        result["deleteOptions"] = _delete_options_fields(options)
    return result


DECODERS = {
    "selfsubjectaccessreviews": self_subject_access_review,
    "selfsubjectrulesreviews": self_subject_rules_review,
    "namespaces": namespace,
    "eviction": eviction,
}
