"""PropertyCollector and PropertyFilter (vmodl.query.PropertyCollector) in the simulator.

Retrieval (RetrieveProperties, RetrievePropertiesEx with ``maxObjects`` paging,
ContinueRetrievePropertiesEx, CancelRetrievePropertiesEx), filters (CreateFilter,
DestroyPropertyFilter), collectors (CreatePropertyCollector, DestroyPropertyCollector) and
change detection (WaitForUpdatesEx with versions and truncation, WaitForUpdates,
CheckForUpdates, CancelWaitForUpdates). Specs, paths and traversal:
:mod:`aiovsphere.simulator._pc_spec`; versions and update sets:
:mod:`aiovsphere.simulator._pc_state`.

As vCenter does (where vcsim 0.24 differs, said so):

- An invalid property path fails the call with InvalidProperty (vcsim: a ``missingSet``
  entry); an unknown type is InvalidType; a SelectionSpec naming no TraversalSpec is
  InvalidArgument. A PropertySpec/TraversalSpec type matches its subtypes.
- A listed object that does not exist fails RetrieveProperties(Ex) and CreateFilter with
  ManagedObjectNotFound, unless the spec has ``reportMissingObjectsInResults``: then it
  is left out of retrievals and reported once in the filter's ``missingSet``.
- ``maxObjects`` pages RetrievePropertiesEx (vcsim ignores it); a token works once, in its
  session, on its collector; an unknown one is InvalidArgument (also for Cancel). An
  empty result is unset (vcsim: an empty RetrieveResult).
- WaitForUpdatesEx: version ``""`` answers at once with everything (``enter``); any of
  the last few complete versions may be passed again; a truncated version works once;
  anything else is InvalidCollectorVersion. An answer holds at most 100 object updates
  (vCenter's policy; ``maxObjectUpdates`` lowers it; vcsim 0.24: no limit).
  ``maxWaitSeconds`` 0 checks once, unset waits until a change. Concurrent waits on one
  collector are each answered (vCenter only advises against them);
  CancelWaitForUpdates ends every wait of the session on the collector with
  RequestCanceled. A property that became unset is ``assign`` with no value, or
  ``indirectRemove`` when a property containing it is unset.
- Filters, tokens and versions are per session, also on the shared ServiceContent
  collector; ``PropertyCollector.filter`` lists the caller's filters; everything goes
  with the session (a wait in progress then fails with NotAuthenticated).
- ``Fetch`` (undocumented; pyvmomi 8+ reads every property with it) is served.
"""

from __future__ import annotations

import functools
from typing import Any

from aiovsphere.simulator._context import Context, fault
from aiovsphere.simulator._dispatch import handles
from aiovsphere.simulator._model import SimObject
from aiovsphere.simulator._pc_spec import (
    INDIRECT,
    UNSET,
    PropPath,
    compile_path,
    compile_spec,
    visible,
    wire,
)
from aiovsphere.simulator._pc_state import (
    FILTER,
    MAX_OBJECT_UPDATES,
    Filter,
    missing_props,
    read_object,
    session_ref,
    state_of,
    wait_for_updates,
)
from aiovsphere.vim._moref import ManagedObjectReference as Ref

__all__ = ["fetch", "install", "retrieve_contents"]


def _filters_prop(collector: SimObject, ctx: Context) -> tuple[Ref, ...]:
    """PropertyCollector.filter: the caller's filters on ``collector``."""
    state = state_of(ctx, collector, create=False)
    if state is None:
        return ()
    return tuple(obj.ref for obj, _flt in state.live_filters(ctx))


def install(ctx: Context) -> None:
    """Give the ServiceContent collector its per-session ``filter`` property and the
    ViewManager its ``viewList`` (idempotent; cheap)."""
    from aiovsphere.simulator._handlers.views import install as install_views
    from aiovsphere.simulator._service import MANAGERS

    shared = ctx.model.get(MANAGERS["propertyCollector"])
    if shared is not None and "filter" not in shared.dynamic:
        shared.dynamic["filter"] = functools.partial(_filters_prop, shared)
    install_views(ctx)


# ---------------------------------------------------------------------------- retrieval
def retrieve_contents(ctx: Context, spec_set: tuple[Any, ...]) -> list[Any]:
    """The ObjectContents for ``spec_set`` (an object selected by several specs once, with
    the union of their properties). Raises InvalidProperty, InvalidType, InvalidArgument,
    and ManagedObjectNotFound for a listed object that does not exist (unless its spec has
    ``reportMissingObjectsInResults``: then it is left out)."""
    from aiovsphere.vim import types as t

    compiled = [compile_spec(spec) for spec in spec_set]
    merged: dict[Ref, tuple[SimObject, dict[str, PropPath]]] = {}
    for spec in compiled:
        missing: list[Ref] = []
        selected = spec.select(ctx, missing)
        if missing and not spec.report_missing:
            raise fault("ManagedObjectNotFound", obj=missing[0])
        for ref, obj in selected.items():
            found = spec.paths_for(obj.type)
            if found is None:
                continue
            entry = merged.get(ref)
            if entry is None:
                merged[ref] = (obj, found[1])
            elif entry[1] is not found[1]:
                merged[ref] = (obj, {**entry[1], **found[1]})
    contents = []
    content_cls = t.ObjectContent
    prop_cls = t.DynamicProperty
    for ref, (obj, paths) in merged.items():
        values, missing_paths = read_object(ctx, obj, paths)
        contents.append(content_cls(
            obj=ref,
            propSet=tuple(prop_cls(name=text, val=wire(value, paths[text]))
                          for text, value in values.items()),
            missingSet=missing_props(missing_paths) if missing_paths else ()))
    return contents


@handles("PropertyCollector", "RetrieveProperties")
def retrieve_properties(ctx: Context, this: SimObject, specSet: tuple[Any, ...] = ()) -> Any:
    install(ctx)
    return tuple(retrieve_contents(ctx, specSet))


def _page(ctx: Context, this: SimObject, objects: list[Any], page: int | None) -> Any:
    from aiovsphere.vim import types as t

    if not objects:
        return None
    if page is None or len(objects) <= page:
        return t.RetrieveResult(objects=tuple(objects))
    state = state_of(ctx, this)
    assert state is not None
    token = state.add_token(objects[page:], page)
    return t.RetrieveResult(objects=tuple(objects[:page]), token=token)


@handles("PropertyCollector", "RetrievePropertiesEx")
def retrieve_properties_ex(ctx: Context, this: SimObject, specSet: tuple[Any, ...] = (),
                           options: Any = None) -> Any:
    install(ctx)
    page = getattr(options, "maxObjects", None)
    if page is not None and page <= 0:
        raise fault("InvalidArgument", "A specified parameter was not correct: maxObjects",
                    invalidProperty="maxObjects")
    return _page(ctx, this, retrieve_contents(ctx, specSet), page)


def _take_token(ctx: Context, this: SimObject, token: str) -> tuple[list[Any], int]:
    state = state_of(ctx, this, create=False)
    entry = state.tokens.pop(token, None) if state is not None else None
    if entry is None:
        raise fault("InvalidArgument", "A specified parameter was not correct: token",
                    invalidProperty="token")
    return entry


@handles("PropertyCollector", "ContinueRetrievePropertiesEx")
def continue_retrieve_properties_ex(ctx: Context, this: SimObject, token: str) -> Any:
    from aiovsphere.vim import types as t

    objects, page = _take_token(ctx, this, token)
    return _page(ctx, this, objects, page) or t.RetrieveResult()


@handles("PropertyCollector", "CancelRetrievePropertiesEx")
def cancel_retrieve_properties_ex(ctx: Context, this: SimObject, token: str) -> None:
    _take_token(ctx, this, token)


@handles("ManagedObject", "Fetch")
def fetch(ctx: Context, this: SimObject, prop: str) -> Any:
    """The undocumented ``Fetch`` that pyvmomi 8+ reads every property with
    (``vm.name``): called on the object itself, returns the value of path ``prop`` typed
    for an anyType position, or nothing when it is unset. InvalidProperty for a path the
    type does not have; a property that cannot be read raises its fault. (The request
    needs the codec to know Fetch: see ``aiovsphere.soap.server``.)"""
    install(ctx)
    path = compile_path(this.type, prop)
    value = path.read(ctx, this)
    if value is UNSET or value is INDIRECT:
        return None
    return wire(value, path)


# ---------------------------------------------------------------------------- filters
@handles("PropertyCollector", "CreateFilter")
def create_filter(ctx: Context, this: SimObject, spec: Any, partialUpdates: bool = False
                  ) -> Ref:
    install(ctx)
    assert ctx.session is not None
    compiled = compile_spec(spec)
    if not compiled.report_missing:
        for object_spec in spec.objectSet:
            if visible(ctx, object_spec.obj) is None:
                raise fault("ManagedObjectNotFound", obj=object_spec.obj)
    state = state_of(ctx, this)
    assert state is not None
    ref = session_ref(ctx, "PropertyFilter")
    obj = SimObject(ref, {"spec": spec, "partialUpdates": bool(partialUpdates)},
                    owner=ctx.session.key)
    obj.data[FILTER] = Filter(ref, this.ref, compiled, bool(partialUpdates))
    state.filters.append(ref)
    ctx.model.add(obj)
    return ref


@handles("PropertyFilter", "DestroyPropertyFilter")
def destroy_property_filter(ctx: Context, this: SimObject) -> None:
    flt: Filter | None = this.data.get(FILTER)
    if flt is not None:
        collector = ctx.model.get(flt.collector)
        state = state_of(ctx, collector, create=False) if collector is not None else None
        if state is not None and this.ref in state.filters:
            state.filters.remove(this.ref)
    ctx.model.remove(this.ref)


# ---------------------------------------------------------------------------- collectors
@handles("PropertyCollector", "CreatePropertyCollector")
def create_property_collector(ctx: Context, this: SimObject) -> Ref:
    install(ctx)
    assert ctx.session is not None
    obj = SimObject(session_ref(ctx, "PropertyCollector"), owner=ctx.session.key)
    obj.dynamic["filter"] = functools.partial(_filters_prop, obj)
    ctx.model.add(obj)
    return obj.ref


@handles("PropertyCollector", "DestroyPropertyCollector")
def destroy_property_collector(ctx: Context, this: SimObject) -> None:
    """Destroys a collector made by CreatePropertyCollector, with its filters; a wait in
    progress on it ends with RequestCanceled. The ServiceContent collector cannot be
    destroyed (NotSupported)."""
    if this.owner is None:
        raise fault("NotSupported", "The ServiceContent property collector cannot be "
                    "destroyed.")
    state = state_of(ctx, this, create=False)
    if state is not None:
        state.cancel_waits()
        for ref in state.filters:
            ctx.model.remove(ref)
        state.filters.clear()
        state.tokens.clear()
    ctx.model.remove(this.ref)


# ---------------------------------------------------------------------------- updates
@handles("PropertyCollector", "WaitForUpdatesEx")
async def wait_for_updates_ex(ctx: Context, this: SimObject, version: str | None = None,
                              options: Any = None) -> Any:
    install(ctx)
    max_wait = getattr(options, "maxWaitSeconds", None)
    if max_wait is not None and max_wait < 0:
        raise fault("InvalidArgument", "A specified parameter was not correct: "
                    "maxWaitSeconds", invalidProperty="maxWaitSeconds")
    max_updates = getattr(options, "maxObjectUpdates", None)
    if max_updates is not None and max_updates <= 0:
        raise fault("InvalidArgument", "A specified parameter was not correct: "
                    "maxObjectUpdates", invalidProperty="maxObjectUpdates")
    cap = MAX_OBJECT_UPDATES if max_updates is None else min(max_updates, MAX_OBJECT_UPDATES)
    return await wait_for_updates(ctx, this, version, max_wait, cap)


@handles("PropertyCollector", "WaitForUpdates")
async def wait_for_updates_legacy(ctx: Context, this: SimObject,
                                  version: str | None = None) -> Any:
    """Deprecated WaitForUpdates (pyvmomi's WaitForTask uses it): waits until something
    changes; never truncated."""
    install(ctx)
    return await wait_for_updates(ctx, this, version, None, None, truncated_ok=False)


@handles("PropertyCollector", "CheckForUpdates")
async def check_for_updates(ctx: Context, this: SimObject, version: str | None = None) -> Any:
    """Deprecated CheckForUpdates: WaitForUpdates without waiting (unset: no change)."""
    install(ctx)
    return await wait_for_updates(ctx, this, version, 0, None, truncated_ok=False)


@handles("PropertyCollector", "CancelWaitForUpdates")
def cancel_wait_for_updates(ctx: Context, this: SimObject) -> None:
    """Ends this session's waits on this collector with RequestCanceled."""
    state = state_of(ctx, this, create=False)
    if state is not None:
        state.cancel_waits()
