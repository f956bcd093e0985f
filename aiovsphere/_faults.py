"""Runtime of :mod:`aiovsphere.faults` (documented there): fault classes built on use."""

from __future__ import annotations

import threading
from typing import Any

from aiovsphere._errors import SoapFault
from aiovsphere.vim._schema import schema

__all__ = ["fault_class"]

_lock = threading.RLock()
_classes: dict[str, type[SoapFault]] = {}


def fault_class(wire_name: str) -> type[SoapFault]:
    """The exception class for fault type ``wire_name``, or its nearest known base."""
    cls = _classes.get(wire_name)
    if cls is not None:
        return cls
    s = schema()
    if not s.is_fault(wire_name):
        return fault_class("MethodFault")
    with _lock:
        cls = _classes.get(wire_name)
        if cls is None:
            base_name = s.base_of(wire_name)
            base = SoapFault if wire_name == "MethodFault" or base_name is None else (
                fault_class(base_name)
            )
            cls = type(
                wire_name,
                (base,),
                {
                    "__module__": "aiovsphere.faults",
                    "__qualname__": wire_name,
                    "__doc__": f"The vim25 fault {wire_name} (raised with .fault set).",
                },
            )
            _classes[wire_name] = cls
    return cls


def __getattr__(name: str) -> Any:
    if not name.startswith("_") and schema().is_fault(name):
        return fault_class(name)
    raise AttributeError(f"module 'aiovsphere.faults' has no fault {name!r}")


def __dir__() -> list[str]:
    s = schema()
    return sorted({*globals(), *(n for n in s.data_type_names() if s.is_fault(n))})
