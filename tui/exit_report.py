"""What livemig prints after the UI quits while migrations run: on a real cluster they go on (and how to
abort each); in the demo they stopped with the simulated cluster."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable

from tui.view.ledger import MigrationView
from tui.widgets.literal import clean


def abort_command(context: str, kubeconfig: str | None = None) -> str:
    """The command that aborts a migration in the same cluster: the context (and file) this session used,
    so it cannot reach another cluster where a VM has the same name."""
    words = ["livemig"]
    if kubeconfig:
        words += ["--kubeconfig", shlex.quote(clean(os.path.abspath(kubeconfig)))]
    if context:
        words += ["--context", shlex.quote(clean(context))]
    return " ".join(words + ["abort"])


def still_running(
    views: Iterable[MigrationView], context: str, *, kubeconfig: str | None = None, demo: bool = False
) -> list[str]:
    """What to say after quitting while migrations run: on a real cluster they go on without livemig
    (and how to abort each); the demo's simulated cluster stopped, and they with it."""
    running = [view for view in views if not view.final]
    if not running:
        return []
    several = len(running) > 1
    if demo:
        lines = [
            f"livemig: the demo's simulated cluster stopped with livemig; {'these migrations' if several else 'this migration'} stopped with it:"
        ]
        return lines + [clean(f"  {view.vm_key} ({view.name}): {view.progress.label}") for view in running]
    command = abort_command(context, kubeconfig)
    lines = [
        clean(
            f"livemig: {len(running)} migration{'s' if several else ''} still running in the cluster of context {context}:"
        )
    ]
    for view in running:
        lines.append(
            clean(
                f"  {view.vm_key} ({view.name}): {view.progress.label}; stop it with: {command} {shlex.quote(view.vm_key)}"
            )
        )
    return lines
