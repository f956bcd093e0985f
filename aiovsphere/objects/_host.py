"""HostSystem helper: maintenance mode, disconnect/reconnect, reboot/shutdown, summaries.

Mirrors govmomi's ``object.HostSystem`` over vim.HostSystem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, overload

from aiovsphere.objects._base import Entity, Progress, as_helper, as_helpers
from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere.objects._compute import ComputeResource
    from aiovsphere.objects._datastore import Datastore
    from aiovsphere.objects._network import Network
    from aiovsphere.objects._vm import VirtualMachine
    from aiovsphere.vim.types import (
        HostConnectSpec,
        HostHardwareSummary,
        HostListSummary,
        HostSystemConnectionState,
        HostSystemPowerState,
        HostSystemReconnectSpec,
    )

__all__ = ["HostSystem"]


class HostSystem(Entity):
    """A vim.HostSystem helper: ``await host.enter_maintenance_mode()``."""

    vim_type = "HostSystem"
    __slots__ = ()

    # ------------------------------------------------------------------ getters
    async def summary(self) -> HostListSummary:
        """``summary``: hardware, runtime, config and quick stats in one record."""
        summary: HostListSummary = await self._prop("summary")
        return summary

    async def hardware_summary(self) -> HostHardwareSummary:
        """``summary.hardware``: vendor, model, uuid, ``memorySize`` (bytes), ``cpuModel``,
        ``cpuMhz`` (per core), ``numCpuPkgs`` / ``numCpuCores`` / ``numCpuThreads``,
        ``numNics``, ``numHBAs``."""
        hardware: HostHardwareSummary = await self._prop("summary.hardware")
        return hardware

    async def in_maintenance_mode(self) -> bool:
        """``runtime.inMaintenanceMode``."""
        return bool(await self._prop("runtime.inMaintenanceMode"))

    async def connection_state(self) -> HostSystemConnectionState:
        """``runtime.connectionState``: ``connected``, ``disconnected`` or ``notResponding``."""
        state: HostSystemConnectionState = await self._prop("runtime.connectionState")
        return state

    async def power_state(self) -> HostSystemPowerState:
        """``runtime.powerState``: ``poweredOn``, ``poweredOff``, ``standBy`` or ``unknown``."""
        state: HostSystemPowerState = await self._prop("runtime.powerState")
        return state

    async def vms(self) -> list[VirtualMachine]:
        """The VMs registered on the host (``vm``)."""
        from aiovsphere.objects._vm import VirtualMachine

        return as_helpers(self.client, await self._prop("vm"), VirtualMachine)

    async def datastores(self) -> list[Datastore]:
        """The datastores the host mounts (``datastore``)."""
        from aiovsphere.objects._datastore import Datastore

        return as_helpers(self.client, await self._prop("datastore"), Datastore)

    async def networks(self) -> list[Network]:
        """The networks the host is on (``network``; portgroups as their helper)."""
        from aiovsphere.objects._network import Network

        return as_helpers(self.client, await self._prop("network"), Network)

    async def compute_resource(self) -> ComputeResource | None:
        """The host's ComputeResource or ClusterComputeResource (``parent``)."""
        from aiovsphere.objects._compute import ComputeResource

        ref = await self._prop("parent")
        return None if ref is None else as_helper(self.client, ref, ComputeResource)

    # ------------------------------------------------------------------ maintenance mode
    @overload
    async def enter_maintenance_mode(
        self, *, timeout_seconds: int = 0, evacuate_powered_off_vms: bool | None = None,
        wait: Literal[True] = True, progress: Progress = None) -> None: ...
    @overload
    async def enter_maintenance_mode(
        self, *, timeout_seconds: int = 0, evacuate_powered_off_vms: bool | None = None,
        wait: Literal[False], progress: Progress = None) -> ManagedObjectReference: ...
    async def enter_maintenance_mode(
        self, *, timeout_seconds: int = 0, evacuate_powered_off_vms: bool | None = None,
        wait: bool = True, progress: Progress = None) -> ManagedObjectReference | None:
        """Enter maintenance mode (vim.HostSystem.EnterMaintenanceMode_Task).

        ``timeout_seconds`` is the API's ``timeout`` (how long the server tries before the
        task fails; 0: no limit), not a client deadline (use :func:`aiovsphere.timeout`).
        Raises e.g. ``faults.InvalidState``, ``faults.Timedout``.
        """
        return await self._task(  # type: ignore[no-any-return]
            self.ref, "EnterMaintenanceMode_Task", wait, progress,
            args={"timeout": timeout_seconds}, evacuatePoweredOffVms=evacuate_powered_off_vms)

    @overload
    async def exit_maintenance_mode(self, *, timeout_seconds: int = 0,
                                    wait: Literal[True] = True,
                                    progress: Progress = None) -> None: ...
    @overload
    async def exit_maintenance_mode(self, *, timeout_seconds: int = 0, wait: Literal[False],
                                    progress: Progress = None) -> ManagedObjectReference: ...
    async def exit_maintenance_mode(self, *, timeout_seconds: int = 0, wait: bool = True,
                                    progress: Progress = None) -> ManagedObjectReference | None:
        """Leave maintenance mode (vim.HostSystem.ExitMaintenanceMode_Task);
        ``timeout_seconds`` as for :meth:`enter_maintenance_mode`."""
        return await self._task(  # type: ignore[no-any-return]
            self.ref, "ExitMaintenanceMode_Task", wait, progress,
            args={"timeout": timeout_seconds})

    # ------------------------------------------------------------------ connection, power
    @overload
    async def disconnect(self, *, wait: Literal[True] = True,
                         progress: Progress = None) -> None: ...
    @overload
    async def disconnect(self, *, wait: Literal[False],
                         progress: Progress = None) -> ManagedObjectReference: ...
    async def disconnect(self, *, wait: bool = True,
                         progress: Progress = None) -> ManagedObjectReference | None:
        """Disconnect the host from vCenter (vim.HostSystem.DisconnectHost_Task)."""
        return await self._task(self.ref, "DisconnectHost_Task", wait,  # type: ignore[no-any-return]
                                progress)

    @overload
    async def reconnect(self, spec: HostConnectSpec | None = None,
                        reconnect_spec: HostSystemReconnectSpec | None = None, *,
                        wait: Literal[True] = True, progress: Progress = None) -> None: ...
    @overload
    async def reconnect(self, spec: HostConnectSpec | None = None,
                        reconnect_spec: HostSystemReconnectSpec | None = None, *,
                        wait: Literal[False],
                        progress: Progress = None) -> ManagedObjectReference: ...
    async def reconnect(self, spec: HostConnectSpec | None = None,
                        reconnect_spec: HostSystemReconnectSpec | None = None, *,
                        wait: bool = True,
                        progress: Progress = None) -> ManagedObjectReference | None:
        """Reconnect a disconnected host (vim.HostSystem.ReconnectHost_Task); ``spec``
        overrides the stored connection settings (e.g. new credentials).
        Raises e.g. ``faults.InvalidLogin``, ``faults.HostConnectFault``."""
        return await self._task(  # type: ignore[no-any-return]
            self.ref, "ReconnectHost_Task", wait, progress,
            cnxSpec=spec, reconnectSpec=reconnect_spec)

    @overload
    async def reboot(self, *, force: bool = False, wait: Literal[True] = True,
                     progress: Progress = None) -> None: ...
    @overload
    async def reboot(self, *, force: bool = False, wait: Literal[False],
                     progress: Progress = None) -> ManagedObjectReference: ...
    async def reboot(self, *, force: bool = False, wait: bool = True,
                     progress: Progress = None) -> ManagedObjectReference | None:
        """Reboot the host (vim.HostSystem.RebootHost_Task); without ``force`` the host must
        be in maintenance mode (else ``faults.InvalidState``)."""
        return await self._task(self.ref, "RebootHost_Task", wait,  # type: ignore[no-any-return]
                                progress, force=force)

    @overload
    async def shutdown(self, *, force: bool = False, wait: Literal[True] = True,
                       progress: Progress = None) -> None: ...
    @overload
    async def shutdown(self, *, force: bool = False, wait: Literal[False],
                       progress: Progress = None) -> ManagedObjectReference: ...
    async def shutdown(self, *, force: bool = False, wait: bool = True,
                       progress: Progress = None) -> ManagedObjectReference | None:
        """Shut the host down (vim.HostSystem.ShutdownHost_Task); ``force`` as for
        :meth:`reboot`."""
        return await self._task(self.ref, "ShutdownHost_Task", wait,  # type: ignore[no-any-return]
                                progress, force=force)
