"""Runtime of :mod:`aiovsphere.faults` (documented there): fault classes built on use."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from aiovsphere._errors import SoapFault
from aiovsphere.vim._schema import schema

if TYPE_CHECKING:
    from aiovsphere.vim._moref import ManagedObjectReference

__all__ = ["fault_class", "from_localized"]

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


def from_localized(
    localized: Any,
    message: str = "",
    *,
    method: str | None = None,
    task: ManagedObjectReference | None = None,
) -> SoapFault:
    """The exception for a ``LocalizedMethodFault`` found in a result (a task's
    ``info.error``, a ``missingSet`` entry) rather than raised as a SOAP fault.

    The class is that of the fault's nearest known type; ``fault_name`` keeps the wire name.
    ``message`` defaults to the server's ``localizedMessage``.
    """
    fault = localized.fault if localized is not None else None
    if fault is None:
        name = known = "MethodFault"
    else:
        name = type(fault).__name__
        known = next(c.__name__ for c in type(fault).__mro__ if c.__dict__.get(
            "__vim_known__", False))
    text = message or (localized.localizedMessage if localized is not None else "") or ""
    return fault_class(known)(text, fault=fault, fault_name=name, method=method, task=task)


def __getattr__(name: str) -> Any:
    if not name.startswith("_") and schema().is_fault(name):
        return fault_class(name)
    raise AttributeError(f"module 'aiovsphere.faults' has no fault {name!r}")


def __dir__() -> list[str]:
    s = schema()
    return sorted({*globals(), *(n for n in s.data_type_names() if s.is_fault(n))})
