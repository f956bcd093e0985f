"""Runtime of :mod:`aiovsphere.vim.managed`: proxy classes per managed type, built lazily.

``client.mo(ref)`` returns an instance of the class named by ``ref.type``
(``managed.VirtualMachine`` for a VM), so ``isinstance(obj, managed.ManagedEntity)`` works
and ``managed.pyi`` gives every method its signature::

    vm = client.mo(ref, managed.VirtualMachine)   # typed for mypy/pyright
    task = await vm.PowerOnVM_Task()              # -> ManagedObjectReference (a Task)

Methods are dispatched by :class:`aiovsphere.ManagedObject` from the schema, so a class
carries no per-method code.
"""

from __future__ import annotations

import threading
from typing import Any

from aiovsphere._objects import ManagedObject
from aiovsphere.vim._schema import schema

__all__ = ["ManagedObject", "managed_class"]

_lock = threading.RLock()
_classes: dict[str, type[ManagedObject]] = {"ManagedObject": ManagedObject}


def managed_class(name: str) -> type[ManagedObject]:
    """The proxy class for managed type ``name``; ``ManagedObject`` for unknown types."""
    cls = _classes.get(name)
    if cls is not None:
        return cls
    s = schema()
    if not s.is_managed(name):
        return ManagedObject
    with _lock:
        cls = _classes.get(name)
        if cls is None:
            base = s.base_of(name)
            parent = managed_class(base) if base else ManagedObject
            cls = type(name, (parent,), {"__slots__": (), "__module__": "aiovsphere.vim.managed",
                                         "__doc__": f"vim.{name} proxy."})
            _classes[name] = cls
    return cls


def __getattr__(name: str) -> Any:
    if schema().is_managed(name):
        return managed_class(name)
    raise AttributeError(f"module 'aiovsphere.vim.managed' has no managed type {name!r}")
