"""VirtualMachine helper: power, guest shutdown/reboot, clone, reconfigure, snapshots, devices.

Mirrors govmomi's ``object.VirtualMachine`` over vim.VirtualMachine and
vim.vm.Snapshot (VirtualMachineSnapshot).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar, overload

from aiovsphere._names import escape_name
from aiovsphere.objects._base import Entity, Progress, RefLike, as_helper, ref_of
from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere.objects._compute import ResourcePool
    from aiovsphere.objects._host import HostSystem
    from aiovsphere.vim.types import (
        VirtualDevice,
        VirtualMachineCloneSpec,
        VirtualMachineConfigSpec,
        VirtualMachinePowerState,
        VirtualMachineSnapshotTree,
    )

__all__ = ["Snapshot", "SnapshotLike", "VirtualMachine"]

D = TypeVar("D", bound="VirtualDevice")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One snapshot of a VM's tree (from ``snapshot.rootSnapshotList``).

    ``path`` is the names from the root joined with ``/`` (``"base/patched"``, govc's
    form); ``parent`` the parent snapshot's moref (``None`` for a root); ``children`` the
    child snapshots, oldest first; ``state`` the VM's power state when it was taken;
    ``created`` the server's timestamp (timezone-aware).
    """

    ref: ManagedObjectReference
    name: str
    description: str
    id: int | None
    created: datetime.datetime | None
    state: VirtualMachinePowerState | str | None
    quiesced: bool | None
    path: str
    parent: ManagedObjectReference | None
    children: tuple[Snapshot, ...]

    def walk(self) -> list[Snapshot]:
        """This snapshot and its descendants, depth first (parents before children)."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


SnapshotLike: TypeAlias = Snapshot | ManagedObjectReference | str
"""A snapshot: a :class:`Snapshot`, a VirtualMachineSnapshot moref, or a string that is
a path (``"base/patched"``), else a name, else a moref value (``"snapshot-83"``); a string
must match exactly one snapshot."""


def _tree(nodes: tuple[VirtualMachineSnapshotTree, ...] | None, prefix: str,
          parent: ManagedObjectReference | None) -> tuple[Snapshot, ...]:
    out = []
    for node in nodes or ():
        path = f"{prefix}/{node.name}" if prefix else str(node.name)
        out.append(Snapshot(
            ref=node.snapshot, name=node.name, description=node.description or "",
            id=node.id, created=node.createTime, state=node.state, quiesced=node.quiesced,
            path=path, parent=parent,
            children=_tree(node.childSnapshotList, path, node.snapshot),
        ))
    return tuple(out)


class VirtualMachine(Entity):
    """A vim.VirtualMachine helper: ``vm = VirtualMachine(client, ref)``; ``await vm.power_on()``.

    Task methods wait for their task (``wait=False``: return the Task moref) and raise the
    task's fault, e.g. ``faults.InvalidPowerState`` with ``.task`` set.
    """

    vim_type = "VirtualMachine"
    __slots__ = ()

    # ------------------------------------------------------------------ state
    async def power_state(self) -> VirtualMachinePowerState:
        """``runtime.powerState``: ``poweredOn``, ``poweredOff`` or ``suspended``."""
        state: VirtualMachinePowerState = await self._prop("runtime.powerState")
        return state

    async def host(self) -> HostSystem | None:
        """The host the VM runs or is registered on (``runtime.host``)."""
        from aiovsphere.objects._host import HostSystem

        ref = await self._prop("runtime.host")
        return None if ref is None else HostSystem(self.client, ref)

    async def resource_pool(self) -> ResourcePool | None:
        """The VM's resource pool (``resourcePool``); ``None`` for a template."""
        from aiovsphere.objects._compute import ResourcePool

        ref = await self._prop("resourcePool")
        return None if ref is None else as_helper(self.client, ref, ResourcePool)

    # ------------------------------------------------------------------ power
    @overload
    async def power_on(self, *, host: RefLike | None = None, wait: Literal[True] = True,
                       progress: Progress = None) -> None: ...
    @overload
    async def power_on(self, *, host: RefLike | None = None, wait: Literal[False],
                       progress: Progress = None) -> ManagedObjectReference: ...
    async def power_on(self, *, host: RefLike | None = None, wait: bool = True,
                       progress: Progress = None) -> ManagedObjectReference | None:
        """Power on (vim.VirtualMachine.PowerOnVM_Task), optionally on ``host``.

        Raises ``faults.InvalidPowerState`` if the VM is already on.
        """
        return await self._task(  # type: ignore[no-any-return]
            self.ref, "PowerOnVM_Task", wait, progress,
            host=None if host is None else ref_of(host, "host"))

    @overload
    async def power_off(self, *, wait: Literal[True] = True,
                        progress: Progress = None) -> None: ...
    @overload
    async def power_off(self, *, wait: Literal[False],
                        progress: Progress = None) -> ManagedObjectReference: ...
    async def power_off(self, *, wait: bool = True,
                        progress: Progress = None) -> ManagedObjectReference | None:
        """Hard power off (vim.VirtualMachine.PowerOffVM_Task); see :meth:`shutdown_guest`
        for a clean one. Raises ``faults.InvalidPowerState`` if the VM is off."""
        return await self._task(self.ref, "PowerOffVM_Task", wait,  # type: ignore[no-any-return]
                                progress)

    @overload
    async def reset(self, *, wait: Literal[True] = True, progress: Progress = None) -> None: ...
    @overload
    async def reset(self, *, wait: Literal[False],
                    progress: Progress = None) -> ManagedObjectReference: ...
    async def reset(self, *, wait: bool = True,
                    progress: Progress = None) -> ManagedObjectReference | None:
        """Hard reset (vim.VirtualMachine.ResetVM_Task); the VM ends powered on.
        Raises ``faults.InvalidPowerState`` unless the VM is powered on."""
        return await self._task(self.ref, "ResetVM_Task", wait,  # type: ignore[no-any-return]
                                progress)

    @overload
    async def suspend(self, *, wait: Literal[True] = True,
                      progress: Progress = None) -> None: ...
    @overload
    async def suspend(self, *, wait: Literal[False],
                      progress: Progress = None) -> ManagedObjectReference: ...
    async def suspend(self, *, wait: bool = True,
                      progress: Progress = None) -> ManagedObjectReference | None:
        """Suspend (vim.VirtualMachine.SuspendVM_Task); :meth:`power_on` resumes.
        Raises ``faults.InvalidPowerState`` unless the VM is powered on."""
        return await self._task(self.ref, "SuspendVM_Task", wait,  # type: ignore[no-any-return]
                                progress)

    async def shutdown_guest(self) -> None:
        """Ask the guest OS to shut down (vim.VirtualMachine.ShutdownGuest; not a task: it
        returns once the request is delivered, before the VM is off). Needs VMware Tools;
        raises ``faults.ToolsUnavailable`` without them, ``faults.InvalidPowerState`` when
        the VM is not on."""
        await self.client.invoke(self.ref, "ShutdownGuest")

    async def reboot_guest(self) -> None:
        """Ask the guest OS to reboot (vim.VirtualMachine.RebootGuest; not a task). Needs
        VMware Tools; raises ``faults.ToolsUnavailable`` without them."""
        await self.client.invoke(self.ref, "RebootGuest")

    # ------------------------------------------------------------------ config
    @overload
    async def reconfigure(self, spec: VirtualMachineConfigSpec, *, wait: Literal[True] = True,
                          progress: Progress = None) -> None: ...
    @overload
    async def reconfigure(self, spec: VirtualMachineConfigSpec, *, wait: Literal[False],
                          progress: Progress = None) -> ManagedObjectReference: ...
    async def reconfigure(self, spec: VirtualMachineConfigSpec, *, wait: bool = True,
                          progress: Progress = None) -> ManagedObjectReference | None:
        """Apply ``spec`` (vim.VirtualMachine.ReconfigVM_Task), e.g.
        ``types.VirtualMachineConfigSpec(numCPUs=2, memoryMB=2048)`` (memory in MB).

        Raises e.g. ``faults.InvalidPowerState`` for a change that needs the VM off,
        ``faults.InvalidDeviceSpec`` / ``faults.InvalidArgument`` for a bad spec.
        """
        return await self._task(self.ref, "ReconfigVM_Task", wait,  # type: ignore[no-any-return]
                                progress, spec=spec)

    @overload
    async def devices(self, type: type[D]) -> tuple[D, ...]: ...
    @overload
    async def devices(self, type: str | None = None) -> tuple[VirtualDevice, ...]: ...
    async def devices(self, type: Any = None) -> tuple[Any, ...]:
        """The virtual hardware (``config.hardware.device``) as typed ``VirtualDevice``s.

        ``type`` keeps the devices that are instances of a device class, given as the class
        (``types.VirtualEthernetCard``) or its name (``"VirtualEthernetCard"`` also keeps
        ``VirtualE1000``, ``VirtualVmxnet3``...). An unknown name raises ``ValueError``.
        A template or a VM without config gives ``()``.
        """
        from aiovsphere.vim import types as t

        cls: Any = None
        if isinstance(type, str):
            cls = getattr(t, type, None)
            if cls is None or not issubclass(cls, t.VirtualDevice):
                raise ValueError(f"{type!r} is not a vim VirtualDevice class")
        elif type is not None:
            cls = type
        found = tuple(await self._prop("config.hardware.device") or ())
        return found if cls is None else tuple(d for d in found if isinstance(d, cls))

    # ------------------------------------------------------------------ clone
    @overload
    async def clone(self, name: str, folder: RefLike | None = None,
                    spec: VirtualMachineCloneSpec | None = None, *,
                    power_on: bool | None = None, template: bool | None = None,
                    pool: RefLike | None = None, datastore: RefLike | None = None,
                    host: RefLike | None = None, wait: Literal[True] = True,
                    progress: Progress = None) -> VirtualMachine: ...
    @overload
    async def clone(self, name: str, folder: RefLike | None = None,
                    spec: VirtualMachineCloneSpec | None = None, *,
                    power_on: bool | None = None, template: bool | None = None,
                    pool: RefLike | None = None, datastore: RefLike | None = None,
                    host: RefLike | None = None, wait: Literal[False],
                    progress: Progress = None) -> ManagedObjectReference: ...
    async def clone(self, name: str, folder: RefLike | None = None,
                    spec: VirtualMachineCloneSpec | None = None, *,
                    power_on: bool | None = None, template: bool | None = None,
                    pool: RefLike | None = None, datastore: RefLike | None = None,
                    host: RefLike | None = None, wait: bool = True,
                    progress: Progress = None) -> VirtualMachine | ManagedObjectReference:
        """Clone this VM (vim.VirtualMachine.CloneVM_Task) as ``name`` into ``folder``.

        ``folder`` defaults to this VM's folder (its datacenter's VM folder for a VM in a
        vApp). Either pass a full ``types.VirtualMachineCloneSpec`` as ``spec``, or let the
        keywords build one: ``power_on`` / ``template`` (default false) and the relocate
        targets ``pool``, ``datastore``, ``host`` (default: where the source is). Giving
        both raises ``ValueError``. Returns the new VM's helper.

        Raises e.g. ``faults.DuplicateName``, ``faults.InvalidArgument`` (no pool: cloning
        a template needs ``pool``), ``faults.FileAlreadyExists``.
        """
        from aiovsphere.vim import types as t

        shortcuts = (power_on, template, pool, datastore, host)
        if spec is not None and any(x is not None for x in shortcuts):
            raise ValueError("pass either spec or the power_on/template/pool/datastore/host "
                             "keywords, not both")
        if spec is None:
            spec = t.VirtualMachineCloneSpec(
                location=t.VirtualMachineRelocateSpec(
                    pool=None if pool is None else ref_of(pool, "pool"),
                    datastore=None if datastore is None else ref_of(datastore, "datastore"),
                    host=None if host is None else ref_of(host, "host"),
                ),
                powerOn=bool(power_on),
                template=bool(template),
            )
        if folder is None:
            folder_ref = await self._prop("parent")
            if folder_ref is None or folder_ref.type != "Folder":
                datacenter = await self.datacenter()
                if datacenter is None:
                    raise ValueError(f"{self.ref} has no folder: pass folder=")
                folder_ref = (await datacenter.folders()).vm.ref
        else:
            folder_ref = ref_of(folder, "folder")
        result = await self._task(self.ref, "CloneVM_Task", wait, progress,
                                  folder=folder_ref, name=escape_name(name), spec=spec)
        return VirtualMachine(self.client, result) if wait else result

    # ------------------------------------------------------------------ snapshots
    async def snapshot_tree(self) -> tuple[Snapshot, ...]:
        """The root snapshots (``snapshot.rootSnapshotList``), each with its ``children``;
        ``()`` when the VM has none."""
        return _tree(await self._prop("snapshot.rootSnapshotList"), "", None)

    async def list_snapshots(self) -> list[Snapshot]:
        """Every snapshot, depth first (a parent before its children, siblings oldest
        first), each with ``path``, ``parent`` and ``children``."""
        return [s for root in await self.snapshot_tree() for s in root.walk()]

    async def current_snapshot(self) -> Snapshot | None:
        """The snapshot the VM currently runs from (``snapshot.currentSnapshot``)."""
        info = await self._prop("snapshot")
        if info is None or info.currentSnapshot is None:
            return None
        for snapshot in [s for root in _tree(info.rootSnapshotList, "", None)
                         for s in root.walk()]:
            if snapshot.ref == info.currentSnapshot:
                return snapshot
        return None

    async def find_snapshot(self, snapshot: SnapshotLike) -> ManagedObjectReference:
        """The moref of ``snapshot`` (see :data:`SnapshotLike`). Raises ``LookupError`` when
        a string matches no snapshot or more than one, ``TypeError`` for a moref that is
        not a VirtualMachineSnapshot."""
        if isinstance(snapshot, Snapshot):
            return snapshot.ref
        if isinstance(snapshot, ManagedObjectReference):
            if snapshot.type != "VirtualMachineSnapshot":
                raise TypeError(f"{snapshot} is not a VirtualMachineSnapshot")
            return snapshot
        if not isinstance(snapshot, str):
            raise TypeError(f"expected a Snapshot, a snapshot moref or a name, "
                            f"got {type(snapshot).__name__}")
        every = await self.list_snapshots()
        for key in ("path", "name"):
            found = [s for s in every if getattr(s, key) == snapshot]
            if found:
                break
        else:
            found = [s for s in every if s.ref.value == snapshot]
        if len(found) != 1:
            what = "no snapshot" if not found else f"{len(found)} snapshots"
            raise LookupError(f"{what} of {self.ref} named {snapshot!r}")
        return found[0].ref

    @overload
    async def create_snapshot(self, name: str, description: str = "", *, memory: bool = False,
                              quiesce: bool = False, wait: Literal[True] = True,
                              progress: Progress = None) -> ManagedObjectReference: ...
    @overload
    async def create_snapshot(self, name: str, description: str = "", *, memory: bool = False,
                              quiesce: bool = False, wait: Literal[False],
                              progress: Progress = None) -> ManagedObjectReference: ...
    async def create_snapshot(self, name: str, description: str = "", *, memory: bool = False,
                              quiesce: bool = False, wait: bool = True,
                              progress: Progress = None) -> ManagedObjectReference:
        """Take a snapshot (vim.VirtualMachine.CreateSnapshot_Task); it becomes the current
        snapshot, a child of the previous current one. ``memory`` includes the memory of a
        powered-on VM, ``quiesce`` quiesces the guest file system (needs VMware Tools).

        Returns the new VirtualMachineSnapshot moref (``wait=False``: the Task moref).
        Raises e.g. ``faults.SnapshotFault``, ``faults.InvalidPowerState``.
        """
        return await self._task(  # type: ignore[no-any-return]
            self.ref, "CreateSnapshot_Task", wait, progress,
            name=name, description=description, memory=memory, quiesce=quiesce)

    @overload
    async def revert_to_snapshot(self, snapshot: SnapshotLike | None = None, *,
                                 suppress_power_on: bool | None = None,
                                 host: RefLike | None = None, wait: Literal[True] = True,
                                 progress: Progress = None) -> None: ...
    @overload
    async def revert_to_snapshot(self, snapshot: SnapshotLike | None = None, *,
                                 suppress_power_on: bool | None = None,
                                 host: RefLike | None = None, wait: Literal[False],
                                 progress: Progress = None) -> ManagedObjectReference: ...
    async def revert_to_snapshot(self, snapshot: SnapshotLike | None = None, *,
                                 suppress_power_on: bool | None = None,
                                 host: RefLike | None = None, wait: bool = True,
                                 progress: Progress = None) -> ManagedObjectReference | None:
        """Revert to ``snapshot`` (vim.vm.Snapshot.RevertToSnapshot_Task), or with ``None``
        to the current snapshot (vim.VirtualMachine.RevertToCurrentSnapshot_Task). It becomes
        the current snapshot. Raises ``LookupError`` (see :meth:`find_snapshot`) and
        ``faults.NotFound`` when there is no current snapshot.
        """
        params: dict[str, Any] = {"host": None if host is None else ref_of(host, "host"),
                                  "suppressPowerOn": suppress_power_on}
        if snapshot is None:
            return await self._task(  # type: ignore[no-any-return]
                self.ref, "RevertToCurrentSnapshot_Task", wait, progress, **params)
        ref = await self.find_snapshot(snapshot)
        return await self._task(ref, "RevertToSnapshot_Task", wait,  # type: ignore[no-any-return]
                                progress, **params)

    @overload
    async def remove_snapshot(self, snapshot: SnapshotLike, *, remove_children: bool = False,
                              consolidate: bool | None = None, wait: Literal[True] = True,
                              progress: Progress = None) -> None: ...
    @overload
    async def remove_snapshot(self, snapshot: SnapshotLike, *, remove_children: bool = False,
                              consolidate: bool | None = None, wait: Literal[False],
                              progress: Progress = None) -> ManagedObjectReference: ...
    async def remove_snapshot(self, snapshot: SnapshotLike, *, remove_children: bool = False,
                              consolidate: bool | None = None, wait: bool = True,
                              progress: Progress = None) -> ManagedObjectReference | None:
        """Remove ``snapshot`` (vim.vm.Snapshot.RemoveSnapshot_Task); its children move up to
        its parent unless ``remove_children``. Raises ``LookupError`` (see
        :meth:`find_snapshot`); ``faults.ManagedObjectNotFound`` for a snapshot already gone.
        """
        ref = await self.find_snapshot(snapshot)
        return await self._task(ref, "RemoveSnapshot_Task", wait,  # type: ignore[no-any-return]
                                progress, removeChildren=remove_children,
                                consolidate=consolidate)

    @overload
    async def remove_all_snapshots(self, *, consolidate: bool | None = None,
                                   wait: Literal[True] = True,
                                   progress: Progress = None) -> None: ...
    @overload
    async def remove_all_snapshots(self, *, consolidate: bool | None = None,
                                   wait: Literal[False],
                                   progress: Progress = None) -> ManagedObjectReference: ...
    async def remove_all_snapshots(self, *, consolidate: bool | None = None, wait: bool = True,
                                   progress: Progress = None) -> ManagedObjectReference | None:
        """Remove every snapshot (vim.VirtualMachine.RemoveAllSnapshots_Task)."""
        return await self._task(  # type: ignore[no-any-return]
            self.ref, "RemoveAllSnapshots_Task", wait, progress, consolidate=consolidate)
