"""The `livemig` command line: arguments, connecting, the headless commands, and starting the terminal UI.

    livemig [--kubeconfig F] [--context C] [-n NS | -A] [--readonly] [--demo [SCENARIO]] [--theme NAME]
    livemig plan NAMESPACE/VM [-o text|json]
    livemig migrate NAMESPACE/VM [--to NODE] [--wait]
    livemig abort NAMESPACE/VM

Exit codes: 0 done; 1 the migration failed, was aborted, or cannot be done (the plan says why);
2 usage, configuration, connection or permission problems; 130 interrupted. Every problem is
printed as a sentence before anything full-screen starts, never as a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Sequence, TextIO

from tui import __version__

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
DEFAULT_SCENARIO = "default"
SUBCOMMANDS = ("plan", "migrate", "abort")
SYNC_TIMEOUT = 60.0
REQUIRED_KINDS = ("nodes", "vms", "vmis", "migrations")
WIDTH = 80


class UsageError(Exception):
    """Arguments that parse but make no sense together; printed with exit code 2."""


# ---------------------------------------------------------------------------------------------
# Text from the cluster is data: never an escape sequence on the terminal
# ---------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: Any) -> str:
    """Cluster text made safe for a terminal: control characters shown as \\xNN, never interpreted."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livemig",
        description="Live-migrate KubeVirt and Harvester virtual machines from a terminal.",
        epilog="Exit codes: 0 done, 1 migration failed or not possible, 2 usage, configuration or permission problem.",
    )
    parser.add_argument("--version", action="version", version=f"livemig {__version__}")
    _connection_options(parser, suppress=False)
    parser.add_argument("-A", "--all-namespaces", action="store_true", help="show VMs of all namespaces")
    parser.add_argument("--readonly", action="store_true", help="change nothing: hide migrate, abort and CPU-model actions")
    parser.add_argument("--theme", metavar="NAME", default=None, help="colour theme of the terminal UI")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    plan = commands.add_parser("plan", help="say whether a VM can migrate, where, and why not")
    plan.add_argument("vm", metavar="NAMESPACE/VM")
    plan.add_argument("-o", "--output", choices=("text", "json"), default="text", help="output format (default: text)")
    _connection_options(plan, suppress=True)

    migrate = commands.add_parser("migrate", help="start a live migration of a VM")
    migrate.add_argument("vm", metavar="NAMESPACE/VM")
    migrate.add_argument("--to", metavar="NODE", default=None, help="target node (KubeVirt 1.6 or later); default: the scheduler chooses")
    migrate.add_argument("--wait", action="store_true", help="follow the migration until it ends; exit 0 only if it succeeded")
    _connection_options(migrate, suppress=True)

    abort = commands.add_parser("abort", help="abort the running migration of a VM")
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


def normalise_demo(argv: Sequence[str]) -> list[str]:
    """`--demo` takes an optional scenario; make sure it does not swallow a subcommand or NAMESPACE/VM."""
    result: list[str] = []
    tokens = list(argv)
    for index, token in enumerate(tokens):
        if token == "--demo":
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following is None or not _is_scenario(following):
                result.append(f"--demo={DEFAULT_SCENARIO}")
                continue
        result.append(token)
    return result


def _vm_argument(value: str, namespace: str | None) -> tuple[str, str]:
    namespace_part, slash, name = value.partition("/")
    if not slash:
        namespace_part, name = "", value
    if not name or "/" in name:
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

    _builtin_scenarios()  # a scenario named here must be registered before the cluster loads it
    try:
        cluster = SimCluster.start(scenario, manual_clock=False)
    except ScenarioError as error:
        raise ConnectError("bad-kubeconfig", f"The demo cannot start: {error}.") from None
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
        stack.callback(session.stop)
        session.start()
        yield session


def _require_listed(session: Any, out: TextIO) -> int | None:
    """Wait for the first full view of the cluster; None when usable, else the exit code."""
    session.wait_until_synced(SYNC_TIMEOUT)
    states = session.store.states()
    for kind in REQUIRED_KINDS:
        state = states[kind]
        if state.status != "connected":
            why = clean(state.last_error) or state.status
            _say(out, f"livemig: cannot read {kind} from {session.server_url}: {why}.")
            return EXIT_USAGE
    for kind, state in states.items():
        if kind in REQUIRED_KINDS:
            continue
        if state.status in ("forbidden", "reconnecting"):
            _say(out, f"note: {kind} could not be read ({state.status}: {clean(state.last_error)}); the plan goes without them.")
        elif state.partial:
            _say(out, f"note: {kind}: {clean(state.partial)}.")
    return None


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


def plan_text(plan: Any) -> str:
    """The plan for a terminal at 80 columns."""
    from tui.domain.plan import PINNING_ADDED_NODE_SELECTOR

    lines: list[str] = []
    lines += _wrap("VM", f"{plan.namespace}/{plan.name}")
    lines += _wrap("Runs on", plan.node or "(not running)")
    lines += _wrap("Migratable", "yes" if plan.migratable else "no")
    for reason in plan.blockers:
        lines += _bullet(reason, 2)
    lines += _wrap("CPU model", plan.cpu_model or "(cluster default)")
    budget = plan.completion_budget
    if budget is not None:
        lines += _wrap("Time limit", budget.text())
        lines += _wrap("", f"from {budget.source_detail or budget.source}")
        for note in budget.notes:
            lines += _wrap("", f"note: {note}")
    else:
        lines += _wrap("Time limit", "unknown")
    pinning = "a target node can be chosen" if plan.target_pinning == PINNING_ADDED_NODE_SELECTOR else "the scheduler chooses"
    lines += _wrap("Target node", f"{pinning}: {plan.target_pinning_reason}")
    eligible = sum(1 for verdict in plan.nodes if verdict.eligible)
    lines += _wrap("Nodes", f"{eligible} of {len(plan.nodes)} can take it")
    column = min(max((len(clean(v.node)) for v in plan.nodes), default=0) + 4, 40)
    for verdict in plan.nodes:
        name = clean(verdict.node)
        if verdict.eligible:
            note = "" if verdict.resources_checked else " (free CPU and memory not checked)"
            lines += _wrap(f"  {name}", f"yes{note}", indent=column)
            continue
        lines += _wrap(f"  {name}", "no", indent=column)
        for reason in verdict.reasons:
            lines += _bullet(reason, 4)
    return "\n".join(lines)


def _plan_for(session: Any, namespace: str, name: str) -> Any:
    from tui.domain.plan import plan_for

    return plan_for(session.store.snapshot(), namespace, name, session.now())


def command_plan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    namespace, name = _vm_argument(args.vm, getattr(args, "namespace", None))
    with _session(args, namespace=namespace or None) as session:
        namespace = namespace or _default_namespace(session)
        problem = _require_listed(session, err)
        if problem is not None:
            return problem
        plan = _plan_for(session, namespace, name)
        if args.output == "json":
            _say(out, safe_json(plan.to_dict()))
        else:
            _say(out, plan_text(plan))
    return EXIT_OK


def _default_namespace(session: Any) -> str:
    return session.namespaces[0] if session.namespaces else "default"


# ---------------------------------------------------------------------------------------------
# migrate
# ---------------------------------------------------------------------------------------------


def _refusal(out: TextIO, title: str, reasons: Sequence[Any]) -> None:
    _say(out, clean(title))
    for reason in reasons:
        for line in textwrap.wrap(clean(f"{reason.code}: {reason.message}"), width=WIDTH - 4):
            _say(out, f"  {line}")


def _exit_for(result: Any) -> int:
    """Permission problems (the server's 401 and 403) are 2; everything else is 1."""
    return EXIT_USAGE if result.code in (401, 403) else EXIT_FAILED


def command_migrate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from tui.domain.plan import PINNING_ADDED_NODE_SELECTOR

    namespace, name = _vm_argument(args.vm, getattr(args, "namespace", None))
    with _session(args, namespace=namespace or None) as session:
        namespace = namespace or _default_namespace(session)
        problem = _require_listed(session, err)
        if problem is not None:
            return problem
        plan = _plan_for(session, namespace, name)
        if not plan.migratable:
            _refusal(err, f"livemig: {namespace}/{name} cannot be migrated now:", plan.blockers)
            return EXIT_FAILED
        target = args.to
        if target:
            verdict = next((v for v in plan.nodes if v.node == target), None)
            if verdict is None:
                known = ", ".join(v.node for v in plan.nodes) or "none"
                _say(err, clean(f"livemig: there is no node named {target} (nodes: {known})."))
                return EXIT_USAGE
            if not verdict.eligible:
                _refusal(err, f"livemig: {namespace}/{name} cannot go to {target}:", verdict.reasons)
                return EXIT_FAILED
            if plan.target_pinning != PINNING_ADDED_NODE_SELECTOR:
                _say(err, clean(f"livemig: cannot send the migration to {target}: {plan.target_pinning_reason}"))
                return EXIT_FAILED
        result = session.actions.migrate(namespace, name, target)
        if not result.ok:
            _say(err, clean(f"livemig: {result.message}"))
            return _exit_for(result)
        _say(out, clean(result.message))
        if result.warning:
            _say(err, clean(f"warning: {result.warning}"))
        if not args.wait:
            return EXIT_OK
        try:
            return follow_migration(session, namespace, name, result.name, target, out)
        except KeyboardInterrupt:
            _say(err, "")
            _say(err, clean(f"Stopped waiting; migration {result.name} goes on. Abort it with: livemig abort {namespace}/{name}"))
            return EXIT_INTERRUPTED


def _bar(fraction: float, width: int) -> str:
    filled = int(round(max(0.0, min(fraction, 1.0)) * width))
    return "#" * filled + "." * (width - filled)


def progress_line(progress: Any, remaining: float | None, connection: str) -> str:
    """One line of a migration's progress (without the bar): step, label, bytes, time left."""
    from tui.domain.units import human_duration

    parts = [f"{progress.label}"]
    if progress.step is not None:
        parts[0] = f"step {progress.step}/{progress.total_steps} {progress.label}"
    if progress.byte_fraction is not None:
        parts.append(f"{progress.byte_fraction * 100:.0f}% copied")
    if progress.eta_seconds is not None:
        parts.append(f"about {human_duration(progress.eta_seconds)} to go")
    if remaining is not None:
        parts.append(f"timeout in {human_duration(remaining)}" if remaining >= 0 else "timeout passed")
    if progress.abort_requested:
        parts.append("abort requested")
    if connection:
        parts.append(connection)
    return clean(", ".join(parts))


def follow_migration(session: Any, namespace: str, vm: str, migration: str, target: str | None, out: TextIO) -> int:
    """Show the migration until it ends: a bar on a terminal, lines otherwise. 0 succeeded, 1 not."""
    from tui.domain.budget import completion_budget, remaining_seconds
    from tui.domain.progress import OUTCOME_SUCCEEDED, migration_progress, migration_state_of

    changed = threading.Event()
    session.store.subscribe(lambda batch: changed.set())
    session.metrics.subscribe(changed.set)
    tty = out.isatty()
    key = f"{namespace}/{migration}"
    seen = False
    last_line, last_print = "", 0.0
    while True:
        snapshot = session.store.snapshot()
        found = snapshot.migrations.get(key)
        if found is None:
            if seen:
                if tty:
                    out.write("\n")
                _say(out, clean(f"Migration {migration} was deleted before it finished (aborted)."))
                return EXIT_FAILED
        else:
            seen = True
            vmi = snapshot.vmis.get(f"{namespace}/{vm}")
            counters, previous = session.metrics.counters(namespace, vm)
            progress = migration_progress(found, vmi, counters, previous)
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
            if vmi is not None and progress.started:
                remaining = remaining_seconds(completion_budget(snapshot, vmi), migration_state_of(found, vmi), session.now())
            connection = _connection_note(session)
            line = progress_line(progress, remaining, connection)
            if tty:
                width = min(shutil.get_terminal_size((WIDTH, 24)).columns, 120)
                bar = _bar(progress.fraction, 20)
                text = f"[{bar}] {line}"
                out.write("\r\x1b[K" + text[: max(width - 1, 20)])
                out.flush()
            else:
                steady = line.split(", ")[0]
                now = time.monotonic()
                if steady != last_line or now - last_print >= 15:
                    _say(out, f"{progress.fraction * 100:3.0f}% {line}")
                    last_line, last_print = steady, now
        changed.wait(1.0)
        changed.clear()


def _connection_note(session: Any) -> str:
    for kind in ("migrations", "vmis"):
        state = session.store.state(kind)
        if state.status == "reconnecting":
            return f"reconnecting (attempt {state.attempt}: {state.last_error})"
    return ""


# ---------------------------------------------------------------------------------------------
# abort
# ---------------------------------------------------------------------------------------------


def command_abort(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    namespace, name = _vm_argument(args.vm, getattr(args, "namespace", None))
    with _session(args, namespace=namespace or None) as session:
        namespace = namespace or _default_namespace(session)
        problem = _require_listed(session, err)
        if problem is not None:
            return problem
        migrations = [m for m in session.store.snapshot().migrations_of(namespace, name) if not m.is_final]
        if not migrations:
            _say(err, clean(f"livemig: {namespace}/{name} has no running migration to abort."))
            return EXIT_FAILED
        newest = migrations[-1]
        result = session.actions.abort(namespace, newest.name, newest.meta.uid)
        if not result.ok:
            _say(err, clean(f"livemig: {result.message}"))
            return _exit_for(result)
        _say(out, clean(result.message))
        return EXIT_OK


# ---------------------------------------------------------------------------------------------
# The terminal UI
# ---------------------------------------------------------------------------------------------


def command_ui(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if importlib.util.find_spec("tui.app") is None:
        _say(err, "livemig: the terminal UI is not part of this build; use livemig plan, migrate or abort.")
        return EXIT_USAGE
    from tui.app import check_theme, run_app

    problem = check_theme(args.theme)
    if problem:
        raise UsageError(problem)
    # The demo shows its whole cluster unless a namespace is asked for.
    everything = args.all_namespaces or (bool(getattr(args, "demo", None)) and not args.namespace)
    with _session(args, namespace=args.namespace, all_namespaces=everything) as session:
        code = run_app(session, readonly=args.readonly, theme=args.theme)
    return code if isinstance(code, int) else EXIT_OK


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------


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
        if args.readonly and args.command in ("migrate", "abort"):
            raise UsageError(f"--readonly and {args.command} exclude each other: {args.command} changes the cluster")
        return commands.get(args.command, command_ui)(args, out, err)
    except UsageError as error:
        parser.print_usage(err)
        _say(err, clean(f"livemig: error: {error}"))
        return EXIT_USAGE
    except ConnectError as error:
        _say(err, clean(f"livemig: {error.message}"))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say(err, "livemig: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`livemig plan ... | head`): nothing left to tell
        with contextlib.suppress(Exception):
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
        return EXIT_FAILED
    except Exception as error:  # never a traceback in front of the operator; the words say what broke
        if os.environ.get("LIVEMIG_DEBUG"):
            raise
        _say(err, clean(f"livemig: unexpected error ({type(error).__name__}: {error}). Set LIVEMIG_DEBUG=1 to see where."))
        return EXIT_FAILED
