"""The govmomi-level layer as :class:`~aiovsphere.Client` methods.

Each method is a thin delegate to the module that implements it (and documents it in
full); they exist so that ``client.retrieve(...)``, ``client.watch(...)`` and friends read
naturally in application code. The modules' functions stay public too
(``aiovsphere.retrieve(client, ...)``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from aiovsphere._cache import InventoryCache
    from aiovsphere._client import Client
    from aiovsphere._collector import PropertyCollector
    from aiovsphere._finder import Finder, FoundObject
    from aiovsphere._objects import ManagedObject
    from aiovsphere._perf import MetricSeries, PerfCounters
    from aiovsphere._property import Paths, Source
    from aiovsphere._records import ObjectRecord
    from aiovsphere._views import ContainerView, ListView
    from aiovsphere._watch import ObjectChange, WatchBatch
    from aiovsphere.vim._moref import ManagedObjectReference
    from aiovsphere.vim.types import Event, EventFilterSpec

__all__ = ["ClientAPI"]


class ClientAPI:
    """Mixin of :class:`~aiovsphere.Client`: property collector, views, watch, caches,
    tasks, events, metrics and the finder."""

    __slots__ = ()

    def _self(self) -> Client:
        return self  # type: ignore[return-value]

    # ------------------------------------------------------------ property collector
    async def retrieve(
        self, source: Source, paths: Paths = None, *,
        type: str | Sequence[str] | None = None,
        missing: Literal["raise", "record"] = "raise",
        max_objects: int | None = None, timeout: float | None = None,
    ) -> list[ObjectRecord]:
        """:func:`aiovsphere.retrieve` (vim.PropertyCollector.RetrievePropertiesEx)."""
        from aiovsphere._property import retrieve

        return await retrieve(self._self(), source, paths, type=type, missing=missing,
                              max_objects=max_objects, timeout=timeout)

    def iter_retrieve(
        self, source: Source, paths: Paths = None, *,
        type: str | Sequence[str] | None = None,
        missing: Literal["raise", "record"] = "raise",
        max_objects: int | None = None, timeout: float | None = None,
    ) -> AsyncGenerator[ObjectRecord, None]:
        """:func:`aiovsphere.iter_retrieve`: records page by page."""
        from aiovsphere._property import iter_retrieve

        return iter_retrieve(self._self(), source, paths, type=type, missing=missing,
                             max_objects=max_objects, timeout=timeout)

    def property_collector(self) -> PropertyCollector:
        """A :class:`~aiovsphere.PropertyCollector` of the caller's own (``async with``)."""
        from aiovsphere._collector import PropertyCollector

        return PropertyCollector(self._self())

    # ------------------------------------------------------------------ views
    def container_view(
        self, types: Sequence[str] = (), *,
        container: ManagedObjectReference | ManagedObject | None = None,
        recursive: bool = True,
    ) -> ContainerView:
        """A :class:`~aiovsphere.ContainerView` (``async with``; DestroyView on exit)."""
        from aiovsphere._views import ContainerView

        return ContainerView(self._self(), types, container=container, recursive=recursive)

    def list_view(
        self, objects: Sequence[ManagedObjectReference | ManagedObject] = ()
    ) -> ListView:
        """A :class:`~aiovsphere.ListView` (``async with``; DestroyView on exit)."""
        from aiovsphere._views import ListView

        return ListView(self._self(), objects)

    # ------------------------------------------------------------------ watch, caches
    def watch(
        self, source: Source, paths: Paths = None, *,
        type: str | Sequence[str] | None = None, partial_updates: bool = False,
        max_wait_seconds: float | None = None, max_object_updates: int | None = None,
    ) -> AsyncGenerator[ObjectChange, None]:
        """:func:`aiovsphere.watch`: ``async for change in client.watch(view, paths)``."""
        from aiovsphere._watch import watch

        return watch(self._self(), source, paths, type=type, partial_updates=partial_updates,
                     max_wait_seconds=max_wait_seconds,
                     max_object_updates=max_object_updates)

    def watch_batches(
        self, source: Source, paths: Paths = None, *,
        type: str | Sequence[str] | None = None, partial_updates: bool = False,
        max_wait_seconds: float | None = None, max_object_updates: int | None = None,
    ) -> AsyncGenerator[WatchBatch, None]:
        """:func:`aiovsphere.watch_batches`: one batch per WaitForUpdatesEx answer."""
        from aiovsphere._watch import watch_batches

        return watch_batches(self._self(), source, paths, type=type,
                             partial_updates=partial_updates,
                             max_wait_seconds=max_wait_seconds,
                             max_object_updates=max_object_updates)

    def inventory_cache(
        self, type: str | Sequence[str], paths: Sequence[str] | None = None, *,
        container: ManagedObjectReference | ManagedObject | None = None,
        recursive: bool = True, reconnect_seconds: float = 300.0,
    ) -> InventoryCache:
        """An :class:`~aiovsphere.InventoryCache` (``async with``)."""
        from aiovsphere._cache import InventoryCache

        return InventoryCache(self._self(), type, paths, container=container,
                              recursive=recursive, reconnect_seconds=reconnect_seconds)

    # ------------------------------------------------------------------ tasks
    async def wait_for_task(
        self, task: ManagedObjectReference | ManagedObject, *,
        progress: Callable[[int], Any] | None = None, cancel_task: bool = False,
    ) -> Any:
        """:func:`aiovsphere.wait_for_task`."""
        from aiovsphere._task import wait_for_task

        return await wait_for_task(self._self(), task, progress=progress,
                                   cancel_task=cancel_task)

    async def wait_for_tasks(
        self, tasks: Sequence[ManagedObjectReference | ManagedObject], *,
        return_exceptions: bool = False, cancel_task: bool = False,
        progress: Callable[[int, int], Any] | None = None,
    ) -> list[Any]:
        """:func:`aiovsphere.wait_for_tasks`."""
        from aiovsphere._task import wait_for_tasks

        return await wait_for_tasks(self._self(), tasks, return_exceptions=return_exceptions,
                                    cancel_task=cancel_task, progress=progress)

    # ------------------------------------------------------------------ finder
    async def find(
        self, path: str, type: str | Sequence[str] | None = None, *,
        datacenter: ManagedObjectReference | ManagedObject | str | None = None,
    ) -> list[FoundObject]:
        """Objects matching an inventory path or pattern, govc style
        (:meth:`aiovsphere.Finder.find`): ``await client.find("/DC0/vm/*")``."""
        from aiovsphere._finder import Finder

        return await Finder(self._self(), datacenter).find(path, type)

    def finder(
        self, datacenter: ManagedObjectReference | ManagedObject | str | None = None
    ) -> Finder:
        """A :class:`~aiovsphere.Finder` (relative paths start at ``datacenter``)."""
        from aiovsphere._finder import Finder

        return Finder(self._self(), datacenter)

    # ------------------------------------------------------------------ events, metrics
    def events(
        self, filter_spec: EventFilterSpec | None = None, *,
        entity: ManagedObjectReference | ManagedObject | None = None,
        recursion: str = "all", types: Iterable[str | type] | str = (),
        since: datetime | None = None, until: datetime | None = None,
        follow: bool = False, page_size: int = 100, poll_interval: float = 10.0,
    ) -> AsyncGenerator[Event, None]:
        """:func:`aiovsphere.events`: ``async for event in client.events(follow=True)``
        (vim.event.EventHistoryCollector.ReadNextEvents)."""
        from aiovsphere._events import events

        return events(self._self(), filter_spec, entity=entity, recursion=recursion,
                      types=types, since=since, until=until, follow=follow,
                      page_size=page_size, poll_interval=poll_interval)

    async def perf_counters(self, *, refresh: bool = False) -> PerfCounters:
        """:func:`aiovsphere.perf_counters`: the counter catalogue by ``"cpu.usage.average"``."""
        from aiovsphere._perf import perf_counters

        return await perf_counters(self._self(), refresh=refresh)

    async def query_perf(
        self, entities: Sequence[ManagedObjectReference | ManagedObject],
        counters: Sequence[str | int], *, interval: int = 20,
        start: datetime | None = None, end: datetime | None = None,
        max_sample: int | None = None, instance: str = "*",
        batch_size: int | None = None, concurrency: int = 4,
    ) -> list[MetricSeries]:
        """:func:`aiovsphere.query_perf` (vim.PerformanceManager.QueryPerf, batched)."""
        from aiovsphere._perf import query_perf

        return await query_perf(self._self(), entities, counters, interval=interval,
                                start=start, end=end, max_sample=max_sample,
                                instance=instance, batch_size=batch_size,
                                concurrency=concurrency)
