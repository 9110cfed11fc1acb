"""The `livemig` command line: arguments, connecting, the headless commands, and starting the terminal UI.

    livemig [--kubeconfig F] [--context C] [-n NS | -A] [--readonly] [--demo [SCENARIO]] [--theme NAME]
    livemig plan NAMESPACE/VM [-o text|json]
    livemig migrate NAMESPACE/VM [--to NODE] [--wait]
    livemig abort NAMESPACE/VM

Exit codes: 0 done (plan: the VM can migrate); 1 the migration failed, was aborted, or cannot be done
(the plan says why); 2 usage, configuration, connection or permission problems, or no such VM,
namespace or node; 130 interrupted (Ctrl-C, SIGTERM, SIGHUP). Every problem is printed as a sentence
before anything full-screen starts, never as a traceback.

A command waits for the kinds it cannot do without (REQUIRED_KINDS) and goes on without the others,
saying what their absence changes: a user who may not read nodes still plans (without node verdicts)
and migrates (the scheduler chooses), and aborting needs only the migrations.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib.util
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Sequence, TextIO

from tui import __version__
from tui.cluster.redaction import redact

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
DEFAULT_SCENARIO = "default"
SUBCOMMANDS = ("plan", "migrate", "abort")
# How long a command waits for its first lists while the server answers (a kind that fails is
# retried meanwhile); a server that stops answering is given up on as soon as the health probe says so.
SYNC_TIMEOUT = 30.0
# The health probe's (interval, timeout) in seconds: a silent server is noticed within their sum.
HEALTH_PROBE = (5.0, 5.0)
# How long migrate --wait goes on without an answer from the API server before it gives up (exit 2).
GIVE_UP_WITHOUT_ANSWER = 300.0
# Without a terminal, an unchanged step is printed again after this many seconds.
REPEAT_LINE_EVERY = 15.0
# Seconds between two questions to Prometheus for the byte counters of a running migration.
METRICS_INTERVAL = 5.0
# What each command cannot do without; every other kind only sharpens its answer.
REQUIRED_KINDS = {
    "plan": ("vms", "vmis", "migrations"),
    "migrate": ("vms", "vmis", "migrations"),
    "abort": ("migrations",),
}
# Options that take a value (so the token after them is no positional argument).
VALUE_OPTIONS = ("--kubeconfig", "--context", "-n", "--namespace", "--theme", "--to", "-o", "--output")
WIDTH = 80


class UsageError(Exception):
    """Arguments that parse but make no sense together; printed with exit code 2."""


class ServerSilent(Exception):
    """migrate --wait had no answer from the API server for GIVE_UP_WITHOUT_ANSWER seconds."""

    def __init__(self, since: str, waited: float) -> None:
        super().__init__(since)
        self.since, self.waited = since, waited


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: stop as on Ctrl-C, so the cleanup (the demo's files, the connections) runs."""


# ---------------------------------------------------------------------------------------------
# Text from the cluster is data: never an escape sequence on the terminal
# ---------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: Any) -> str:
    """Cluster text made safe for a terminal: control characters shown as \\xNN, never interpreted, and
    no credential (tui/cluster/redaction.py)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", redact(str(text)))


def safe_json(value: Any) -> str:
    """JSON whose strings carry no raw control characters (C1 and DEL escaped as \\u00NN too)."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


def _say(stream: TextIO, text: str = "") -> None:
    stream.write(text + "\n")
    stream.flush()


# ---------------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------------


def _connection_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """--kubeconfig, --context, -n, --demo: on the top level and again on every subcommand."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--kubeconfig", metavar="FILE", default=default, help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    parser.add_argument("--context", metavar="NAME", default=default, help="kubeconfig context (default: its current context)")
    parser.add_argument("-n", "--namespace", metavar="NS", default=default, help="namespace (default: the context's; else all)")
    parser.add_argument(
        "--demo",
        metavar="SCENARIO",
        nargs="?",
        const=DEFAULT_SCENARIO,
        default=default,
        help=f"start a simulated cluster in-process and use it (scenario: {DEFAULT_SCENARIO} unless named)",
    )


EXIT_CODES = """exit codes:
  0    done (plan: the VM can migrate; migrate --wait: it arrived)
  1    the migration failed or was aborted, or cannot be done now (plan: the VM
       cannot migrate); migrate --wait: the output was closed (the migration
       goes on)
  2    usage, configuration, connection or permission problem; no such VM,
       namespace or node; migrate --wait: no answer from the API server for
       5 min (the migration may go on), or the server came back with other
       state and no longer knows the migration
  130  interrupted (Ctrl-C, SIGTERM, SIGHUP); a migration already started goes
       on"""

TOP_EPILOG = f"""headless commands, for scripts and runbooks (see livemig COMMAND --help):
  livemig plan NAMESPACE/VM      can it migrate, where to, and why not
  livemig migrate NAMESPACE/VM   start a live migration (--to NODE, --wait)
  livemig abort NAMESPACE/VM     abort its running migration

Without a command livemig opens the terminal UI, which needs a terminal on
stdin and stdout.

{EXIT_CODES}"""

PLAN_EPILOG = """Prints whether the VM can migrate now, what blocks it, the time limit KubeVirt
allows, and every node's verdict. A user who may not read nodes gets the plan
without node verdicts.

exit codes:
  0    the VM can migrate now
  1    it cannot (the plan says why)
  2    usage, configuration, connection or permission problem; no such VM or
       namespace
  130  interrupted"""

MIGRATE_EPILOG = """Creates a VirtualMachineInstanceMigration. Without --to the Kubernetes
scheduler chooses the node; --to needs KubeVirt 1.6 or later and read access to
the nodes.

With --wait, while the API server does not answer, the line says since when
(and drops the estimate); after 5 min without an answer livemig stops waiting
(exit 2): the migration may still be running. livemig plan NAMESPACE/VM shows
it once the server answers; livemig abort NAMESPACE/VM stops it.

exit codes:
  0    the migration was created (with --wait: the VM arrived, on the chosen
       node if any)
  1    it cannot migrate now, the node cannot take it, --to on KubeVirt older
       than 1.6, or (with --wait) the migration failed or was aborted, or the
       output was closed while waiting (the migration goes on)
  2    usage, configuration, connection or permission problem; no such VM,
       namespace or node; --to with the KubeVirt version unreadable or the
       nodes unreadable; with --wait: no answer from the API server for 5 min
       (the migration may go on), or the server came back with other state
       (restored or recreated) and no longer knows the migration
  130  interrupted while waiting; the migration goes on (livemig abort
       NAMESPACE/VM stops it)"""

ABORT_EPILOG = """Deletes the VM's running migration, only as it was seen running (its uid and
resourceVersion are preconditions): one that ended meanwhile is not deleted,
and livemig says how it ended. Needs only the rights to read and delete
migrations in the VM's namespace.

exit codes:
  0    the abort was requested
  1    the VM has no running migration, or it ended meanwhile (said how)
  2    usage, configuration, connection or permission problem; no such VM or
       namespace
  130  interrupted"""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's help, wrapped within 80 columns however wide the terminal (epilogs are wrapped by hand)."""

    def __init__(self, prog: str) -> None:
        width = min(shutil.get_terminal_size((WIDTH, 24)).columns, WIDTH) - 1
        super().__init__(prog, width=width, max_help_position=24)


def build_parser() -> argparse.ArgumentParser:
    formatter = _HelpFormatter
    parser = argparse.ArgumentParser(
        prog="livemig",
        description="Live-migrate KubeVirt and Harvester virtual machines from a terminal.",
        epilog=TOP_EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"livemig {__version__}")
    _connection_options(parser, suppress=False)
    parser.add_argument("-A", "--all-namespaces", action="store_true", help="show VMs of all namespaces")
    parser.add_argument("--readonly", action="store_true", help="change nothing: hide migrate, abort and CPU-model actions")
    parser.add_argument("--theme", metavar="NAME", default=None, help="colour theme of the terminal UI")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    plan = commands.add_parser(
        "plan", help="say whether a VM can migrate, where, and why not", epilog=PLAN_EPILOG, formatter_class=formatter
    )
    plan.add_argument("vm", metavar="NAMESPACE/VM")
    plan.add_argument("-o", "--output", choices=("text", "json"), default="text", help="output format (default: text)")
    _connection_options(plan, suppress=True)

    migrate = commands.add_parser("migrate", help="start a live migration of a VM", epilog=MIGRATE_EPILOG, formatter_class=formatter)
    migrate.add_argument("vm", metavar="NAMESPACE/VM")
    migrate.add_argument("--to", metavar="NODE", default=None, help="target node (KubeVirt 1.6 or later); default: the scheduler chooses")
    migrate.add_argument("--wait", action="store_true", help="follow the migration until it ends; exit 0 only if it succeeded")
    _connection_options(migrate, suppress=True)

    abort = commands.add_parser("abort", help="abort the running migration of a VM", epilog=ABORT_EPILOG, formatter_class=formatter)
    abort.add_argument("vm", metavar="NAMESPACE/VM")
    _connection_options(abort, suppress=True)
    return parser


def _builtin_scenarios() -> dict[str, str]:
    """The simulator's built-in scenarios (registered when its KubeVirt is imported); {} without it."""
    try:
        from tui.sim.scenario import builtin_scenarios

        with contextlib.suppress(ImportError):
            import tui.sim.controller  # noqa: F401  (registers the built-in scenarios)
        return builtin_scenarios()
    except Exception:  # the simulator cannot be imported: only files can be scenarios then
        return {}


def _is_scenario(token: str) -> bool:
    if token.startswith("-") or token in SUBCOMMANDS:
        return False
    if token in _builtin_scenarios():
        return True
    return token.endswith((".yaml", ".yml")) or Path(token).is_file()


def _demo_takes(token: str, command: str | None, positionals: int) -> bool:
    """Whether the token after `--demo` is its scenario. Before a command only a command can follow
    (so anything else is a scenario, even a mistyped one); after it, the VM argument can."""
    if token.startswith("-"):
        return False
    if command is None:
        return token not in SUBCOMMANDS
    return _is_scenario(token) or positionals >= 1


def normalise_demo(argv: Sequence[str]) -> list[str]:
    """`--demo` takes an optional scenario; make sure it does not swallow a subcommand or NAMESPACE/VM."""
    result: list[str] = []
    tokens = list(argv)
    command: str | None = None
    positionals = 0
    taken = False  # the token is the value of the option before it
    for index, token in enumerate(tokens):
        if taken:
            taken = False
            result.append(token)
            continue
        if token == "--demo":
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following is None or not _demo_takes(following, command, positionals):
                result.append(f"--demo={DEFAULT_SCENARIO}")
            else:
                result.append(token)
                taken = True
            continue
        if token in VALUE_OPTIONS:
            taken = True
        elif not token.startswith("-"):
            if command is None and token in SUBCOMMANDS:
                command = token
            elif command is not None:
                positionals += 1
        result.append(token)
    return result


def _vm_argument(value: str, namespace: str | None) -> tuple[str, str]:
    namespace_part, slash, name = value.partition("/")
    if not slash:
        namespace_part, name = "", value
    if not name or "/" in name or (slash and not namespace_part):
        raise UsageError(f'"{value}" is not NAMESPACE/VM (for example: default/web-1)')
    if namespace_part and namespace and namespace != namespace_part:
        raise UsageError(f'the namespace of "{value}" and -n {namespace} differ')
    return namespace_part or namespace or "", name


# ---------------------------------------------------------------------------------------------
# Connecting (to a real cluster, or to a demo cluster started here)
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _demo_cluster(scenario: str) -> Iterator[tuple[str, Any]]:
    """A simulated cluster in this process, real-time clock, and a temporary kubeconfig for it."""
    from tui.cluster.errors import ConnectError
    from tui.sim.runtime import SimCluster
    from tui.sim.scenario import ScenarioError

    known = _builtin_scenarios()  # a scenario named here must be registered before the cluster loads it
    try:
        cluster = SimCluster.start(scenario, manual_clock=False)
    except ScenarioError as error:
        nearest = difflib.get_close_matches(scenario, list(known), n=1) if not Path(scenario).exists() else []
        hint = f' Did you mean "{nearest[0]}"?' if nearest else ""
        raise ConnectError("bad-kubeconfig", f"The demo cannot start: {error}.{hint}") from None
    except OSError as error:
        raise ConnectError("unreachable", f"The demo cannot start its simulated API server: {error}.") from None
    directory = tempfile.mkdtemp(prefix="livemig-demo-")
    try:
        path = cluster.write_kubeconfig(Path(directory) / "config")
        yield str(path), cluster
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


def _options(args: argparse.Namespace, kubeconfig: str | None, clock: Any, namespace: str | None, all_namespaces: bool) -> Any:
    from tui.cluster.session import ConnectOptions

    return ConnectOptions(
        kubeconfig=kubeconfig,
        context=getattr(args, "context", None),
        namespace=namespace,
        all_namespaces=all_namespaces,
        readonly=bool(getattr(args, "readonly", False)),
        clock=clock,
        probe_interval=HEALTH_PROBE[0],
        probe_timeout=HEALTH_PROBE[1],
        metrics_interval=METRICS_INTERVAL,
    )


@contextlib.contextmanager
def _session(args: argparse.Namespace, namespace: str | None = None, all_namespaces: bool = False) -> Iterator[Any]:
    """A started ClusterSession for the arguments (starting the demo cluster first if asked)."""
    from tui.cluster.session import ClusterSession

    demo = getattr(args, "demo", None)
    with contextlib.ExitStack() as stack:
        kubeconfig, clock = getattr(args, "kubeconfig", None), None
        if demo:
            if kubeconfig:
                raise UsageError("--demo and --kubeconfig cannot be used together")
            kubeconfig, cluster = stack.enter_context(_demo_cluster(demo))
            clock = cluster.clock.now
        session = ClusterSession.connect(_options(args, kubeconfig, clock, namespace, all_namespaces))
        # Threads still stuck on a silent server after this are daemons: they do not hold the exit up.
        stack.callback(session.stop, 2.0)
        session.start()
        yield session


# What a plan lacks without each optional kind, said when it could not be read.
WITHOUT = {
    "nodes": "no node verdicts: the scheduler chooses the node",
    "kubevirts": "the KubeVirt version and its migration settings are unknown",
    "policies": "MigrationPolicies are left out of the time limit",
    "nads": "the VM's networks are not checked on the nodes",
    "pods": "the nodes' free CPU and memory are not checked",
    "namespaces": "namespace labels, which MigrationPolicies may select, are unknown",
}


def _resource(kind: str) -> str:
    from tui.cluster.reflector import KIND_BY_NAME

    return KIND_BY_NAME[kind].resource


def _who(session: Any) -> str:
    return f'user "{session.user}"' if session.user else "the anonymous user"


def _scope(session: Any, kind: str) -> str:
    from tui.cluster.reflector import KIND_BY_NAME

    found = KIND_BY_NAME[kind]
    if not found.namespaced:
        return "(cluster-wide)"
    if session.namespaces and not found.all_namespaces:
        return f"in namespace {session.namespaces[0]}"
    return "in all namespaces"


def _unreadable(session: Any, kind: str, state: Any) -> str:
    """Why a kind the command needs cannot be used, as the sentence to print ("" when it can)."""
    from tui.cluster.store import ConnectionStatus

    if state.status == ConnectionStatus.CONNECTED:
        return ""
    resource = _resource(kind)
    if state.status == ConnectionStatus.FORBIDDEN:
        return (
            f"livemig: {_who(session)} may not read {resource} {_scope(session, kind)} ({state.last_error.rstrip('.')}). "
            "livemig needs get, list and watch on them: ask a cluster admin for that, or use a context that has it (--context)."
        )
    if state.status == ConnectionStatus.ABSENT:
        return f"livemig: the API server at {session.server_url} does not serve {resource}: is KubeVirt installed there?"
    why = state.last_error.rstrip(".") or "no answer yet"
    return f"livemig: cannot read {resource} from {session.server_url} within {SYNC_TIMEOUT:g} s: {why}."


def _wait_for(session: Any, err: TextIO, required: Sequence[str], wanted: Sequence[str] | None = None) -> int | None:
    """Wait for the first lists of `wanted` (default: every kind); None when the `required` ones are
    readable, else the exit code, the reason printed."""
    listing = session.wait_until_listed(wanted, SYNC_TIMEOUT)
    if listing.server_lost:
        why = listing.server_lost.removeprefix("no answer from the API server: ").rstrip(".")
        _say(err, clean(f"livemig: the API server stopped answering: {why}. Nothing was changed; try again when it answers."))
        return EXIT_USAGE
    states = session.store.states()
    for kind in required:
        problem = _unreadable(session, kind, states[kind])
        if problem:
            _say(err, clean(problem))
            return EXIT_USAGE
    return None


def _notes(session: Any, err: TextIO, required: Sequence[str]) -> None:
    """A line for each other kind that could not be read (or only partly), and what the answer lacks."""
    from tui.cluster.store import ConnectionStatus

    for kind, state in session.store.states().items():
        if kind in required or kind not in WITHOUT:
            continue
        if state.partial:
            _say(err, clean(f"note: {kind}: {state.partial}."))
        elif state.status == ConnectionStatus.FORBIDDEN or state.status not in (ConnectionStatus.CONNECTED, ConnectionStatus.ABSENT):
            why = state.last_error.rstrip(".") or state.status
            _say(err, clean(f"note: {kind} could not be read: {why}; {WITHOUT[kind]}."))


def _nodes_unknown(session: Any) -> str:
    """Why the nodes could not be read ("" when they were): then there are no node verdicts at all."""
    from tui.cluster.store import ConnectionStatus

    state = session.store.state("nodes")
    if state.status == ConnectionStatus.CONNECTED:
        return ""
    return state.last_error.rstrip(".") or state.status


def _no_such_vm(session: Any, command: str, namespace: str, name: str) -> str:
    """The sentence for a VM that is not there ("" when it is): the namespace may not exist, or a VM
    of that name may live in another one."""
    from tui.cluster.store import ConnectionStatus

    snapshot = session.store.snapshot()
    key = f"{namespace}/{name}"
    if key in snapshot.vms or key in snapshot.vmis:
        return ""
    if session.store.state("namespaces").status == ConnectionStatus.CONNECTED and namespace not in snapshot.namespaces:
        known = ", ".join(sorted(snapshot.namespaces)) or "none"
        return f"livemig: there is no namespace {namespace} (namespaces: {known})."
    text = f"livemig: no VM {name} in namespace {namespace}"
    elsewhere = [other for other in session.namespaces_with_vm(name) or () if other != namespace]
    if elsewhere:
        text += f"; namespace {', '.join(elsewhere)} has one: livemig {command} {elsewhere[0]}/{name}"
    return text + "."


# Kubernetes' RBAC denial, with the authorizer's own reason after a colon when it gives one.
_RBAC_DENIAL = re.compile(
    r'is forbidden: User "[^"]*" cannot [\w-]+ resource "[^"]*"(?: in API group "[^"]*")?'
    r'(?: in the namespace "[^"]*")?(?:: (?P<reason>.+))?$',
    re.DOTALL,
)


def forbidden_reason(message: str) -> str:
    """What a 403's message adds to "may not VERB": the authorizer's reason, or the whole message when
    it is no RBAC denial (a webhook's, say); "" when it only says the right is missing."""
    denial = _RBAC_DENIAL.search(message)
    if denial is None:
        return message.strip()
    return (denial.group("reason") or "").strip()


def _permission_advice(session: Any, verb: str, namespace: str, message: str = "") -> str:
    """What to do about a 403 on an action: which right is missing, who grants it, which contexts exist;
    the server's `message` is kept where it says more than that the right is missing."""
    others = [context for context in session.target.contexts if context != session.context_name]
    listed = f" (other contexts: {', '.join(others)})" if others else ""
    reason = forbidden_reason(message).rstrip(".")
    said = f" (the API server says: {reason})" if reason else ""
    return (
        f"livemig: {_who(session)} may not {verb} virtualmachineinstancemigrations.kubevirt.io in namespace {namespace}{said}: "
        f"ask a cluster admin for that right (KubeVirt's kubevirt.io:edit role grants it), or use a context that has "
        f"it with --context{listed}. Nothing was changed."
    )


# ---------------------------------------------------------------------------------------------
# plan
# ---------------------------------------------------------------------------------------------


def _wrap(label: str, text: str, indent: int = 14) -> list[str]:
    """`label` in a column of `indent`, then `text` wrapped to the width (a long label gets its own line)."""
    lines = textwrap.wrap(clean(text), width=WIDTH - indent, break_long_words=True, break_on_hyphens=False) or [""]
    if len(label) >= indent:
        return [label] + [" " * indent + line for line in lines]
    return [f"{label:<{indent}}" + lines[0]] + [" " * indent + line for line in lines[1:]]


def _bullet(reason: Any, indent: int) -> list[str]:
    """`- Code: message` with a hanging indent, wrapped to the width."""
    return textwrap.wrap(
        clean(f"{reason.code}: {reason.message}"),
        width=WIDTH,
        initial_indent=" " * indent + "- ",
        subsequent_indent=" " * (indent + 2),
        break_long_words=True,
        break_on_hyphens=False,
    )


def plan_text(plan: Any, nodes_unknown: str = "") -> str:
    """The plan for a terminal at 80 columns; `nodes_unknown` says why there are no node verdicts."""
    from tui.domain.plan import PINNING_ADDED_NODE_SELECTOR
    from tui.domain.units import human_bytes, human_cpu

    lines: list[str] = []
    lines += _wrap("VM", f"{plan.namespace}/{plan.name}")
    lines += _wrap("Runs on", plan.node or "(not running)")
    lines += _wrap("Migratable", "yes" if plan.migratable else "no")
    for reason in plan.blockers:
        lines += _bullet(reason, 2)
    for index, reason in enumerate(getattr(plan, "warnings", ())):
        lines += _wrap("Warning" if index == 0 else "", reason.message)
    lines += _wrap("CPU model", plan.cpu_model or "(cluster default)")
    budget = plan.completion_budget
    if budget is not None:
        lines += _wrap("Time limit", budget.text())
        source = budget.source_detail or budget.source
        lines += _wrap("", f"from {source}")
        for note in budget.notes:
            if note.rstrip(".") != source.rstrip("."):  # the source may be the note itself (an assumed default)
                lines += _wrap("", f"note: {note}")
    else:
        lines += _wrap("Time limit", "unknown")
    requests = getattr(plan, "target_requests", None)
    if requests is not None:
        lines += _wrap(
            "Target pod",
            f"requests {human_cpu(requests.cpu_milli)} CPU and {human_bytes(requests.memory)} memory, {requests.detail}",
        )
    pinning = "a target node can be chosen" if plan.target_pinning == PINNING_ADDED_NODE_SELECTOR else "the scheduler chooses"
    lines += _wrap("Target node", f"{pinning}: {plan.target_pinning_reason}")
    versions = getattr(plan, "versions", None)
    if versions is not None:
        lines += _wrap("Rules of", f"{versions.kubevirt_line()}; {versions.harvester_line()}")
        for assumed in versions.assumed:
            lines += _wrap("", f"assumed: {assumed}")
    if nodes_unknown:
        lines += _wrap("Nodes", f"could not be read: {nodes_unknown}; livemig cannot say which nodes can take it, the scheduler decides")
        return "\n".join(lines)
    eligible = sum(1 for verdict in plan.nodes if verdict.eligible)
    cautioned = sum(1 for verdict in plan.nodes if verdict.eligible and verdict.cautions)
    caution_note = f" ({cautioned} with a caution)" if cautioned else ""
    lines += _wrap("Nodes", f"{eligible} of {len(plan.nodes)} can take it{caution_note}")
    unchecked = next((verdict.unchecked for verdict in plan.nodes if verdict.unchecked), ())
    # The VM's own rules are the same for every node, and so are the ones no VM escapes: said once.
    for index, rule in enumerate((*unchecked, *getattr(plan, "not_checked", ()))):
        lines += _wrap("Not checked" if index == 0 else "", rule)
    column = min(max((len(clean(v.node)) for v in plan.nodes), default=0) + 4, 40)
    for verdict in plan.nodes:
        name = clean(verdict.node)
        if verdict.eligible:
            note = "" if verdict.resources_checked else " (free CPU and memory not checked)"
            lines += _wrap(f"  {name}", f"yes{note}", indent=column)
            for caution in verdict.cautions:
                lines += _wrap("", f"caution: {caution}", indent=column)
            continue
        lines += _wrap(f"  {name}", "no", indent=column)
        for reason in verdict.reasons:
            lines += _bullet(reason, 4)
    return "\n".join(lines)


def _plan_of_listed(session: Any, err: TextIO, command: str, namespace: str, name: str) -> tuple[int, Any, str]:
    """Wait for what `command` needs, then the VM's plan: (exit code, None, "") when that cannot be
    (the reason printed), else (0, the plan, why the nodes are unknown or "")."""
    required = REQUIRED_KINDS[command]
    problem = _wait_for(session, err, required)
    if problem is not None:
        return problem, None, ""
    missing = _no_such_vm(session, command, namespace, name)
    if missing:
        _say(err, clean(missing))
        return EXIT_USAGE, None, ""
    _notes(session, err, required)
    from tui.domain.plan import plan_for

    # Without the nodes the snapshot says so (nodes_known), and the plan concludes nothing from them.
    return EXIT_OK, plan_for(session.store.snapshot(), namespace, name, session.now()), _nodes_unknown(session)


def command_plan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    namespace, name = _vm_argument(args.vm, getattr(args, "namespace", None))
    with _session(args, namespace=namespace or None) as session:
        namespace = namespace or _default_namespace(session)
        problem, plan, nodes_unknown = _plan_of_listed(session, err, "plan", namespace, name)
        if plan is None:
            return problem
        if args.output == "json":
            _say(out, safe_json(plan.to_dict()))
        else:
            _say(out, plan_text(plan, nodes_unknown))
    return EXIT_OK if plan.migratable else EXIT_FAILED


def _default_namespace(session: Any) -> str:
    return session.namespaces[0] if session.namespaces else "default"


# ---------------------------------------------------------------------------------------------
# migrate
# ---------------------------------------------------------------------------------------------


def _refusal(out: TextIO, title: str, reasons: Sequence[Any]) -> None:
    """The title, then each reason wrapped as in the plan: between words, never inside a hyphenated name."""
    for line in textwrap.wrap(clean(title), width=WIDTH, subsequent_indent="  ", break_on_hyphens=False):
        _say(out, line)
    for reason in reasons:
        for line in textwrap.wrap(
            clean(f"{reason.code}: {reason.message}"),
            width=WIDTH,
            initial_indent="  ",
            subsequent_indent="  ",
            break_long_words=True,
            break_on_hyphens=False,
        ):
            _say(out, line)


def _exit_for(result: Any) -> int:
    """Permission problems (the server's 401 and 403) are 2; everything else is 1."""
    return EXIT_USAGE if result.code in (401, 403) else EXIT_FAILED


def command_migrate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    namespace, name = _vm_argument(args.vm, getattr(args, "namespace", None))
    with _session(args, namespace=namespace or None) as session:
        namespace = namespace or _default_namespace(session)
        problem, plan, nodes_unknown = _plan_of_listed(session, err, "migrate", namespace, name)
        if plan is None:
            return problem
        if not plan.migratable:
            _refusal(err, f"livemig: {namespace}/{name} cannot be migrated now:", plan.blockers)
            return EXIT_FAILED
        target = args.to
        if target:
            problem = _check_target(session, err, plan, namespace, name, target, nodes_unknown)
            if problem is not None:
                return problem
        result = session.actions.migrate(namespace, name, target)
        if not result.ok:
            if result.forbidden:
                _say(err, clean(_permission_advice(session, "create", namespace, result.message)))
            else:
                _say(err, clean(f"livemig: {result.message}"))
            return _exit_for(result)
        abort_hint = f"Abort it with: livemig abort {namespace}/{name}"
        # From here the migration exists: an interruption, even before the waiting starts, says it goes on.
        try:
            _say(out, clean(result.message))
            if result.warning:
                _say(err, clean(f"warning: {result.warning}"))
            if not args.wait:
                return EXIT_OK
            return follow_migration(session, namespace, name, result.name, target, out)
        except ServerSilent as silent:
            from tui.domain.units import human_duration

            _say(
                err,
                clean(
                    f"livemig: stopped waiting: no answer from the API server for {human_duration(silent.waited)} "
                    f"(since {silent.since}). Migration {result.name} may still be running: check it with "
                    f"livemig plan {namespace}/{name} (or kubectl get vmim -n {namespace} {result.name}) once the "
                    f"server answers. {abort_hint}"
                ),
            )
            return EXIT_USAGE
        except KeyboardInterrupt:
            _say(err, "")
            stopped = "Stopped waiting" if args.wait else "Interrupted"
            _say(err, clean(f"{stopped}; migration {result.name} goes on. {abort_hint}"))
            return EXIT_INTERRUPTED
        except BrokenPipeError:  # `livemig migrate --wait | head`: the reader went away, the migration did not
            _silence(out)
            _say(err, clean(f"livemig: stopped waiting: the output was closed. Migration {result.name} goes on. {abort_hint}"))
            return EXIT_FAILED


def _check_target(session: Any, err: TextIO, plan: Any, namespace: str, name: str, target: str, nodes_unknown: str) -> int | None:
    """None when the migration may be sent to node `target`, else the exit code (reason printed)."""
    from tui.domain.plan import PINNING_ADDED_NODE_SELECTOR

    leave_out = "or leave out --to: the scheduler then chooses the node"
    if nodes_unknown:
        _say(
            err,
            clean(
                f"livemig: cannot check whether node {target} can take {namespace}/{name}: nodes could not be read "
                f"({nodes_unknown}). Ask for read access to nodes, {leave_out}."
            ),
        )
        return EXIT_USAGE
    verdict = next((v for v in plan.nodes if v.node == target), None)
    if verdict is None:
        known = ", ".join(v.node for v in plan.nodes) or "none"
        _say(err, clean(f"livemig: there is no node named {target} (nodes: {known})."))
        return EXIT_USAGE
    if not verdict.eligible:
        _refusal(err, f"livemig: {namespace}/{name} cannot go to {target}:", verdict.reasons)
        return EXIT_FAILED
    if plan.target_pinning == PINNING_ADDED_NODE_SELECTOR:
        return None
    if session.store.snapshot().kubevirt is None:
        state = session.store.state("kubevirts")
        why = state.last_error.rstrip(".") or state.status
        _say(
            err,
            clean(
                f"livemig: cannot send the migration to {target}: the KubeVirt version is unknown ({why}), and only "
                f"KubeVirt 1.6 or later lets a migration name its node. Ask for read access to kubevirts.kubevirt.io, {leave_out}."
            ),
        )
        return EXIT_USAGE
    _say(err, clean(f"livemig: cannot send the migration to {target}: {plan.target_pinning_reason}"))
    return EXIT_FAILED


def _silence(out: TextIO) -> None:
    """Point a closed output at /dev/null, so nothing fails writing to it again at exit."""
    with contextlib.suppress(Exception):
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())


def _bar(fraction: float, width: int) -> str:
    filled = int(round(max(0.0, min(fraction, 1.0)) * width))
    return "#" * filled + "." * (width - filled)


WARNING_SIGN = "\u26a0"


def trouble_notes(progress: Any, stalled_for: float | None, low_on_time: bool, sign: str = WARNING_SIGN) -> list[str]:
    """The warnings of a running migration, as the UI gives them: its copy stalled for `stalled_for`
    seconds (None when it did not), it does not converge, under a fifth of its time is left."""
    from tui.domain.trouble import LOW_TIME_SHARE
    from tui.domain.units import human_duration

    notes = []
    if stalled_for is not None:
        notes.append(f"{sign} no progress for {human_duration(stalled_for)}")
    if progress.converging is False:
        notes.append(f"{sign} not converging (the guest dirties memory faster than it is copied)")
    if low_on_time:
        notes.append(f"{sign} under {LOW_TIME_SHARE * 100:.0f} % of the time left")
    return notes


def progress_line(progress: Any, remaining: float | None, connection: str, notes: Sequence[str] = (), counters: Any = None) -> str:
    """One line of a migration's progress (without the bar): step, label, bytes, warnings, time left;
    `connection` says how the connection stands when it is lost ("" while the server answers)."""
    from tui.domain.units import human_bytes, human_duration

    from tui.widgets.progress_cell import copied_percent

    parts = [f"{progress.label}"]
    if progress.step is not None:
        parts[0] = f"step {progress.step}/{progress.total_steps} {progress.label}"
    # The UI's percentage (one definition, tui/widgets/progress_cell.py), then the bytes behind it:
    # what was copied only grows, what remains grows when the guest dirties memory.
    percent = copied_percent(progress)
    if percent:
        parts.append(f"{percent} copied")
    if counters is not None and progress.byte_fraction is not None:
        if counters.processed is not None:
            parts.append(f"{human_bytes(counters.processed)} copied")
        if counters.remaining is not None:
            parts.append(f"{human_bytes(counters.remaining)} remaining")
    # Before the estimate and the countdown: a terminal cuts the line at its width.
    parts.extend(notes)
    if progress.eta_seconds is not None and not connection:  # without an answer the estimate is stale
        parts.append(f"about {human_duration(progress.eta_seconds)} to go")
    if remaining is not None:
        parts.append(f"timeout in {human_duration(remaining)}" if remaining >= 0 else "timeout passed")
    if progress.abort_requested:
        parts.append("abort requested")
    if connection:
        parts.append(connection)
    return clean(", ".join(parts))


def _warning_sign(out: TextIO) -> str:
    """The warning sign, or "!" on an output whose encoding has no such character."""
    encoding = getattr(out, "encoding", None)
    try:
        WARNING_SIGN.encode(encoding or "utf-8")
    except (LookupError, UnicodeError):
        return "!"
    return WARNING_SIGN


def follow_migration(session: Any, namespace: str, vm: str, migration: str, target: str | None, out: TextIO) -> int:
    """Show the migration until it ends: a bar on a terminal, lines otherwise. 0 succeeded, 1 not, 2
    when the API server came back with other state and no longer knows the migration."""
    from tui.domain.budget import completion_budget, remaining_seconds
    from tui.domain.progress import OUTCOME_SUCCEEDED, migration_progress, migration_state_of
    from tui.domain.trouble import CopyWatermark, low_on_time, observe_sample
    from tui.widgets.migration_view import ended_by_deletion

    changed = threading.Event()
    session.store.subscribe(lambda batch: changed.set())
    session.metrics.subscribe(changed.set)
    tty = out.isatty()
    key = f"{namespace}/{migration}"
    last_seen: Any = None  # the migration as last seen in the store
    went_back = session.store.server_went_back
    watermark = CopyWatermark()
    sign = _warning_sign(out)
    last_line: tuple[str, ...] = ()
    last_print = 0.0
    silent_since: tuple[float, str] | None = None  # (monotonic, local time) of the first missed answer
    while True:
        lost = _connection_lost(session)
        if not lost:
            silent_since = None
        else:
            if silent_since is None:
                silent_since = (time.monotonic(), time.strftime("%H:%M:%S"))
            waited = time.monotonic() - silent_since[0]
            if waited >= GIVE_UP_WITHOUT_ANSWER:
                if tty:
                    out.write("\n")
                raise ServerSilent(silent_since[1], waited)
        snapshot = session.store.snapshot()
        found = snapshot.migrations.get(key)
        if found is None and last_seen is not None and session.store.server_went_back > went_back:
            # Not deleted: the server came back with state from before it (restored, failed over, recreated).
            if tty:
                out.write("\n")
            _say(
                out,
                clean(
                    f"Migration {migration} is gone: the API server came back with other state (restored from a backup, "
                    f"failed over or recreated) and does not know it. Where the VM runs now: livemig plan {namespace}/{vm}."
                ),
            )
            return EXIT_USAGE
        if found is None and last_seen is not None:
            # Deleted before the store saw it end: the VMI's migration state says how it ended.
            found = ended_by_deletion(last_seen, snapshot.vmis.get(f"{namespace}/{vm}"), None)
            if found.phase != "Succeeded":
                if tty:
                    out.write("\n")
                _say(out, clean(f"Migration {migration} was deleted before it finished (aborted): the VM stays where it was."))
                return EXIT_FAILED
        if found is not None:
            last_seen = found
            vmi = snapshot.vmis.get(f"{namespace}/{vm}")
            counters, previous = session.metrics.counters(namespace, vm)
            budget = completion_budget(snapshot, vmi) if vmi is not None else None
            # With the budget, an abort KubeVirt did on its own reads as a timeout or a stall.
            progress = migration_progress(found, vmi, counters, previous, budget=budget)
            if progress.final:
                if tty:
                    out.write("\r\x1b[K")
                _say(out, clean(progress.outcome_message))
                if progress.outcome != OUTCOME_SUCCEEDED:
                    return EXIT_FAILED
                # The VMI's own watch may not have delivered its new node yet: the migration's state says it.
                landed = progress.target_node or (vmi.node_name if vmi is not None else "")
                if target and landed and landed != target:
                    _say(out, clean(f"livemig: the VM runs on {landed}, not on the chosen node {target}."))
                    return EXIT_FAILED
                return EXIT_OK
            remaining = None
            if vmi is not None and budget is not None and progress.started:
                remaining = remaining_seconds(budget, migration_state_of(found, vmi), session.now())
            stalled_for, stalled = observe_sample(watermark, counters, session.now()) if found.phase == "Running" else (None, False)
            notes = trouble_notes(progress, stalled_for if stalled else None, low_on_time(remaining, budget), sign)
            connection = ""
            if silent_since is not None:
                from tui.domain.units import human_duration

                silent_for = human_duration(time.monotonic() - silent_since[0])
                connection = f"no answer from the API server since {silent_since[1]} ({silent_for}; {lost})"
            line = progress_line(progress, remaining, connection, notes, counters)
            if tty:
                width = min(shutil.get_terminal_size((WIDTH, 24)).columns, 120)
                # The bar is the percentage on the line (the share copied), else the phase steps.
                shown = progress.byte_fraction if progress.byte_fraction is not None else progress.fraction
                bar = _bar(shown, 20)
                text = f"[{bar}] {line}"
                out.write("\r\x1b[K" + text[: max(width - 1, 20)])
                out.flush()
            else:
                # A new step or a new kind of warning is printed at once; the rest every REPEAT_LINE_EVERY.
                steady = (line.split(", ")[0], *(note.split(" for ")[0] for note in notes), str(silent_since))
                now = time.monotonic()
                if steady != last_line or now - last_print >= REPEAT_LINE_EVERY:
                    _say(out, line)
                    last_line, last_print = steady, now
        changed.wait(1.0)
        changed.clear()


def _connection_lost(session: Any) -> str:
    """Why the API server does not answer what a follower needs ("" while it does)."""
    from tui.cluster.store import ConnectionStatus

    if not session.server_reachable:
        return session.server_error.rstrip(".") or "the health probe failed"
    for kind in ("migrations", "vmis"):
        state = session.store.state(kind)
        if state.status == ConnectionStatus.RECONNECTING and state.rejected:
            return "the API server rejects the credentials (401 Unauthorized): get a fresh kubeconfig"
        if state.status == ConnectionStatus.RECONNECTING:
            return f"reconnecting, attempt {state.attempt}: {state.last_error.rstrip('.')}"
    return ""


# ---------------------------------------------------------------------------------------------
# abort
# ---------------------------------------------------------------------------------------------


def command_abort(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from tui.cluster.store import ConnectionStatus

    namespace, name = _vm_argument(args.vm, getattr(args, "namespace", None))
    required = REQUIRED_KINDS["abort"]
    with _session(args, namespace=namespace or None) as session:
        namespace = namespace or _default_namespace(session)
        # In an emergency only the migrations count: the rest of the cluster is not waited for.
        problem = _wait_for(session, err, required, required)
        if problem is not None:
            return problem
        migrations = [m for m in session.store.snapshot().migrations_of(namespace, name) if not m.is_final]
        if not migrations:
            session.wait_until_listed(("vms", "vmis", "namespaces"), SYNC_TIMEOUT)
            states = session.store.states()
            if states["vms"].status == states["vmis"].status == ConnectionStatus.CONNECTED:
                missing = _no_such_vm(session, "abort", namespace, name)
                if missing:
                    _say(err, clean(missing))
                    return EXIT_USAGE
            _say(err, clean(f"livemig: {namespace}/{name} has no running migration to abort."))
            return EXIT_FAILED
        newest = migrations[-1]
        result = session.actions.abort(namespace, newest.name, newest.meta.uid)
        if not result.ok:
            if result.forbidden:
                _say(err, clean(_permission_advice(session, "delete", namespace, result.message)))
            else:
                _say(err, clean(f"livemig: {result.message}"))
            return _exit_for(result)
        _say(out, clean(result.message))
        return EXIT_OK


# ---------------------------------------------------------------------------------------------
# The terminal UI
# ---------------------------------------------------------------------------------------------


def _is_terminal(stream: Any) -> bool:
    try:
        return stream is not None and bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # closed or detached: no terminal either
        return False


def _has_terminal(out: TextIO) -> bool:
    """Both stdin and the output are terminals (not a pipe, a file, /dev/null, cron or CI)."""
    return _is_terminal(sys.stdin) and _is_terminal(out)


def command_ui(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if importlib.util.find_spec("tui.app") is None:
        _say(err, "livemig: the terminal UI is not part of this build; use livemig plan, migrate or abort.")
        return EXIT_USAGE
    from tui.app import check_theme, run_app

    problem = check_theme(args.theme)
    if problem:
        raise UsageError(problem)
    if not _has_terminal(out):
        _say(err, "livemig: the terminal UI needs a terminal; use livemig plan|migrate|abort (see livemig --help).")
        return EXIT_USAGE
    if not _is_terminal(err):
        # Textual draws on stderr: redirected (livemig 2>/dev/null) the UI would draw nowhere and
        # swallow every key. Said on stdout, the terminal, since stderr goes nowhere to be seen.
        _say(
            out,
            "livemig: the terminal UI draws on stderr, which is redirected; run livemig without 2>..., "
            "or use livemig plan|migrate|abort (see livemig --help).",
        )
        return EXIT_USAGE
    # The demo shows its whole cluster unless a namespace is asked for.
    everything = args.all_namespaces or (bool(getattr(args, "demo", None)) and not args.namespace)
    with _session(args, namespace=args.namespace, all_namespaces=everything) as session:
        code = run_app(session, readonly=args.readonly, theme=args.theme, kubeconfig=args.kubeconfig, demo=bool(getattr(args, "demo", None)))
    return code if isinstance(code, int) else EXIT_OK


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Terminated, as Ctrl-C raises KeyboardInterrupt, so context managers
    clean up (the demo's temporary kubeconfig holds tokens). A second signal during the cleanup is
    ignored. Only the main thread can take signals; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = [name for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    numbers = [getattr(signal, name) for name in names]

    def stop(signum: int, frame: Any) -> None:
        for number in numbers:
            with contextlib.suppress(ValueError, OSError):
                signal.signal(number, signal.SIG_IGN)
        raise Terminated(signal.Signals(signum).name)

    previous = {}
    for number in numbers:
        with contextlib.suppress(ValueError, OSError):
            previous[number] = signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(number, handler)


def _command_parser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    """The parser of `command` (so an error shows that command's usage), else the top-level one."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(normalise_demo(sys.argv[1:] if argv is None else argv))
            if args.all_namespaces and getattr(args, "namespace", None):
                parser.error("argument -A/--all-namespaces: not allowed with argument -n/--namespace")
    except SystemExit as exit_:
        return int(exit_.code) if isinstance(exit_.code, int) else EXIT_USAGE
    from tui.cluster.errors import ConnectError

    commands = {"plan": command_plan, "migrate": command_migrate, "abort": command_abort}
    try:
        with _stop_signals_interrupt():
            if args.readonly and args.command in ("migrate", "abort"):
                raise UsageError(f"--readonly and {args.command} exclude each other: {args.command} changes the cluster")
            return commands.get(args.command, command_ui)(args, out, err)
    except UsageError as error:
        _command_parser(parser, args.command).print_usage(err)
        _say(err, clean(f"livemig: error: {error}"))
        return EXIT_USAGE
    except ConnectError as error:
        _say(err, clean(f"livemig: {error.message}"))
        return EXIT_USAGE
    except Terminated as signalled:
        with contextlib.suppress(OSError, ValueError):  # after SIGHUP the terminal may be gone
            _say(err, f"livemig: stopped by {signalled}")
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        with contextlib.suppress(OSError, ValueError):
            _say(err, "livemig: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`livemig plan ... | head`): nothing left to tell
        _silence(out)
        return EXIT_FAILED
    except Exception as error:  # never a traceback in front of the operator; the words say what broke
        if os.environ.get("LIVEMIG_DEBUG"):
            import traceback

            err.write(redact(traceback.format_exc()))  # where it broke, without a credential
        _say(err, clean(f"livemig: unexpected error ({type(error).__name__}: {error}). Set LIVEMIG_DEBUG=1 to see where."))
        return EXIT_FAILED
