"""Scenarios: what the simulated cluster starts with, written as `kubectl get -o yaml` prints objects.

A scenario is a multi-document YAML file of Kubernetes objects of any served kind (`kind: List` with
`items` accepted, so a dump of a real cluster loads as it is), plus at most one document for what the
API cannot say:

    apiVersion: livemig.io/v1alpha1
    kind: Simulation
    kubevirtVersion: "1.6.3"          # decides version-dependent KubeVirt behaviour
    harvesterVersion: "v1.7.0"        # a Harvester cluster's release (server-version, nodes' OS image);
                                      # default: the release that ships kubevirtVersion's minor
    migrationBandwidth: 128Mi         # bytes per second on the migration network
    defaultDirtyRate: 4Mi             # bytes per second a guest dirties, unless listed below
    dirtyRates: {default/busy-vm: 512Mi}
    monitoring: true                  # Prometheus answers through the service proxy
    scrapeInterval: 30s               # how often Prometheus reads the metrics (default 5s); seconds or 30s, 1m
    historySize: 1000                 # changes kept for watch resume
    startTime: "2026-01-19T05:00:00Z" # the simulated clock's start
    users:                            # default: admin (everything) and viewer (get, list, watch)
    - {name: admin, role: admin, token: s3cret}
    - name: alice
      rules: [{verbs: [get, list, watch], apiGroups: ["*"], resources: ["*"], namespaces: [default]}]
    nodeCPUs:                         # what KubeVirt's node labeller would find on each node
      node-1: {hostModel: XYZ, models: ["123", XYZ], features: [vmx], requiredFeatures: [vmx]}

A bad scenario raises `ScenarioError` naming the document (its index, kind and name) and the field.
Built-in scenarios are registered by name with `register_scenario`.
"""

from __future__ import annotations

import difflib
import importlib
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping

import yaml

from tui.domain.quantity import parse_quantity
from tui.sim.access import ADMIN, VIEWER, AccessRule
from tui.sim.resources import SERVED, ResourceRegistry
from tui.sim.validation import name_problem

SIMULATION_API_VERSION = "livemig.io/v1alpha1"
SIMULATION_KIND = "Simulation"


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; the message names the document and the field."""


@dataclass(frozen=True)
class NodeCPU:
    """The CPU facts KubeVirt's node labeller reads from one node."""

    host_model: str
    models: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    required_features: tuple[str, ...] = ()


@dataclass(frozen=True)
class UserSpec:
    """A user from the scenario; `token` None means one is generated when the cluster starts."""

    name: str
    token: str | None = None
    role: str = ""
    rules: tuple[AccessRule, ...] = ()


DEFAULT_USERS = (UserSpec("admin", role=ADMIN), UserSpec("viewer", role=VIEWER))


@dataclass(frozen=True)
class Simulation:
    """What a scenario says beyond its objects (see the module docstring for the YAML).

    `scrape_interval` (scrapeInterval, seconds or a Prometheus duration such as 30s) is how often the
    simulated Prometheus reads the migration metrics: byte counters change only at scrapes, and
    each sample carries its scrape's time, which `timestamp()` answers. Installations of
    rancher-monitoring commonly scrape every 30 s to 1 min; the default, 5 s, keeps the demo's bars
    moving.
    """

    kubevirt_version: str = "1.6.3"
    harvester_version: str = ""  # "" means the release that ships the KubeVirt minor (see tui.sim.kubevirt.versions)
    migration_bandwidth: int = 128 * 1024 * 1024
    dirty_rates: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    default_dirty_rate: int = 0
    monitoring: bool = False
    scrape_interval: float = 5.0  # seconds between Prometheus scrapes
    users: tuple[UserSpec, ...] = DEFAULT_USERS
    history_size: int = 1000
    start_time: datetime | None = None
    node_cpus: Mapping[str, NodeCPU] = field(default_factory=lambda: MappingProxyType({}))

    def dirty_rate(self, namespace: str, name: str) -> int:
        """Bytes per second the guest of VM `namespace/name` dirties."""
        return self.dirty_rates.get(f"{namespace}/{name}", self.default_dirty_rate)


@dataclass(frozen=True)
class Scenario:
    """A named starting state: the objects (in load order) and the simulation settings."""

    name: str
    objects: tuple[dict, ...] = ()
    simulation: Simulation = Simulation()


@dataclass(frozen=True)
class ScenarioOptions:
    """Options a built-in scenario may take (`livemig-sim serve --vms N`)."""

    vms: int | None = None


ScenarioFactory = Callable[[ScenarioOptions], Scenario]
_BUILTIN: dict[str, tuple[ScenarioFactory, str]] = {}


def register_scenario(name: str, factory: ScenarioFactory, description: str = "") -> None:
    """Make `factory` available as the built-in scenario `name`."""
    _BUILTIN[name] = (factory, description)


def _register_builtins() -> None:
    # The built-in scenarios live in tui.sim.scenarios, which registers them when imported; import
    # it on first use so every caller sees them, whatever it imported before.
    try:
        importlib.import_module("tui.sim.scenarios")
    except ModuleNotFoundError as error:
        if error.name != "tui.sim.scenarios":
            raise


def builtin_scenarios() -> dict[str, str]:
    """Built-in scenario names and their one-line descriptions."""
    _register_builtins()
    return {name: description for name, (_, description) in sorted(_BUILTIN.items())}


def load_scenario(source: str | Path, options: ScenarioOptions = ScenarioOptions()) -> Scenario:
    """A built-in scenario by name, or a scenario file by path."""
    _register_builtins()
    if isinstance(source, str) and source in _BUILTIN:
        return _BUILTIN[source][0](options)
    path = Path(source)
    if not path.exists():
        known = ", ".join(sorted(_BUILTIN)) or "none"
        raise ScenarioError(f'no built-in scenario or file named "{source}" (built-in scenarios: {known})')
    if path.is_dir():
        raise ScenarioError(f'scenario "{source}" is a directory, not a YAML file')
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f'cannot read scenario "{source}": {error}') from None
    return parse_scenario(text, name=path.name)


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


def _where(index: int, doc: Any, item: int | None = None) -> str:
    label = f"document {index}" + (f", item {item}" if item is not None else "")
    if isinstance(doc, dict):
        kind = doc.get("kind")
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        name = meta.get("name") or meta.get("generateName")
        namespace = meta.get("namespace")
        if kind:
            subject = f"{namespace}/{name}" if namespace and name else (name or "")
            label += f" ({kind}{' ' + str(subject) if subject else ''})"
    return label


def parse_scenario(text: str, name: str = "<text>", registry: ResourceRegistry = SERVED) -> Scenario:
    """Parse scenario YAML; raises ScenarioError naming the document and field at fault."""
    objects: list[dict] = []
    simulation: Simulation | None = None
    simulation_where = ""
    index = 0
    try:
        for doc in yaml.safe_load_all(text):
            index += 1
            if doc is None:
                continue
            if not isinstance(doc, dict):
                raise ScenarioError(
                    f"{_where(index, doc)}: a document must be a mapping with apiVersion and kind, not {type(doc).__name__}"
                )
            if doc.get("kind") == SIMULATION_KIND:
                if simulation is not None:
                    raise ScenarioError(f"{_where(index, doc)}: a scenario has at most one Simulation document")
                simulation_where = _where(index, doc)
                simulation = _parse_simulation(doc, simulation_where)
            elif doc.get("kind") == "List" or (
                isinstance(doc.get("kind"), str) and doc["kind"].endswith("List") and "items" in doc
            ):
                items = doc.get("items")
                if not isinstance(items, list):
                    raise ScenarioError(f"{_where(index, doc)}: items: must be a list of objects")
                for position, item in enumerate(items, start=1):
                    objects.append(_check_object(item, _where(index, item, position), registry))
            else:
                objects.append(_check_object(doc, _where(index, doc), registry))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ScenarioError(f"document {index + 1}: not valid YAML at {where}: {problem}") from None
    if simulation is not None:
        _check_references(simulation, simulation_where, objects)
    return Scenario(name=name, objects=tuple(objects), simulation=simulation or Simulation())


def _check_references(simulation: Simulation, where: str, objects: list[dict]) -> None:
    """dirtyRates and nodeCPUs must name a VM and a node of the scenario: a typo would otherwise
    leave a guest at the default dirty rate, or a node without its CPU labels, without a word."""
    guests: set[str] = set()
    nodes: set[str] = set()
    for obj in objects:
        meta = obj["metadata"]
        if obj.get("kind") in ("VirtualMachine", "VirtualMachineInstance"):
            guests.add(f"{meta.get('namespace') or 'default'}/{meta['name']}")
        elif obj.get("kind") == "Node":
            nodes.add(meta["name"])
    for key in simulation.dirty_rates:
        if key not in guests:
            raise ScenarioError(
                f"{where}: dirtyRates[{key}]: the scenario has no VirtualMachine or VirtualMachineInstance {key}"
                f"{_closest(key, guests)}"
            )
    for node in simulation.node_cpus:
        if node not in nodes:
            raise ScenarioError(f"{where}: nodeCPUs[{node}]: the scenario has no Node {node}{_closest(node, nodes)}")


def _closest(name: str, known: set[str]) -> str:
    """' (did you mean "x"?)', or ' (it has none)' when there is nothing to choose from."""
    if not known:
        return " (it has none)"
    match = difflib.get_close_matches(name, sorted(known), n=1)
    if match:
        return f' (did you mean "{match[0]}"?)'
    return f" (it has {', '.join(sorted(known)[:10])}{', ...' if len(known) > 10 else ''})"


def _check_object(doc: Any, where: str, registry: ResourceRegistry) -> dict:
    if not isinstance(doc, dict):
        raise ScenarioError(f"{where}: an object must be a mapping, not {type(doc).__name__}")
    kind = doc.get("kind")
    api_version = doc.get("apiVersion")
    if not isinstance(kind, str) or not kind:
        raise ScenarioError(f"{where}: kind: required (every document says what kind of object it is)")
    if not isinstance(api_version, str) or not api_version:
        raise ScenarioError(f"{where}: apiVersion: required")
    resource = registry.for_kind(api_version, kind)
    if resource is None or not resource.stored:
        kinds = {f"{SIMULATION_KIND} ({SIMULATION_API_VERSION})": SIMULATION_KIND}
        kinds.update({f"{r.kind} ({r.api_version})": r.kind for r in registry.stored()})
        by_kind = {plain: shown for shown, plain in kinds.items()}
        match = difflib.get_close_matches(kind, list(by_kind), n=1)
        hint = f" (did you mean {by_kind[match[0]]}?)" if match else ""
        raise ScenarioError(
            f'{where}: kind: unknown kind "{kind}" in apiVersion "{api_version}"{hint}; the simulated cluster serves {", ".join(kinds)}'
        )
    meta = doc.get("metadata")
    if not isinstance(meta, dict):
        raise ScenarioError(f"{where}: metadata: required, with a name")
    object_name = meta.get("name")
    if not object_name:
        raise ScenarioError(f"{where}: metadata.name: required")
    if not isinstance(object_name, str):
        raise ScenarioError(f"{where}: metadata.name: must be a string, not {object_name!r}")
    problem = name_problem(object_name, dns_label=resource.plural == "namespaces")
    if problem:
        raise ScenarioError(f'{where}: metadata.name: Invalid value: "{object_name}": {problem}')
    namespace = meta.get("namespace")
    if namespace is not None and resource.namespaced:
        if not isinstance(namespace, str) or name_problem(namespace, dns_label=True):
            raise ScenarioError(
                f'{where}: metadata.namespace: Invalid value: "{namespace}": must be a valid namespace name'
            )
    return doc


_SIMULATION_FIELDS = {
    "apiVersion",
    "kind",
    "metadata",
    "kubevirtVersion",
    "harvesterVersion",
    "migrationBandwidth",
    "dirtyRates",
    "defaultDirtyRate",
    "monitoring",
    "scrapeInterval",
    "users",
    "historySize",
    "startTime",
    "nodeCPUs",
}


def _quantity(value: Any, where: str, field_name: str) -> int:
    quantity = parse_quantity(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
    if quantity is None or quantity.value < 0:
        raise ScenarioError(f"{where}: {field_name}: {value!r} is not a quantity of bytes per second (e.g. 128Mi)")
    return quantity.ceil()


_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?")
_DURATION_UNITS = (3600.0, 60.0, 1.0, 0.001)


def _seconds(value: Any, where: str, field_name: str) -> float:
    """A positive duration: seconds as a number, or as Prometheus writes it (30s, 1m, 1m30s, 500ms)."""
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.fullmatch(value.strip())
        if match and any(match.groups()):
            seconds = sum(int(part) * unit for part, unit in zip(match.groups(), _DURATION_UNITS) if part)
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        raise ScenarioError(f"{where}: {field_name}: {value!r} is not a duration of more than zero (e.g. 30s, 1m or 5)")
    return seconds


def _string_list(value: Any, where: str, field_name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ScenarioError(f"{where}: {field_name}: must be a list of strings")
    return tuple(value)


def _mapping(value: Any, where: str, field_name: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: {field_name}: must be a mapping")
    return value


def _unknown_keys(value: dict, known: set[str], where: str, prefix: str) -> None:
    unknown = sorted(str(key) for key in value if key not in known)
    if unknown:
        raise ScenarioError(f"{where}: {prefix}{unknown[0]}: unknown field (known fields: {', '.join(sorted(known))})")


def _parse_simulation(doc: dict, where: str) -> Simulation:
    if doc.get("apiVersion") != SIMULATION_API_VERSION:
        raise ScenarioError(f'{where}: apiVersion: must be "{SIMULATION_API_VERSION}", not {doc.get("apiVersion")!r}')
    _unknown_keys(doc, _SIMULATION_FIELDS, where, "")
    defaults = Simulation()
    version = doc.get("kubevirtVersion", defaults.kubevirt_version)
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not version.strip():
        raise ScenarioError(f'{where}: kubevirtVersion: must be a version string such as "1.6.3"')
    harvester = doc.get("harvesterVersion", defaults.harvester_version)
    if not isinstance(harvester, str) or (
        harvester and not re.match(r"^v?\d+\.\d+(\.\d+)?([-+][\w.-]+)?$", harvester.strip())
    ):
        raise ScenarioError(f'{where}: harvesterVersion: must be a version string such as "v1.7.0", not {harvester!r}')
    bandwidth = (
        _quantity(doc["migrationBandwidth"], where, "migrationBandwidth")
        if "migrationBandwidth" in doc
        else defaults.migration_bandwidth
    )
    if bandwidth <= 0:
        raise ScenarioError(f"{where}: migrationBandwidth: must be more than zero")
    default_dirty = (
        _quantity(doc["defaultDirtyRate"], where, "defaultDirtyRate")
        if "defaultDirtyRate" in doc
        else defaults.default_dirty_rate
    )
    dirty_rates: dict[str, int] = {}
    for key, value in _mapping(doc.get("dirtyRates"), where, "dirtyRates").items():
        if not isinstance(key, str) or key.count("/") != 1 or not all(key.split("/")):
            raise ScenarioError(f'{where}: dirtyRates: key {key!r} must be "namespace/vm-name"')
        dirty_rates[key] = _quantity(value, where, f"dirtyRates[{key}]")
    monitoring = doc.get("monitoring", defaults.monitoring)
    if not isinstance(monitoring, bool):
        raise ScenarioError(f"{where}: monitoring: must be true or false, not {monitoring!r}")
    scrape_interval = (
        _seconds(doc["scrapeInterval"], where, "scrapeInterval")
        if "scrapeInterval" in doc
        else defaults.scrape_interval
    )
    history = doc.get("historySize", defaults.history_size)
    if not isinstance(history, int) or isinstance(history, bool) or history < 1:
        raise ScenarioError(f"{where}: historySize: must be a whole number of at least 1, not {history!r}")
    start_time = _start_time(doc.get("startTime"), where)
    users = _users(doc.get("users"), where) if "users" in doc else defaults.users
    node_cpus: dict[str, NodeCPU] = {}
    for node, facts in _mapping(doc.get("nodeCPUs"), where, "nodeCPUs").items():
        prefix = f"nodeCPUs[{node}]"
        facts = _mapping(facts, where, prefix)
        _unknown_keys(facts, {"hostModel", "models", "features", "requiredFeatures"}, where, f"{prefix}.")
        host_model = facts.get("hostModel", "")
        if not isinstance(host_model, str) or not host_model:
            raise ScenarioError(f"{where}: {prefix}.hostModel: required, the host CPU model name")
        node_cpus[str(node)] = NodeCPU(
            host_model=host_model,
            models=_string_list(facts.get("models"), where, f"{prefix}.models"),
            features=_string_list(facts.get("features"), where, f"{prefix}.features"),
            required_features=_string_list(facts.get("requiredFeatures"), where, f"{prefix}.requiredFeatures"),
        )
    return Simulation(
        kubevirt_version=version.strip(),
        harvester_version=harvester.strip(),
        migration_bandwidth=bandwidth,
        dirty_rates=MappingProxyType(dirty_rates),
        default_dirty_rate=default_dirty,
        monitoring=monitoring,
        scrape_interval=scrape_interval,
        users=users,
        history_size=history,
        start_time=start_time,
        node_cpus=MappingProxyType(node_cpus),
    )


def _start_time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # YAML turns unquoted timestamps into datetimes
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ScenarioError(
                f'{where}: startTime: "{value}" is not an RFC 3339 time such as "2026-01-19T05:00:00Z"'
            ) from None
    else:
        raise ScenarioError(f"{where}: startTime: must be an RFC 3339 time, not {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _users(value: Any, where: str) -> tuple[UserSpec, ...]:
    if not isinstance(value, list) or not value:
        raise ScenarioError(f"{where}: users: must be a non-empty list")
    users: list[UserSpec] = []
    seen_names: set[str] = set()
    seen_tokens: set[str] = set()
    for position, entry in enumerate(value):
        prefix = f"users[{position}]"
        if not isinstance(entry, dict):
            raise ScenarioError(f"{where}: {prefix}: must be a mapping with name and role or rules")
        _unknown_keys(entry, {"name", "token", "role", "rules"}, where, f"{prefix}.")
        user_name = entry.get("name")
        if not isinstance(user_name, str) or not user_name:
            raise ScenarioError(f"{where}: {prefix}.name: required")
        if user_name in seen_names:
            raise ScenarioError(f'{where}: {prefix}.name: "{user_name}" is listed twice')
        seen_names.add(user_name)
        token = entry.get("token")
        if token is not None:
            if not isinstance(token, str) or not token or any(c.isspace() for c in token):
                raise ScenarioError(f"{where}: {prefix}.token: must be a non-empty string without spaces")
            if token in seen_tokens:
                raise ScenarioError(f"{where}: {prefix}.token: another user has the same token")
            seen_tokens.add(token)
        role = entry.get("role", "")
        has_rules = "rules" in entry
        if bool(role) == has_rules:
            raise ScenarioError(f"{where}: {prefix}: give exactly one of role (admin or viewer) or rules")
        if role and role not in (ADMIN, VIEWER):
            raise ScenarioError(f'{where}: {prefix}.role: must be "admin" or "viewer", not {role!r}')
        rules: list[AccessRule] = []
        if has_rules:
            if not isinstance(entry["rules"], list):
                raise ScenarioError(f"{where}: {prefix}.rules: must be a list")
            for rule_position, rule in enumerate(entry["rules"]):
                rule_prefix = f"{prefix}.rules[{rule_position}]"
                rule = _mapping(rule, where, rule_prefix)
                _unknown_keys(rule, {"verbs", "apiGroups", "resources", "namespaces"}, where, f"{rule_prefix}.")
                verbs = _string_list(rule.get("verbs"), where, f"{rule_prefix}.verbs")
                if not verbs:
                    raise ScenarioError(f"{where}: {rule_prefix}.verbs: required")
                rules.append(
                    AccessRule(
                        verbs=verbs,
                        api_groups=_string_list(rule.get("apiGroups"), where, f"{rule_prefix}.apiGroups") or ("*",),
                        resources=_string_list(rule.get("resources"), where, f"{rule_prefix}.resources") or ("*",),
                        namespaces=_string_list(rule.get("namespaces"), where, f"{rule_prefix}.namespaces"),
                    )
                )
        users.append(UserSpec(user_name, token, role, tuple(rules)))
    return tuple(users)


def _empty(options: ScenarioOptions) -> Scenario:
    return Scenario(name="empty")


register_scenario("empty", _empty, "no objects beyond the standard namespaces: a blank cluster")
