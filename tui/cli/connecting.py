"""Connecting a command to its cluster (a real one, or the demo's) and waiting for the kinds it needs,
with the sentence for each way that can fail: unreadable kinds, a silent server, no such VM, no right."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator, Sequence
from typing import TextIO

from tui.cli.output import EXIT_FAILED, EXIT_USAGE, UsageError, clean, say
from tui.cli.timings import Timings
from tui.cluster.actions import ActionResult
from tui.cluster.connection import ConnectionState, ConnectionStatus
from tui.cluster.errors import forbidden_reason
from tui.cluster.reflector import KIND_BY_NAME as READING
from tui.cluster.session import ClusterSession, ConnectOptions
from tui.domain.keys import VMKey
from tui.domain.kinds import KIND_BY_NAME, NAMESPACES, NODES


@contextlib.contextmanager
def connected(
    args: argparse.Namespace, timings: Timings, namespace: str | None = None, all_namespaces: bool = False
) -> Iterator[ClusterSession]:
    """A started ClusterSession for the arguments (starting the demo cluster first if asked)."""
    demo = getattr(args, "demo", None)
    with contextlib.ExitStack() as stack:
        kubeconfig, clock = getattr(args, "kubeconfig", None), None
        if demo:
            if kubeconfig:
                raise UsageError("--demo and --kubeconfig cannot be used together")
            from tui.cli.demo import demo_cluster

            kubeconfig, cluster = stack.enter_context(demo_cluster(demo))
            clock = cluster.clock.now
        options = ConnectOptions(
            kubeconfig=kubeconfig,
            context=getattr(args, "context", None),
            namespace=namespace,
            all_namespaces=all_namespaces,
            readonly=bool(getattr(args, "readonly", False)),
            clock=clock,
            probe_interval=timings.probe_interval,
            probe_timeout=timings.probe_timeout,
            metrics_interval=timings.metrics_interval,
        )
        session = ClusterSession.connect(options)
        # Threads still stuck on a silent server after this are daemons: they do not hold the exit up.
        stack.callback(session.stop, 2.0)
        session.start()
        yield session


def default_namespace(session: ClusterSession) -> str:
    return session.namespaces[0] if session.namespaces else "default"


def in_namespace(key: VMKey, session: ClusterSession) -> VMKey:
    """The VM's key, in the session's namespace when the argument named none."""
    return key if key.namespace else VMKey(default_namespace(session), key.name)


def _who(session: ClusterSession) -> str:
    return f'user "{session.user}"' if session.user else "the anonymous user"


def _scope(session: ClusterSession, kind: str) -> str:
    reading = READING[kind]
    if not reading.namespaced:
        return "(cluster-wide)"
    if session.namespaces and not reading.all_namespaces:
        return f"in namespace {session.namespaces[0]}"
    return "in all namespaces"


def _unreadable(session: ClusterSession, kind: str, state: ConnectionState, timings: Timings) -> str:
    """Why a kind the command needs cannot be used, as the sentence to print ("" when it can)."""
    if state.status == ConnectionStatus.CONNECTED:
        return ""
    resource = KIND_BY_NAME[kind].resource
    if state.status == ConnectionStatus.FORBIDDEN:
        return (
            f"livemig: {_who(session)} may not read {resource} {_scope(session, kind)} ({state.last_error.rstrip('.')}). "
            "livemig needs get, list and watch on them: ask a cluster admin for that, or use a context that has it (--context)."
        )
    if state.status == ConnectionStatus.ABSENT:
        return (
            f"livemig: the API server at {session.server_url} does not serve {resource}: is KubeVirt installed there?"
        )
    why = state.last_error.rstrip(".") or "no answer yet"
    return f"livemig: cannot read {resource} from {session.server_url} within {timings.sync_timeout:g} s: {why}."


def wait_for(
    session: ClusterSession, err: TextIO, timings: Timings, required: Sequence[str], wanted: Sequence[str] | None = None
) -> int | None:
    """Wait for the first lists of `wanted` (default: every kind); None when the `required` ones are
    readable, else the exit code, the reason printed."""
    listing = session.wait_until_listed(wanted, timings.sync_timeout)
    if listing.server_lost:
        why = listing.server_lost.removeprefix("no answer from the API server: ").rstrip(".")
        say(
            err,
            clean(f"livemig: the API server stopped answering: {why}. Nothing was changed; try again when it answers."),
        )
        return EXIT_USAGE
    states = session.store.states()
    for kind in required:
        problem = _unreadable(session, kind, states[kind], timings)
        if problem:
            say(err, clean(problem))
            return EXIT_USAGE
    return None


def note_unread_kinds(session: ClusterSession, err: TextIO, required: Sequence[str]) -> None:
    """A line for each other kind that could not be read (or only partly), and what the answer lacks."""
    for kind, state in session.store.states().items():
        without = KIND_BY_NAME[kind].without
        if kind in required or not without:
            continue
        if state.partial:
            say(err, clean(f"note: {kind}: {state.partial}."))
        elif state.status == ConnectionStatus.FORBIDDEN or state.status not in (
            ConnectionStatus.CONNECTED,
            ConnectionStatus.ABSENT,
        ):
            why = state.last_error.rstrip(".") or state.status
            say(err, clean(f"note: {kind} could not be read: {why}; {without}."))


def nodes_unknown(session: ClusterSession) -> str:
    """Why the nodes could not be read ("" when they were): then there are no node verdicts at all."""
    state = session.store.state(NODES.name)
    if state.status == ConnectionStatus.CONNECTED:
        return ""
    return state.last_error.rstrip(".") or state.status


def no_such_vm(session: ClusterSession, command: str, key: VMKey) -> str:
    """The sentence for a VM that is not there ("" when it is): the namespace may not exist, or a VM
    of that name may live in another one."""
    snapshot = session.store.snapshot()
    if str(key) in snapshot.vms or str(key) in snapshot.vmis:
        return ""
    namespace, name = key.namespace, key.name
    if (
        session.store.state(NAMESPACES.name).status == ConnectionStatus.CONNECTED
        and namespace not in snapshot.namespaces
    ):
        known = ", ".join(sorted(snapshot.namespaces)) or "none"
        return f"livemig: there is no namespace {namespace} (namespaces: {known})."
    text = f"livemig: no VM {name} in namespace {namespace}"
    elsewhere = [other for other in session.namespaces_with_vm(name) or () if other != namespace]
    if elsewhere:
        text += f"; namespace {', '.join(elsewhere)} has one: livemig {command} {elsewhere[0]}/{name}"
    return text + "."


def permission_advice(session: ClusterSession, verb: str, namespace: str, message: str = "") -> str:
    """What to do about a 403 on an action: which right is missing, who grants it, which contexts exist;
    the server's `message` is kept where it says more than that the right is missing."""
    others = [context for context in session.target.contexts if context != session.context_name]
    listed = f" (other contexts: {', '.join(others)})" if others else ""
    reason = forbidden_reason(message).rstrip(".")
    said = f" (the API server says: {reason})" if reason else ""
    return (
        f"livemig: {_who(session)} may not {verb} virtualmachineinstancemigrations.kubevirt.io in namespace {namespace}{said}: "
        f"ask a cluster admin for that right (KubeVirt's kubevirt.io:edit role grants it), or use a context that has "
        f"it with --context{listed}. Nothing was changed."
    )


def refused_action(session: ClusterSession, err: TextIO, verb: str, namespace: str, result: ActionResult) -> int:
    """Say why an action was refused; the exit code: 2 for the server's 401 and 403, else 1."""
    if result.forbidden:
        say(err, clean(permission_advice(session, verb, namespace, result.message)))
    else:
        say(err, clean(f"livemig: {result.message}"))
    return EXIT_USAGE if result.code in (401, 403) else EXIT_FAILED
