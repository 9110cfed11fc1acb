"""`main`: parse the arguments, run the command, and turn every way it can end into a sentence and an exit code."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from tui.cli.arguments import build_parser, command_parser, normalise_demo
from tui.cli.config_file import apply_config_file, connect_message
from tui.cli.output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Terminated,
    UsageError,
    clean,
    say,
    silence,
)
from tui.cli.signals import stop_signals_interrupt
from tui.cli.timings import DEFAULT_TIMINGS, Timings
from tui.cluster.errors import ConnectError
from tui.cluster.redaction import redact

Command = Callable[[argparse.Namespace, TextIO, TextIO, Timings], int]


def command_for(name: str | None) -> Command:
    """The function that runs command `name` (None: the terminal UI), imported only when it runs: the
    UI starts without the headless commands' modules, and they without the UI's."""
    if name == "plan":
        from tui.cli.plan import command_plan

        return command_plan
    if name == "migrate":
        from tui.cli.migrate import command_migrate

        return command_migrate
    if name == "abort":
        from tui.cli.abort import command_abort

        return command_abort
    if name == "evacuate":
        from tui.cli.evacuate import command_evacuate

        return command_evacuate
    from tui.cli.ui import command_ui

    return command_ui


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    timings: Timings = DEFAULT_TIMINGS,
) -> int:
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
    try:
        with stop_signals_interrupt():
            problem = apply_config_file(args)
            if problem and args.command is not None:
                say(err, clean(f"livemig: {problem}"))
            changes = args.command in ("migrate", "abort") or (args.command == "evacuate" and not args.dry_run)
            if args.readonly and changes:
                raise UsageError(
                    f"--readonly and {args.command} exclude each other: {args.command} changes the cluster"
                )
            return command_for(args.command)(args, out, err, timings)
    except UsageError as error:
        command_parser(parser, args.command).print_usage(err)
        say(err, clean(f"livemig: error: {error}"))
        return EXIT_USAGE
    except ConnectError as error:
        say(err, clean(f"livemig: {connect_message(args, error.message)}"))
        return EXIT_USAGE
    except Terminated as signalled:
        with contextlib.suppress(OSError, ValueError):  # after SIGHUP the terminal may be gone
            say(err, f"livemig: stopped by {signalled}")
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        with contextlib.suppress(OSError, ValueError):
            say(err, "livemig: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`livemig plan ... | head`): nothing left to tell
        silence(out)
        return EXIT_FAILED
    except Exception as error:  # noqa: BLE001 - never a traceback in front of the operator; the words say what broke
        if os.environ.get("LIVEMIG_DEBUG"):
            import traceback

            err.write(redact(traceback.format_exc()))  # where it broke, without a credential
        say(
            err,
            clean(f"livemig: unexpected error ({type(error).__name__}: {error}). Set LIVEMIG_DEBUG=1 to see where."),
        )
        return EXIT_FAILED
