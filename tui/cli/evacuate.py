"""`livemig evacuate NODE [--dry-run] [-o json] [--wait] [--no-cordon] [--to NODE[,NODE...]]`: empty a node by
live migration.

The plan first (which VMs move and where, which cannot and why, what a drain would do with them),
then the cordon (unless --no-cordon, or the node is cordoned already), then one migration per movable
VM, the scheduler choosing each target, or (--to) each sent to one of the chosen nodes
(tui/domain/evacuation_targets.py). KubeVirt holds back those beyond its parallel limits (phase
Pending): they start as others end. --dry-run prints the plan and changes nothing.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import TextIO

from tui.cli.batch_following import BatchFollower
from tui.cli.connecting import connected, note_unread_kinds, wait_for
from tui.cli.evacuation_targets import chosen_nodes, refuse_chosen
from tui.cli.output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    WIDTH,
    ServerSilent,
    UsageError,
    clean,
    safe_json,
    say,
    silence,
)
from tui.cli.timings import Timings
from tui.cluster.node_actions import NodeActions
from tui.cluster.session import ClusterSession
from tui.domain.evacuation import EvacuationPlan, evacuation_plan
from tui.domain.evacuation_targets import memory_facts, onto_chosen
from tui.domain.keys import VMKey
from tui.domain.kinds import MIGRATIONS, NODES, VMIS, VMS
from tui.domain.units import human_duration
from tui.view.evacuation import (
    cordon_words,
    headline,
    maintenance_words,
    node_not_found,
    nothing_words,
    onto_words,
    queue_words,
    targets_words,
    unmovable_words,
)

# What the plan cannot be made without; the rest (pods, the KubeVirt CR, ...) only sharpens it.
REQUIRED = (NODES.name, VMS.name, VMIS.name, MIGRATIONS.name)
INDENT = 4


def _wrapped(text: str, indent: int = INDENT) -> list[str]:
    return textwrap.wrap(
        clean(text),
        width=WIDTH,
        initial_indent=" " * indent,
        subsequent_indent=" " * indent,
        break_long_words=True,
        break_on_hyphens=False,
    )


def evacuation_text(plan: EvacuationPlan, cordon: bool = True) -> str:
    """The plan for a terminal at 80 columns."""
    lines = [clean(f"Evacuate {plan.node}: {headline(plan)}")]
    lines += _wrapped(cordon_words(plan, cordon), 2)
    if maintenance := maintenance_words(plan):
        lines += _wrapped(maintenance, 2)
    if onto := onto_words(plan):
        lines += _wrapped(onto, 2)
    if plan.nothing_to_do:
        lines += _wrapped(nothing_words(plan), 2)
    if plan.movable:
        lines += ["", "Will move:"]
        for item in plan.movable:
            lines += _wrapped(f"{item.key}: {targets_words(item)}", 2)
        if queued := queue_words(plan):
            lines += _wrapped(queued, 2)
    if plan.unmovable:
        lines += ["", "Cannot move:"]
        for stays in plan.unmovable:
            why, on_drain = unmovable_words(stays)
            lines += _wrapped(str(stays.key), 2) + _wrapped(why) + _wrapped(on_drain)
    if plan.migrating:
        lines += ["", "Migrating already:"]
        for underway in plan.migrating:
            by = "KubeVirt's evacuation" if underway.by_kubevirt else "a migration"
            lines += _wrapped(f"{underway.key}: {by} ({underway.migration})", 2)
    return "\n".join(lines)


def command_evacuate(args: argparse.Namespace, out: TextIO, err: TextIO, timings: Timings) -> int:
    if getattr(args, "namespace", None):
        raise UsageError("evacuate moves every VM on the node, in every namespace: leave out -n")
    node = args.node
    chosen = chosen_nodes(args.to)
    with connected(args, timings, all_namespaces=True) as session:
        problem = wait_for(session, err, timings, REQUIRED)
        if problem is not None:
            return problem
        snapshot = session.store.snapshot()
        if node not in snapshot.nodes:
            say(err, clean(f"livemig: {node_not_found(node, sorted(snapshot.nodes))}"))
            return EXIT_USAGE
        note_unread_kinds(session, err, REQUIRED)
        plan = evacuation_plan(snapshot, node, session.now())
        if chosen:
            refused = refuse_chosen(session, snapshot, plan, chosen)
            if refused is not None:
                say(err, clean(refused[0]))
                return refused[1]
            plan = onto_chosen(plan, chosen, memory_facts(snapshot, plan))
        cordon = not args.no_cordon
        if args.output == "json":
            say(out, safe_json(plan.to_dict()))
        else:
            say(out, evacuation_text(plan, cordon))
        if args.dry_run:
            return EXIT_FAILED if plan.unmovable else EXIT_OK
        return _evacuate(session, plan, cordon, args.wait, args.output == "json", out, err, timings)


def _evacuate(
    session: ClusterSession,
    plan: EvacuationPlan,
    cordon: bool,
    wait: bool,
    quiet: bool,
    out: TextIO,
    err: TextIO,
    timings: Timings,
) -> int:
    """Cordon, migrate, and follow if asked; the exit code. With -o json, what is done goes to stderr."""
    told = err if quiet else out
    if cordon and not plan.cordoned:
        result = NodeActions(session.transport, session.store, readonly=session.readonly).cordon(plan.node)
        if not result.ok:
            say(err, clean(f"livemig: {result.message} No VM was migrated."))
            return EXIT_USAGE if result.code in (401, 403, 404) else EXIT_FAILED
        say(told, "")
        say(told, clean(result.message))
    started: list[tuple[VMKey, str]] = []
    failed = 0
    for item in plan.movable:
        result = session.actions.migrate(item.namespace, item.name, item.target or None)
        if result.ok:
            started.append((item.key, result.name))
            say(told, clean(result.message))
        else:
            failed += 1
            say(err, clean(f"livemig: migration of {item.key} not started: {result.message}"))
    if not started or not wait:
        return EXIT_FAILED if failed or plan.unmovable else EXIT_OK
    follower = BatchFollower(session, started, told, timings)
    try:
        all_arrived = follower.run()
    except KeyboardInterrupt:
        say(err, "")
        say(err, clean(_going_on("Stopped waiting", follower.unfinished())))
        return EXIT_INTERRUPTED
    except ServerSilent as silent:
        say(
            err,
            clean(
                _going_on(
                    f"livemig: stopped waiting: no answer from the API server for {human_duration(silent.waited)} "
                    f"(since {silent.since})",
                    follower.unfinished(),
                )
            ),
        )
        return EXIT_USAGE
    except BrokenPipeError:
        silence(told)
        say(err, clean(_going_on("livemig: stopped waiting: the output was closed", follower.unfinished())))
        return EXIT_FAILED
    return EXIT_OK if all_arrived and not failed and not plan.unmovable else EXIT_FAILED


def _going_on(start: str, unfinished: list[tuple[VMKey, str]]) -> str:
    if not unfinished:
        return f"{start}. Every migration had ended."
    names = ", ".join(f"{vm} ({name})" for vm, name in unfinished)
    aborts = "; ".join(f"livemig abort {vm}" for vm, _ in unfinished)
    return f"{start}. These migrations go on: {names}. Abort them with: {aborts}"
