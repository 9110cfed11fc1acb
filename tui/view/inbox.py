"""Change batches from the store's thread, gathered until the UI thread takes them (merged, so a slow
UI never has a queue of stale batches)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from tui.cluster.store import ChangeBatch


@dataclass
class ChangeInbox:
    """Change batches gathered from the store's thread until the UI takes them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: dict[str, set[str]] = field(default_factory=dict)
    connection: bool = False
    posted: bool = False

    def add(self, batch: ChangeBatch) -> bool:
        """Merge `batch`; True when the UI must be told (nothing is waiting for it yet)."""
        with self.lock:
            for kind, keys in list(batch.changed.items()) + list(batch.deleted.items()):
                self.changed.setdefault(kind, set()).update(keys)
            self.connection = self.connection or batch.connection_changed
            if self.posted:
                return False
            self.posted = True
            return True

    def waiting(self) -> bool:
        """Whether changes wait to be taken."""
        with self.lock:
            return bool(self.changed) or self.connection

    def take(self) -> tuple[dict[str, set[str]], bool]:
        with self.lock:
            changed, connection = self.changed, self.connection
            self.changed, self.connection, self.posted = {}, False, False
            return changed, connection
