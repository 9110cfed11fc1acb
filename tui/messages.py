"""Messages the UI's threads and workers post to the app: cluster changes, byte progress, action results."""

from __future__ import annotations

from textual.message import Message

from tui.cluster.access import Permission
from tui.cluster.actions import ActionResult
from tui.domain.plan import VMSummary
from tui.domain.snapshot import ClusterSnapshot


class ClusterChanged(Message, bubble=False):
    """The store changed; the app takes the gathered change batches from its inbox when it handles this.

    Posted at most once until handled, so a slow UI never has a queue of stale batches.
    """


class ChangesPrepared(Message, bubble=False):
    """Changes taken from the inbox, with the snapshot to apply them from (its indexes built in a thread;
    None if it could not be taken there, and the UI thread takes it)."""

    def __init__(
        self,
        changed: dict[str, set[str]],
        connection: bool,
        snapshot: ClusterSnapshot | None,
        seconds: float,
        summaries: dict[str, VMSummary] | None = None,
    ) -> None:
        super().__init__()
        self.changed = changed
        self.connection = connection
        self.snapshot = snapshot
        self.seconds = seconds  # how long preparing took
        self.summaries = summaries  # the changed VMs' list summaries, made from `snapshot`


class ByteProgressChanged(Message, bubble=False):
    """Prometheus byte counters or the monitoring state changed."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ByteProgressChanged)


class PermissionChecked(Message, bubble=False):
    """An access review answered: may the user do `action` in `namespace`."""

    def __init__(self, action: str, namespace: str, permission: Permission) -> None:
        super().__init__()
        self.action = action
        self.namespace = namespace
        self.permission = permission


class MigrationStarted(Message, bubble=False):
    """The create call for a migration of `namespace/vm` answered (ok or not)."""

    def __init__(self, namespace: str, vm: str, target: str | None, result: ActionResult) -> None:
        super().__init__()
        self.namespace = namespace
        self.vm = vm
        self.target = target
        self.result = result


class AbortRequested(Message, bubble=False):
    """The delete call aborting migration `namespace/migration` of `vm` answered (ok or not)."""

    def __init__(self, namespace: str, vm: str, migration: str, result: ActionResult) -> None:
        super().__init__()
        self.namespace = namespace
        self.vm = vm
        self.migration = migration
        self.result = result


class VerdictsMade(Message, bubble=False):
    """VM summaries made in a thread from `snapshot` when the list model's epoch was `epoch` (of the
    `asked` VMs, those still there), and how long making them took."""

    def __init__(
        self, snapshot: ClusterSnapshot, epoch: int, summaries: dict[str, VMSummary], seconds: float, asked: int
    ) -> None:
        super().__init__()
        self.snapshot: ClusterSnapshot | None = snapshot  # None once taken
        self.epoch = epoch
        self.summaries = summaries
        self.seconds = seconds
        self.asked = asked


class ViewUpdated(Message, bubble=False):
    """Sent by the app to its screens after it applied changes: `vm_keys` changed rows (None: all)."""

    def __init__(self, vm_keys: frozenset[str] | None, connection: bool = False, ticked: bool = False) -> None:
        super().__init__()
        self.vm_keys = vm_keys
        self.connection = connection
        self.ticked = ticked
