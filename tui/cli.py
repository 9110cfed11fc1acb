"""The `livemig` command line: arguments, and which mode to start."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from tui import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livemig",
        description="Live-migrate KubeVirt and Harvester virtual machines from a terminal.",
    )
    parser.add_argument("--version", action="version", version=f"livemig {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    parser.parse_args(argv)
    parser.print_help(sys.stdout)
    return 0
