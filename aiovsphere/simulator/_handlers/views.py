"""ViewManager and its views (vim.view.*) in the simulator.

Views are session objects, as on vCenter: created by ViewManager, visible to and listed
(``ViewManager.viewList``) for their session only, destroyed with DestroyView or when the
session ends. Their ``view`` property is computed when read, so it always reflects the
inventory:

- ContainerView (CreateContainerView): the entities under ``container`` of the listed
  ``type`` or a subtype (all entities for an empty list). Containment, as vCenter and vcsim
  walk it: Folder -> ``childEntity``; Datacenter -> its ``vmFolder``, ``hostFolder``,
  ``datastoreFolder`` and ``networkFolder``; ComputeResource (and clusters) -> ``host`` and
  the root ``resourcePool``; ResourcePool (and vApps) -> child ``resourcePool`` and ``vm``;
  HostSystem -> ``vm``. ``recursive`` follows those all the way down, else only the
  container's own children count. Each object appears once.
- ListView (CreateListView, CreateListViewFromView): an explicit list; ModifyListView and
  ResetListView(FromView) return the objects they could not add (unknown or invisible
  ones); an object destroyed later drops out of ``view``.
- InventoryView (CreateInventoryView): the root folder plus the children of the folders
  opened with OpenInventoryViewFolder (closed again with CloseInventoryViewFolder).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from aiovsphere.simulator._context import Context, fault
from aiovsphere.simulator._dispatch import handles
from aiovsphere.simulator._model import SimObject
from aiovsphere.simulator._pc_spec import is_subtype, visible
from aiovsphere.simulator._pc_state import session_ref
from aiovsphere.vim._moref import ManagedObjectReference as Ref
from aiovsphere.vim._schema import schema

__all__ = ["children", "contained", "install"]

_VIEW_TYPES = ("ContainerView", "ListView", "InventoryView")
_CONTAINERS = ("Folder", "Datacenter", "ComputeResource", "ResourcePool", "HostSystem")
_LIST = "list_view"  # data key: a ListView's morefs (ordered)
_OPEN = "inventory_open"  # data key: an InventoryView's opened containers (ordered)
_CACHE = "container_view"  # data key: a ContainerView's (model version, last view)


def install(ctx: Context) -> None:
    """Give the ViewManager its per-session ``viewList`` (idempotent)."""
    from aiovsphere.simulator._service import MANAGERS

    manager = ctx.model.get(MANAGERS["viewManager"])
    if manager is not None and "viewList" not in manager.dynamic:
        manager.dynamic["viewList"] = _view_list


def _view_list(ctx: Context) -> tuple[Ref, ...]:
    """ViewManager.viewList: the caller's views."""
    session = ctx.session
    if session is None:
        return ()
    return tuple(obj.ref for obj in ctx.model.objects.values()
                 if obj.owner == session.key and obj.type in _VIEW_TYPES)


@functools.lru_cache(maxsize=512)
def _is_container(type_name: str) -> bool:
    return any(is_subtype(type_name, c) for c in _CONTAINERS)


def children(ctx: Context, obj: SimObject) -> list[Any]:
    """The direct children of a container, in inventory order (see the module docs)."""
    t = obj.type
    if is_subtype(t, "Folder"):
        return list(obj.get(ctx, "childEntity") or ())
    if is_subtype(t, "Datacenter"):
        return [r for r in (obj.get(ctx, name) for name in
                            ("vmFolder", "hostFolder", "datastoreFolder", "networkFolder"))
                if r is not None]
    if is_subtype(t, "ComputeResource"):
        pool = obj.get(ctx, "resourcePool")
        return [*(obj.get(ctx, "host") or ()), *(() if pool is None else (pool,))]
    if is_subtype(t, "ResourcePool"):
        return [*(obj.get(ctx, "resourcePool") or ()), *(obj.get(ctx, "vm") or ())]
    if is_subtype(t, "HostSystem"):
        return list(obj.get(ctx, "vm") or ())
    return []


def contained(ctx: Context, container: SimObject, types: Iterable[str], recursive: bool
              ) -> tuple[Ref, ...]:
    """The morefs a ContainerView on ``container`` holds now."""
    wanted = tuple(types)
    matches: dict[str, bool] = {}  # by type name
    out: dict[Ref, None] = {}
    seen = {container.ref}
    stack = [container]
    while stack:
        parent = stack.pop()
        found = []
        for ref in children(ctx, parent):
            child = visible(ctx, ref)
            if child is None or child.ref in seen:
                continue
            seen.add(child.ref)
            type_name = child.type
            match = matches.get(type_name)
            if match is None:
                match = matches[type_name] = not wanted or any(
                    is_subtype(type_name, w) for w in wanted)
            if match:
                out[child.ref] = None
            if recursive and _is_container(type_name):
                found.append(child)
        stack.extend(reversed(found))
    return tuple(out)


# ---------------------------------------------------------------------------- views
def _new_view(ctx: Context, type_name: str, props: dict[str, Any]) -> SimObject:
    assert ctx.session is not None
    return SimObject(session_ref(ctx, type_name), props, owner=ctx.session.key)


def _container_view(view: SimObject, ctx: Context) -> tuple[Ref, ...]:
    # Every change to the inventory bumps the model's version: until then the last walk
    # holds (a view only its own session reads, over objects every session sees).
    cached = view.data.get(_CACHE)
    if cached is not None and cached[0] == ctx.model.version:
        return cached[1]  # type: ignore[no-any-return]
    container = visible(ctx, view.props["container"])
    refs = () if container is None else contained(
        ctx, container, view.props.get("type") or (), bool(view.props.get("recursive")))
    view.data[_CACHE] = (ctx.model.version, refs)
    return refs


@handles("ViewManager", "CreateContainerView")
def create_container_view(ctx: Context, this: SimObject, container: Ref,
                          type: tuple[str, ...] = (), recursive: bool = False) -> Ref:
    install(ctx)
    root = visible(ctx, container)
    if root is None:
        raise fault("ManagedObjectNotFound", obj=container)
    if not _is_container(root.type):
        raise fault("InvalidArgument", "A specified parameter was not correct: container",
                    invalidProperty="container")
    s = schema()
    for name in type:
        if not s.is_managed(name) or not is_subtype(name, "ManagedEntity"):
            raise fault("InvalidArgument", "A specified parameter was not correct: type",
                        invalidProperty="type")
    view = _new_view(ctx, "ContainerView", {"container": root.ref, "type": tuple(type),
                                            "recursive": bool(recursive)})
    view.dynamic["view"] = functools.partial(_container_view, view)
    ctx.model.add(view)
    return view.ref


def _list_view(view: SimObject, ctx: Context) -> tuple[Ref, ...]:
    return tuple(ref for ref in view.data[_LIST] if visible(ctx, ref) is not None)


def _resolve(ctx: Context, refs: Iterable[Any]) -> tuple[list[Ref], list[Any]]:
    """``(resolved morefs, morefs that could not be resolved)``."""
    ok: list[Ref] = []
    bad: list[Any] = []
    for ref in refs:
        obj = visible(ctx, ref)
        if obj is None:
            bad.append(ref)
        else:
            ok.append(obj.ref)
    return ok, bad


def _make_list_view(ctx: Context, refs: Iterable[Ref]) -> Ref:
    view = _new_view(ctx, "ListView", {})
    view.data[_LIST] = list(dict.fromkeys(refs))
    view.dynamic["view"] = functools.partial(_list_view, view)
    ctx.model.add(view)
    return view.ref


@handles("ViewManager", "CreateListView")
def create_list_view(ctx: Context, this: SimObject, obj: tuple[Ref, ...] = ()) -> Ref:
    """ManagedObjectNotFound for an object that does not exist (as vcsim)."""
    install(ctx)
    ok, bad = _resolve(ctx, obj)
    if bad:
        raise fault("ManagedObjectNotFound", obj=bad[0])
    return _make_list_view(ctx, ok)


def _view_objects(ctx: Context, view: Any) -> tuple[Ref, ...]:
    source = visible(ctx, view)
    if source is None or source.type not in _VIEW_TYPES:
        raise fault("ManagedObjectNotFound", obj=view)
    return tuple(source.get(ctx, "view") or ())


@handles("ViewManager", "CreateListViewFromView")
def create_list_view_from_view(ctx: Context, this: SimObject, view: Ref) -> Ref:
    install(ctx)
    return _make_list_view(ctx, _view_objects(ctx, view))


@handles("ListView", "ModifyListView")
def modify_list_view(ctx: Context, this: SimObject, add: tuple[Ref, ...] = (),
                     remove: tuple[Ref, ...] = ()) -> tuple[Any, ...]:
    """Removes ``remove``, adds ``add``; returns what could not be added."""
    ok, bad = _resolve(ctx, add)
    gone = set(remove)
    current = [r for r in this.data[_LIST] if r not in gone]
    this.data[_LIST] = list(dict.fromkeys([*current, *ok]))
    ctx.model.touch()
    return tuple(bad)


@handles("ListView", "ResetListView")
def reset_list_view(ctx: Context, this: SimObject, obj: tuple[Ref, ...] = ()
                    ) -> tuple[Any, ...]:
    """Replaces the list with ``obj``; returns what could not be added."""
    ok, bad = _resolve(ctx, obj)
    this.data[_LIST] = list(dict.fromkeys(ok))
    ctx.model.touch()
    return tuple(bad)


@handles("ListView", "ResetListViewFromView")
def reset_list_view_from_view(ctx: Context, this: SimObject, view: Ref) -> None:
    this.data[_LIST] = list(dict.fromkeys(_view_objects(ctx, view)))
    ctx.model.touch()


def _inventory_view(view: SimObject, ctx: Context) -> tuple[Ref, ...]:
    from aiovsphere.simulator._service import ROOT_FOLDER

    out: dict[Ref, None] = {}
    if visible(ctx, ROOT_FOLDER) is not None:
        out[ROOT_FOLDER] = None
    for ref in view.data[_OPEN]:
        parent = visible(ctx, ref)
        if parent is None:
            continue
        out[parent.ref] = None
        for child in children(ctx, parent):
            if visible(ctx, child) is not None:
                out[child] = None
    return tuple(out)


@handles("ViewManager", "CreateInventoryView")
def create_inventory_view(ctx: Context, this: SimObject) -> Ref:
    install(ctx)
    view = _new_view(ctx, "InventoryView", {})
    view.data[_OPEN] = []
    view.dynamic["view"] = functools.partial(_inventory_view, view)
    ctx.model.add(view)
    return view.ref


@handles("InventoryView", "OpenInventoryViewFolder")
def open_inventory_view_folder(ctx: Context, this: SimObject, entity: tuple[Ref, ...] = ()
                               ) -> tuple[Any, ...]:
    """Adds the children of ``entity`` to the view; returns the entities that could not be
    opened (unknown, or not containers)."""
    bad = []
    opened: list[Ref] = this.data[_OPEN]
    for ref in entity:
        obj = visible(ctx, ref)
        if obj is None or not _is_container(obj.type):
            bad.append(ref)
        elif obj.ref not in opened:
            opened.append(obj.ref)
    ctx.model.touch()
    return tuple(bad)


@handles("InventoryView", "CloseInventoryViewFolder")
def close_inventory_view_folder(ctx: Context, this: SimObject, entity: tuple[Ref, ...] = ()
                                ) -> tuple[Any, ...]:
    """Removes the children of ``entity`` from the view; returns the entities that were not
    open."""
    opened: list[Ref] = this.data[_OPEN]
    bad = []
    for ref in entity:
        obj = visible(ctx, ref)
        if obj is None or obj.ref not in opened:
            bad.append(ref)
        else:
            opened.remove(obj.ref)
    ctx.model.touch()
    return tuple(bad)


@handles("View", "DestroyView")
def destroy_view(ctx: Context, this: SimObject) -> None:
    ctx.model.remove(this.ref)
