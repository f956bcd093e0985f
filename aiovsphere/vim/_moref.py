"""ManagedObjectReference: the frozen value that names a server-side managed object."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["ManagedObjectReference"]


class ManagedObjectReference(BaseModel):
    """A moref: ``type`` (managed type wire name), ``value`` (the id), optional ``serverGuid``.

    Mirrors vmodl ``ManagedObjectReference``. Immutable and hashable.

    Equality follows the API's identity rule: two morefs are equal when ``type`` and
    ``value`` are equal and their ``serverGuid`` values do not disagree (a missing
    ``serverGuid``, which is what most responses carry, matches any). The hash uses
    ``type`` and ``value`` only, so a moref read from a PropertyCollector and the same
    moref from a linked-mode search are one dictionary key.

    Types the schema lacks (content-library objects, newer managed types) are kept as they are.

    ``ManagedObjectReference("VirtualMachine", "vm-42")`` or keyword arguments.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    value: str
    serverGuid: str | None = None

    def __init__(self, type: str | None = None, value: str | None = None, /,
                 **kwargs: Any) -> None:
        if type is not None:
            kwargs["type"] = type
        if value is not None:
            kwargs["value"] = value
        super().__init__(**kwargs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ManagedObjectReference):
            return NotImplemented
        d, o = self.__dict__, other.__dict__
        if d["value"] != o["value"] or d["type"] != o["type"]:
            return False
        a, b = d["serverGuid"], o["serverGuid"]
        return a is None or b is None or a == b

    def __hash__(self) -> int:
        d = self.__dict__
        return hash((d["type"], d["value"]))

    def __repr__(self) -> str:
        d = self.__dict__
        guid = f", serverGuid={d['serverGuid']!r}" if d["serverGuid"] else ""
        return f"ManagedObjectReference({d['type']!r}, {d['value']!r}{guid})"

    def __str__(self) -> str:
        return f"{self.__dict__['type']}:{self.__dict__['value']}"
