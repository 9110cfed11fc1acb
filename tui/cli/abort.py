"""`livemig abort NAMESPACE/VM`: delete the VM's running migration, as it was seen running."""

from __future__ import annotations

import argparse
from typing import TextIO

from tui.cli.arguments import vm_argument
from tui.cli.connecting import (
    connected,
    in_namespace,
    no_such_vm,
    refused_action,
    wait_for,
)
from tui.cli.output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, clean, say
from tui.cli.timings import Timings
from tui.cluster.connection import ConnectionStatus
from tui.domain.kinds import NAMESPACES, VMIS, VMS, required_for


def command_abort(args: argparse.Namespace, out: TextIO, err: TextIO, timings: Timings) -> int:
    asked = vm_argument(args.vm, getattr(args, "namespace", None))
    required = required_for("abort")
    with connected(args, timings, namespace=asked.namespace or None) as session:
        key = in_namespace(asked, session)
        # In an emergency only the migrations count: the rest of the cluster is not waited for.
        problem = wait_for(session, err, timings, required, required)
        if problem is not None:
            return problem
        migrations = [m for m in session.store.snapshot().migrations_of(key.namespace, key.name) if not m.is_final]
        if not migrations:
            session.wait_until_listed((VMS.name, VMIS.name, NAMESPACES.name), timings.sync_timeout)
            states = session.store.states()
            if states[VMS.name].status == states[VMIS.name].status == ConnectionStatus.CONNECTED:
                missing = no_such_vm(session, "abort", key)
                if missing:
                    say(err, clean(missing))
                    return EXIT_USAGE
            say(err, clean(f"livemig: {key} has no running migration to abort."))
            return EXIT_FAILED
        newest = migrations[-1]
        result = session.actions.abort(key.namespace, newest.name, newest.meta.uid)
        if not result.ok:
            return refused_action(session, err, "delete", key.namespace, result)
        say(out, clean(result.message))
        return EXIT_OK
