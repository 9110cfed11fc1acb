"""Prometheus instant queries for the simulated monitoring stack: selector parsing and the JSON answer.

Only what livemig asks of Prometheus: a metric name with optional label matchers
(`kubevirt_vmi_migration_data_remaining_bytes{namespace="default",name=~"vm.*"}`). The series come from a
`MetricsSource` the simulated controller registers: `source(metric_name, now)` returns every current
series of that metric as (labels, value) pairs; matching the label matchers is done here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping

MetricsSource = Callable[[str, datetime], "list[tuple[dict[str, str], float]]"]


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
                raise QueryError(f"1:{position + 1}: parse error: unexpected character inside braces: {text[position:position + 1]!r}")
            label, operator, value = match.group(1), match.group(2), _unquote(match.group(3))
            if operator in ("=~", "!~"):
                try:
                    re.compile(value)
                except re.error as error:
                    raise QueryError(f"1:{position + 1}: parse error: invalid regular expression {value!r}: {error}") from None
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
        raise QueryError(f"1:{position + 1}: parse error: unexpected {text[position:].strip()[:20]!r}; only vector selectors are supported here")
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


def instant_query(query: str, now: datetime, source: MetricsSource | None) -> dict[str, Any]:
    """The /api/v1/query answer for `query` at `now`; raises QueryError for a query it cannot parse."""
    selector = parse_selector(query)
    series = source(selector.metric, now) if source is not None else []
    timestamp = round(now.timestamp(), 3)
    result = []
    for labels, value in series:
        if not selector.matches(labels):
            continue
        metric = {"__name__": selector.metric}
        metric.update({k: str(v) for k, v in labels.items() if k != "__name__"})
        result.append({"metric": metric, "value": [timestamp, format_sample_value(value)]})
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def query_error(message: str) -> dict[str, Any]:
    return {"status": "error", "errorType": "bad_data", "error": f'invalid parameter "query": {message}'}
