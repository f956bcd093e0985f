"""aiovsphere: an asyncio-native SDK for the VMware vSphere Web Services API (vim25).

    import aiovsphere

    async with aiovsphere.connect(url, user=..., password=...) as client:
        about = client.content.about
        props = await client.get_properties(vm_ref, ["name", "runtime.powerState"])
        task = await client.mo(vm_ref).PowerOnVM_Task()

Types: :mod:`aiovsphere.vim.types` (built lazily); faults: :mod:`aiovsphere.faults`.
"""

from aiovsphere._client import CallStats, Client
from aiovsphere._connect import connect
from aiovsphere._deadline import remaining, timeout
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
from aiovsphere._objects import ManagedObject
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
    "remaining",
    "timeout",
]
