"""List pages and watch events from the API's bytes, decoded to only the fields the parsers read.

msgspec scans the bytes against the shapes in tui/domain/wire.py and builds dicts of just those fields
(a tenth of a VMI, less of a pod); what else an object carries is skipped while scanning, never built.
Kinds without a shape there (few and small objects) are decoded whole. Bytes the shape-guided decoder
refuses (JSON it does not take, an integer beyond 64 bits) are decoded whole by orjson, so they are read
exactly as before, and what orjson refuses raises orjson.JSONDecodeError, as before.

Decoding a page makes tens of thousands of small containers at once: `collector_paused` keeps Python's
cycle collector from walking the growing heap meanwhile (none of them is a cycle; at 10,000 VMs the
collector's passes took more time than the decoding itself), and during a first list it moves what
the pages built out of the collector's sight for good (gc.freeze, as the app does once the first lists
are in): objects that are replaced later are still freed when their last reference goes.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypedDict

import msgspec
import orjson

from tui.domain.kinds import Kind
from tui.domain.wire import Or


class _Pauses:
    """Reference-counted pauses of the cycle collector across threads: on with the first, back as it
    was when the last ends."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.was_enabled = False
        self.freeze = False  # a pause asked to keep what it made out of the collector's sight


_PAUSES = _Pauses()


@contextmanager
def collector_paused(keep: bool = False) -> Iterator[None]:
    """No cyclic garbage collection while the block runs (reference counting still frees everything).
    `keep`: what the block made is to stay (a first list's objects): when the last pause ends, every
    object then alive is frozen (gc.freeze), so no later collection walks it again."""
    with _PAUSES.lock:
        if _PAUSES.count == 0:
            _PAUSES.was_enabled = gc.isenabled()
            gc.disable()
        _PAUSES.count += 1
    try:
        yield
    finally:
        with _PAUSES.lock:
            _PAUSES.count -= 1
            _PAUSES.freeze = _PAUSES.freeze or keep
            if _PAUSES.count == 0:
                if _PAUSES.freeze:
                    gc.freeze()
                    _PAUSES.freeze = False
                if _PAUSES.was_enabled:
                    gc.enable()


def _or(shape: Any) -> Any:
    """wire.Or of a shape given at run time."""
    return Or[shape]  # type: ignore[misc]


class _Decoders:
    """One kind's msgspec decoders, for a list page and for a watch event."""

    def __init__(self, kind: Kind) -> None:
        item: Any = Any if kind.wire is None else _or(kind.wire)
        page = TypedDict(  # type: ignore[misc]
            f"{kind.api_kind}Page", {"metadata": Any, "items": list[item] | None}, total=False
        )
        event = TypedDict(f"{kind.api_kind}Event", {"type": Any, "object": item}, total=False)  # type: ignore[misc]
        self.page: msgspec.json.Decoder[Any] = msgspec.json.Decoder(page)
        self.event: msgspec.json.Decoder[Any] = msgspec.json.Decoder(event)


_DECODERS: dict[str, _Decoders] = {}
_DECODERS_LOCK = threading.Lock()


def _decoders(kind: Kind) -> _Decoders:
    decoders = _DECODERS.get(kind.name)
    if decoders is None:
        with _DECODERS_LOCK:
            decoders = _DECODERS.setdefault(kind.name, _Decoders(kind))
    return decoders


def decode_page(kind: Kind, data: bytes) -> Any:
    """A list answer of `kind` ({"metadata": ..., "items": [...]}), each item pruned to what its parser
    reads. Raises orjson.JSONDecodeError for bytes that are not JSON."""
    try:
        return _decoders(kind).page.decode(data)
    except msgspec.DecodeError:
        return orjson.loads(data)


def decode_event(kind: Kind, line: bytes) -> Any:
    """One watch event of `kind` ({"type": ..., "object": ...}), its object pruned to what the parser
    reads; an ERROR event whole (its object is a Status, read field by field). Raises
    orjson.JSONDecodeError for a line that is not JSON."""
    try:
        event = _decoders(kind).event.decode(line)
    except msgspec.DecodeError:
        return orjson.loads(line)
    if isinstance(event, dict) and event.get("type") == "ERROR":
        return orjson.loads(line)
    return event
