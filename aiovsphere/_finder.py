"""Inventory paths and patterns (govmomi's ``find.Finder``, govc's path arguments) and
SearchIndex lookups (vim.SearchIndex).

    finder = Finder(client)                        # the only datacenter, or datacenter=...
    vms = await finder.find("/DC0/vm/*", type="VirtualMachine")
    vm = await finder.virtual_machine("DC0_H0_VM0")   # exactly one, else a typed error
    ref = await find_by_inventory_path(client, vm.path)

The inventory tree walked (FindByInventoryPath resolves every path in it; an object reached
by two paths, as a vApp is, is reported once, at the shorter):

- Folder and StoragePod: ``childEntity``
- Datacenter: ``vmFolder``, ``hostFolder``, ``datastoreFolder``, ``networkFolder``
  (named ``vm``, ``host``, ``datastore``, ``network``)
- ComputeResource and ClusterComputeResource: ``host``, then ``resourcePool`` (the root
  pool, ``Resources``): ``/DC0/host/DC0_C0/DC0_C0_H0``, ``/DC0/host/DC0_C0/Resources``
- ResourcePool: ``resourcePool`` (child pools and vApps) only. Unlike FindChild, which also
  answers a pool's VMs, a VM is found only under the VM folder tree
  (``/DC0/vm/...``), as govc lists it (its pool is its ``resourcePool`` property).
- VirtualApp: ``resourcePool`` and ``vm``.
- Everything else (VirtualMachine, HostSystem, Datastore, networks, switches) is a leaf.

Paths and patterns:

- Components are split on literal ``/``; each is a name as the user knows it (unescaped)
  and is matched against the object's unescaped name with :func:`fnmatch.fnmatchcase`
  (``*``, ``?``, ``[...]``; case-sensitive). A component is first passed through
  :func:`~aiovsphere.unescape_name`, so the escaped form works too: ``a%2fb`` finds the
  VM named ``a/b``; ``100%`` and ``100%25`` both find ``100%``. (A name containing the
  text ``%2f``, ``%5c`` or ``%25`` itself must be written escaped: ``50%2525``.) A name
  with a ``/`` also matches several components joined by ``/``, as govc does:
  ``vm/a/b`` finds the VM ``a/b`` (and a folder ``a`` holding a ``b``, if there is one;
  ``vm/*/*`` matches ``a/b`` too). The ``path`` of every result is escaped, so
  ``find(obj.path)`` finds ``obj`` again; :meth:`Finder.find_by_name` takes a name as it
  is, with no patterns and no splitting. A component also matches a name equal to it
  literally, so a path finds a name with pattern characters in it as it is:
  ``/DC0/vm/a[1]`` finds the VM ``a[1]`` (and the VM ``a1``). To match ``*``, ``?`` or
  ``[`` literally only, write ``[*]``, ``[?]``, ``[[]`` (:func:`glob.escape`).
- ``**`` as a whole component matches any number of levels, zero included:
  ``/DC0/vm/**`` is the VM folder and everything under it. Empty components and ``.`` are
  ignored; ``..`` is refused (no step up). The names ``.`` and ``..`` themselves are
  written ``%2e`` and ``%2e%2e`` (as in every ``path`` the finder returns, in
  :func:`inventory_path` and :func:`~aiovsphere.join_path`; :func:`find_by_inventory_path`
  sends them as the server has them): ``/DC0/vm/%2e%2e`` is the VM named ``..``.
- An absolute path (``/DC0/vm/*``) starts at the root folder. A relative path with a ``/``
  (``vm/DC0_H0_VM0``, ``*/DC0_H0_VM*``, ``host/DC0_C0/*``) starts at the finder's
  datacenter. A bare name or pattern with no ``/`` (``DC0_H0_VM0``, ``DC0_*``) is searched
  for at any depth below the datacenter (``**/NAME``), like govc's find mode. With a
  type filter, folders whose ``childType`` cannot lead to that type are not walked
  (``finder.datastore("LocalDS_0")`` never reads the VM folder). Relative paths for
  ``type="Datacenter"`` start at the root folder instead.
- ``type``: vim managed entity type names; an object matches its type's ancestors too
  (``Network`` covers DistributedVirtualPortgroup and OpaqueNetwork, ``ResourcePool``
  covers VirtualApp, ``ComputeResource`` covers ClusterComputeResource, ``Folder`` covers
  StoragePod).

Each level of the tree costs one RetrievePropertiesEx (names, child lists and folder child
types of the whole level at once, by moref list), never one call per object; only the
children of objects that can still match are read. No server-side object (view,
collector) is created. Objects that vanish during the walk, or whose name the session may
not read, are left out.
"""

from __future__ import annotations

import fnmatch
import functools
import glob
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from aiovsphere._errors import EncodeError, MultipleFoundError, NotFoundError, VSphereError
from aiovsphere._names import escape_dots, escape_name, unescape_dots, unescape_name
from aiovsphere._property import retrieve, retrieve_pages
from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere._objects import ManagedObject

__all__ = [
    "Finder",
    "FoundObject",
    "MultipleFoundError",
    "NotFoundError",
    "find_by_dns_name",
    "find_by_inventory_path",
    "find_by_ip",
    "find_by_uuid",
    "find_child",
    "inventory_path",
]

Ref = ManagedObjectReference
RefLike: TypeAlias = "ManagedObjectReference | ManagedObject"  # a moref or a proxy
TypeArg = str | Sequence[str] | None

_MAX_DEPTH = 64  # inventory levels; deeper means a cycle (a broken server), not a tree


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True, slots=True)
class FoundObject:
    """One object the finder found.

    ``ref``: its moref; ``path``: its absolute inventory path, names escaped as the API
    stores them (``/DC0/vm/a%2fb``; the names ``.`` and ``..`` as ``%2e``, ``%2e%2e``:
    usable with :func:`find_by_inventory_path` and with the finder);
    ``name``: its unescaped name (``a/b``); ``type``: its vim type (``ref.type``).
    """

    ref: ManagedObjectReference
    path: str
    name: str
    type: str


# ---------------------------------------------------------------------------- types
def _schema() -> Any:
    from aiovsphere.vim._schema import schema

    return schema()


@functools.cache
def _is_a(type_: str, ancestor: str) -> bool:
    return bool(type_ == ancestor or _schema().is_subtype(type_, ancestor))


def _types(type: TypeArg) -> tuple[str, ...]:
    """Validated type filter; ``()`` means every type."""
    if type is None:
        return ()
    names = (type,) if isinstance(type, str) else tuple(type)
    schema = _schema()
    for name in names:
        if not (schema.is_managed(name) and schema.is_subtype(name, "ManagedEntity")):
            raise EncodeError(f"{name!r} is not a managed entity type (VirtualMachine, "
                              "HostSystem, Datastore, Network, ResourcePool, "
                              "ClusterComputeResource, Folder, Datacenter...)", path="type")
    return tuple(dict.fromkeys(names))


def _child_paths(type_: str) -> tuple[str, ...]:
    """The properties naming an object's children in the inventory tree."""
    if _is_a(type_, "Folder"):  # StoragePod too
        return ("childEntity",)
    if _is_a(type_, "Datacenter"):
        return ("vmFolder", "hostFolder", "datastoreFolder", "networkFolder")
    if _is_a(type_, "ComputeResource"):
        return ("host", "resourcePool")
    if _is_a(type_, "VirtualApp"):
        return ("resourcePool", "vm")
    if _is_a(type_, "ResourcePool"):
        return ("resourcePool",)
    return ()


# Folder.childType values through which an object of a type can be reached (a folder
# holding a Datacenter leads everywhere); None: any folder may lead to it.
def _reached_through(wanted: str) -> frozenset[str] | None:
    table: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("Datacenter", ("Datacenter",)),
        ("VirtualMachine", ("VirtualMachine", "VirtualApp", "ComputeResource")),
        ("VirtualApp", ("VirtualApp", "ComputeResource")),
        ("ResourcePool", ("ComputeResource", "VirtualApp")),
        ("HostSystem", ("ComputeResource",)),
        ("ComputeResource", ("ComputeResource",)),
        ("StoragePod", ("StoragePod",)),
        ("Datastore", ("Datastore", "StoragePod")),
        ("Network", ("Network", "DistributedVirtualSwitch")),
        ("DistributedVirtualSwitch", ("DistributedVirtualSwitch", "Network")),
    )
    for ancestor, child_types in table:
        if _is_a(wanted, ancestor):
            return frozenset(child_types)
    return None


class _Filter:
    """The type filter and the pruning it allows."""

    def __init__(self, types: tuple[str, ...]) -> None:
        self.types = types
        self.only_datacenters = bool(types) and all(_is_a(t, "Datacenter") for t in types)
        through: set[str] = set()
        self.prune_folders = bool(types)
        for wanted in types:
            reached = _reached_through(wanted)
            if reached is None:
                self.prune_folders = False
            else:
                through |= reached
        self.through = frozenset(through)

    def wants(self, type_: str) -> bool:
        return not self.types or any(_is_a(type_, t) for t in self.types)

    def enters(self, type_: str, child_type: Any) -> bool:
        """May an object of ``type_`` (a Folder: with ``childType``) lead to a match?"""
        if _is_a(type_, "Datacenter"):
            return not self.only_datacenters
        if not self.prune_folders or not _is_a(type_, "Folder"):
            return True
        kinds = set(child_type or ())
        return not kinds or "Datacenter" in kinds or bool(kinds & self.through)


# ---------------------------------------------------------------------------- patterns
_GLOB = re.compile(r"[*?\[]")
_RECURSE = "**"


def _parse(path: str) -> tuple[bool, list[str]]:
    """(absolute?, components): unescaped names/patterns and ``**``."""
    absolute = path.startswith("/")
    parts: list[str] = []
    for raw in path.split("/"):
        if raw in ("", "."):
            continue
        if raw == "..":
            raise EncodeError(f"'..' is not supported in inventory paths: {path!r}",
                              path="path")
        if raw == _RECURSE:
            if parts and parts[-1] == _RECURSE:
                continue
            parts.append(raw)
        else:
            parts.append(unescape_name(unescape_dots(raw)))
    if not absolute and "/" not in path and parts:
        parts.insert(0, _RECURSE)  # a bare name: anywhere below the base
    return absolute, parts


def _matcher(component: str, literal: bool = True) -> Callable[[str], bool]:
    """Does a name match ``component``: as a pattern, or (``literal``) equal to it?"""
    if _GLOB.search(component) is None:
        return component.__eq__
    regex = re.compile(fnmatch.translate(component), re.S)
    if literal:
        return lambda name: name == component or regex.match(name) is not None
    return lambda name: regex.match(name) is not None


class _Pattern:
    """A path pattern as a small NFA over tree levels: state ``i`` means "matched
    ``parts[:i]``"; ``end`` (``len(parts)``) is a match. ``literal=False``: a component
    is a pattern only (not also a name), as :meth:`Finder.find_by_name` needs."""

    def __init__(self, parts: list[str], literal: bool = True) -> None:
        self.parts = parts
        self.end = len(parts)
        self.literal = literal
        self.match = [_matcher(p, literal) if p != _RECURSE else None for p in parts]
        self._joined: dict[tuple[int, int], Callable[[str], bool]] = {}

    def _spans(self, i: int, name: str) -> list[int]:
        """The states after ``i`` reached by ``name`` matching several components joined
        by ``/`` (``vm/a/b`` finds the VM named ``a/b``, as govc does); only names with a
        ``/`` can."""
        out = []
        j = i + 1
        while j < self.end and self.parts[j] != _RECURSE:
            j += 1
            check = self._joined.get((i, j))
            if check is None:
                check = self._joined[(i, j)] = _matcher("/".join(self.parts[i:j]),
                                                              self.literal)
            if check(name):
                out.append(j)
        return out

    def close(self, states: set[int]) -> frozenset[int]:
        """Add the states reached by letting a ``**`` match zero levels."""
        for i in sorted(states):
            while i < self.end and self.parts[i] == _RECURSE:
                i += 1
                states.add(i)
        return frozenset(states)

    def step(self, states: frozenset[int], name: str) -> frozenset[int]:
        """The states of a child named ``name`` whose parent is in ``states``."""
        out: set[int] = set()
        for i in states:
            if i >= self.end:
                continue  # the path ended at the parent
            check = self.match[i]
            if check is None:
                out.add(i)  # ``**`` takes this level too
            else:
                if check(name):
                    out.add(i + 1)
                if "/" in name:
                    out.update(self._spans(i, name))
        return self.close(out)

    def may_continue(self, states: frozenset[int]) -> bool:
        """Could a child of a node in ``states`` have children that match?"""
        return any(i < self.end and (self.match[i] is None or i + 1 < self.end)
                   for i in states)


# ---------------------------------------------------------------------------- walking
@dataclass(slots=True)
class _Pending:
    ref: Ref
    parent_path: str | None  # None: the walk's base (its path is ``base_path``)
    states: frozenset[int]  # the parent's states (the base: its own)


def _refs(value: Any) -> list[Ref]:
    if value is None:
        return []
    if isinstance(value, ManagedObjectReference):
        return [value]
    return [v for v in value if isinstance(v, ManagedObjectReference)]


async def _walk(client: Client, base: Ref, base_path: str, pattern: _Pattern,
                filter_: _Filter) -> list[FoundObject]:
    """Breadth first, one RetrievePropertiesEx per level. Pending children are kept per
    (object, parent states), with the shortest parent path, and such a pair is walked
    once only: an object reached again (a vApp, or a server whose graph has a diamond or
    a cycle) costs nothing more, so the work is bounded by objects, not by paths. The
    child lists read are kept; when a pair came round again, they are checked for a
    cycle (an object below itself: a broken server), which raises VSphereError."""
    pending = [_Pending(base, None, pattern.close({0}))]
    found: dict[Ref, FoundObject] = {}
    queued: set[tuple[Ref, frozenset[int]]] = set()
    children_of: dict[Ref, set[Ref]] = {}
    came_again = False
    depth = 0
    while pending:
        depth += 1
        if depth > _MAX_DEPTH:
            raise VSphereError(f"inventory deeper than {_MAX_DEPTH} levels below "
                               f"{base_path or '/'} (a cycle?)")
        refs = list(dict.fromkeys(p.ref for p in pending))
        expand = {p.ref.type for p in pending
                  if (any(i < pattern.end for i in p.states) if p.parent_path is None
                      else pattern.may_continue(p.states))}
        paths: dict[str, list[str]] = {}
        for ref in refs:
            if ref.type in paths:
                continue
            props = ["name"]
            if ref.type in expand:
                props += _child_paths(ref.type)
                if filter_.prune_folders and _is_a(ref.type, "Folder"):
                    props.append("childType")
            paths[ref.type] = props
        records = await retrieve(client, refs, paths, missing="record")
        by_ref = {r.obj: r for r in records if "" not in r.missing and "name" not in r.missing}
        next_pending: dict[tuple[Ref, frozenset[int]], _Pending] = {}
        for item in pending:
            rec = by_ref.get(item.ref)
            if rec is None:
                continue  # gone meanwhile, or not ours to see
            stored = rec["name"]
            if not isinstance(stored, str):
                continue
            if item.parent_path is None:
                states, path = item.states, base_path
            else:
                states = pattern.step(item.states, unescape_name(stored))
                path = f"{item.parent_path}/{escape_dots(stored)}"
            if not states:
                continue
            if pattern.end in states and filter_.wants(item.ref.type):
                obj = FoundObject(item.ref, path or "/", unescape_name(stored), item.ref.type)
                old = found.get(item.ref)
                if old is None or _path_key(obj.path) < _path_key(old.path):
                    found[item.ref] = obj
            going_on = frozenset(i for i in states if i < pattern.end)
            if not going_on or not filter_.enters(item.ref.type, _prop(rec, "childType")):
                continue
            children: list[Ref] = []
            for child_path in _child_paths(item.ref.type):
                children += _refs(_prop(rec, child_path))
            children_of.setdefault(item.ref, set()).update(children)
            for child in dict.fromkeys(children):
                key = (child, going_on)
                waiting = next_pending.get(key)
                if waiting is not None:  # reached twice on this level: the shorter path
                    if _path_key(path) < _path_key(waiting.parent_path or ""):
                        waiting.parent_path = path
                elif key in queued:  # walked on an earlier level, at a shorter path
                    came_again = True
                else:
                    queued.add(key)
                    next_pending[key] = _Pending(child, path, going_on)
        pending = list(next_pending.values())
    if came_again and _has_cycle(children_of):
        raise VSphereError(f"the inventory below {base_path or '/'} has a cycle (an object "
                           "listed below itself)")
    return sorted(found.values(), key=lambda o: (o.path, o.ref.value))


def _has_cycle(children_of: dict[Ref, set[Ref]]) -> bool:
    """Does the graph of child lists read have a cycle (iterative depth-first search)?"""
    on_stack: set[Ref] = set()
    done: set[Ref] = set()
    for start in children_of:
        if start in done:
            continue
        on_stack.add(start)
        stack = [(start, iter(children_of[start]))]
        while stack:
            node, rest = stack[-1]
            for child in rest:
                if child in on_stack:
                    return True
                if child not in done and child in children_of:
                    on_stack.add(child)
                    stack.append((child, iter(children_of[child])))
                    break
            else:
                stack.pop()
                on_stack.discard(node)
                done.add(node)
    return False


def _prop(rec: Any, path: str) -> Any:
    if path in rec.missing or path not in rec:
        return None
    return rec[path]


def _path_key(path: str) -> tuple[int, str]:
    """Which of two paths of one object to keep: the shorter, then the smaller."""
    return path.count("/"), path


# ---------------------------------------------------------------------------- paths
def _ref(obj: RefLike | None) -> Ref | None:
    ref: Any = getattr(obj, "ref", obj)
    if ref is None or isinstance(ref, ManagedObjectReference):
        return ref
    raise EncodeError(f"expects a moref or a client.mo(...) proxy, got {obj!r}")


async def inventory_path(client: Client, obj: RefLike) -> str:
    """The absolute, escaped inventory path of ``obj`` (``/DC0/vm/DC0_H0_VM0``; the root
    folder is ``/``; as :attr:`FoundObject.path`, the names ``.``/``..`` as ``%2e``/
    ``%2e%2e``), from its ``parent`` chain (a VM in a vApp: ``parentVApp``), read in
    one RetrievePropertiesEx (govmomi's ``find.InventoryPath``). Raises
    ``aiovsphere.faults.ManagedObjectNotFound`` for an object that does not exist."""
    from aiovsphere.vim import types as t

    ref = _ref(obj)
    if ref is None:
        raise EncodeError("expects a moref or a client.mo(...) proxy, got None")
    up = (t.SelectionSpec(name="up"), t.SelectionSpec(name="upVApp"))
    spec = t.PropertyFilterSpec(
        objectSet=(t.ObjectSpec(obj=ref, skip=False, selectSet=(
            t.TraversalSpec(name="up", type="ManagedEntity", path="parent", skip=False,
                            selectSet=up),
            t.TraversalSpec(name="upVApp", type="VirtualMachine", path="parentVApp",
                            skip=False, selectSet=up),
        )),),
        propSet=(t.PropertySpec(type="ManagedEntity", pathSet=("name", "parent")),
                 t.PropertySpec(type="VirtualMachine", pathSet=("name", "parent",
                                                                "parentVApp"))),
    )
    seen: dict[Ref, dict[str, Any]] = {}

    async def read() -> None:
        seen.clear()
        async for page in retrieve_pages(client, [spec]):
            for content in page:
                seen[content.obj] = {p.name: p.val for p in content.propSet}

    await client.retry_on_lost_session(read)
    names: list[str] = []
    cur: Ref | None = ref
    while cur is not None and cur in seen and len(names) <= _MAX_DEPTH:
        props = seen[cur]
        parent = props.get("parent") or props.get("parentVApp")
        if parent is None and cur == client.content.rootFolder:
            break
        names.append(escape_dots(str(props.get("name", ""))))
        cur = parent
    return "/" + "/".join(reversed(names))


# ---------------------------------------------------------------------------- SearchIndex
async def find_by_inventory_path(client: Client, path: str) -> ManagedObjectReference | None:
    """vim.SearchIndex.FindByInventoryPath: the object at ``path`` (absolute, names
    escaped as in :attr:`FoundObject.path`: ``/DC0/vm/a%2fb``), or ``None``. No patterns.
    A component ``%2e`` or ``%2e%2e`` (the names ``.`` and ``..``, see
    :func:`~aiovsphere.join_path`) is sent as ``.`` or ``..``, the name the server has."""
    path = "/".join(unescape_dots(part) for part in path.split("/"))
    result: Ref | None = await client.invoke(client.service("searchIndex"),
                                             "FindByInventoryPath", inventoryPath=path)
    return result


async def find_child(client: Client, entity: RefLike, name: str
                     ) -> ManagedObjectReference | None:
    """vim.SearchIndex.FindChild: the child of ``entity`` (a folder, datacenter, compute
    resource or pool) named ``name`` (unescaped, as in :attr:`FoundObject.name`: sent
    escaped), or ``None``. The API's children: a folder's ``childEntity``; a datacenter's
    four folders; a compute resource's hosts and root pool; a pool's pools and VMs."""
    result: Ref | None = await client.invoke(client.service("searchIndex"), "FindChild",
                                             entity=_ref(entity), name=escape_name(name))
    return result


async def find_by_uuid(
    client: Client, uuid: str, *, vm_search: bool = True, instance_uuid: bool = False,
    datacenter: RefLike | None = None,
) -> ManagedObjectReference | None:
    """vim.SearchIndex.FindByUuid: the VM with BIOS ``config.uuid`` (or, with
    ``instance_uuid=True``, ``config.instanceUuid``) ``uuid``; with ``vm_search=False``
    the host with ``hardware.systemInfo.uuid``. ``datacenter`` (a moref) limits the
    search. ``None`` if none; the first match if several."""
    result: Ref | None = await client.invoke(
        client.service("searchIndex"), "FindByUuid", datacenter=_ref(datacenter), uuid=uuid,
        vmSearch=vm_search, instanceUuid=instance_uuid if vm_search else None)
    return result


async def find_by_ip(
    client: Client, ip: str, *, vm_search: bool = True, datacenter: RefLike | None = None,
) -> ManagedObjectReference | None:
    """vim.SearchIndex.FindByIp: a VM whose guest reports ``ip`` (VMware Tools), or with
    ``vm_search=False`` a host with that IP on a VMkernel NIC; ``None`` if none, the first
    match if several. ``datacenter`` (a moref) limits the search."""
    result: Ref | None = await client.invoke(
        client.service("searchIndex"), "FindByIp", datacenter=_ref(datacenter), ip=ip,
        vmSearch=vm_search)
    return result


async def find_by_dns_name(
    client: Client, dns_name: str, *, vm_search: bool = True,
    datacenter: RefLike | None = None,
) -> ManagedObjectReference | None:
    """vim.SearchIndex.FindByDnsName: a VM whose guest host name is ``dns_name`` (VMware
    Tools), or with ``vm_search=False`` a host with that DNS name; ``None`` if none, the
    first match if several. ``datacenter`` (a moref) limits the search."""
    result: Ref | None = await client.invoke(
        client.service("searchIndex"), "FindByDnsName", datacenter=_ref(datacenter),
        dnsName=dns_name, vmSearch=vm_search)
    return result


# ---------------------------------------------------------------------------- Finder
class Finder:
    """Finds inventory objects by path or pattern (govmomi's ``find.Finder``).

    ``datacenter``: where relative paths start: a datacenter moref (or proxy), or a path
    or name (``"DC0"``, ``"/Folder/DC0"``); default: the only datacenter (relative paths
    raise :class:`NotFoundError`/:class:`MultipleFoundError` when there is none or
    several). Resolved on first use and kept. See the module docs for the path language.
    """

    def __init__(self, client: Client, datacenter: RefLike | str | None = None) -> None:
        self.client = client
        self._datacenter_arg = datacenter
        self._datacenter: FoundObject | None = None

    def __repr__(self) -> str:
        dc = self._datacenter.path if self._datacenter else self._datacenter_arg
        return f"<Finder datacenter={dc!r}>"

    async def default_datacenter(self) -> FoundObject:
        """The datacenter relative paths start from (resolving it on first use)."""
        if self._datacenter is not None:
            return self._datacenter
        arg = self._datacenter_arg
        if arg is None or isinstance(arg, str):
            where = "*" if arg is None else arg
            found = await self._search(where, ("Datacenter",))
            if not found:
                raise NotFoundError(
                    "no datacenter" + ("" if arg is None else f" matches {arg!r}")
                    + " for relative paths", path=where, types=("Datacenter",))
            if len(found) > 1:
                raise MultipleFoundError(
                    f"{len(found)} datacenters match {where!r} "
                    f"({', '.join(f.path for f in found)}); give Finder(datacenter=...) "
                    "or an absolute path", path=where, types=("Datacenter",), found=found)
            dc = found[0]
        else:
            ref = _ref(arg)
            if ref is None or ref.type != "Datacenter":
                raise EncodeError(f"datacenter must be a Datacenter moref or a path, got "
                                  f"{arg!r}", path="datacenter")
            path = await inventory_path(self.client, ref)
            name = unescape_name(unescape_dots(path.rsplit("/", 1)[-1]))
            dc = FoundObject(ref, path, name, ref.type)
        self._datacenter = dc
        return dc

    async def find(self, path: str, type: TypeArg = None) -> list[FoundObject]:
        """Every object matching ``path`` (of ``type``, a vim type name or several),
        sorted by path; ``[]`` if none. Raises :class:`NotFoundError` /
        :class:`MultipleFoundError` only when a relative path needs the finder's
        datacenter and it cannot be determined; :class:`~aiovsphere.EncodeError` for an
        unknown type or a ``..`` component."""
        return await self._search(path, _types(type))

    async def find_by_name(self, name: str, type: TypeArg = None) -> list[FoundObject]:
        """Every object named exactly ``name`` (unescaped, as :attr:`FoundObject.name`:
        no pattern, no path, so ``"a/b"`` and ``"[x]*"`` are plain names) anywhere below
        the finder's datacenter (below the root folder for ``type="Datacenter"``), of
        ``type``, sorted by path; ``[]`` if none."""
        types = _types(type)
        return await self._walk_from(
            False, _Pattern([_RECURSE, glob.escape(name)], literal=False), _Filter(types))

    async def _search(self, path: str, types: tuple[str, ...]) -> list[FoundObject]:
        absolute, parts = _parse(path)
        return await self._walk_from(absolute, _Pattern(parts), _Filter(types))

    async def _walk_from(self, absolute: bool, pattern: _Pattern, filter_: _Filter
                         ) -> list[FoundObject]:
        if absolute or filter_.only_datacenters:
            base, base_path = self.client.content.rootFolder, ""
        else:
            dc = await self.default_datacenter()
            base, base_path = dc.ref, dc.path
        return await _walk(self.client, base, base_path, pattern, filter_)

    async def one(self, path: str, type: TypeArg = None) -> FoundObject:
        """The one object matching ``path``; :class:`NotFoundError` if none,
        :class:`MultipleFoundError` (with ``.found``) if several."""
        types = _types(type)
        found = await self._search(path, types)
        what = " or ".join(types) or "object"
        if not found:
            raise NotFoundError(f"no {what} matches {path!r}", path=path, types=types)
        if len(found) > 1:
            shown = ", ".join(f.path for f in found[:5]) + (", ..." if len(found) > 5 else "")
            raise MultipleFoundError(f"{len(found)} {what}s match {path!r}: {shown}",
                                     path=path, types=types, found=found)
        return found[0]

    # -- one object of a type (exactly one match, else NotFoundError/MultipleFoundError)
    async def virtual_machine(self, path: str) -> FoundObject:
        return await self.one(path, "VirtualMachine")

    async def host(self, path: str) -> FoundObject:
        return await self.one(path, "HostSystem")

    async def datastore(self, path: str) -> FoundObject:
        return await self.one(path, "Datastore")

    async def network(self, path: str) -> FoundObject:
        """A Network, DistributedVirtualPortgroup or OpaqueNetwork."""
        return await self.one(path, "Network")

    async def resource_pool(self, path: str) -> FoundObject:
        """A ResourcePool (or VirtualApp), e.g. ``host/DC0_C0/Resources``."""
        return await self.one(path, "ResourcePool")

    async def cluster(self, path: str) -> FoundObject:
        return await self.one(path, "ClusterComputeResource")

    async def folder(self, path: str) -> FoundObject:
        return await self.one(path, "Folder")

    async def datacenter(self, path: str) -> FoundObject:
        return await self.one(path, "Datacenter")

    # -- every object of a type (default: all of them in the datacenter; [] if none)
    async def virtual_machine_list(self, path: str = "*") -> list[FoundObject]:
        return await self.find(path, "VirtualMachine")

    async def host_list(self, path: str = "*") -> list[FoundObject]:
        return await self.find(path, "HostSystem")

    async def datastore_list(self, path: str = "*") -> list[FoundObject]:
        return await self.find(path, "Datastore")

    async def network_list(self, path: str = "*") -> list[FoundObject]:
        return await self.find(path, "Network")

    async def resource_pool_list(self, path: str = "*") -> list[FoundObject]:
        return await self.find(path, "ResourcePool")

    async def cluster_list(self, path: str = "*") -> list[FoundObject]:
        return await self.find(path, "ClusterComputeResource")

    async def folder_list(self, path: str = "*") -> list[FoundObject]:
        return await self.find(path, "Folder")

    async def datacenter_list(self, path: str = "*") -> list[FoundObject]:
        return await self.find(path, "Datacenter")

    # -- SearchIndex
    async def _search_datacenter(self) -> Ref | None:
        """The datacenter SearchIndex lookups are limited to: the one given to the
        finder, else none (every datacenter)."""
        if self._datacenter_arg is None:
            return None
        return (await self.default_datacenter()).ref

    async def inventory_path(self, obj: RefLike) -> str:
        """See :func:`inventory_path`."""
        return await inventory_path(self.client, obj)

    async def find_by_inventory_path(self, path: str) -> ManagedObjectReference | None:
        """See :func:`find_by_inventory_path`; a relative (escaped) path is taken from the
        finder's datacenter: ``vm/DC0_H0_VM0``."""
        if not path.startswith("/"):
            dc = await self.default_datacenter()
            path = f"{dc.path}/{path}"
        return await find_by_inventory_path(self.client, path)

    async def find_child(self, entity: RefLike, name: str) -> ManagedObjectReference | None:
        """See :func:`find_child`."""
        return await find_child(self.client, entity, name)

    async def find_by_uuid(self, uuid: str, *, vm_search: bool = True,
                           instance_uuid: bool = False) -> ManagedObjectReference | None:
        """See :func:`find_by_uuid`; limited to the finder's datacenter if it was given."""
        return await find_by_uuid(self.client, uuid, vm_search=vm_search,
                                  instance_uuid=instance_uuid,
                                  datacenter=await self._search_datacenter())

    async def find_by_ip(self, ip: str, *, vm_search: bool = True
                         ) -> ManagedObjectReference | None:
        """See :func:`find_by_ip`; limited to the finder's datacenter if it was given."""
        return await find_by_ip(self.client, ip, vm_search=vm_search,
                                datacenter=await self._search_datacenter())

    async def find_by_dns_name(self, dns_name: str, *, vm_search: bool = True
                               ) -> ManagedObjectReference | None:
        """See :func:`find_by_dns_name`; limited to the finder's datacenter if given."""
        return await find_by_dns_name(self.client, dns_name, vm_search=vm_search,
                                      datacenter=await self._search_datacenter())
