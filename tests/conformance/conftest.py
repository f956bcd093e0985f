"""Conformance: one suite, run against govmomi's vcsim and against the embedded simulator.

Every test module here takes the ``backend`` fixture, parametrized over ``"vcsim"`` and
``"embedded"`` and scoped to the module: each module gets one vcsim (8 VMs, as
``Vcsim.for_vm_count(8)``) and one in-process :class:`~aiovsphere.simulator.Simulator`
with the same inventory (``InventorySpec.for_vm_count(8)``), started once and changed only
by that module's tests (pytest runs a module's tests for one backend, then for the other,
so at most one vcsim runs at a time).

The tests assert vCenter's behaviour. Where vcsim deviates from vCenter, a test accepts
vcsim's behaviour in an explicit branch::

    if backend.vcsim:  # vcsim deviation: <what vcsim does instead of vCenter>
        ...

and docs/simulator.md ("Where it differs from vcsim") lists every such branch.

The inventory both serve (vcsim's VPX model for 8 VMs): datacenter ``DC0``; standalone
host ``DC0_H0`` (compute resource ``DC0_H0``) with VMs ``DC0_H0_VM0..3``; cluster
``DC0_C0`` with hosts ``DC0_C0_H0..2`` and VMs ``DC0_C0_RP0_VM0..3`` in its root pool
``Resources``; datastore ``LocalDS_0``; networks ``VM Network``, distributed switch
``DVS0`` with portgroups ``DC0_DVPG0`` and ``DVS0-DVUplinks-9``. Every VM is powered on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import pytest

import aiovsphere
from aiovsphere.simulator import InventorySpec, Simulator
from tools.vcsim.launcher import Vcsim, VcsimError

VM_COUNT = 8
BACKENDS = ("vcsim", "embedded")
H0_VMS = [f"DC0_H0_VM{i}" for i in range(4)]
C0_VMS = [f"DC0_C0_RP0_VM{i}" for i in range(4)]
ALL_VMS = sorted(H0_VMS + C0_VMS)
HOSTS = ["DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2", "DC0_H0"]

Ref = aiovsphere.ManagedObjectReference


@dataclass(frozen=True)
class Backend:
    """A running server: ``name`` (``"vcsim"`` or ``"embedded"``), its SDK ``url``, and
    for the embedded backend the :class:`Simulator` itself (``sim``)."""

    name: Literal["vcsim", "embedded"]
    url: str
    sim: Simulator | None = None

    @property
    def vcsim(self) -> bool:
        """True for govmomi's vcsim: the tests' branches for its documented deviations."""
        return self.name == "vcsim"


@pytest.fixture(scope="module", params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """This module's server of one kind, 8 VMs, shared by the module's tests."""
    if request.param == "vcsim":
        server = Vcsim.for_vm_count(VM_COUNT)
        try:
            await asyncio.to_thread(server.start)
        except VcsimError as exc:  # never a skip: the reason fails the test
            pytest.fail(str(exc), pytrace=False)
        try:
            yield Backend("vcsim", server.url)
        finally:
            await asyncio.to_thread(server.stop)
    else:
        async with Simulator(inventory=InventorySpec.for_vm_count(VM_COUNT)) as sim:
            yield Backend("embedded", sim.url, sim)


@pytest.fixture(scope="module")
async def client(backend: Backend) -> AsyncIterator[aiovsphere.Client]:
    """The module's main session on its backend (user ``conformance``)."""
    async with aiovsphere.connect(backend.url, user="conformance", password="pw") as c:
        yield c


@pytest.fixture(scope="module")
async def other(backend: Backend) -> AsyncIterator[aiovsphere.Client]:
    """A second, independent session (user ``other``): it makes the changes that the
    main session watches, and looks at the session list."""
    async with aiovsphere.connect(backend.url, user="other", password="pw") as c:
        yield c


# ---------------------------------------------------------------------------- helpers
async def find_vm(client: aiovsphere.Client, name: str) -> Ref:
    """The VM ``name`` of /DC0/vm (SearchIndex.FindByInventoryPath)."""
    ref = await client.invoke(client.service("searchIndex"), "FindByInventoryPath",
                              inventoryPath=f"DC0/vm/{name}")
    assert isinstance(ref, Ref), name
    return ref


async def run(client: aiovsphere.Client, ref: Ref, method: str, **params: Any) -> Any:
    """Call a ``*_Task`` method and wait for its result (faults raise, typed)."""
    task = await client.invoke(ref, method, **params)
    assert isinstance(task, Ref) and task.type == "Task"
    return await client.wait_for_task(task)


async def power_state(client: aiovsphere.Client, vm: Ref) -> str:
    state = (await client.get_properties(vm, ["runtime.powerState"]))["runtime.powerState"]
    return str(getattr(state, "value", state))


async def session_users(client: aiovsphere.Client) -> list[str]:
    """User names of the sessions the server holds (SessionManager.sessionList)."""
    props = await client.get_properties(client.content.sessionManager, ["sessionList"])
    return sorted(s.userName for s in props.get("sessionList") or ())
