"""Immutable snapshot caches of inventory, kept current by WaitForUpdatesEx.

    async with InventoryCache(client, "VirtualMachine", ["name", "runtime.powerState"]) as cache:
        snap = cache.snapshot()              # no await, no I/O
        for moref, vm in snap.items():
            print(vm.name, vm.runtime.powerState)
        await cache.wait_until(lambda s: all(v.runtime.powerState == "poweredOff"
                                             for v in s.values()), timeout=60)

A background task runs a watch stream (:func:`aiovsphere.watch_batches`) over a
ContainerView of the type. Each update set is applied by building the *next* snapshot (a
copy of the current mapping, with the changed objects' records rebuilt) and publishing it
with one assignment, so a reader holding a snapshot sees one consistent version forever,
and ``snapshot()`` never sees a half-applied set (truncated answers are accumulated until
the set is complete). The copy costs O(objects) per update set: cheap next to the
round trip for inventories of tens of thousands, and it keeps readers lock-free.
Memory is one snapshot (plus the one being built): proportional to the inventory.

Closing the cache (``async with`` exit or :meth:`InventoryCache.close`) cancels and awaits
the task, which destroys the collector, filter and view on the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import logging
import random
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from aiovsphere._deadline import timeout as _deadline
from aiovsphere._deadline import without_deadline
from aiovsphere._records import ObjectRecord, apply_change
from aiovsphere._views import ContainerView
from aiovsphere._watch import ObjectChange, WatchBatch, watch_batches

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere._objects import ManagedObject
    from aiovsphere.vim._moref import ManagedObjectReference

__all__ = ["InventoryCache", "Snapshot"]

log = logging.getLogger("aiovsphere")
_random = random.Random()  # the reconnect jitter (not for secrets)


class Snapshot(Mapping["ManagedObjectReference", ObjectRecord]):
    """An immutable ``{moref: ObjectRecord}`` of the cached objects at one version.

    ``version`` counts the update sets applied (1 is the first full state);
    ``server_version`` is the collector's version string; ``timestamp`` is when this
    snapshot was published (UTC ``datetime``).
    """

    __slots__ = ("__weakref__", "_records", "server_version", "timestamp", "version")

    _records: Mapping[ManagedObjectReference, ObjectRecord]
    version: int
    server_version: str
    timestamp: _dt.datetime

    def __init__(self, records: dict[ManagedObjectReference, ObjectRecord], version: int,
                 server_version: str) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "_records", MappingProxyType(records))
        setattr_(self, "version", version)
        setattr_(self, "server_version", server_version)
        setattr_(self, "timestamp", _dt.datetime.now(_dt.UTC))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Snapshot is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("a Snapshot is immutable")

    def __getitem__(self, key: ManagedObjectReference) -> ObjectRecord:
        return self._records[key]

    def __iter__(self) -> Iterator[ManagedObjectReference]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return f"<Snapshot version={self.version} objects={len(self)} at {self.timestamp}>"


class InventoryCache:
    """A background-maintained snapshot of every object of ``type`` under ``container``.

    Args:
        client: a logged-in :class:`~aiovsphere.Client`.
        type: a vim managed type (``"VirtualMachine"``) or several.
        paths: property paths to keep (``None``: every property; costly).
        container: where to look (default: the root folder); ``recursive`` as for
            :class:`~aiovsphere.ContainerView`.
        max_object_updates: ask the server to split big update sets (the cache still
            publishes whole sets only).
        reconnect_seconds: how long (seconds) transport errors in a row (server restart,
            resets, 502/503/504: the kinds the client's :class:`~aiovsphere.RetryPolicy`
            retries; and calls timed out by a server that stopped answering) may last
            before the cache gives up; meanwhile it starts its stream
            again after each, with the policy's jittered backoff. ``0``: give up at once.
            Only a cache that has had its first snapshot does this: a start that fails
            raises from ``async with``.

    ``async with`` starts it and waits for the first full snapshot. Errors of the
    background task that are not transient (a fault, or a server gone for longer than
    ``reconnect_seconds``) end it: :meth:`snapshot` keeps returning the last snapshot,
    ``error`` holds the exception, and :meth:`wait_until` raises it.
    """

    def __init__(
        self,
        client: Client,
        type: str | Sequence[str],
        paths: Sequence[str] | None = None,
        *,
        container: ManagedObjectReference | ManagedObject | None = None,
        recursive: bool = True,
        max_object_updates: int | None = None,
        reconnect_seconds: float = 300.0,
    ) -> None:
        self.client = client
        self.reconnect_seconds = reconnect_seconds
        self.types = (type,) if isinstance(type, str) else tuple(type)
        self.paths = None if paths is None else tuple(paths)
        self.container = container
        self.recursive = recursive
        self.max_object_updates = max_object_updates
        self._snapshot: Snapshot | None = None
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.error: BaseException | None = None

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> InventoryCache:
        self.start()
        try:
            await self.wait_until(lambda _snapshot: True)
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def start(self) -> None:
        """Start the background task (``async with`` does this)."""
        if self._task is not None:
            raise RuntimeError("InventoryCache is already started")
        # A cache started again after close() waits for its own first snapshot.
        self._snapshot = None
        self.error = None
        # The task outlives its creator: it must not inherit the creator's deadline (in
        # _run a TimeoutError is taken as a call's own, transient, and retried).
        with without_deadline():
            self._task = asyncio.create_task(self._run(),
                                             name=f"InventoryCache{self.types}")

    async def close(self) -> None:
        """Cancel and await the background task; its server objects are destroyed on the
        way out. Idempotent."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            # asyncio.wait, not ``await task``: a cancellation of *our* caller comes out
            # of close() (it is not swallowed with the task's own CancelledError), and
            # it does not reach the task, whose teardown is already running.
            await asyncio.wait([task])
        finally:
            self._wake()
        if not task.cancelled():
            task.exception()  # already in self.error; retrieved so asyncio stays quiet

    # ------------------------------------------------------------------ reading
    def snapshot(self) -> Snapshot:
        """The current snapshot (no I/O). ``RuntimeError`` before the first one."""
        snap = self._snapshot
        if snap is None:
            raise RuntimeError("no snapshot yet: use 'async with' or await wait_until()")
        return snap

    async def wait_until(self, predicate: Callable[[Snapshot], Any], *,
                         timeout: float | None = None) -> Snapshot:
        """Wait for the first snapshot for which ``predicate(snapshot)`` is true; return it.

        Raises ``TimeoutError`` after ``timeout`` seconds (or at the caller's deadline),
        and the background task's error if it ended.
        """
        async with _deadline(timeout):
            while True:
                changed = self._changed
                snap = self._snapshot
                if snap is not None and predicate(snap):
                    return snap
                if self.error is not None:
                    raise self.error
                if self._task is None:
                    raise RuntimeError("InventoryCache is not running")
                await changed.wait()

    # ------------------------------------------------------------------ background
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        failing_since: float | None = None
        retry = 0
        while True:
            try:
                async for _ in self._watch():
                    failing_since, retry = None, 0  # an answer came: the stream is healthy
                return
            except asyncio.CancelledError:
                raise
            except BaseException as exc:
                # A transport error (server restarting, connection reset, 503) that the
                # call-level retries did not outlast: start the stream again (new view,
                # collector and filter; the first answer is a full state) after a
                # jittered backoff, for up to ``reconnect_seconds`` of failures in a row.
                # The last snapshot stays readable meanwhile.
                policy = self.client.retry
                now = loop.time()
                if failing_since is None:
                    failing_since = now
                if (isinstance(exc, Exception) and policy is not None
                        and self._snapshot is not None  # a start that fails, fails fast
                        and not self.client._closed
                        # The task runs under no caller's deadline: a TimeoutError is a
                        # call's own (a server that stopped answering), transient too.
                        and (isinstance(exc, TimeoutError)
                             or policy.should_retry(exc, idempotent=True))
                        and now - failing_since < self.reconnect_seconds):
                    retry += 1
                    log.info("InventoryCache%s: stream lost (%s); starting again",
                             self.types, type(exc).__name__)
                    await asyncio.sleep(_random.uniform(0.0, policy.backoff_window(retry)))
                    continue
                self.error = exc
                self._wake()
                if not isinstance(exc, Exception):
                    raise
                return

    async def _watch(self) -> AsyncIterator[None]:
        """One watch stream over a new ContainerView; yields after each published set."""
        async with ContainerView(self.client, self.types, container=self.container,
                                 recursive=self.recursive) as view:
            async with contextlib.aclosing(watch_batches(
                    self.client, view, self.paths, type=self.types,
                    max_object_updates=self.max_object_updates)) as batches:
                building: dict[ManagedObjectReference, ObjectRecord] | None = None
                async for batch in batches:
                    building = self._apply(building, batch)
                    if not batch.truncated:
                        self._publish(building, batch.version)
                        building = None
                    del batch  # not held while the next wait is pending (memory)
                    yield

    def _apply(self, building: dict[ManagedObjectReference, ObjectRecord] | None,
               batch: WatchBatch) -> dict[ManagedObjectReference, ObjectRecord]:
        if building is None:
            building = {} if batch.reset or self._snapshot is None else dict(
                self._snapshot._records)
        for change in batch.changes:
            if change.kind == "leave":
                building.pop(change.obj, None)
            else:
                building[change.obj] = self._record(building.get(change.obj), change)
        return building

    def _record(self, old: ObjectRecord | None, change: ObjectChange) -> ObjectRecord:
        props: dict[str, Any] = dict.fromkeys(self.paths or ()) if old is None else dict(old)
        for prop in change.changes:
            apply_change(props, prop.name, str(getattr(prop.op, "value", prop.op)), prop.val)
        missing = dict(old.missing) if old is not None else {}
        missing.update(change.missing)
        for path in change.missing:
            props.pop(path, None)
        for prop in change.changes:
            missing.pop(prop.name, None)
        if old is None:
            return ObjectRecord(change.obj, props, missing)
        return old.replace(props, missing)

    def _publish(self, records: dict[ManagedObjectReference, ObjectRecord],
                 server_version: str) -> None:
        version = 1 if self._snapshot is None else self._snapshot.version + 1
        self._snapshot = Snapshot(records, version, server_version)  # the one assignment
        self._wake()

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def __repr__(self) -> str:
        snap = self._snapshot
        state = f"version={snap.version} objects={len(snap)}" if snap else "no snapshot"
        return f"<InventoryCache {','.join(self.types)} {state}>"
