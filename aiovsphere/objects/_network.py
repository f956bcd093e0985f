"""Network helpers: Network, DistributedVirtualPortgroup and DistributedVirtualSwitch.

Mirrors govmomi's ``object.Network``, ``object.DistributedVirtualPortgroup`` and
``object.DistributedVirtualSwitch``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, overload

from aiovsphere.objects._base import Entity, Progress, as_helper, as_helpers
from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere.objects._host import HostSystem
    from aiovsphere.objects._vm import VirtualMachine
    from aiovsphere.vim.types import (
        DVPortgroupConfigInfo,
        DVPortgroupConfigSpec,
        NetworkSummary,
    )

__all__ = ["DistributedVirtualPortgroup", "DistributedVirtualSwitch", "Network"]


class Network(Entity):
    """A vim.Network helper (also for an OpaqueNetwork); base of the portgroup helper."""

    vim_type = "Network"
    __slots__ = ()

    async def summary(self) -> NetworkSummary:
        """``summary``: name, accessible, IP pool."""
        summary: NetworkSummary = await self._prop("summary")
        return summary

    async def vms(self) -> list[VirtualMachine]:
        """The VMs with a NIC on this network (``vm``)."""
        from aiovsphere.objects._vm import VirtualMachine

        return as_helpers(self.client, await self._prop("vm"), VirtualMachine)

    async def hosts(self) -> list[HostSystem]:
        """The hosts this network is available on (``host``)."""
        from aiovsphere.objects._host import HostSystem

        return as_helpers(self.client, await self._prop("host"), HostSystem)


class DistributedVirtualPortgroup(Network):
    """A vim.dvs.DistributedVirtualPortgroup helper: key, config, switch, reconfigure."""

    vim_type = "DistributedVirtualPortgroup"
    __slots__ = ()

    async def key(self) -> str:
        """The portgroup key (``key``), what a NIC's port connection names."""
        key: str = await self._prop("key")
        return key

    async def config(self) -> DVPortgroupConfigInfo:
        """``config``: name, numPorts, type, default port config, ``configVersion``..."""
        config: DVPortgroupConfigInfo = await self._prop("config")
        return config

    async def switch(self) -> DistributedVirtualSwitch:
        """The portgroup's switch (``config.distributedVirtualSwitch``)."""
        ref = await self._prop("config.distributedVirtualSwitch")
        return as_helper(self.client, ref, DistributedVirtualSwitch)

    @overload
    async def reconfigure(self, spec: DVPortgroupConfigSpec, *, wait: Literal[True] = True,
                          progress: Progress = None) -> None: ...
    @overload
    async def reconfigure(self, spec: DVPortgroupConfigSpec, *, wait: Literal[False],
                          progress: Progress = None) -> ManagedObjectReference: ...
    async def reconfigure(self, spec: DVPortgroupConfigSpec, *, wait: bool = True,
                          progress: Progress = None) -> ManagedObjectReference | None:
        """Change the portgroup (vim.dvs.DistributedVirtualPortgroup.ReconfigureDVPortgroup_Task).
        Real servers want ``spec.configVersion`` = the current ``config.configVersion``
        (else ``faults.ConcurrentAccess``); raises e.g. ``faults.DuplicateName``,
        ``faults.InvalidName``."""
        return await self._task(  # type: ignore[no-any-return]
            self.ref, "ReconfigureDVPortgroup_Task", wait, progress, spec=spec)


class DistributedVirtualSwitch(Entity):
    """A vim.DistributedVirtualSwitch helper (also for a VmwareDistributedVirtualSwitch)."""

    vim_type = "DistributedVirtualSwitch"
    __slots__ = ()

    async def uuid(self) -> str:
        """The switch UUID (``uuid``)."""
        uuid: str = await self._prop("uuid")
        return uuid

    async def portgroups(self) -> list[DistributedVirtualPortgroup]:
        """The switch's portgroups (``portgroup``), uplink portgroups included."""
        return as_helpers(self.client, await self._prop("portgroup"),
                          DistributedVirtualPortgroup)
