"""The key of a VirtualMachine: its namespace and name, written "namespace/name" wherever a key is text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class VMKey:
    """A VM (and its VMI, which shares the name) by namespace and name; `str()` gives "ns/name"."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"

    @classmethod
    def parse(cls, text: str) -> VMKey:
        """Read "namespace/name"; a text without both parts raises ValueError with a sentence to show."""
        namespace, slash, name = text.partition("/")
        if not slash or not namespace or not name or "/" in name:
            raise ValueError(f"{text!r} is no VM key: write it as namespace/name.")
        return cls(namespace, name)
