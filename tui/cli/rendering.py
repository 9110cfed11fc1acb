"""What the headless commands print: the plan at 80 columns, refusals, and a migration's progress line."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TextIO

from tui.cli.output import WIDTH, clean, say
from tui.domain.plan import PINNING_ADDED_NODE_SELECTOR, Plan
from tui.domain.progress import ByteCounters, MigrationProgress
from tui.domain.reasons import Reason
from tui.domain.trouble import LOW_TIME_SHARE
from tui.domain.units import human_bytes, human_cpu, human_duration
from tui.view.progress_cell import copied_percent


def _wrap(label: str, text: str, indent: int = 14) -> list[str]:
    """`label` in a column of `indent`, then `text` wrapped to the width (a long label gets its own line)."""
    lines = textwrap.wrap(clean(text), width=WIDTH - indent, break_long_words=True, break_on_hyphens=False) or [""]
    if len(label) >= indent:
        return [label] + [" " * indent + line for line in lines]
    return [f"{label:<{indent}}" + lines[0]] + [" " * indent + line for line in lines[1:]]


def _bullet(reason: Reason, indent: int) -> list[str]:
    """`- Code: message` with a hanging indent, wrapped to the width."""
    return textwrap.wrap(
        clean(f"{reason.code}: {reason.message}"),
        width=WIDTH,
        initial_indent=" " * indent + "- ",
        subsequent_indent=" " * (indent + 2),
        break_long_words=True,
        break_on_hyphens=False,
    )


def plan_text(plan: Plan, nodes_unknown: str = "") -> str:
    """The plan for a terminal at 80 columns; `nodes_unknown` says why there are no node verdicts."""
    lines = _vm_lines(plan) + _budget_lines(plan) + _target_lines(plan)
    if nodes_unknown:
        lines += _wrap(
            "Nodes",
            f"could not be read: {nodes_unknown}; livemig cannot say which nodes can take it, the scheduler decides",
        )
    else:
        lines += _node_lines(plan)
    return "\n".join(lines)


def _vm_lines(plan: Plan) -> list[str]:
    """Where the VM runs, whether it can migrate and what holds it back, its CPU model."""
    lines = _wrap("VM", f"{plan.namespace}/{plan.name}")
    lines += _wrap("Runs on", plan.node or "(not running)")
    lines += _wrap("Migratable", "yes" if plan.migratable else "no")
    for reason in plan.blockers:
        lines += _bullet(reason, 2)
    for index, reason in enumerate(plan.warnings):
        lines += _wrap("Warning" if index == 0 else "", reason.message)
    lines += _wrap("CPU model", plan.cpu_model or "(cluster default)")
    return lines


def _budget_lines(plan: Plan) -> list[str]:
    """The time limit KubeVirt allows, where it comes from, and its notes."""
    budget = plan.completion_budget
    if budget is None:
        return _wrap("Time limit", "unknown")
    lines = _wrap("Time limit", budget.text())
    source = budget.source_detail or budget.source
    lines += _wrap("", f"from {source}")
    for note in budget.notes:
        if note.rstrip(".") != source.rstrip("."):  # the source may be the note itself (an assumed default)
            lines += _wrap("", f"note: {note}")
    return lines


def _target_lines(plan: Plan) -> list[str]:
    """What the target pod requests, whether a node can be chosen, and whose rules were applied."""
    lines: list[str] = []
    requests = plan.target_requests
    if requests is not None:
        lines += _wrap(
            "Target pod",
            f"requests {human_cpu(requests.cpu_milli)} CPU and {human_bytes(requests.memory)} memory, {requests.detail}",
        )
    pinning = (
        "a target node can be chosen" if plan.target_pinning == PINNING_ADDED_NODE_SELECTOR else "the scheduler chooses"
    )
    lines += _wrap("Target node", f"{pinning}: {plan.target_pinning_reason}")
    versions = plan.versions
    if versions is not None:
        lines += _wrap("Rules of", f"{versions.kubevirt_line()}; {versions.harvester_line()}")
        for assumed in versions.assumed:
            lines += _wrap("", f"assumed: {assumed}")
    return lines


def _node_lines(plan: Plan) -> list[str]:
    """How many nodes can take the VM, the rules no verdict checks, then every node's verdict."""
    eligible = sum(1 for verdict in plan.nodes if verdict.eligible)
    caution_note = f" ({plan.cautioned_nodes} with a caution)" if plan.cautioned_nodes else ""
    lines = _wrap("Nodes", f"{eligible} of {len(plan.nodes)} can take it{caution_note}")
    unchecked = next((verdict.unchecked for verdict in plan.nodes if verdict.unchecked), ())
    # The VM's own rules are the same for every node, and so are the ones no VM escapes: said once.
    for index, rule in enumerate((*unchecked, *plan.not_checked)):
        lines += _wrap("Not checked" if index == 0 else "", rule)
    column = min(max((len(clean(v.node)) for v in plan.nodes), default=0) + 4, 40)
    for verdict in plan.nodes:
        name = clean(verdict.node)
        if not verdict.eligible:
            lines += _wrap(f"  {name}", "no", indent=column)
            lines += [line for reason in verdict.reasons for line in _bullet(reason, 4)]
            continue
        note = "" if verdict.resources_checked else " (free CPU and memory not checked)"
        lines += _wrap(f"  {name}", f"yes{note}", indent=column)
        for caution in verdict.cautions:
            lines += _wrap("", f"caution: {caution}", indent=column)
    return lines


def refusal(out: TextIO, title: str, reasons: Sequence[Reason]) -> None:
    """The title, then each reason wrapped as in the plan: between words, never inside a hyphenated name."""
    for line in textwrap.wrap(clean(title), width=WIDTH, subsequent_indent="  ", break_on_hyphens=False):
        say(out, line)
    for reason in reasons:
        for line in textwrap.wrap(
            clean(f"{reason.code}: {reason.message}"),
            width=WIDTH,
            initial_indent="  ",
            subsequent_indent="  ",
            break_long_words=True,
            break_on_hyphens=False,
        ):
            say(out, line)


def bar(fraction: float, width: int) -> str:
    filled = round(max(0.0, min(fraction, 1.0)) * width)
    return "#" * filled + "." * (width - filled)


WARNING_SIGN = "\u26a0"


def trouble_notes(
    progress: MigrationProgress, stalled_for: float | None, low_on_time: bool, sign: str = WARNING_SIGN
) -> list[str]:
    """The warnings of a running migration, as the UI gives them: its copy stalled for `stalled_for`
    seconds (None when it did not), it does not converge, under a fifth of its time is left."""
    notes: list[str] = []
    if stalled_for is not None:
        notes.append(f"{sign} no progress for {human_duration(stalled_for)}")
    if progress.converging is False:
        notes.append(f"{sign} not converging (the guest dirties memory faster than it is copied)")
    if low_on_time:
        notes.append(f"{sign} under {LOW_TIME_SHARE * 100:.0f} % of the time left")
    return notes


def progress_line(
    progress: MigrationProgress,
    remaining: float | None,
    connection: str,
    notes: Sequence[str] = (),
    counters: ByteCounters | None = None,
) -> str:
    """One line of a migration's progress (without the bar): step, label, bytes, warnings, time left;
    `connection` says how the connection stands when it is lost ("" while the server answers)."""
    parts = [f"{progress.label}"]
    if progress.step is not None:
        parts[0] = f"step {progress.step}/{progress.total_steps} {progress.label}"
    # The UI's percentage (one definition, tui/view/progress_cell.py), then the bytes behind it:
    # what was copied only grows, what remains grows when the guest dirties memory.
    percent = copied_percent(progress)
    if percent:
        parts.append(f"{percent} copied")
    if counters is not None and progress.byte_fraction is not None:
        if counters.processed is not None:
            parts.append(f"{human_bytes(counters.processed)} copied")
        if counters.remaining is not None:
            parts.append(f"{human_bytes(counters.remaining)} remaining")
    # Before the estimate and the countdown: a terminal cuts the line at its width.
    parts.extend(notes)
    if progress.eta_seconds is not None and not connection:  # without an answer the estimate is stale
        parts.append(f"about {human_duration(progress.eta_seconds)} to go")
    if remaining is not None:
        parts.append(f"timeout in {human_duration(remaining)}" if remaining >= 0 else "timeout passed")
    if progress.abort_requested:
        parts.append("abort requested")
    if connection:
        parts.append(connection)
    return clean(", ".join(parts))


def warning_sign(out: TextIO) -> str:
    """The warning sign, or "!" on an output whose encoding has no such character."""
    encoding = getattr(out, "encoding", None)
    try:
        WARNING_SIGN.encode(encoding or "utf-8")
    except (LookupError, UnicodeError):
        return "!"
    return WARNING_SIGN
