"""Folder helper: children, create folder / VM / datacenter / cluster, move into.

Mirrors govmomi's ``object.Folder`` over vim.Folder.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from aiovsphere._names import escape_name
from aiovsphere.objects._base import Entity, Progress, RefLike, as_helper, from_ref, ref_of
from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere.objects._compute import ClusterComputeResource
    from aiovsphere.objects._datacenter import Datacenter
    from aiovsphere.objects._vm import VirtualMachine
    from aiovsphere.vim.types import ClusterConfigSpecEx, VirtualMachineConfigSpec

__all__ = ["Folder"]

E = TypeVar("E", bound=Entity)


class Folder(Entity):
    """A vim.Folder helper (also for a StoragePod): ``await folder.create_folder("web")``."""

    vim_type = "Folder"
    __slots__ = ()

    @overload
    async def children(self) -> list[Entity]: ...
    @overload
    async def children(self, cls: type[E]) -> list[E]: ...
    async def children(self, cls: type[Entity] | None = None) -> list[Any]:
        """The folder's direct children (``childEntity``), each as its helper class; with
        ``cls`` (``VirtualMachine``, ``Folder``...) only the children that are one."""
        helpers = [from_ref(self.client, ref) for ref in await self._prop("childEntity") or ()]
        return helpers if cls is None else [h for h in helpers if isinstance(h, cls)]

    async def create_folder(self, name: str) -> Folder:
        """A new sub-folder (vim.Folder.CreateFolder; not a task). Names here are given
        as people read them and sent escaped (:func:`aiovsphere.escape_name`).
        Raises ``faults.DuplicateName``, ``faults.InvalidName``."""
        ref = await self.client.invoke(self.ref, "CreateFolder", name=escape_name(name))
        return Folder(self.client, ref)

    async def create_datacenter(self, name: str) -> Datacenter:
        """A new datacenter in this (root or datacenter) folder (vim.Folder.CreateDatacenter).
        Raises ``faults.DuplicateName``, ``faults.InvalidName``, ``faults.NotSupported``."""
        from aiovsphere.objects._datacenter import Datacenter

        ref = await self.client.invoke(self.ref, "CreateDatacenter", name=escape_name(name))
        return Datacenter(self.client, ref)

    async def create_cluster(self, name: str,
                             spec: ClusterConfigSpecEx | None = None) -> ClusterComputeResource:
        """A new cluster in this host folder (vim.Folder.CreateClusterEx); ``spec`` defaults
        to an empty ``ClusterConfigSpecEx``. Raises ``faults.DuplicateName``."""
        from aiovsphere.objects._compute import ClusterComputeResource
        from aiovsphere.vim import types as t

        ref = await self.client.invoke(self.ref, "CreateClusterEx", name=escape_name(name),
                                       spec=spec or t.ClusterConfigSpecEx())
        return ClusterComputeResource(self.client, ref)

    @overload
    async def create_vm(self, config: VirtualMachineConfigSpec, pool: RefLike,
                        host: RefLike | None = None, *, wait: Literal[True] = True,
                        progress: Progress = None) -> VirtualMachine: ...
    @overload
    async def create_vm(self, config: VirtualMachineConfigSpec, pool: RefLike,
                        host: RefLike | None = None, *, wait: Literal[False],
                        progress: Progress = None) -> ManagedObjectReference: ...
    async def create_vm(self, config: VirtualMachineConfigSpec, pool: RefLike,
                        host: RefLike | None = None, *, wait: bool = True,
                        progress: Progress = None) -> VirtualMachine | ManagedObjectReference:
        """Create a VM in this folder (vim.Folder.CreateVM_Task) from ``config`` (needs at
        least ``name`` and ``files.vmPathName``, e.g. ``"[datastore1]"``), in resource pool
        ``pool``, on ``host`` (needed unless the pool is in a DRS cluster). Returns the new
        VM's helper. Raises e.g. ``faults.DuplicateName``, ``faults.InvalidVmConfig``,
        ``faults.FileAlreadyExists``."""
        from aiovsphere.objects._vm import VirtualMachine

        result = await self._task(self.ref, "CreateVM_Task", wait, progress, config=config,
                                  pool=ref_of(pool, "pool"),
                                  host=None if host is None else ref_of(host, "host"))
        return as_helper(self.client, result, VirtualMachine) if wait else result

    @overload
    async def move_into(self, objects: Iterable[RefLike], *, wait: Literal[True] = True,
                        progress: Progress = None) -> None: ...
    @overload
    async def move_into(self, objects: Iterable[RefLike], *, wait: Literal[False],
                        progress: Progress = None) -> ManagedObjectReference: ...
    async def move_into(self, objects: Iterable[RefLike], *, wait: bool = True,
                        progress: Progress = None) -> ManagedObjectReference | None:
        """Move entities into this folder (vim.Folder.MoveIntoFolder_Task); they must be of
        a type the folder holds (VMs into a VM folder...). Raises e.g.
        ``faults.DuplicateName``, ``faults.InvalidFolder``, ``faults.NotSupported``."""
        refs = tuple(ref_of(obj, "objects") for obj in objects)
        return await self._task(self.ref, "MoveIntoFolder_Task", wait,  # type: ignore[no-any-return]
                                progress, list=refs)
