"""Another kubeconfig context or namespace, from inside the UI: a chooser (the one in use marked), then
a new session connected in a thread worker. Only once it answers does the app show it and stop the old
one; a context that cannot connect leaves the old connection as it was, and says why in one sentence.

    begin_context_switch(app)     # contexts of the kubeconfig
    begin_namespace_switch(app)   # namespaces of the cluster, all namespaces, or one typed
"""

from __future__ import annotations

from functools import partial
from typing import Any

from tui.cluster.contexts import (
    ALL_NAMESPACES,
    ConnectError,
    connect_elsewhere,
    kubeconfig_contexts,
    namespace_choices,
    namespace_problem,
    options_for,
)
from tui.screens.chooser import ChooserScreen, Option
from tui.screens.question import is_question
from tui.widgets.literal import clean


def context_chooser(app: Any) -> ChooserScreen:
    session = app.session
    options = []
    for entry in kubeconfig_contexts(session.target.config, session.context_name):
        where = f"cluster {entry.cluster}" + (f", namespace {entry.namespace}" if entry.namespace else "")
        options.append(Option(entry.name, entry.name, where, current=entry.current))
    return ChooserScreen(
        "Kubeconfig context",
        options,
        note="livemig reconnects; the current connection stays until the new one answers.",
        id="context-chooser",
    )


def namespace_chooser(app: Any) -> ChooserScreen:
    session = app.session
    watched = session.namespaces
    options = [Option(ALL_NAMESPACES, "all namespaces", "every namespace you may read", current=watched is None)]
    for name in namespace_choices(app.live.snapshot.namespaces, watched):
        options.append(Option(name, name, "", current=watched is not None and name in watched))
    return ChooserScreen(
        f"Namespace (context {session.context_name})",
        options,
        note="Choose one, or type its name below (tab).",
        typed="namespace name",
        id="namespace-chooser",
    )


def begin_context_switch(app: Any) -> None:
    if is_question(app.screen):
        return
    app.push_screen(context_chooser(app), partial(_context_chosen, app))


def begin_namespace_switch(app: Any) -> None:
    if is_question(app.screen):
        return
    app.push_screen(namespace_chooser(app), partial(_namespace_chosen, app))


def _context_chosen(app: Any, context: str | None) -> None:
    if context is None:
        return
    if context == app.session.context_name:
        app.notify(clean(f"livemig already shows context {context}."), title="Context", markup=False)
        return
    reconnect(app, context, None)


def _namespace_chosen(app: Any, namespace: str | None) -> None:
    if namespace is None:
        return
    if namespace != ALL_NAMESPACES:
        problem = namespace_problem(namespace)
        if problem:
            app.bell()
            app.notify(clean(problem), title="Namespace", severity="warning", markup=False)
            return
    watched = app.session.namespaces
    if (namespace == ALL_NAMESPACES and watched is None) or (watched is not None and (namespace,) == tuple(watched)):
        app.notify(clean(f"livemig already shows {app.live.scope_words()}."), title="Namespace", markup=False)
        return
    reconnect(app, app.session.context_name, namespace)


def reconnect(app: Any, context: str, namespace: str | None) -> None:
    """Connect to `context` (and `namespace`: None for the context's own, ALL_NAMESPACES for all) in a
    worker; the app switches to it when it answers."""
    where = f"context {context}" + (
        "" if namespace is None else ", all namespaces" if namespace == ALL_NAMESPACES else f", namespace {namespace}"
    )
    app.notify(clean(f"Connecting to {where}…"), title="Reconnecting", timeout=4, markup=False)
    options = options_for(app.session.options, context, namespace)
    app.run_worker(
        partial(_connect, app, options, where), thread=True, group="context", exclusive=True, exit_on_error=False
    )


def _connect(app: Any, options: Any, where: str) -> None:
    try:
        session = connect_elsewhere(options)
    except ConnectError as error:
        message = f"Cannot connect to {where}: {error.message.rstrip('.')}; livemig stays on context {app.session.context_name}."
        app.call_from_thread(
            app.notify, clean(message), title="Not switched", severity="error", timeout=20, markup=False
        )
        return
    except Exception as error:  # never a traceback: the old connection stays
        message = f"Cannot connect to {where}: {type(error).__name__}: {error}; livemig stays where it was."
        app.call_from_thread(
            app.notify, clean(message), title="Not switched", severity="error", timeout=20, markup=False
        )
        return
    try:
        app.call_from_thread(app.switch_session, session, where)
    except RuntimeError:  # the app ended meanwhile: nothing will show this session
        session.stop(1.0)
