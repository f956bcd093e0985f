"""Watch streams: ``async for change in client.watch(objects_or_view, paths)``.

govmomi's ``property.Wait`` / pyvmomi's hand-written WaitForUpdatesEx loops, as an async
generator: a PropertyCollector of the stream's own (:mod:`aiovsphere._collector`), one
filter, then WaitForUpdatesEx with version tracking. Each object update comes out as an
:class:`ObjectChange`:

- ``kind``: ``"enter"`` (the object entered the filter: first answer, created, moved into
  the view), ``"modify"``, ``"leave"`` (destroyed, moved out of the view; an object of a
  moref list the server cannot find leaves with ``missing[""]`` set to its fault);
- ``changes``: the vim ``PropertyChange`` records (``name``, ``op`` in ``assign``, ``add``,
  ``remove``, ``indirectRemove``, typed ``val``). With ``partial_updates=True`` a change
  inside a property names the inner path, e.g. ``config.hardware.device[4000]``;
  :func:`aiovsphere.apply_change` applies such a change to a record.

A truncated answer (``maxObjectUpdates``) is continued at once. When the session is lost
and re-established, or the server reports InvalidCollectorVersion, the stream rebuilds its
collector, filter (and a :class:`~aiovsphere.ContainerView` / :class:`~aiovsphere.ListView`
passed as the source) and goes on: objects seen again come out as ``"modify"`` with their
full values, and objects that vanished meanwhile as ``"leave"``.

Leaving the loop (``break``, an exception, cancellation, the deadline; close the generator
with ``contextlib.aclosing`` to make it immediate) cancels the server-side wait
(CancelWaitForUpdates) and destroys the filter and the collector.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from aiovsphere._collector import PropertyCollector
from aiovsphere._property import Paths, Source, filter_spec
from aiovsphere._views import _View

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere._collector import Updates
    from aiovsphere._errors import SoapFault
    from aiovsphere.vim._moref import ManagedObjectReference
    from aiovsphere.vim.types import PropertyFilterSpec

__all__ = ["ObjectChange", "WatchBatch", "watch", "watch_batches"]


@dataclass(frozen=True, slots=True)
class ObjectChange:
    """One object's update: ``kind`` (enter/modify/leave), ``obj`` (moref), ``changes``
    (tuple of vim ``PropertyChange``: name, op, val) and ``missing`` (path -> fault, for
    properties the server could not read; ``""`` for a listed object it cannot find)."""

    kind: Literal["enter", "modify", "leave"]
    obj: ManagedObjectReference
    changes: tuple[Any, ...] = ()
    missing: Mapping[str, SoapFault] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WatchBatch:
    """The object changes of one WaitForUpdatesEx answer.

    ``reset``: the first answer after the stream (re)built its collector: a full state.
    ``truncated``: the server continues this change in the next batch; apply the batches
    up to the next untruncated one together to see a consistent state.
    """

    changes: tuple[ObjectChange, ...]
    version: str
    reset: bool
    truncated: bool


async def watch_batches(
    client: Client,
    source: Source,
    paths: Paths = None,
    *,
    type: str | Sequence[str] | None = None,
    partial_updates: bool = False,
    max_wait_seconds: float | None = None,
    max_object_updates: int | None = None,
) -> AsyncGenerator[WatchBatch, None]:
    """Yield a :class:`WatchBatch` per WaitForUpdatesEx answer (see the module docs).

    ``source``, ``paths`` and ``type`` are as for :func:`aiovsphere.retrieve`;
    ``max_wait_seconds`` bounds each server-side wait (default 60 s, and never past the
    caller's deadline); ``max_object_updates`` asks the server to truncate big answers.
    Runs until the caller stops; raises ``TimeoutError`` at the caller's deadline, the
    server's faults, :class:`~aiovsphere.TransportError`.
    """
    filter_spec(source, paths, type=type)  # a bad source fails before anything is made
    view = source if isinstance(source, _View) else None
    known: set[ManagedObjectReference] = set()
    seen: set[ManagedObjectReference] | None = None  # objects of the current reset
    collector = PropertyCollector(client, rebuild=view.reopen if view is not None else None)
    async with collector:
        await collector.create_filter(lambda: _watch_spec(source, paths, type),
                                      partial_updates=partial_updates)
        async with contextlib.aclosing(collector.updates(
                max_wait_seconds=max_wait_seconds,
                max_object_updates=max_object_updates)) as stream:
            async for updates in stream:
                batch, seen = _batch(updates, known, seen)
                del updates  # the raw answer is not held while the next wait is pending
                yield batch
                del batch


async def watch(
    client: Client,
    source: Source,
    paths: Paths = None,
    *,
    type: str | Sequence[str] | None = None,
    partial_updates: bool = False,
    max_wait_seconds: float | None = None,
    max_object_updates: int | None = None,
) -> AsyncGenerator[ObjectChange, None]:
    """``async for change in watch(client, vms, ["runtime.powerState"])``: one
    :class:`ObjectChange` per object update, in server order (see :func:`watch_batches`
    for the arguments; vim.PropertyCollector.WaitForUpdatesEx)."""
    async with contextlib.aclosing(watch_batches(
            client, source, paths, type=type, partial_updates=partial_updates,
            max_wait_seconds=max_wait_seconds,
            max_object_updates=max_object_updates)) as batches:
        async for batch in batches:
            for change in batch.changes:
                yield change
            del batch  # not held while the next wait is pending


def _batch(updates: Updates, known: set[ManagedObjectReference],
           seen: set[ManagedObjectReference] | None
           ) -> tuple[WatchBatch, set[ManagedObjectReference] | None]:
    """One answer as a :class:`WatchBatch`. ``known``: the objects in the filter (updated
    in place); ``seen``: the objects of a reset in progress (``None`` outside one)."""
    if updates.reset and seen is None:
        seen = set()
    out = []
    for filter_update in updates.update_set.filterSet:
        for gone in filter_update.missingSet or ():
            # A listed object the server cannot find (reportMissingObjectsInResults).
            known.discard(gone.obj)
            out.append(ObjectChange("leave", gone.obj, (), _gone(gone)))
        for update in filter_update.objectSet:
            obj = update.obj
            kind = str(getattr(update.kind, "value", update.kind))
            if kind == "leave":
                known.discard(obj)
            else:
                if seen is not None:
                    seen.add(obj)
                    if kind == "enter" and obj in known:
                        kind = "modify"  # seen before the rebuild
                known.add(obj)
            out.append(ObjectChange(kind, obj, tuple(update.changeSet),  # type: ignore[arg-type]
                                    _missing(update.missingSet)))
    if seen is not None and not updates.truncated:
        for obj in known - seen:  # vanished while the stream was rebuilt
            out.append(ObjectChange("leave", obj))
        known &= seen
        seen = None
    return WatchBatch(tuple(out), updates.version, updates.reset, updates.truncated), seen


def _watch_spec(source: Source, paths: Paths, type: str | Sequence[str] | None
                ) -> PropertyFilterSpec:
    """The stream's filter spec. For a moref list, ``reportMissingObjectsInResults``: an
    object destroyed before the filter is (re-)created does not fail CreateFilter
    (ManagedObjectNotFound) but comes out as a ``"leave"`` (PropertyFilterUpdate's
    ``missingSet``), and vcsim reports a listed object's destruction as a leave rather
    than failing WaitForUpdatesEx."""
    spec = filter_spec(source, paths, type=type)
    if all(not o.selectSet for o in spec.objectSet):  # no view traversal: a moref list
        spec = spec.model_copy(update={"reportMissingObjectsInResults": True})
    return spec


def _gone(entry: Any) -> Mapping[str, SoapFault]:
    from aiovsphere._faults import from_localized

    return {"": from_localized(entry.fault, f"{entry.obj} is missing",
                               method="WaitForUpdatesEx")}


def _missing(entries: Sequence[Any]) -> Mapping[str, SoapFault]:
    if not entries:
        return {}
    from aiovsphere._faults import from_localized

    return {e.path: from_localized(e.fault, f"property {e.path!r}",
                                   method="WaitForUpdatesEx") for e in entries}
