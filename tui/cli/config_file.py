"""The config file on the command line: its defaults fill what the arguments leave open, and a file
that cannot be used is said once (stderr for a headless command, a toast in the UI)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping

from tui.config import Settings, config_path, read_config


def read_for(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> tuple[Settings, str]:
    """The file's settings for this command line; the UI also checks theme names, binding ids and keys."""
    path = config_path(os.environ if environ is None else environ)
    settings, problem = read_config(path)
    if args.command is not None or problem or not (settings.theme or settings.keymap):
        return settings, problem
    # Only a file that names a theme or keys is checked against the UI's (importing the UI takes time
    # that starting without a config file, or with only a context and namespace, does not spend).
    from tui.app import binding_ids
    from tui.themes import theme_names
    from tui.widgets.keymap import key_problem, normal_key

    return read_config(path, theme_names(), binding_ids(), lambda key: key_problem(normal_key(key)))


def apply_config_file(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> str:
    """Fill `args` from the config file where the command line says nothing (the demo takes no context
    or namespace from it); returns the sentence saying why the file is not used, or ""."""
    settings, problem = read_for(args, environ)
    demo = bool(getattr(args, "demo", None))
    args.context_from_config = False
    if not demo and getattr(args, "context", None) is None and settings.context:
        args.context = settings.context
        args.context_from_config = True
    if not demo and getattr(args, "namespace", None) is None and not args.all_namespaces and settings.namespace:
        args.namespace = settings.namespace
    if args.command is None:
        args.theme = args.theme or settings.theme
        args.readonly = bool(args.readonly or settings.readonly)
    args.config_keymap = dict(settings.keymap)
    args.config_problem = problem
    return problem


def connect_message(args: argparse.Namespace, message: str) -> str:
    """A connection error's words, naming the config file where the context came from it."""
    if getattr(args, "context_from_config", False):
        return message.replace("given with --context", "set in the config file")
    return message
