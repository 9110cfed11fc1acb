"""The command line's arguments: the parser and its help, `--demo [SCENARIO]`, and NAMESPACE/VM.

Parsing never imports the simulator: whether the token after `--demo` is its scenario is told from
the tokens around it (see normalise_demo); the simulator is imported only when the demo starts.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from pathlib import Path

from tui import __version__
from tui.cli.output import WIDTH, UsageError
from tui.domain.keys import VMKey

DEFAULT_SCENARIO = "default"
SUBCOMMANDS = ("plan", "migrate", "abort", "evacuate")
# Options that take a value (so the token after them is no positional argument).
VALUE_OPTIONS = ("--kubeconfig", "--context", "-n", "--namespace", "--theme", "--to", "-o", "--output")


def _connection_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """--kubeconfig, --context, -n, --demo: on the top level and again on every subcommand."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--kubeconfig",
        metavar="FILE",
        default=default,
        help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)",
    )
    parser.add_argument(
        "--context", metavar="NAME", default=default, help="kubeconfig context (default: its current context)"
    )
    parser.add_argument(
        "-n", "--namespace", metavar="NS", default=default, help="namespace (default: the context's; else all)"
    )
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
  livemig evacuate NODE          empty a node: cordon it, migrate every VM away

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


EVACUATE_EPILOG = """Prints the plan for every VM on the node: which will move and where, which
cannot and why (not migratable, no other node can take it, evictionStrategy
None or External), and what a drain would do with those. Then cordons the node
(unless --no-cordon) and creates one migration per movable VM; the scheduler
picks each target. With --to NODE[,NODE...] (KubeVirt 1.6 or later) each VM
goes to one of those nodes that can take it, the one with the most free memory
left; a VM none of them can take stays. KubeVirt runs at most 2 migrations
out of a node at once (parallelOutboundMigrationsPerNode): the others wait as
queued.

exit codes:
  0    every VM moved (with --wait: arrived), or there was nothing to move
  1    some VMs cannot move (--dry-run: the plan says so), a migration could
       not be created, or (with --wait) one failed or was aborted; a --to node
       can take none of the VMs; --to on KubeVirt older than 1.6
  2    usage, configuration, connection or permission problem (the cordon
       refused: nothing was migrated); no such node; --to with the KubeVirt
       version unreadable; with --wait: no answer
       from the API server for 5 min (the migrations may go on)
  130  interrupted while waiting; the migrations go on (livemig abort
       NAMESPACE/VM stops one)"""


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
    parser.add_argument(
        "--readonly", action="store_true", help="change nothing: hide migrate, abort and CPU-model actions"
    )
    parser.add_argument("--theme", metavar="NAME", default=None, help="colour theme of the terminal UI")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    plan = commands.add_parser(
        "plan", help="say whether a VM can migrate, where, and why not", epilog=PLAN_EPILOG, formatter_class=formatter
    )
    plan.add_argument("vm", metavar="NAMESPACE/VM")
    plan.add_argument("-o", "--output", choices=("text", "json"), default="text", help="output format (default: text)")
    _connection_options(plan, suppress=True)

    migrate = commands.add_parser(
        "migrate", help="start a live migration of a VM", epilog=MIGRATE_EPILOG, formatter_class=formatter
    )
    migrate.add_argument("vm", metavar="NAMESPACE/VM")
    migrate.add_argument(
        "--to", metavar="NODE", default=None, help="target node (KubeVirt 1.6 or later); default: the scheduler chooses"
    )
    migrate.add_argument(
        "--wait", action="store_true", help="follow the migration until it ends; exit 0 only if it succeeded"
    )
    _connection_options(migrate, suppress=True)

    abort = commands.add_parser(
        "abort", help="abort the running migration of a VM", epilog=ABORT_EPILOG, formatter_class=formatter
    )
    abort.add_argument("vm", metavar="NAMESPACE/VM")
    _connection_options(abort, suppress=True)

    evacuate = commands.add_parser(
        "evacuate",
        help="empty a node: cordon it and migrate every VM that can move",
        epilog=EVACUATE_EPILOG,
        formatter_class=formatter,
    )
    evacuate.add_argument("node", metavar="NODE")
    evacuate.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    evacuate.add_argument(
        "-o", "--output", choices=("text", "json"), default="text", help="output format of the plan (default: text)"
    )
    evacuate.add_argument(
        "--wait", action="store_true", help="follow every migration until it ends; exit 0 only if all arrived"
    )
    evacuate.add_argument("--no-cordon", action="store_true", help="do not cordon the node first")
    evacuate.add_argument(
        "--to",
        metavar="NODE[,NODE...]",
        action="append",
        default=None,
        help="send the VMs only onto these nodes (repeatable; KubeVirt 1.6 or later); default: the scheduler chooses",
    )
    _connection_options(evacuate, suppress=True)
    return parser


def _names_a_file(token: str) -> bool:
    return token.endswith((".yaml", ".yml")) or Path(token).is_file()


def _demo_takes(token: str, command: str | None, positionals_before: int, positionals_after: int) -> bool:
    """Whether the token after `--demo` is its scenario. Before a command only a command can follow
    (so anything else is a scenario, even a mistyped one); after it, the command's one positional
    argument (NAMESPACE/VM) is the token unless it is given elsewhere or the token names a file."""
    if token.startswith("-"):
        return False
    if command is None:
        return token not in SUBCOMMANDS
    return _names_a_file(token) or positionals_before >= 1 or positionals_after >= 1


def _positionals(tokens: Sequence[str]) -> int:
    """How many positional arguments the tokens hold (an option's value is none)."""
    count, taken = 0, False
    for token in tokens:
        if taken:
            taken = False
        elif token in VALUE_OPTIONS:
            taken = True
        elif not token.startswith("-"):
            count += 1
    return count


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
            after = _positionals(tokens[index + 2 :])
            if following is None or not _demo_takes(following, command, positionals, after):
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


def vm_argument(value: str, namespace: str | None) -> VMKey:
    """NAMESPACE/VM (or VM alone, in -n's namespace); the namespace is "" when neither names one."""
    namespace_part, slash, name = value.partition("/")
    if not slash:
        namespace_part, name = "", value
    if not name or "/" in name or (slash and not namespace_part):
        raise UsageError(f'"{value}" is not NAMESPACE/VM (for example: default/web-1)')
    if namespace_part and namespace and namespace != namespace_part:
        raise UsageError(f'the namespace of "{value}" and -n {namespace} differ')
    return VMKey(namespace_part or namespace or "", name)


def command_parser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    """The parser of `command` (so an error shows that command's usage), else the top-level one."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            chosen: argparse.ArgumentParser = action.choices[command]
            return chosen
    return parser
