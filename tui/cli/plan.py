"""`livemig plan NAMESPACE/VM`: whether the VM can migrate now, where to, and why not."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TextIO

from tui.cli.arguments import vm_argument
from tui.cli.connecting import (
    connected,
    in_namespace,
    no_such_vm,
    nodes_unknown,
    note_unread_kinds,
    wait_for,
)
from tui.cli.output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, clean, safe_json, say
from tui.cli.rendering import plan_text
from tui.cli.timings import Timings
from tui.cluster.session import ClusterSession
from tui.domain.keys import VMKey
from tui.domain.kinds import required_for
from tui.domain.plan import Plan, plan_for


@dataclass(frozen=True)
class PlanOfListed:
    """The VM's plan once what the command needs was listed; `nodes_unknown` says why there are no
    node verdicts ("" when the nodes were read)."""

    plan: Plan
    nodes_unknown: str


def plan_of_listed(
    session: ClusterSession, err: TextIO, timings: Timings, command: str, key: VMKey
) -> PlanOfListed | int:
    """Wait for what `command` needs, then the VM's plan; the exit code when that cannot be (the reason printed)."""
    required = required_for(command)
    problem = wait_for(session, err, timings, required)
    if problem is not None:
        return problem
    missing = no_such_vm(session, command, key)
    if missing:
        say(err, clean(missing))
        return EXIT_USAGE
    note_unread_kinds(session, err, required)
    # Without the nodes the snapshot says so (nodes_known), and the plan concludes nothing from them.
    plan = plan_for(session.store.snapshot(), key.namespace, key.name, session.now())
    return PlanOfListed(plan, nodes_unknown(session))


def command_plan(args: argparse.Namespace, out: TextIO, err: TextIO, timings: Timings) -> int:
    asked = vm_argument(args.vm, getattr(args, "namespace", None))
    with connected(args, timings, namespace=asked.namespace or None) as session:
        listed = plan_of_listed(session, err, timings, "plan", in_namespace(asked, session))
        if isinstance(listed, int):
            return listed
        if args.output == "json":
            say(out, safe_json(listed.plan.to_dict()))
        else:
            say(out, plan_text(listed.plan, listed.nodes_unknown))
    return EXIT_OK if listed.plan.migratable else EXIT_FAILED
