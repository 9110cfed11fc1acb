"""Starting the terminal UI from the command line: only on a terminal, and only where it can draw."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from typing import TextIO

from tui.cli.connecting import connected
from tui.cli.output import EXIT_OK, EXIT_USAGE, UsageError, say
from tui.cli.timings import Timings


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return isatty is not None and bool(isatty())
    except (AttributeError, ValueError, OSError):  # closed or detached: no terminal either
        return False


def _has_terminal(out: TextIO) -> bool:
    """Both stdin and the output are terminals (not a pipe, a file, /dev/null, cron or CI)."""
    return _is_terminal(sys.stdin) and _is_terminal(out)


def command_ui(args: argparse.Namespace, out: TextIO, err: TextIO, timings: Timings) -> int:
    if importlib.util.find_spec("tui.app") is None:
        say(err, "livemig: the terminal UI is not part of this build; use livemig plan, migrate or abort.")
        return EXIT_USAGE
    if args.theme:
        from tui.themes import check_theme

        problem = check_theme(args.theme)
        if problem:
            raise UsageError(problem)
    if not _has_terminal(out):
        say(err, "livemig: the terminal UI needs a terminal; use livemig plan|migrate|abort (see livemig --help).")
        return EXIT_USAGE
    if not _is_terminal(err):
        # Textual draws on stderr: redirected (livemig 2>/dev/null) the UI would draw nowhere and
        # swallow every key. Said on stdout, the terminal, since stderr goes nowhere to be seen.
        say(
            out,
            "livemig: the terminal UI draws on stderr, which is redirected; run livemig without 2>..., "
            "or use livemig plan|migrate|abort (see livemig --help).",
        )
        return EXIT_USAGE
    # The demo shows its whole cluster unless a namespace is asked for.
    demo = bool(getattr(args, "demo", None))
    everything = args.all_namespaces or (demo and not args.namespace)
    with connected(args, timings, namespace=args.namespace, all_namespaces=everything) as session:
        # Imported once the lists are asked for: the server answers them while the UI's modules load.
        from tui.app import run_app

        code = run_app(
            session,
            readonly=args.readonly,
            theme=args.theme,
            kubeconfig=args.kubeconfig,
            demo=demo,
            keymap_file=getattr(args, "config_keymap", None),
            config_problem=getattr(args, "config_problem", ""),
        )
    return code if isinstance(code, int) else EXIT_OK
