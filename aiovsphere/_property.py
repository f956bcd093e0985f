"""PropertyCollector retrieval with paging (vim.PropertyCollector.RetrievePropertiesEx).

The foundation of the inventory job and of the govmomi-level layer: one ContainerView (or
moref list), RetrievePropertiesEx with ``maxObjects``, then ContinueRetrievePropertiesEx
while the server returns a ``token`` (an opaque string: ``"0"`` is a token). A caller that
stops early, fails or is cancelled gets CancelRetrievePropertiesEx sent for the open token,
and every view created here is destroyed on the way out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from aiovsphere._deadline import without_deadline
from aiovsphere._errors import DecodeError, EncodeError, SoapFault
from aiovsphere._records import ObjectRecord
from aiovsphere._views import ContainerView, _View, run_cleanup
from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere.vim.types import ObjectContent, PropertyFilterSpec

__all__ = [
    "container_view", "filter_spec", "iter_retrieve", "retrieve", "retrieve_pages",
    "view_filter_spec",
]


@contextlib.asynccontextmanager
async def container_view(
    client: Client,
    types: Sequence[str],
    *,
    container: ManagedObjectReference | None = None,
    recursive: bool = True,
) -> AsyncIterator[ManagedObjectReference]:
    """A :class:`~aiovsphere.ContainerView` yielding just its moref (DestroyView on exit)."""
    async with ContainerView(client, types, container=container, recursive=recursive) as view:
        yield view.ref


def view_filter_spec(
    view: ManagedObjectReference, type_: str, paths: Sequence[str] | None
) -> PropertyFilterSpec:
    """A spec selecting ``paths`` (``None``: all properties) of every ``type_`` in ``view``."""
    from aiovsphere.vim import types as t

    return t.PropertyFilterSpec(
        objectSet=(
            t.ObjectSpec(
                obj=view,
                skip=True,
                selectSet=(
                    t.TraversalSpec(name="traverseView", type="ContainerView", path="view",
                                    skip=False),
                ),
            ),
        ),
        propSet=(
            t.PropertySpec(type=type_, all=paths is None, pathSet=tuple(paths or ())),
        ),
    )


async def retrieve_pages(
    client: Client,
    specs: Sequence[PropertyFilterSpec],
    *,
    max_objects: int | None = None,
    timeout: float | None = None,
) -> AsyncGenerator[tuple[ObjectContent, ...], None]:
    """Yield pages of ObjectContent from RetrievePropertiesEx / ContinueRetrievePropertiesEx.

    ``max_objects`` is the page size the server may honour (vcsim ignores it). On error or
    cancellation, an open token is released with CancelRetrievePropertiesEx. To stop early
    with ``break``/``return``, close the generator at once with
    ``async with contextlib.aclosing(retrieve_pages(...)) as pages:``; otherwise the token
    is released only when the abandoned generator is finalized.
    """
    from aiovsphere.vim import types as t

    collector = client.service("propertyCollector")
    result: Any = await _page(client, collector, timeout, "RetrievePropertiesEx",
                              specSet=tuple(specs),
                              options=t.RetrieveOptions(maxObjects=max_objects))
    token: str | None = None
    seen: set[str] = set()
    try:
        while result is not None:
            token = result.token
            yield result.objects
            if token is None:
                return
            if token in seen:
                # A server handing out the same token again would page forever.
                raise DecodeError(f"ContinueRetrievePropertiesEx token {token!r} came back "
                                  "again", method="ContinueRetrievePropertiesEx",
                                  path="returnval.token")
            seen.add(token)
            sent, token = token, None  # in transit, _page answers for it (and the next one)
            result = await _page(client, collector, timeout, "ContinueRetrievePropertiesEx",
                                 token=sent)
        token = None
    finally:
        if token is not None:
            with without_deadline():
                await asyncio.shield(_cancel(client, collector, token))


async def _page(client: Client, collector: ManagedObjectReference, timeout: float | None,
                method: str, **params: Any) -> Any:
    """One paging call whose answer is never lost with an open token: if the caller is
    cancelled (or its deadline passes) while the answer is in transit, the token in it is
    released (CancelRetrievePropertiesEx) once it lands."""
    with without_deadline():
        call = asyncio.ensure_future(client.invoke(collector, method, timeout=timeout,
                                                   **params))
    try:
        return await asyncio.shield(call)
    except BaseException:
        await run_cleanup(_release_when_answered(client, collector, call,
                                                 params.get("token")))
        raise


async def _release_when_answered(client: Client, collector: ManagedObjectReference,
                                 call: asyncio.Future[Any], sent: str | None) -> None:
    """Cancel the token of an answer that was in transit when its caller went away. A
    server slower than ``_ANSWER_GRACE`` seconds gets its call cut off instead (nothing
    stays in flight) and the token that call had ``sent`` is cancelled: either way, one
    CancelRetrievePropertiesEx for the one token left open."""
    with contextlib.suppress(Exception, asyncio.CancelledError):
        try:
            async with asyncio.timeout(_ANSWER_GRACE):
                result = await call
        except Exception:  # cut off (TimeoutError) or failed: the sent token may be open
            call.cancel()
            if sent is not None:
                await _cancel(client, collector, sent)
            return
        if result is not None and result.token is not None:
            await _cancel(client, collector, result.token)


_ANSWER_GRACE = 1.0


async def _cancel(client: Client, collector: ManagedObjectReference, token: str) -> None:
    with contextlib.suppress(Exception):
        await client.invoke(collector, "CancelRetrievePropertiesEx", token=token, timeout=30)


# ---------------------------------------------------------------------------- retrieve
Source = Any  # a moref, a proxy, a sequence of them, a ContainerView/ListView (or its moref)
Paths = Sequence[str] | Mapping[str, Sequence[str] | None] | None
_VIEW_TYPES = ("ContainerView", "ListView", "InventoryView")


def filter_spec(source: Source, paths: Paths = None, *,
                type: str | Sequence[str] | None = None) -> PropertyFilterSpec:
    """The PropertyFilterSpec selecting ``paths`` of the objects ``source`` names.

    ``source``: a moref or ``client.mo(...)`` proxy, a sequence of them, or a view
    (:class:`~aiovsphere.ContainerView`, :class:`~aiovsphere.ListView`, or a view moref):
    a view is traversed (``view``) and ``type`` says which object types to read
    (a ContainerView object defaults to its own ``types``).
    ``paths``: property paths for every type, ``None`` for all properties, or a mapping
    ``{type: paths}`` with an entry for every type read (``None``: all its properties).
    Raises :class:`~aiovsphere.EncodeError` for an unusable source or paths.
    """
    from aiovsphere.vim import types as t

    view, objs = _split_source(source)
    if view is not None:
        types = _types_for_view(source, view, type, paths)
        object_set: tuple[Any, ...] = (t.ObjectSpec(
            obj=view, skip=True,
            selectSet=(t.TraversalSpec(name="traverseView", type=view.type, path="view",
                                       skip=False),)),)
    else:
        if not objs:
            raise EncodeError("no objects to retrieve", method="RetrievePropertiesEx",
                              path="objects")
        object_set = tuple(t.ObjectSpec(obj=o, skip=False) for o in dict.fromkeys(objs))
        types = tuple(dict.fromkeys(o.type for o in objs))
        if type is not None:
            types = (type,) if isinstance(type, str) else tuple(type)
    prop_set = []
    for type_ in types:
        if isinstance(paths, Mapping):
            if type_ not in paths:
                # Not "every property" by omission: that can be a very large read.
                raise EncodeError(f"paths has no entry for {type_} (give {{{type_!r}: None}} "
                                  "for all its properties)", method="RetrievePropertiesEx",
                                  path=f"propSet[{type_}]")
            type_paths = paths[type_]
        else:
            type_paths = paths
        if type_paths is not None and not isinstance(type_paths, str):
            type_paths = tuple(type_paths)  # any iterable, read once
        if isinstance(type_paths, str) or (type_paths is not None and not all(
                isinstance(p, str) for p in type_paths)):
            raise EncodeError("paths must be a sequence of property paths (str), e.g. "
                              "['name']", method="RetrievePropertiesEx", path="pathSet")
        prop_set.append(t.PropertySpec(type=type_, all=type_paths is None,
                                       pathSet=tuple(type_paths or ())))
    return t.PropertyFilterSpec(objectSet=object_set, propSet=tuple(prop_set))


def _split_source(source: Source) -> tuple[ManagedObjectReference | None,
                                            list[ManagedObjectReference]]:
    """(view moref, None) or (None, object morefs)."""
    ref = getattr(source, "ref", source) if not isinstance(source, (list, tuple)) else None
    if isinstance(ref, ManagedObjectReference):
        if ref.type in _VIEW_TYPES:
            return ref, []
        return None, [ref]
    if isinstance(source, (str, bytes)) or not isinstance(source, Sequence):
        raise EncodeError(f"cannot retrieve from {source!r}: give a moref, a proxy, a "
                          "sequence of them or a view", method="RetrievePropertiesEx",
                          path="objects")
    objs = []
    for i, item in enumerate(source):
        item_ref = getattr(item, "ref", item)
        if not isinstance(item_ref, ManagedObjectReference):
            raise EncodeError(f"objects[{i}] is not a moref: {item!r}",
                              method="RetrievePropertiesEx", path=f"objects[{i}]")
        objs.append(item_ref)
    return None, objs


def _types_for_view(source: Any, view: ManagedObjectReference,
                    type: str | Sequence[str] | None, paths: Paths) -> tuple[str, ...]:
    if type is not None:
        return (type,) if isinstance(type, str) else tuple(type)
    if isinstance(paths, Mapping):
        return tuple(paths)
    own = tuple(getattr(source, "types", ()) or ())
    if own:
        return own
    raise EncodeError(f"say which object types to read from {view} (type=...)",
                      method="RetrievePropertiesEx", path="propSet.type")


_RECORD_ALL = "record-all"  # retrieve()'s "record", once the session is known to be alive


def _record(content: Any, wanted: Sequence[str] | None, missing_mode: str) -> ObjectRecord:
    """An ObjectContent as a record. ``missing_mode`` "raise" raises a missingSet fault;
    "record" records it, except NotAuthenticated (usually a lost session: raised, so that
    the caller can log in again); "record-all" records that too."""
    from aiovsphere._faults import from_localized

    props: dict[str, Any] = dict.fromkeys(wanted or ())
    for prop in content.propSet:
        props[prop.name] = prop.val
    missing: dict[str, SoapFault] = {}
    for entry in content.missingSet:
        fault = from_localized(entry.fault, f"property {entry.path!r} of {content.obj}",
                               method="RetrievePropertiesEx")
        if missing_mode == "raise" or (fault.fault_name == "NotAuthenticated"
                                       and missing_mode != _RECORD_ALL):
            raise fault
        props.pop(entry.path, None)
        missing[entry.path] = fault
    return ObjectRecord(content.obj, props, missing)


def iter_retrieve(
    client: Client,
    source: Source,
    paths: Paths = None,
    *,
    type: str | Sequence[str] | None = None,
    missing: Literal["raise", "record"] = "raise",
    max_objects: int | None = None,
    timeout: float | None = None,
) -> AsyncGenerator[ObjectRecord, None]:
    """Yield an :class:`~aiovsphere.ObjectRecord` per object, page by page.

    vim.PropertyCollector.RetrievePropertiesEx with ``maxObjects`` = ``max_objects``, then
    ContinueRetrievePropertiesEx while the server has more; CancelRetrievePropertiesEx if
    the caller stops early (close the generator: ``contextlib.aclosing``), fails or is
    cancelled. Arguments as for :func:`retrieve`, which collects this into a list.
    """
    return _records(client, source, paths, type=type, missing=missing,
                    max_objects=max_objects, timeout=timeout)


async def _records(client: Client, source: Source, paths: Paths, *,
                   type: str | Sequence[str] | None, missing: str, max_objects: int | None,
                   timeout: float | None) -> AsyncGenerator[ObjectRecord, None]:
    spec = filter_spec(source, paths, type=type)
    wanted = _wanted(spec)
    async with contextlib.aclosing(retrieve_pages(client, [spec], max_objects=max_objects,
                                                  timeout=timeout)) as pages:
        async for page in pages:
            for content in page:
                yield _record(content, wanted.get(content.obj.type), missing)


def _wanted(spec: Any) -> dict[str, Sequence[str] | None]:
    return {p.type: (None if p.all else p.pathSet) for p in spec.propSet}


async def retrieve(
    client: Client,
    source: Source,
    paths: Paths = None,
    *,
    type: str | Sequence[str] | None = None,
    missing: Literal["raise", "record"] = "raise",
    max_objects: int | None = None,
    timeout: float | None = None,
) -> list[ObjectRecord]:
    """Read ``paths`` of the objects ``source`` names: one :class:`~aiovsphere.ObjectRecord`
    per object (vim.PropertyCollector.RetrievePropertiesEx, paged).

    Args:
        source: a moref or proxy, a sequence of them (records come back in that order,
            duplicates once), or a ContainerView/ListView (object or moref; records in the
            server's order).
        paths: property paths (``["name", "runtime.powerState"]``); ``None`` for every
            property; or ``{type: paths}`` for several types.
        type: the object type(s) to read from a view (a ContainerView object defaults to
            its own ``types``); with a moref list, limits the property specs to these types.
        missing: what to do with a property the server could not read (the object's
            ``missingSet``: NoPermission...) and, for a moref list, with an object that no
            longer exists: ``"raise"`` (default) raises that fault as an
            ``aiovsphere.faults`` exception; ``"record"`` puts it in the object's
            ``record.missing`` (``""`` for the whole object, e.g. ManagedObjectNotFound)
            and goes on.
        max_objects: page size the server may honour (``RetrieveOptions.maxObjects``).
        timeout: seconds per call.

    A lost session (NotAuthenticated, as a fault or in ``missingSet``) is re-established
    once and the read retried; with ``missing="record"``, a NotAuthenticated in
    ``missingSet`` while the session is alive (a permission matter) is recorded like any
    other missing property. Raises the faults above, :class:`~aiovsphere.EncodeError`
    for a bad source or paths, ``TimeoutError``, :class:`~aiovsphere.TransportError`.
    """
    filter_spec(source, paths, type=type)  # validate before anything is sent
    view, objs = _split_source(source)
    gone: dict[ManagedObjectReference, SoapFault] = {}
    pending = list(dict.fromkeys(objs))
    mode: str = missing

    async def attempt() -> list[ObjectRecord]:
        return [r async for r in _records(
            client, source if view is not None else pending, paths, type=type,
            missing=mode, max_objects=max_objects, timeout=timeout)]

    generation = client.session.generation
    reopened = False
    while True:
        if view is None and not pending:
            records: list[ObjectRecord] = []
            break
        try:
            records = await client.retry_on_lost_session(attempt)
            break
        except SoapFault as exc:
            if mode == "record" and exc.fault_name == "NotAuthenticated":
                # retry_on_lost_session found the session alive (or logged in again and
                # still got it): a property this user may not read. Read again, recording
                # it per object (a whole-call NotAuthenticated fault is raised again).
                mode = _RECORD_ALL
                continue
            obj = getattr(exc.fault, "obj", None)
            if (isinstance(source, _View) and not reopened
                    and exc.fault_name == "ManagedObjectNotFound"
                    and await client.session.relogin_after(generation)):
                # Our view is unknown because it died with a lost session (vcsim says
                # ManagedObjectNotFound, not NotAuthenticated, for a dead session's view):
                # logged in again, our own ContainerView/ListView object is made again; a
                # bare view moref cannot be. (``relogin_after`` checks the session first:
                # a view that was really destroyed is not retried.)
                reopened = True
                await source.reopen()
                continue
            if (missing != "record" or exc.fault_name != "ManagedObjectNotFound"
                    or obj not in pending):
                raise
            # One object is gone: note it and read the rest (the server refuses the
            # whole call for one missing object).
            gone[obj] = exc
            pending.remove(obj)
    if view is not None:
        # Once per object, even if a server sends one on two pages (first place kept).
        return list({r.obj: r for r in records}.values())
    by_obj = {r.obj: r for r in records}
    out = []
    for obj in dict.fromkeys(objs):
        if obj in gone:
            out.append(ObjectRecord(obj, {}, {"": gone[obj]}))
        elif obj in by_obj:
            out.append(by_obj[obj])
    return out
