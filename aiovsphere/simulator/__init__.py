"""An embedded vCenter/ESXi simulator speaking vim25 (SOAP) over HTTP or HTTPS.

    from aiovsphere.simulator import Simulator

    async with Simulator(vms=100) as sim:
        async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
            ...

It uses the client's own schema and codec, so it needs nothing beyond aiovsphere (HTTPS
needs ``cryptography``). ``python -m aiovsphere.simulator`` runs it standalone; the pytest
plugin (:mod:`aiovsphere.simulator.pytest_plugin`) gives tests ``vsphere_simulator``,
``vsphere_client`` and ``vsphere_faults``; ``sim.faults`` injects faults (see
:class:`FaultInjector`). Names resolve lazily, so loading the pytest plugin costs little.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiovsphere.simulator._injection import (
        Delay,
        Drop,
        ExpireSessions,
        Fail,
        FaultInjector,
        HttpStatus,
        Injection,
        Pause,
        Rule,
        Schedule,
        Truncate,
    )
    from aiovsphere.simulator._inventory import InventorySpec
    from aiovsphere.simulator._server import Simulator, User

__all__ = [
    "Delay", "Drop", "ExpireSessions", "Fail", "FaultInjector", "HttpStatus", "Injection",
    "InventorySpec", "Pause", "Rule", "Schedule", "Simulator", "Truncate", "User",
]

_LAZY = {
    "InventorySpec": "aiovsphere.simulator._inventory",
    "Simulator": "aiovsphere.simulator._server",
    "User": "aiovsphere.simulator._server",
    **{name: "aiovsphere.simulator._injection" for name in (
        "Delay", "Drop", "ExpireSessions", "Fail", "FaultInjector", "HttpStatus", "Injection",
        "Pause", "Rule", "Schedule", "Truncate")},
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aiovsphere.simulator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
