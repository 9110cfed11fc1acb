"""Reading the recent events of a VM, its VMI and its migrations, on demand, as `kubectl describe` does.

kubectl describe lists the events of one object with a field selector on involvedObject.name (and
namespace, kind, uid): k8s.io/kubectl/pkg/describe describe.go searchEvents. The VM and its VMI share
their name, so one request covers both; each migration takes one more. The events API is not watched:
a details screen reads it when it opens and again while it stays open.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tui.cluster.errors import ApiError, TransportError, forbidden_reason
from tui.cluster.transport import ApiTransport
from tui.domain.events import VM_KINDS, ClusterEvent, newest_first, parse_event

EVENTS_TIMEOUT = (5.0, 10.0)
MOST_EVENTS = 50


@dataclass(frozen=True)
class EventsReading:
    """The events found, or why there are none to show (one sentence)."""

    events: tuple[ClusterEvent, ...] = ()
    problem: str = ""


def _path(namespace: str) -> str:
    return f"/api/v1/namespaces/{namespace}/events"


def read_events(
    transport: ApiTransport,
    namespace: str,
    names: Iterable[str],
    kinds: frozenset[str] = VM_KINDS,
    limit: int = MOST_EVENTS,
) -> EventsReading:
    """Events in `namespace` about objects named `names` of `kinds`, newest first, at most `limit`."""
    found: dict[str, ClusterEvent] = {}
    for name in dict.fromkeys(names):
        selector = f"involvedObject.name={name},involvedObject.namespace={namespace}"
        try:
            answer: Any = transport.request(
                "GET", _path(namespace), query=[("fieldSelector", selector)], timeout=EVENTS_TIMEOUT
            ).json()
        except ApiError as error:
            if error.code == 403:
                why = forbidden_reason(error.message)
                return EventsReading(
                    problem=f"Events are not readable here: may not list events in {namespace}"
                    + (f" ({why})." if why else ".")
                )
            return EventsReading(problem=f"Events could not be read: {error.message}")
        except TransportError as error:
            return EventsReading(problem=f"Events could not be read: {error}")
        except ValueError:
            return EventsReading(problem="Events could not be read: the API server's answer is not JSON.")
        items = answer.get("items") if isinstance(answer, dict) else None
        for item in items if isinstance(items, list) else ():
            event = parse_event(item)
            if event.kind in kinds and event.object_name == name:
                found[event.name] = event
    return EventsReading(events=newest_first(found.values(), limit))
