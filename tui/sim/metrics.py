"""Prometheus for the simulated monitoring stack: scrapes at an interval, instant queries, the JSON answer.

Only what livemig asks of Prometheus: a metric name with optional label matchers
(`kubevirt_vmi_migration_data_remaining_bytes{namespace="default",name=~"vm.*"}`), bare or inside
`timestamp(...)`. The series come from a `MetricsSource` the simulated controller registers:
`source(metric_name, now)` returns every series of that metric Prometheus holds at evaluation time
`now`, as (labels, value, sample_time) triples, or (labels, value) pairs for an exporter read at the
moment of the query; matching the label matchers is done here.

As in Prometheus, the answer of an instant query carries the evaluation time next to each value,
not the time the sample was taken; `timestamp(v)` answers each sample's own time (in seconds) and
drops the metric name. `ScrapeLoop` keeps a target's samples the way Prometheus stores them: read
every scrape interval, so values change only at scrapes.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence, Tuple, Union

Labels = Mapping[str, str]
# (labels, value) read at the evaluation time, or (labels, value, when the sample was taken)
Sample = Union[Tuple[Labels, float], Tuple[Labels, float, datetime]]
MetricsSource = Callable[[str, datetime], "Sequence[Sample]"]
Scrape = Mapping[str, "Sequence[tuple[Labels, float]]"]

# Prometheus' default --query.lookback-delta: how far back an instant query looks for a sample.
LOOKBACK_SECONDS = 300.0
TIMESTAMP = "timestamp"


class QueryError(ValueError):
    """A query this simulated Prometheus cannot parse (Prometheus answers 400 bad_data)."""


@dataclass(frozen=True)
class LabelMatcher:
    name: str
    operator: str  # =, !=, =~, !~
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.operator == "=":
            return actual == self.value
        if self.operator == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.operator == "=~" else not found


@dataclass(frozen=True)
class VectorSelector:
    metric: str
    matchers: tuple[LabelMatcher, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(matcher.matches(labels) for matcher in self.matchers)


_NAME = re.compile(r"\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*")
_MATCHER = re.compile(r"\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')\s*")


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def parse_selector(query: str) -> VectorSelector:
    """Parse `name`, `name{a="b",c!~"d.*"}` or `{__name__="name",...}`; raises QueryError."""
    text = query.strip()
    if not text:
        raise QueryError("1:1: parse error: no expression found in input")
    metric = ""
    position = 0
    name = _NAME.match(text)
    if name and name.group(1):
        metric = name.group(1)
        position = name.end()
    matchers: list[LabelMatcher] = []
    if position < len(text) and text[position] == "{":
        position += 1
        while True:
            if text[position:].lstrip().startswith("}"):
                position = text.index("}", position) + 1
                break
            match = _MATCHER.match(text, position)
            if not match:
                raise QueryError(
                    f"1:{position + 1}: parse error: unexpected character inside braces: {text[position : position + 1]!r}"
                )
            label, operator, value = match.group(1), match.group(2), _unquote(match.group(3))
            if operator in ("=~", "!~"):
                try:
                    re.compile(value)
                except re.error as error:
                    raise QueryError(
                        f"1:{position + 1}: parse error: invalid regular expression {value!r}: {error}"
                    ) from None
            if label == "__name__" and operator == "=":
                metric = metric or value
            else:
                matchers.append(LabelMatcher(label, operator, value))
            position = match.end()
            if position < len(text) and text[position] == ",":
                position += 1
            elif position < len(text) and text[position] == "}":
                position += 1
                break
            else:
                raise QueryError(f"1:{position + 1}: parse error: unexpected end of input inside braces")
    if text[position:].strip():
        raise QueryError(
            f"1:{position + 1}: parse error: unexpected {text[position:].strip()[:20]!r}; only vector selectors and timestamp() are supported here"
        )
    if not metric:
        raise QueryError("1:1: parse error: vector selector must contain at least one non-empty matcher")
    return VectorSelector(metric, tuple(matchers))


def format_sample_value(value: float) -> str:
    """A sample value as Prometheus writes it (strconv.FormatFloat 'f', -1)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


@dataclass(frozen=True)
class InstantQuery:
    """A selector, bare or inside one function (`timestamp`)."""

    selector: VectorSelector
    function: str = ""


_FUNCTION = re.compile(r"\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\(")


def parse_query(query: str) -> InstantQuery:
    """Parse `selector` or `timestamp(selector)`; raises QueryError for anything else."""
    text = query.strip()
    call = _FUNCTION.match(text)
    if call is None:
        return InstantQuery(parse_selector(text))
    name = call.group(1)
    if name != TIMESTAMP:
        raise QueryError(
            f"1:1: parse error: unknown or unsupported function {name!r}; only timestamp() is supported here"
        )
    if not text.endswith(")"):
        raise QueryError(f"1:{len(text) + 1}: parse error: unclosed left parenthesis")
    return InstantQuery(parse_selector(text[call.end() : -1]), TIMESTAMP)


class ScrapeLoop:
    """One scrape target as Prometheus stores it: every series read at once every `interval` seconds.

    Scrapes fall due at whole multiples of the interval (Unix time), as Prometheus spaces them; each
    sample carries its scrape's time. A due scrape is taken when the target is next read, from the
    state the simulated cluster has then (it changes only at clock ticks). A query at evaluation time
    `at` sees the newest scrape at or before `at`, within the lookback window; a series missing from
    that scrape is gone (Prometheus marks it stale), so an ended migration's series vanish at the next
    scrape. Scrapes older than the lookback window are dropped.
    """

    def __init__(self, interval: float, scrape: Callable[[], Scrape], lookback: float = LOOKBACK_SECONDS) -> None:
        if interval <= 0:
            raise ValueError("a scrape interval must be more than zero")
        self.interval = interval
        self.lookback = lookback
        self._scrape = scrape
        self._times: list[float] = []  # Unix seconds of the scrapes kept, oldest first
        self._scrapes: list[Scrape] = []
        self._lock = threading.Lock()

    def due(self, now: datetime) -> float:
        """The time (Unix seconds, to the millisecond) of the newest scrape due at `now`."""
        return round(math.floor(now.timestamp() / self.interval) * self.interval, 3)

    def samples(self, metric: str, now: datetime, at: datetime | None = None) -> list[tuple[Labels, float, datetime]]:
        """The series of `metric` a query evaluated at `at` (default `now`) sees, `now` being the cluster's clock."""
        moment = (at or now).timestamp()
        with self._lock:
            self._catch_up(now)
            position = bisect.bisect_right(self._times, moment) - 1
            if position < 0 or moment - self._times[position] > self.lookback:
                return []
            taken, scrape = self._times[position], self._scrapes[position]
        when = datetime.fromtimestamp(taken, tz=timezone.utc)
        return [(labels, value, when) for labels, value in scrape.get(metric, ())]

    def _catch_up(self, now: datetime) -> None:
        due = self.due(now)
        if self._times and self._times[-1] >= due:
            return
        self._times.append(due)
        self._scrapes.append(self._scrape())
        keep = bisect.bisect_left(self._times, due - self.lookback)
        del self._times[:keep], self._scrapes[:keep]


def instant_query(query: str, now: datetime, source: MetricsSource | None) -> dict[str, Any]:
    """The /api/v1/query answer for `query` evaluated at `now`; raises QueryError for a query it cannot parse."""
    parsed = parse_query(query)
    selector = parsed.selector
    samples = source(selector.metric, now) if source is not None else []
    evaluated = round(now.timestamp(), 3)
    result = []
    for sample in samples:
        labels, value = sample[0], sample[1]
        if not selector.matches(labels):
            continue
        if parsed.function == TIMESTAMP:
            taken = sample[2] if len(sample) > 2 else now  # type: ignore[misc]
            metric = {k: str(v) for k, v in labels.items() if k != "__name__"}
            value = round(taken.timestamp(), 3)
        else:
            metric = {"__name__": selector.metric}
            metric.update({k: str(v) for k, v in labels.items() if k != "__name__"})
        result.append({"metric": metric, "value": [evaluated, format_sample_value(value)]})
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def query_error(message: str) -> dict[str, Any]:
    return {"status": "error", "errorType": "bad_data", "error": f'invalid parameter "query": {message}'}
