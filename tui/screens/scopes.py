"""Where bindings are active together: the screens, the focused list and the app (`app_type`, passed
in so that this module need not import the app that imports the screens)."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from tui.widgets.keymap import TEXTUAL_QUIT, Scope


def key_scopes(app_type: type[App[int]]) -> tuple[Scope, ...]:
    """Where bindings are active together, the focused widget's first; questions and help are modal
    (the app's own keys but its priority ones do not reach into them)."""
    # Here, not at the top: help.py, one of these screens, asks for the scopes.
    from tui.screens.chooser import ChooserScreen
    from tui.screens.confirm import ConfirmScreen
    from tui.screens.evacuation import EvacuationPlanScreen, EvacuationQuestion
    from tui.screens.evacuation_targets import EvacuationTargetsScreen
    from tui.screens.help import HelpScreen
    from tui.screens.migrations import MigrationsScreen
    from tui.screens.node_picker import NodePickerScreen
    from tui.screens.nodes import NodesScreen
    from tui.screens.vm_detail import VMDetailScreen
    from tui.screens.vm_list import VMListScreen
    from tui.widgets.row_table import RowTable

    return (
        Scope("VM list", "on the VM list", (RowTable, VMListScreen, app_type)),
        Scope("VM details", "on the VM details", (RowTable, VMDetailScreen, app_type)),
        Scope("Migrations", "on the Migrations screen", (RowTable, MigrationsScreen, app_type)),
        Scope("Node picker", "in the node picker", (RowTable, NodePickerScreen)),
        Scope("Questions", "in a question", (ConfirmScreen,)),
        Scope("Chooser", "in a chooser", (RowTable, ChooserScreen)),
        Scope("Nodes", "on the Nodes screen", (RowTable, NodesScreen, app_type)),
        Scope("Evacuation plan", "in the evacuation plan", (EvacuationPlanScreen,)),
        Scope("Evacuation question", "in the evacuation question", (EvacuationQuestion,)),
        Scope("Evacuation targets", "in the choice of target nodes", (EvacuationTargetsScreen,)),
        Scope("Help", "in help", (HelpScreen,)),
    )


def priority_bindings(app_type: type[App[int]]) -> list[Binding]:
    """Keys that act before any other, on every screen: the app's and Textual's ctrl+q."""
    own = [b for b in app_type.BINDINGS if isinstance(b, Binding) and b.priority]
    return own + [TEXTUAL_QUIT]


def binding_ids(app_type: type[App[int]]) -> set[str]:
    """Every binding id of the UI (what a keymap may name)."""
    return {
        b.id
        for scope in key_scopes(app_type)
        for owner in scope.owners
        for b in owner.BINDINGS
        if isinstance(b, Binding) and b.id
    }
