"""Compute helpers: ComputeResource, ClusterComputeResource and ResourcePool.

Mirrors govmomi's ``object.ComputeResource``, ``object.ClusterComputeResource`` and
``object.ResourcePool``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, overload

from aiovsphere.objects._base import Entity, Progress, RefLike, as_helper, as_helpers, ref_of
from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere.objects._datastore import Datastore
    from aiovsphere.objects._host import HostSystem
    from aiovsphere.objects._network import Network
    from aiovsphere.objects._vm import VirtualMachine
    from aiovsphere.vim.types import (
        ClusterConfigSpecEx,
        ComputeResourceConfigSpec,
        ComputeResourceSummary,
        HostConnectSpec,
        ResourceConfigSpec,
        ResourcePoolSummary,
    )

__all__ = ["ClusterComputeResource", "ComputeResource", "ResourcePool", "default_pool_spec"]


def default_pool_spec() -> ResourceConfigSpec:
    """A ResourceConfigSpec like govc's defaults: no reservation, no limit (-1),
    expandable reservation, ``normal`` shares, for CPU (MHz) and memory (MB)."""
    from aiovsphere.vim import types as t

    def allocation() -> t.ResourceAllocationInfo:
        return t.ResourceAllocationInfo(reservation=0, expandableReservation=True, limit=-1,
                                        shares=t.SharesInfo(level="normal", shares=0))

    return t.ResourceConfigSpec(cpuAllocation=allocation(), memoryAllocation=allocation())


class ComputeResource(Entity):
    """A vim.ComputeResource helper (a standalone host's); base of the cluster helper."""

    vim_type = "ComputeResource"
    __slots__ = ()

    async def hosts(self) -> list[HostSystem]:
        """The hosts (``host``): one for a standalone host, the members of a cluster."""
        from aiovsphere.objects._host import HostSystem

        return as_helpers(self.client, await self._prop("host"), HostSystem)

    async def resource_pool(self) -> ResourcePool:
        """The root resource pool (``resourcePool``)."""
        return as_helper(self.client, await self._prop("resourcePool"), ResourcePool)

    async def datastores(self) -> list[Datastore]:
        """The datastores its hosts mount (``datastore``)."""
        from aiovsphere.objects._datastore import Datastore

        return as_helpers(self.client, await self._prop("datastore"), Datastore)

    async def networks(self) -> list[Network]:
        """The networks of its hosts (``network``; portgroups as their helper)."""
        from aiovsphere.objects._network import Network

        return as_helpers(self.client, await self._prop("network"), Network)

    async def summary(self) -> ComputeResourceSummary:
        """``summary``: ``totalCpu`` (MHz), ``totalMemory`` (bytes), cores, threads, host
        counts (a ``ClusterComputeResourceSummary`` for a cluster)."""
        summary: ComputeResourceSummary = await self._prop("summary")
        return summary


class ClusterComputeResource(ComputeResource):
    """A vim.ClusterComputeResource helper: hosts, root pool, ``add_host``, ``reconfigure``."""

    vim_type = "ClusterComputeResource"
    __slots__ = ()

    @overload
    async def add_host(self, spec: HostConnectSpec, *, as_connected: bool = True,
                       resource_pool: RefLike | None = None, license: str | None = None,
                       wait: Literal[True] = True, progress: Progress = None) -> HostSystem: ...
    @overload
    async def add_host(self, spec: HostConnectSpec, *, as_connected: bool = True,
                       resource_pool: RefLike | None = None, license: str | None = None,
                       wait: Literal[False],
                       progress: Progress = None) -> ManagedObjectReference: ...
    async def add_host(self, spec: HostConnectSpec, *, as_connected: bool = True,
                       resource_pool: RefLike | None = None, license: str | None = None,
                       wait: bool = True,
                       progress: Progress = None) -> HostSystem | ManagedObjectReference:
        """Add an ESXi host to the cluster (vim.ClusterComputeResource.AddHost_Task);
        ``spec`` names it (``hostName``, ``userName``, ``password``, ``sslThumbprint``).
        Returns the new host's helper. Raises e.g. ``faults.DuplicateName``,
        ``faults.InvalidLogin``, ``faults.SSLVerifyFault``, ``faults.HostConnectFault``."""
        from aiovsphere.objects._host import HostSystem

        result = await self._task(
            self.ref, "AddHost_Task", wait, progress, spec=spec, asConnected=as_connected,
            resourcePool=None if resource_pool is None else ref_of(resource_pool,
                                                                   "resource_pool"),
            license=license)
        return HostSystem(self.client, result) if wait else result

    @overload
    async def reconfigure(self, spec: ClusterConfigSpecEx | ComputeResourceConfigSpec, *,
                          modify: bool = True, wait: Literal[True] = True,
                          progress: Progress = None) -> None: ...
    @overload
    async def reconfigure(self, spec: ClusterConfigSpecEx | ComputeResourceConfigSpec, *,
                          modify: bool = True, wait: Literal[False],
                          progress: Progress = None) -> ManagedObjectReference: ...
    async def reconfigure(self, spec: ClusterConfigSpecEx | ComputeResourceConfigSpec, *,
                          modify: bool = True, wait: bool = True,
                          progress: Progress = None) -> ManagedObjectReference | None:
        """Change the cluster's configuration
        (vim.ComputeResource.ReconfigureComputeResource_Task); with ``modify`` (default)
        ``spec`` is applied as a change, otherwise it replaces the configuration."""
        return await self._task(  # type: ignore[no-any-return]
            self.ref, "ReconfigureComputeResource_Task", wait, progress, spec=spec,
            modify=modify)


class ResourcePool(Entity):
    """A vim.ResourcePool helper (also for a VirtualApp): child pools, config, summary."""

    vim_type = "ResourcePool"
    __slots__ = ()

    async def summary(self) -> ResourcePoolSummary:
        """``summary``: name, config, runtime usage, quick stats."""
        summary: ResourcePoolSummary = await self._prop("summary")
        return summary

    async def resource_pools(self) -> list[ResourcePool]:
        """The child pools and vApps (``resourcePool``)."""
        return as_helpers(self.client, await self._prop("resourcePool"), ResourcePool)

    async def vms(self) -> list[VirtualMachine]:
        """The VMs in this pool itself, not in child pools (``vm``)."""
        from aiovsphere.objects._vm import VirtualMachine

        return as_helpers(self.client, await self._prop("vm"), VirtualMachine)

    async def owner(self) -> ComputeResource:
        """The ComputeResource or cluster the pool belongs to (``owner``)."""
        return as_helper(self.client, await self._prop("owner"), ComputeResource)

    async def create_resource_pool(self, name: str,
                                   spec: ResourceConfigSpec | None = None) -> ResourcePool:
        """A child pool (vim.ResourcePool.CreateResourcePool; not a task); ``spec`` defaults
        to :func:`default_pool_spec`. Raises ``faults.DuplicateName``,
        ``faults.InsufficientResourcesFault``, ``faults.InvalidName``."""
        ref = await self.client.invoke(self.ref, "CreateResourcePool", name=name,
                                       spec=spec or default_pool_spec())
        return ResourcePool(self.client, ref)

    async def update_config(self, name: str | None = None,
                            config: ResourceConfigSpec | None = None) -> None:
        """Rename and/or change the allocations (vim.ResourcePool.UpdateConfig; not a
        task). Raises ``faults.DuplicateName``, ``faults.InvalidArgument``,
        ``faults.InsufficientResourcesFault``."""
        await self.client.invoke(self.ref, "UpdateConfig", name=name, config=config)
