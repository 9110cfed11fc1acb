"""`livemig migrate NAMESPACE/VM [--to NODE] [--wait]`: start a live migration, and follow it if asked."""

from __future__ import annotations

import argparse
from typing import TextIO

from tui.cli.arguments import vm_argument
from tui.cli.connecting import connected, in_namespace, refused_action
from tui.cli.following import follow_migration
from tui.cli.output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ServerSilent,
    clean,
    say,
    silence,
)
from tui.cli.pinning import LEAVE_OUT, pinning_refusal
from tui.cli.plan import PlanOfListed, plan_of_listed
from tui.cli.rendering import refusal
from tui.cli.timings import Timings
from tui.cluster.session import ClusterSession
from tui.domain.keys import VMKey
from tui.domain.units import human_duration


def command_migrate(args: argparse.Namespace, out: TextIO, err: TextIO, timings: Timings) -> int:
    asked = vm_argument(args.vm, getattr(args, "namespace", None))
    with connected(args, timings, namespace=asked.namespace or None) as session:
        key = in_namespace(asked, session)
        listed = plan_of_listed(session, err, timings, "migrate", key)
        if isinstance(listed, int):
            return listed
        if not listed.plan.migratable:
            refusal(err, f"livemig: {key} cannot be migrated now:", listed.plan.blockers)
            return EXIT_FAILED
        target = args.to
        if target:
            problem = _check_target(session, err, listed, key, target)
            if problem is not None:
                return problem
        result = session.actions.migrate(key.namespace, key.name, target)
        if not result.ok:
            return refused_action(session, err, "create", key.namespace, result)
        abort_hint = f"Abort it with: livemig abort {key}"
        # From here the migration exists: an interruption, even before the waiting starts, says it goes on.
        try:
            say(out, clean(result.message))
            if result.warning:
                say(err, clean(f"warning: {result.warning}"))
            if not args.wait:
                return EXIT_OK
            return follow_migration(session, key, result.name, target, out, timings)
        except ServerSilent as silent:
            say(
                err,
                clean(
                    f"livemig: stopped waiting: no answer from the API server for {human_duration(silent.waited)} "
                    f"(since {silent.since}). Migration {result.name} may still be running: check it with "
                    f"livemig plan {key} (or kubectl get vmim -n {key.namespace} {result.name}) once the "
                    f"server answers. {abort_hint}"
                ),
            )
            return EXIT_USAGE
        except KeyboardInterrupt:
            say(err, "")
            stopped = "Stopped waiting" if args.wait else "Interrupted"
            say(err, clean(f"{stopped}; migration {result.name} goes on. {abort_hint}"))
            return EXIT_INTERRUPTED
        except BrokenPipeError:  # `livemig migrate --wait | head`: the reader went away, the migration did not
            silence(out)
            say(
                err,
                clean(
                    f"livemig: stopped waiting: the output was closed. Migration {result.name} goes on. {abort_hint}"
                ),
            )
            return EXIT_FAILED


def _check_target(session: ClusterSession, err: TextIO, listed: PlanOfListed, key: VMKey, target: str) -> int | None:
    """None when the migration may be sent to node `target`, else the exit code (reason printed)."""
    plan = listed.plan
    leave_out = LEAVE_OUT
    if listed.nodes_unknown:
        say(
            err,
            clean(
                f"livemig: cannot check whether node {target} can take {key}: nodes could not be read "
                f"({listed.nodes_unknown}). Ask for read access to nodes, {leave_out}."
            ),
        )
        return EXIT_USAGE
    verdict = next((v for v in plan.nodes if v.node == target), None)
    if verdict is None:
        known = ", ".join(v.node for v in plan.nodes) or "none"
        say(err, clean(f"livemig: there is no node named {target} (nodes: {known})."))
        return EXIT_USAGE
    if not verdict.eligible:
        refusal(err, f"livemig: {key} cannot go to {target}:", verdict.reasons)
        return EXIT_FAILED
    refused = pinning_refusal(session, f"the migration to {target}")
    if refused is None:
        return None
    say(err, clean(refused[0]))
    return refused[1]
