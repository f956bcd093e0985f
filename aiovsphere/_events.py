"""Event history and event streams (vim.event.EventManager, vim.event.EventHistoryCollector).

    async for event in events(client, types=("VmPoweredOnEvent",), since=yesterday):
        print(event.createdTime, type(event).__name__, event.fullFormattedMessage)

    async with contextlib.aclosing(events(client, follow=True)) as stream:
        async for event in stream:          # the history, then new events as they come
            ...

How a stream reads (govmomi's ``event.Manager.Events``):

1. vim.event.EventManager.CreateCollectorForEvents(filter) makes an EventHistoryCollector
   of this session's own, and vim.HistoryCollector.SetCollectorPageSize(``page_size``) sets
   the size of its ``latestPage`` (1 to 1000).
2. History: vim.event.EventHistoryCollector.ReadNextEvents(maxCount=``page_size``) until it
   returns nothing. A new collector is positioned at the oldest matching event (the API's
   default, as after RewindCollector), so pages come oldest first; each page is sorted by
   event ``key`` (keys grow with time), so events are yielded in chronological order.
   Events are typed: ``VmPoweredOnEvent``, ``UserLoginSessionEvent``... (subclasses of
   ``Event``; a type this SDK does not know decodes as its nearest known base).
3. Follow (``follow=True``): a PropertyCollector of the stream's own
   (:class:`aiovsphere._collector.PropertyCollector`) waits with WaitForUpdatesEx for
   changes of the collector's ``latestPage``, as ``govc events -f`` does; after every
   wake-up, and at least every ``poll_interval`` seconds, ReadNextEvents is drained too.
   New events are those with a key above the last one yielded, sorted by key; an event
   seen both ways is yielded once.

   Why both: on vcsim (0.24), ReadNextEvents never returns an event posted after its read
   position reached the end (the position indexes a ring buffer that new events rotate),
   while every change of ``latestPage`` is reported at once. On vCenter ``latestPage``
   changes are reported too (``govc events -f`` relies on them), and ReadNextEvents is
   lossless when more than ``page_size`` events arrive between two wake-ups, which a
   page-sized ``latestPage`` alone is not. A plain ReadNextEvents poll every second would
   cost a round trip per second per stream and add up to a second of latency.

Filters: pass an ``EventFilterSpec`` as it is, or build one with the keywords ``entity``
(a moref; with ``recursion``: ``"self"``, ``"children"`` or ``"all"``), ``types`` (event
type names such as ``"VmPoweredOnEvent"``, or base types such as ``"VmEvent"``), ``since``
and ``until`` (datetimes; naive ones are UTC), see :func:`event_filter`. Events outside
the spec's ``time`` range are also dropped on the client side (vcsim ignores ``time``).

Cleanup: the EventHistoryCollector (vim.HistoryCollector.DestroyCollector) and the
PropertyCollector are destroyed on every exit path: the end of the history, ``break``,
an exception, cancellation, the caller's deadline. Creation never strands a collector
when the caller is cancelled while the answer is in transit. To stop early with
``break``, iterate inside ``async with contextlib.aclosing(events(...)) as stream:`` so
the collector goes at once; an abandoned generator is closed (and its collector
destroyed) only when the event loop finalizes it.

Re-login: collectors live in the login session. When the client logs in again (the
session was lost), the stream makes a new collector with the same filter and goes on;
events already yielded are not yielded again (the key rule above).

vcsim 0.24 limits, for the record: a collector sees at most ``page_size`` events (its
ring buffer), so with more matching events than ``page_size`` its history is incomplete;
``time`` and ``userName`` filters are ignored by the server.

An event without its (required) ``key`` ends the stream with
:class:`~aiovsphere.DecodeError` (``method``: ReadNextEvents, or WaitForUpdatesEx for one
in ``latestPage``): the order and the "new event" rule need it (no vCenter sends one).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiovsphere._collector import PropertyCollector
from aiovsphere._deadline import remaining
from aiovsphere._errors import DecodeError, SoapFault
from aiovsphere._views import create_then_destroy, destroy_quietly
from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere._objects import ManagedObject
    from aiovsphere.vim.types import Event, EventFilterSpec, PropertyFilterSpec

__all__ = ["event_filter", "events"]

MAX_PAGE_SIZE = 1000  # vim.HistoryCollector.SetCollectorPageSize accepts 1..1000
_SESSION_LOST = ("ManagedObjectNotFound", "NotAuthenticated")


def event_filter(
    entity: ManagedObjectReference | ManagedObject | None = None,
    *,
    recursion: str = "all",
    types: Iterable[str | type] | str = (),
    since: datetime | None = None,
    until: datetime | None = None,
    users: Sequence[str] = (),
) -> EventFilterSpec:
    """An ``EventFilterSpec`` from keywords.

    ``entity``: events about this managed entity (a moref or a ``client.mo()`` proxy), and
    with ``recursion="all"`` (the default) about everything below it too; ``"self"`` or
    ``"children"`` narrow that (vim.event.EventFilterSpec.RecursionOption). ``types``: event
    type names (``"VmPoweredOnEvent"``) or classes (``types.VmPoweredOnEvent``); a base type
    (``"VmEvent"``) selects its subtypes. ``since``/``until``: the ``createdTime`` range
    (naive datetimes are UTC). ``users``: events caused by these user names.
    """
    from aiovsphere.vim import types as t

    if isinstance(types, str):
        types = (types,)
    names: list[str] = []
    for kind in types:
        name = kind.__name__ if isinstance(kind, type) else kind
        if not isinstance(name, str) or not name:
            raise TypeError(f"types must be event type names or classes, got {kind!r}")
        names.append(name)
    ref = getattr(entity, "ref", entity)
    if ref is not None and not isinstance(ref, ManagedObjectReference):
        raise TypeError(f"entity must be a ManagedObjectReference, got {type(ref).__name__}")
    return t.EventFilterSpec(
        entity=None if ref is None else t.EventFilterSpecByEntity(entity=ref,
                                                                 recursion=recursion),
        time=None if since is None and until is None else t.EventFilterSpecByTime(
            beginTime=since, endTime=until),
        userName=t.EventFilterSpecByUsername(systemUser=False, userList=tuple(users))
        if users else None,
        eventTypeId=tuple(names),
    )


def events(
    client: Client,
    filter_spec: EventFilterSpec | None = None,
    *,
    entity: ManagedObjectReference | ManagedObject | None = None,
    recursion: str = "all",
    types: Iterable[str | type] | str = (),
    since: datetime | None = None,
    until: datetime | None = None,
    follow: bool = False,
    page_size: int = 100,
    poll_interval: float = 10.0,
) -> AsyncGenerator[Event, None]:
    """Yield the events matching the filter, oldest first; with ``follow=True`` go on
    yielding new events as they happen, until the caller stops.

    ``filter_spec`` (an ``EventFilterSpec``) or the keywords of :func:`event_filter`, not
    both; neither selects every event. ``page_size`` (1 to 1000): events per ReadNextEvents
    call and the size of the collector's ``latestPage``. ``poll_interval`` (seconds, rounded
    up to whole seconds) bounds each server-side wait for a change while following; the
    collector is read after each.

    Returns an async generator (nothing is sent until the first iteration). Raises
    ``TypeError``/``ValueError`` for bad arguments at once; while iterating,
    ``TimeoutError`` at the caller's deadline and ``aiovsphere.faults.<Name>`` for faults
    (e.g. ``InvalidState`` when the server has too many collectors).
    """
    keywords = (entity is not None or bool(types) or since is not None or until is not None
                or recursion != "all")
    if filter_spec is not None and keywords:
        raise TypeError("pass filter_spec or the filter keywords (entity, types, since, "
                        "until, recursion), not both")
    if filter_spec is None:
        filter_spec = event_filter(entity, recursion=recursion, types=types, since=since,
                                   until=until)
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not (
            1 <= page_size <= MAX_PAGE_SIZE):
        raise ValueError(f"page_size must be an int from 1 to {MAX_PAGE_SIZE}, "
                         f"not {page_size!r}")
    if not poll_interval > 0:
        raise ValueError(f"poll_interval must be a positive number of seconds, "
                         f"not {poll_interval!r}")
    return _stream(client, filter_spec, follow, page_size, poll_interval)


async def _stream(client: Client, filter_spec: EventFilterSpec, follow: bool, page_size: int,
                  poll_interval: float) -> AsyncGenerator[Event, None]:
    window = _Window(filter_spec)
    reader = _Reader(client, filter_spec, page_size)
    try:
        await reader.open()  # inside: a failed SetCollectorPageSize still destroys it
        # History: the server's order (oldest page first), each page sorted by key.
        while True:
            page = await reader.read_next()
            if not page:
                break
            for event in page:
                if reader.is_new(event, strictly=True) and window.holds(event):
                    yield event
        if not follow:
            return
        async with PropertyCollector(client, rebuild=reader.ensure) as pc:
            await pc.create_filter(reader.latest_page_spec)
            while True:
                updates = await pc.wait_for_updates(max_wait_seconds=poll_interval)
                fresh = [] if updates is None else _latest_page(updates.update_set)
                fresh.extend(await reader.drain())
                for event in _by_key(fresh, "WaitForUpdatesEx"):
                    if reader.is_new(event, strictly=True) and window.holds(event):
                        yield event
                if updates is None:
                    left = remaining()
                    if left is not None and left <= 0:
                        raise TimeoutError("deadline passed while following events")
    finally:
        await reader.close()


class _Reader:
    """The stream's EventHistoryCollector: made again (same filter) after a re-login."""

    def __init__(self, client: Client, spec: EventFilterSpec, page_size: int) -> None:
        self.client = client
        self.spec = spec
        self.page_size = page_size
        self.ref: ManagedObjectReference | None = None
        self.generation = -1
        self.last_key: int | None = None  # the highest key yielded
        self.strict = False  # after a re-made collector, skip what was already yielded

    async def open(self) -> None:
        self.generation = self.client.session.generation
        self.ref = await create_then_destroy(
            self.client, self.client.service("eventManager"), "CreateCollectorForEvents",
            "DestroyCollector", filter=self.spec)
        await self.client.invoke(self.ref, "SetCollectorPageSize", maxCount=self.page_size)

    async def ensure(self) -> None:
        """A new collector if the session changed since this one was made (the old one
        went with its session)."""
        if self.generation != self.client.session.generation:
            await self.close()
            self.strict = True
            await self.open()

    async def close(self) -> None:
        ref, self.ref = self.ref, None
        if ref is not None:
            await destroy_quietly(self.client, ref, "DestroyCollector")

    async def read_next(self) -> list[Event]:
        """vim.event.EventHistoryCollector.ReadNextEvents: the next page, sorted by key."""
        for attempt in (1, 2):
            assert self.ref is not None
            try:
                page = await self.client.invoke(self.ref, "ReadNextEvents",
                                                maxCount=self.page_size)
            except SoapFault as exc:
                if (attempt == 2 or exc.fault_name not in _SESSION_LOST
                        or self.generation == self.client.session.generation):
                    raise
                await self.ensure()
                continue
            return _by_key(page or (), "ReadNextEvents")
        raise AssertionError("unreachable")

    async def drain(self) -> list[Event]:
        out: list[Event] = []
        while page := await self.read_next():
            out.extend(page)
        return out

    def is_new(self, event: Event, *, strictly: bool = False) -> bool:
        """Whether to yield ``event``, recording its key. While reading the first
        collector's history every event is new; afterwards only keys above the last."""
        key = event.key
        if (strictly or self.strict) and self.last_key is not None and key <= self.last_key:
            return False
        if self.last_key is None or key > self.last_key:
            self.last_key = key
        return True

    def latest_page_spec(self) -> PropertyFilterSpec:
        from aiovsphere.vim import types as t

        assert self.ref is not None
        return t.PropertyFilterSpec(
            objectSet=(t.ObjectSpec(obj=self.ref, skip=False),),
            propSet=(t.PropertySpec(type="EventHistoryCollector", pathSet=("latestPage",),
                                    all=False),),
        )


class _Window:
    """The spec's ``time`` range, checked on the client side too."""

    def __init__(self, spec: EventFilterSpec) -> None:
        time = spec.time
        self.begin = _utc(time.beginTime) if time is not None else None
        self.end = _utc(time.endTime) if time is not None else None

    def holds(self, event: Event) -> bool:
        created = _utc(event.createdTime)
        if created is None:
            return True
        if self.begin is not None and created < self.begin:
            return False
        return self.end is None or created <= self.end


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _by_key(events: Iterable[Event], method: str) -> list[Event]:
    """``events`` sorted by key; DecodeError (naming ``method``, the call that answered
    them) for an event without its required ``key``, which the order and the "new event"
    rule depend on."""
    out = list(events)
    for event in out:
        if not isinstance(event.key, int):
            raise DecodeError(f"{type(event).__name__} without a key", method=method,
                              path="key")
    return sorted(out, key=lambda e: e.key)


def _latest_page(update_set: Any) -> list[Event]:
    out: list[Event] = []
    for filter_update in update_set.filterSet:
        for object_update in filter_update.objectSet:
            for change in object_update.changeSet:
                if change.name == "latestPage" and change.op in ("assign", "add") \
                        and change.val is not None:
                    out.extend(change.val)
    return out
