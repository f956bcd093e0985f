"""aiovsphere: an asyncio-native SDK for the VMware vSphere Web Services API (vim25).

    import aiovsphere

    async with aiovsphere.connect(url, user=..., password=...) as client:
        about = client.content.about
        props = await client.get_properties(vm_ref, ["name", "runtime.powerState"])
        task = await client.mo(vm_ref).PowerOnVM_Task()

Types: :mod:`aiovsphere.vim.types`; faults: :mod:`aiovsphere.faults`; managed-object
proxies: :mod:`aiovsphere.vim.managed`. All are built lazily.

``import aiovsphere`` loads only the error classes: the public names below resolve to
their modules (and those to aiohttp, lxml and pydantic) on first use, so a CLI or a web
app that imports the package pays for what it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from aiovsphere._errors import (
    CollectorInUseError,
    ConnectError,
    DecodeError,
    EncodeError,
    HTTPStatusError,
    InvalidResponseError,
    ResponseTooLargeError,
    SoapFault,
    TransportError,
    VersionError,
    VSphereError,
)

if TYPE_CHECKING:
    from aiovsphere import faults as faults
    from aiovsphere._client import CallStats, Client
    from aiovsphere._connect import connect
    from aiovsphere._deadline import remaining, timeout
    from aiovsphere._objects import ManagedObject
    from aiovsphere._task import wait_for_task, wait_for_tasks
    from aiovsphere.vim._base import DataObject
    from aiovsphere.vim._moref import ManagedObjectReference

__version__ = "0.1.0"

__all__ = [
    "CallStats",
    "Client",
    "CollectorInUseError",
    "ConnectError",
    "DataObject",
    "DecodeError",
    "EncodeError",
    "HTTPStatusError",
    "InvalidResponseError",
    "ManagedObject",
    "ManagedObjectReference",
    "ResponseTooLargeError",
    "SoapFault",
    "TransportError",
    "VSphereError",
    "VersionError",
    "__version__",
    "connect",
    "faults",
    "remaining",
    "timeout",
    "wait_for_task",
    "wait_for_tasks",
]

_LAZY = {
    "CallStats": "aiovsphere._client",
    "Client": "aiovsphere._client",
    "connect": "aiovsphere._connect",
    "remaining": "aiovsphere._deadline",
    "timeout": "aiovsphere._deadline",
    "ManagedObject": "aiovsphere._objects",
    "wait_for_task": "aiovsphere._task",
    "wait_for_tasks": "aiovsphere._task",
    "DataObject": "aiovsphere.vim._base",
    "ManagedObjectReference": "aiovsphere.vim._moref",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
    elif name == "faults":
        value = importlib.import_module("aiovsphere.faults")
    else:
        raise AttributeError(f"module 'aiovsphere' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
