"""The `livemig` command line: arguments, connecting, the headless commands, and starting the terminal UI.

    livemig [--kubeconfig F] [--context C] [-n NS | -A] [--readonly] [--demo [SCENARIO]] [--theme NAME]
    livemig plan NAMESPACE/VM [-o text|json]
    livemig migrate NAMESPACE/VM [--to NODE] [--wait]
    livemig abort NAMESPACE/VM
    livemig evacuate NODE [--dry-run] [-o text|json] [--wait] [--no-cordon] [--to NODE[,NODE...]]

Exit codes: 0 done (plan: the VM can migrate); 1 the migration failed, was aborted, or cannot be done
(the plan says why); 2 usage, configuration, connection or permission problems, or no such VM,
namespace or node; 130 interrupted (Ctrl-C, SIGTERM, SIGHUP). Every problem is printed as a sentence
before anything full-screen starts, never as a traceback.

A command waits for the kinds it cannot do without (`needed_by` in tui/domain/kinds.py) and goes on
without the others, saying what their absence changes: a user who may not read nodes still plans (without node verdicts)
and migrates (the scheduler chooses), and aborting needs only the migrations.

The package, one module a part: arguments (the parser, `--demo [SCENARIO]`, NAMESPACE/VM), demo
(the in-process simulated cluster), connecting (the session and the sentences for what it cannot
read), rendering (plans, refusals, progress lines), following (`migrate --wait`), one module per
command (plan, migrate, abort, evacuate, ui), batch_following (`evacuate --wait`), signals, timings (the clocks, passed in) and dispatch (`main`).
"""

from tui.cli.dispatch import main
from tui.cli.timings import Timings

__all__ = ["Timings", "main"]
