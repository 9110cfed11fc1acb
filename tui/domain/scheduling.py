"""Kubernetes scheduling predicates, as kube-scheduler's filter plugins apply them, each saying what failed.

One small function per rule: node selector (NodeAffinity plugin, `spec.nodeSelector`), required node
affinity (component-helpers nodeaffinity: terms ORed, expressions ANDed, an empty term matches
nothing, a term that does not parse matches nothing), taints against tolerations (TaintToleration
plugin: NoSchedule and NoExecute only), the cordon (NodeUnschedulable plugin) and resource fit
(NodeResourcesFit: allocatable minus the requests of the pods already there, for CPU, memory, the pod
count and every extended resource). Each returns what
failed, not just a yes or no, so callers can say why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tui.domain.objects import (
    Node,
    NodeAffinity,
    NodeSelectorTerm,
    Pod,
    SelectorRequirement,
    Taint,
    Toleration,
)

# -- label selectors (matchLabels / nodeSelector maps) --------------------------------------------


@dataclass(frozen=True)
class LabelMismatch:
    """One `key: value` of a selector map that a node's labels do not satisfy."""

    key: str
    wanted: str
    actual: str | None  # the node's value, None when it lacks the label


def selector_mismatches(selector: Mapping[str, str], labels: Mapping[str, str]) -> list[LabelMismatch]:
    """Every key of `selector` whose value the labels do not carry (a map selector: all must equal)."""
    return [
        LabelMismatch(key, wanted, labels.get(key)) for key, wanted in selector.items() if labels.get(key) != wanted
    ]


# -- required node affinity -----------------------------------------------------------------------

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
_FIELD_OPERATORS = ("In", "NotIn")
_INT64 = re.compile(r"^[+-]?[0-9]+$")
_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@dataclass(frozen=True)
class RequirementFailure:
    """One expression of a node selector term that a node does not satisfy."""

    requirement: SelectorRequirement
    actual: str | None  # the node's label (or field) value, None when absent
    is_field: bool = False  # a matchFields expression (metadata.name)
    invalid: str = ""  # set when the expression cannot be parsed: then the whole term matches nothing


@dataclass(frozen=True)
class TermResult:
    """How one node selector term fared: `failures` is empty when it matched."""

    index: int  # position in nodeSelectorTerms
    failures: tuple[RequirementFailure, ...]

    @property
    def matched(self) -> bool:
        return not self.failures

    @property
    def invalid(self) -> bool:
        return any(failure.invalid for failure in self.failures)


@dataclass(frozen=True)
class AffinityResult:
    """Required node affinity against one node. `terms` holds every non-empty term."""

    required: bool  # False when the pod has no required node affinity at all
    matched: bool
    terms: tuple[TermResult, ...] = ()

    @property
    def no_usable_terms(self) -> bool:
        """Required affinity with no term that has an expression: Kubernetes matches no node."""
        return self.required and not self.terms


def _qualified_name_problem(key: str) -> str:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return f"key {key!r} has an invalid prefix"
    if not name or len(name) > 63 or not _NAME.match(name):
        return f"key {key!r} is not a valid label name"
    return ""


def requirement_problem(requirement: SelectorRequirement) -> str:
    """Why kube-scheduler cannot parse a matchExpressions entry ("" when it can), as labels.NewRequirement checks."""
    if requirement.problem:
        return requirement.problem
    if requirement.operator not in _OPERATORS:
        return f"unsupported operator {requirement.operator!r}"
    key_problem = _qualified_name_problem(requirement.key)
    if key_problem:
        return key_problem
    values = requirement.values
    if requirement.operator in ("In", "NotIn"):
        if not values:
            return f"operator {requirement.operator} needs at least one value"
    elif requirement.operator in ("Exists", "DoesNotExist"):
        if values:
            return f"operator {requirement.operator} takes no values"
    else:  # Gt, Lt
        if len(values) != 1:
            return f"operator {requirement.operator} needs exactly one value"
        if _parse_int64(values[0]) is None:
            return f"operator {requirement.operator} needs an integer, not {values[0]!r}"
    # Every value must also be a valid label value, whatever the operator (so Gt "-5" is refused).
    bad = [v for v in values if len(v) > 63 or not _LABEL_VALUE.match(v)]
    if bad:
        return f"value {bad[0]!r} is not a valid label value"
    return ""


def field_requirement_problem(requirement: SelectorRequirement) -> str:
    """Why kube-scheduler cannot parse a matchFields entry ("" when it can)."""
    if requirement.problem:
        return requirement.problem
    if requirement.operator not in _FIELD_OPERATORS:
        return f"unsupported operator {requirement.operator!r} for a field (only In and NotIn)"
    if len(requirement.values) != 1:
        return "a field expression needs exactly one value"
    return ""


def _parse_int64(text: str) -> int | None:
    """Go's strconv.ParseInt(text, 10, 64): an optional sign and digits, within int64."""
    if not _INT64.match(text):
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def requirement_holds(requirement: SelectorRequirement, labels: Mapping[str, str]) -> bool:
    """One matchExpressions entry against node labels (the expression must be valid)."""
    operator, key = requirement.operator, requirement.key
    present = key in labels
    if operator == "In":
        return present and labels[key] in requirement.values
    if operator == "NotIn":
        return not present or labels[key] not in requirement.values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt") and present and len(requirement.values) == 1:
        actual, bound = _parse_int64(labels[key]), _parse_int64(requirement.values[0])
        if actual is None or bound is None:
            return False  # a label that is no integer never satisfies Gt or Lt
        return actual > bound if operator == "Gt" else actual < bound
    return False


def field_requirement_holds(requirement: SelectorRequirement, node_name: str) -> bool:
    """One matchFields entry: only metadata.name has a value; any other field reads as empty."""
    actual = node_name if requirement.key == "metadata.name" else ""
    wanted = requirement.values[0] if requirement.values else None
    if requirement.operator == "In":
        return actual == wanted
    if requirement.operator == "NotIn":
        return actual != wanted
    return False


def term_result(index: int, term: NodeSelectorTerm, labels: Mapping[str, str], node_name: str) -> TermResult:
    """A term: all its expressions and fields must hold; one that cannot be parsed fails the term."""
    invalid = [
        RequirementFailure(r, labels.get(r.key), invalid=problem)
        for r in term.match_expressions
        if (problem := requirement_problem(r))
    ] + [
        RequirementFailure(r, node_name, is_field=True, invalid=problem)
        for r in term.match_fields
        if (problem := field_requirement_problem(r))
    ]
    if invalid:
        return TermResult(index, tuple(invalid))
    failures = [
        RequirementFailure(r, labels.get(r.key)) for r in term.match_expressions if not requirement_holds(r, labels)
    ]
    # kube-scheduler skips field checks for a node without a name (it has no fields to match).
    if node_name:
        failures += [
            RequirementFailure(r, node_name if r.key == "metadata.name" else None, is_field=True)
            for r in term.match_fields
            if not field_requirement_holds(r, node_name)
        ]
    return TermResult(index, tuple(failures))


def required_affinity(affinity: NodeAffinity, labels: Mapping[str, str], node_name: str) -> AffinityResult:
    """requiredDuringSchedulingIgnoredDuringExecution: terms ORed; an empty term or list matches nothing."""
    if affinity.terms is None:
        return AffinityResult(required=False, matched=True)
    results = tuple(
        term_result(index, term, labels, node_name)
        for index, term in enumerate(affinity.terms)
        if term.match_expressions or term.match_fields
    )
    return AffinityResult(required=True, matched=any(r.matched for r in results), terms=results)


# -- taints and tolerations -----------------------------------------------------------------------

# The effects kube-scheduler filters on; PreferNoSchedule only lowers a node's score.
BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")
UNSCHEDULABLE_TAINT = Taint(key="node.kubernetes.io/unschedulable", value="", effect="NoSchedule")


def tolerates(toleration: Toleration, taint: Taint) -> bool:
    """Toleration.ToleratesTaint: an empty effect matches every effect, an empty key every key;
    Exists matches any value, Equal (or no operator) compares values; any other operator matches nothing."""
    if toleration.effect and toleration.effect != taint.effect:
        return False
    if toleration.key and toleration.key != taint.key:
        return False
    if toleration.operator in ("", "Equal"):
        return toleration.value == taint.value
    return toleration.operator == "Exists"


def untolerated_taints(
    taints: Iterable[Taint], tolerations: Iterable[Toleration], effects: tuple[str, ...] = BLOCKING_EFFECTS
) -> list[Taint]:
    """Every taint with one of `effects` that no toleration tolerates (kube-scheduler stops at the first)."""
    tolerations = tuple(tolerations)
    return [
        taint
        for taint in taints
        if taint.effect in effects and not any(tolerates(toleration, taint) for toleration in tolerations)
    ]


# The DefaultTolerationSeconds admission plugin gives every pod these, unless it tolerates them already.
DEFAULT_TOLERATIONS = (
    Toleration(key="node.kubernetes.io/not-ready", operator="Exists", effect="NoExecute"),
    Toleration(key="node.kubernetes.io/unreachable", operator="Exists", effect="NoExecute"),
)


def with_default_tolerations(tolerations: Iterable[Toleration]) -> tuple[Toleration, ...]:
    """A pod's tolerations as admitted: its own, plus the defaults it does not already cover."""
    own = tuple(tolerations)
    added = tuple(
        default
        for default in DEFAULT_TOLERATIONS
        if not any(tolerates(t, Taint(default.key, "", default.effect)) for t in own)
    )
    return own + added


def cordon_blocks(unschedulable: bool, tolerations: Iterable[Toleration]) -> bool:
    """NodeUnschedulable plugin: a cordoned node takes only pods tolerating node.kubernetes.io/unschedulable."""
    return unschedulable and not any(tolerates(t, UNSCHEDULABLE_TAINT) for t in tolerations)


# -- resource fit ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceShortfall:
    """A resource the node cannot give: what the pod asks, what the node has, what is already asked."""

    # "cpu" (millicores), "memory" (bytes), "pods" (count), or any other resource by its name in whole
    # units: "ephemeral-storage" and "hugepages-2Mi" in bytes, "devices.kubevirt.io/kvm" in devices
    resource: str
    requested: int
    allocatable: int
    used: int
    pods_counted: int  # how many pods make up `used`

    @property
    def free(self) -> int:
        return self.allocatable - self.used


@dataclass(frozen=True)
class NodeUsage:
    """What the pods already on a node ask for, as kube-scheduler counts it."""

    cpu_milli: int = 0
    memory: int = 0
    pods: int = 0
    other: Mapping[str, int] = field(default_factory=dict)  # every other resource (see Pod.other_requests)


def node_usage(pods_on_node: Iterable[Pod]) -> NodeUsage:
    """The requests of the pods that hold node resources: every pod but finished ones (Succeeded/Failed)."""
    counted = [pod for pod in pods_on_node if not pod.is_terminal]
    other: dict[str, int] = {}
    for pod in counted:
        for name, amount in pod.other_requests.items():
            other[name] = other.get(name, 0) + amount
    return NodeUsage(
        cpu_milli=sum(pod.cpu_request_milli for pod in counted),
        memory=sum(pod.memory_request for pod in counted),
        pods=len(counted),
        other=other,
    )


def resource_shortfalls(
    allocatable_cpu_milli: int | None,
    allocatable_memory: int | None,
    allocatable_pods: int | None,
    usage: NodeUsage,
    request_cpu_milli: int,
    request_memory: int,
    *,
    request_other: Mapping[str, int] | None = None,
    allocatable_other: Mapping[str, int | None] | None = None,
) -> list[ResourceShortfall]:
    """NodeResourcesFit: each resource whose allocatable minus what is already asked is below the request.

    An allocatable value that is unknown (None) is not checked (the caller says so). A request of zero
    is not checked either (kube-scheduler skips it), but the pod count always is. For every other
    resource (`request_other`: ephemeral-storage, hugepages, device plugins), a node that does not list
    it has none of it, as kube-scheduler counts.
    """
    shortfalls = []
    if allocatable_pods is not None and usage.pods + 1 > allocatable_pods:
        shortfalls.append(ResourceShortfall("pods", 1, allocatable_pods, usage.pods, usage.pods))
    if (
        allocatable_cpu_milli is not None
        and request_cpu_milli > 0
        and request_cpu_milli > allocatable_cpu_milli - usage.cpu_milli
    ):
        shortfalls.append(
            ResourceShortfall("cpu", request_cpu_milli, allocatable_cpu_milli, usage.cpu_milli, usage.pods)
        )
    if allocatable_memory is not None and request_memory > 0 and request_memory > allocatable_memory - usage.memory:
        shortfalls.append(ResourceShortfall("memory", request_memory, allocatable_memory, usage.memory, usage.pods))
    offered = allocatable_other or {}
    for name, requested in sorted((request_other or {}).items()):
        allocatable = offered.get(name, 0)
        if requested <= 0 or allocatable is None:
            continue
        used = usage.other.get(name, 0)
        if requested > allocatable - used:
            shortfalls.append(ResourceShortfall(name, requested, allocatable, used, usage.pods))
    return shortfalls


# -- a pod against a node, in kube-scheduler's words ---------------------------------------------


def pod_fit_failures(pod: Pod, node: Node, usage: NodeUsage) -> list[str]:
    """Why kube-scheduler's filters refuse this pod on this node, in the words its FailedScheduling
    events use ("node(s) didn't match Pod's node affinity/selector", "Insufficient memory", ...);
    empty when the pod fits. `usage` is what the node's pods already ask for (see `node_usage`).

    Covers NodeUnschedulable, NodeAffinity (nodeSelector and required node affinity), TaintToleration
    and NodeResourcesFit (CPU, memory, pod count, and every other resource the pod requests). Not
    covered: pod (anti-)affinity, host ports, volumes and topology spread, which the caller must add if
    it needs them.
    """
    failures = []
    if cordon_blocks(node.unschedulable, pod.tolerations):
        failures.append("node(s) were unschedulable")
    if (
        selector_mismatches(pod.node_selector, node.labels)
        or not required_affinity(pod.affinity, node.labels, node.name).matched
    ):
        failures.append("node(s) didn't match Pod's node affinity/selector")
    untolerated = untolerated_taints(node.taints, pod.tolerations)
    if untolerated:
        failures.append(f"node(s) had untolerated taint {{{untolerated[0].key}: {untolerated[0].value}}}")
    for short in resource_shortfalls(
        node.allocatable_cpu_milli,
        node.allocatable_memory,
        node.allocatable_pods,
        usage,
        pod.cpu_request_milli,
        pod.memory_request,
        request_other=pod.other_requests,
        allocatable_other=node.allocatable_other,
    ):
        failures.append("Too many pods" if short.resource == "pods" else f"Insufficient {short.resource}")
    return failures
