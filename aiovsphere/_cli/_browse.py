"""``ls``, ``info`` and ``find``: the inventory by path (aiovsphere._finder.Finder).

Paths are the finder's (govc's): ``/DC0/vm``, ``vm/DC0_H0_VM0`` (relative to the
datacenter), patterns ``*/DC0_H0_VM*``, ``/DC0/vm/**``; a name with a ``/`` is written
``a%2fb``. Output rows carry ``path`` (escaped, usable as an argument again), ``name``
(unescaped), ``type`` (vim type) and ``moref`` (its value, ``vm-42``).
"""

from __future__ import annotations

import fnmatch
import glob
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from aiovsphere._cli._common import (
    Conn,
    Datacenter,
    Insecure,
    Json,
    Password,
    Url,
    User,
    cell,
    check_paths,
    emit_json,
    entity_types,
    new_table,
    print_table,
    resolve,
    run,
    stdout_console,
)

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere._finder import FoundObject
    from aiovsphere._records import ObjectRecord
    from aiovsphere.vim._moref import ManagedObjectReference

__all__ = ["find", "info", "ls"]

ROW_KEYS = ("path", "name", "type", "moref")

# Types whose children ``ls`` lists (the finder's inventory tree); other objects are leaves.
_CONTAINERS = ("Folder", "Datacenter", "ComputeResource", "ResourcePool")


def _row(obj: FoundObject) -> dict[str, Any]:
    return {"path": obj.path, "name": obj.name, "type": obj.type, "moref": obj.ref.value}


def _print_rows(rows: list[dict[str, Any]], json_: bool, title: str | None = None) -> None:
    if json_:
        emit_json(rows)
        return
    table = new_table(title, ("name", "type", "moref", "path"))
    for row in rows:
        table.add_row(*(cell(row[k]) for k in ("name", "type", "moref", "path")))
    print_table(table)


def _finder(client: Client, datacenter: str | None) -> Any:
    from aiovsphere._finder import Finder

    return Finder(client, datacenter)


def _is_pattern(path: str) -> bool:
    """Whether the last component is a pattern (``ls`` then lists the matches)."""
    return glob.has_magic(path.rstrip("/").rsplit("/", 1)[-1])


# ---------------------------------------------------------------------------- ls
def ls(
    url: Url,
    user: User,
    password: Password,
    path: Annotated[str, typer.Argument(help="inventory path or pattern")] = "/",
    insecure: Insecure = False,
    datacenter: Datacenter = None,
    json_: Json = False,
) -> None:
    """List the children of an inventory path: name, type, moref (ls /DC0/vm).

    A path whose last component is a pattern (/DC0/vm/DC0_H0_*) lists its matches
    themselves; a leaf (a VM, a host in a cluster...) lists itself. Exit 1 if the path
    matches nothing.
    """
    check_paths([path])
    conn = Conn(url, user, password, insecure)

    async def list_children(client: Client) -> list[dict[str, Any]]:
        finder = _finder(client, datacenter)
        found = await resolve(finder, [path])
        if _is_pattern(path):
            return [_row(obj) for obj in found]
        rows: list[dict[str, Any]] = []
        for obj in found:
            if not _is_container(client, obj.type):
                rows.append(_row(obj))
                continue
            children = await finder.find(glob.escape(obj.path.rstrip("/")) + "/*")
            rows.extend(_row(child) for child in children)
        return rows

    rows = run(conn, list_children)
    _print_rows(rows, json_)


def _is_container(client: Client, type_: str) -> bool:
    return any(client.schema.is_subtype(type_, c) for c in _CONTAINERS)


# ---------------------------------------------------------------------------- find
def find(
    url: Url,
    user: User,
    password: Password,
    root: Annotated[str, typer.Argument(
        help="where to search: a path or pattern; everything below it")] = "/",
    type_: Annotated[list[str] | None, typer.Option(
        "--type", "-t", help="vim type (VirtualMachine, HostSystem, Datastore, Network, "
        "ResourcePool, ClusterComputeResource, Folder, Datacenter...) or govc's letter "
        "(m, h, s, n, p, c, f, d); repeat for several")] = None,
    name: Annotated[str | None, typer.Option(
        "--name", "-n", help="name pattern (*, ?, [...]), case-sensitive")] = None,
    insecure: Insecure = False,
    datacenter: Datacenter = None,
    json_: Json = False,
) -> None:
    """Find objects below ROOT by type and name pattern, like govc find.

    ROOT itself is listed too when it matches. Finding nothing is not an error (an empty
    list, exit 0); a ROOT that matches nothing is (exit 1).
    """
    from aiovsphere._names import escape_name

    types = entity_types(type_)
    check_paths([root], "ROOT")
    conn = Conn(url, user, password, insecure)
    pattern = escape_name(name) if name else "*"

    async def job(client: Client) -> list[dict[str, Any]]:
        finder = _finder(client, datacenter)
        roots = await resolve(finder, [root])
        found: dict[ManagedObjectReference, FoundObject] = {}
        for base in roots:
            if (not types or any(client.schema.is_subtype(base.type, t) for t in types)) \
                    and fnmatch.fnmatchcase(base.name, name or "*"):
                found.setdefault(base.ref, base)
            below = glob.escape(base.path.rstrip("/")) + "/**/" + pattern
            for obj in await finder.find(below, types or None):
                found.setdefault(obj.ref, obj)
        return [_row(obj) for obj in sorted(found.values(), key=lambda o: o.path)]

    _print_rows(run(conn, job), json_)


# ---------------------------------------------------------------------------- info
# (key, property path, label) per type; values read with one RetrievePropertiesEx per type.
_COMMON = (("overall_status", "overallStatus", "Overall status"),)
_VM = (
    ("power_state", "runtime.powerState", "Power state"),
    ("num_cpu", "config.hardware.numCPU", "CPUs"),
    ("memory_mb", "config.hardware.memoryMB", "Memory (MB)"),
    ("host", "runtime.host", "Host"),
    ("ip_address", "guest.ipAddress", "IP address"),
    ("guest_os", "config.guestFullName", "Guest OS"),
    ("uuid", "config.uuid", "UUID"),
)
_HOST = (
    ("connection_state", "runtime.connectionState", "Connection state"),
    ("power_state", "runtime.powerState", "Power state"),
    ("maintenance_mode", "runtime.inMaintenanceMode", "Maintenance mode"),
    ("cpu_cores", "summary.hardware", "CPU cores"),
    ("cpu_mhz", "summary.hardware", "CPU MHz (per core)"),
    ("memory_bytes", "summary.hardware", "Memory (bytes)"),
    ("cpu_usage_mhz", "summary.quickStats", "CPU usage (MHz)"),
    ("memory_usage_mb", "summary.quickStats", "Memory usage (MB)"),
    ("product", "summary.config", "Product"),
)
_DATASTORE = (
    ("capacity_bytes", "summary", "Capacity (bytes)"),
    ("free_bytes", "summary", "Free (bytes)"),
    ("fs_type", "summary", "File system"),
    ("url", "summary", "URL"),
    ("accessible", "summary", "Accessible"),
)
_COMPUTE = (
    ("num_hosts", "summary", "Hosts"),
    ("cpu_cores", "summary", "CPU cores"),
    ("memory_bytes", "summary", "Memory (bytes)"),
)
# How a key's value comes out of its property (attributes below the retrieved path).
_INNER = {
    ("HostSystem", "cpu_cores"): "numCpuCores", ("HostSystem", "cpu_mhz"): "cpuMhz",
    ("HostSystem", "memory_bytes"): "memorySize",
    ("HostSystem", "cpu_usage_mhz"): "overallCpuUsage",
    ("HostSystem", "memory_usage_mb"): "overallMemoryUsage",
    ("HostSystem", "product"): "product.fullName",
    ("Datastore", "capacity_bytes"): "capacity", ("Datastore", "free_bytes"): "freeSpace",
    ("Datastore", "fs_type"): "type", ("Datastore", "url"): "url",
    ("Datastore", "accessible"): "accessible",
    ("ComputeResource", "num_hosts"): "numHosts",
    ("ComputeResource", "cpu_cores"): "numCpuCores",
    ("ComputeResource", "memory_bytes"): "totalMemory",
}
_LABELS = {"path": "Path", "name": "Name", "type": "Type", "moref": "Moref",
           "parent": "Parent"} | {key: label for fields in (_VM, _HOST, _DATASTORE, _COMPUTE,
                                                             _COMMON)
                                   for key, _path, label in fields}


def _kind(client: Client, type_: str) -> str:
    for kind in ("VirtualMachine", "HostSystem", "Datastore", "ComputeResource"):
        if client.schema.is_subtype(type_, kind):
            return kind
    return ""


def _fields(kind: str) -> tuple[tuple[str, str, str], ...]:
    return {"VirtualMachine": _VM, "HostSystem": _HOST, "Datastore": _DATASTORE,
            "ComputeResource": _COMPUTE}.get(kind, ()) + _COMMON


def _value(rec: ObjectRecord | None, path: str) -> Any:
    if rec is None or path in rec.missing or "" in rec.missing or path not in rec:
        return None
    return rec[path]


def _inner(value: Any, attrs: str) -> Any:
    for attr in attrs.split("."):
        if value is None:
            return None
        value = getattr(value, attr, None)
    return value


async def info_rows(client: Client, objs: Sequence[FoundObject]) -> list[dict[str, Any]]:
    """The ``info`` rows of ``objs``: path, name, type, moref, parent (path) and the keys
    of the object's kind (VM, host, datastore, compute resource), all present (``None``
    when unset or unreadable)."""
    kinds = {obj.type: _kind(client, obj.type) for obj in objs}
    paths = {type_: sorted({p for _k, p, _l in _fields(kind)}) for type_, kind in
             kinds.items()}
    records: dict[ManagedObjectReference, ObjectRecord] = {}
    if objs:
        for record in await client.retrieve([o.ref for o in objs], paths, missing="record"):
            records[record.obj] = record
    # Host names for VMs, in one more call.
    host_refs = {_value(records.get(o.ref), "runtime.host") for o in objs
                 if kinds[o.type] == "VirtualMachine"} - {None}
    host_names: dict[Any, str] = {}
    if host_refs:
        from aiovsphere._names import unescape_name

        for host in await client.retrieve(list(host_refs), ["name"], missing="record"):
            name = _value(host, "name")
            if isinstance(name, str):
                host_names[host.obj] = unescape_name(name)
    rows = []
    for obj in objs:
        kind = kinds[obj.type]
        rec = records.get(obj.ref)
        parent = (obj.path.rsplit("/", 1)[0] or "/") if obj.path != "/" else None
        row: dict[str, Any] = {"path": obj.path, "name": obj.name, "type": obj.type,
                               "moref": obj.ref.value, "parent": parent}
        for key, path, _label in _fields(kind):
            value = _value(rec, path)
            attrs = _INNER.get((kind, key))
            if attrs is not None:
                value = _inner(value, attrs)
            if key == "host" and value is not None:
                value = host_names.get(value, value.value)
            row[key] = value
        rows.append(row)
    return rows


def _size(value: Any) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return ""
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if size < 1024 or unit == "PiB":
            return f" ({size:.1f} {unit})" if unit != "B" else ""
        size /= 1024
    return ""


def info(
    url: Url,
    user: User,
    password: Password,
    paths: Annotated[list[str], typer.Argument(help="inventory paths or patterns")],
    insecure: Insecure = False,
    datacenter: Datacenter = None,
    json_: Json = False,
) -> None:
    """Key properties of objects (info /DC0/vm/DC0_H0_VM0).

    A VM's power state, CPUs, memory, host, guest IP; a host's connection state, CPU and
    memory; a datastore's capacity and free bytes; any object's name, type, parent.
    Exit 1 if a path matches nothing.
    """
    check_paths(paths)
    conn = Conn(url, user, password, insecure)

    async def job(client: Client) -> list[dict[str, Any]]:
        objs = await resolve(_finder(client, datacenter), paths)
        return await info_rows(client, objs)

    rows = run(conn, job)
    if json_:
        emit_json(rows)
        return
    console = stdout_console()
    for row in rows:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column(overflow="fold")
        for key, value in row.items():
            text = cell(value)
            if key.endswith("_bytes"):
                text.append(_size(value))
            grid.add_row(Text(_LABELS.get(key, key) + ":"), text)
        console.print(grid)
        console.print()
