"""Datacenter helper: its four root folders, datastores and networks.

Mirrors govmomi's ``object.Datacenter`` (``Folders()``) over vim.Datacenter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from aiovsphere.objects._base import Entity, as_helpers
from aiovsphere.objects._folder import Folder

if TYPE_CHECKING:
    from aiovsphere.objects._datastore import Datastore
    from aiovsphere.objects._network import Network

__all__ = ["Datacenter", "DatacenterFolders"]


class DatacenterFolders(NamedTuple):
    """A datacenter's root folders: ``vm`` (VMs and templates), ``host`` (hosts and
    clusters), ``datastore`` and ``network``."""

    vm: Folder
    host: Folder
    datastore: Folder
    network: Folder


class Datacenter(Entity):
    """A vim.Datacenter helper: ``(await dc.folders()).vm.create_folder("web")``."""

    vim_type = "Datacenter"
    __slots__ = ()

    async def folders(self) -> DatacenterFolders:
        """``vmFolder``, ``hostFolder``, ``datastoreFolder``, ``networkFolder`` in one read."""
        props = await self.get("vmFolder", "hostFolder", "datastoreFolder", "networkFolder")
        return DatacenterFolders(*(Folder(self.client, props[p]) for p in (
            "vmFolder", "hostFolder", "datastoreFolder", "networkFolder")))

    async def datastores(self) -> list[Datastore]:
        """The datastores of the datacenter (``datastore``)."""
        from aiovsphere.objects._datastore import Datastore

        return as_helpers(self.client, await self._prop("datastore"), Datastore)

    async def networks(self) -> list[Network]:
        """The networks of the datacenter (``network``; portgroups as their helper)."""
        from aiovsphere.objects._network import Network

        return as_helpers(self.client, await self._prop("network"), Network)
