"""Datastore helper: file browsing (vim.host.DatastoreBrowser) and summaries.

Mirrors govmomi's ``object.Datastore`` / ``object.HostDatastoreBrowser`` and govc's
``datastore.ls``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiovsphere.objects._base import Entity, Progress, as_helpers

if TYPE_CHECKING:
    from aiovsphere.objects._host import HostSystem
    from aiovsphere.objects._vm import VirtualMachine
    from aiovsphere.vim.types import DatastoreSummary, FileInfo, FileQuery

__all__ = ["Datastore", "DatastoreFile", "datastore_path"]

_DS_PATH = re.compile(r"^\[(?P<ds>[^\]]*)\]\s*(?P<rest>.*)$", re.S)


def datastore_path(folder: str, name: str = "") -> str:
    """Join a datastore folder path and a file name the API's way: ``"[ds] dir/file"``,
    ``"[ds] file"`` at the root. Tolerates the forms servers report (``"[ds]"``,
    ``"[ds] dir/"``, vcsim's ``"[ds]/dir"``)."""
    match = _DS_PATH.match(folder)
    if match is None:  # not a datastore path: join plainly
        return f"{folder.rstrip('/')}/{name}" if name else folder
    rest = "/".join(p for p in (match["rest"].strip("/"), name.strip("/")) if p)
    return f"[{match['ds']}] {rest}" if rest else f"[{match['ds']}]"


@dataclass(frozen=True, slots=True)
class DatastoreFile:
    """One file found by :meth:`Datastore.browse`.

    ``folder`` is the folder path as the server reported it (``"[ds] dir"``); ``info`` the
    typed ``FileInfo`` (``VmConfigFileInfo`` for a ``.vmx``, ``FolderFileInfo`` for a
    folder... when the server types it), with ``info.path`` the name within ``folder``,
    ``info.fileSize`` in bytes and ``info.modification`` a timezone-aware datetime.
    ``path`` is the full datastore path, ``"[ds] dir/name.vmx"``.
    """

    folder: str
    info: FileInfo

    @property
    def path(self) -> str:
        return datastore_path(self.folder, self.info.path)


class Datastore(Entity):
    """A vim.Datastore helper: ``await ds.browse(pattern="*.vmx", recursive=True)``."""

    vim_type = "Datastore"
    __slots__ = ()

    async def summary(self) -> DatastoreSummary:
        """``summary``: name, url, ``capacity`` / ``freeSpace`` (bytes), type, accessible."""
        summary: DatastoreSummary = await self._prop("summary")
        return summary

    async def vms(self) -> list[VirtualMachine]:
        """The VMs with files on this datastore (``vm``)."""
        from aiovsphere.objects._vm import VirtualMachine

        return as_helpers(self.client, await self._prop("vm"), VirtualMachine)

    async def hosts(self) -> list[HostSystem]:
        """The hosts that mount this datastore (``host[].key``)."""
        from aiovsphere.objects._host import HostSystem

        mounts = await self._prop("host") or ()
        return as_helpers(self.client, [m.key for m in mounts], HostSystem)

    async def browse(
        self,
        path: str | None = None,
        pattern: str | Sequence[str] = "*",
        *,
        recursive: bool = False,
        query: Sequence[FileQuery] | None = None,
        case_insensitive: bool | None = None,
        progress: Progress = None,
    ) -> list[DatastoreFile]:
        """List files on the datastore, like ``govc datastore.ls``.

        ``path`` is a datastore path (``"[datastore1] dir"``), a folder relative to this
        datastore's root (``"dir"``), or ``None`` for the root. ``pattern`` is one glob or
        several (``matchPattern``: ``*``, ``?``; matched against file names, not paths).
        ``recursive`` searches sub-folders too (SearchDatastoreSubFolders_Task, else
        SearchDatastore_Task, on the datastore's ``browser``); ``query`` restricts file types
        (``types.VmConfigFileQuery()``...). Sizes, modification times and file types are
        requested. Results are in the server's order, grouped by folder.

        Raises ``faults.FileNotFound`` for a missing folder, ``faults.InvalidDatastorePath``
        / ``faults.InvalidDatastore`` for a bad path.
        """
        from aiovsphere.vim import types as t

        props = await self.get("browser", "name")
        if path is None or not path.startswith("["):
            path = datastore_path(f"[{props['name']}]", path or "")
        extra: dict[str, Any] = {"query": tuple(query)} if query else {}
        spec = t.HostDatastoreBrowserSearchSpec(
            **extra,
            details=t.FileQueryFlags(fileType=True, fileSize=True, modification=True,
                                     fileOwner=False),
            searchCaseInsensitive=case_insensitive,
            matchPattern=(pattern,) if isinstance(pattern, str) else tuple(pattern),
        )
        method = "SearchDatastoreSubFolders_Task" if recursive else "SearchDatastore_Task"
        result: Any = await self._task(props["browser"], method, True, progress,
                                       datastorePath=path, searchSpec=spec)
        if result is None:
            return []
        pages = result if recursive else (result,)
        return [DatastoreFile(page.folderPath or "", info)
                for page in pages for info in page.file or ()]
