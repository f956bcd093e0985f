"""EventManager and EventHistoryCollector (vim.event.EventManager,
vim.event.EventHistoryCollector, vim.HistoryCollector), over the simulator's event log.

Collectors follow vCenter, not vcsim:

- A collector holds every logged event its filter matches (oldest first), and every
  matching event posted later: nothing is lost to a ring buffer. ``filter.maxCount``
  keeps only the newest that many of the history at creation.
- Its "scrollable view" starts at the oldest event (as after RewindCollector).
  ReadNextEvents(n) returns the next ``n`` events forward from the position, oldest
  first, and moves the position past them; at the end it returns nothing (and sees
  events posted later on the next call). ReadPreviousEvents(n) returns the ``n`` events
  before the position, newest first, and moves the position back over them.
  ResetCollector moves the position to just before the latest page; RewindCollector to
  the oldest event.
- ``latestPage``: the newest ``pageSize`` events (default 10, SetCollectorPageSize 0 to
  1000), newest first; a dynamic property, so WaitForUpdatesEx reports every change.
- Collectors belong to the session that made them (invisible to others, removed at
  logout); a session may hold :data:`MAX_COLLECTORS` at once (InvalidState beyond).

EventFilterSpec: ``entity`` with ``recursion`` (``self``: events about the entity itself;
for a Folder or ResourcePool, about the entities directly in it, as the API documents;
``children``: about entities below it; ``all``: both; the root folder with ``all`` or
``children`` also matches events about no entity, such as logins), ``type`` and
``eventTypeId`` (type names, base types included: ``VmEvent`` selects every VM event;
EventEx ``eventTypeId`` values), ``category`` (info/warning/error/user), ``time``
(``beginTime <= createdTime <= endTime``), ``userName`` (``userList``; ``systemUser``
adds the events with no user), ``eventChainId``, ``alarm``, ``scheduledTask``, ``tag``
(``changeTag``), ``maxCount``, ``disableFullMessage`` (messages left out).

QueryEvents answers the newest matching events first, at most ``filter.maxCount`` (or
:data:`QUERY_LIMIT`); with an EventManagerViewByStartId, from ``startEventId`` forward
(oldest first) or backward.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiovsphere.simulator._context import Context, fault
from aiovsphere.simulator._dispatch import handles
from aiovsphere.simulator._eventlog import events_of, record_event
from aiovsphere.simulator._events import (
    category_of,
    complete_event,
    entity_refs,
    event_description,
    primary_entity,
    type_names,
)
from aiovsphere.simulator._model import SimObject
from aiovsphere.vim._moref import ManagedObjectReference as Ref

if TYPE_CHECKING:
    from aiovsphere.simulator._model import Model
    from aiovsphere.simulator._server import Simulator

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_COLLECTORS", "QUERY_LIMIT", "EventMatcher", "feed",
           "install"]

EVENT_MANAGER = Ref("EventManager", "EventManager")
DEFAULT_PAGE_SIZE = 10  # latestPage of a new collector
MAX_PAGE_SIZE = 1000  # SetCollectorPageSize, ReadNextEvents, ReadPreviousEvents
MAX_COLLECTORS = 32  # EventHistoryCollectors per session (vCenter's limit)
QUERY_LIMIT = 1000  # events one QueryEvents answers at most
_MAX_DEPTH = 64


def install(sim: Simulator) -> None:
    """Give the EventManager its properties: ``description`` (event categories and the
    message catalogue), ``maxCollector`` and ``latestEvent`` (dynamic). Idempotent."""
    obj = sim.model.get(EVENT_MANAGER)
    if obj is None or obj.data.get("installed"):
        return
    obj.data["installed"] = True
    obj.props.update(description=event_description(), maxCollector=MAX_COLLECTORS)
    obj.dynamic["latestEvent"] = lambda ctx: _latest(ctx.sim)


def _latest(sim: Simulator) -> Any:
    log = events_of(sim)
    return log[-1] if log else None


# ---------------------------------------------------------------------------- filtering
def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class EventMatcher:
    """An EventFilterSpec as a predicate on events (``matcher(event) -> bool``), against
    the inventory as it is when the event is matched."""

    def __init__(self, model: Model, spec: Any, root: Ref | None) -> None:
        self.model = model
        self.spec = spec
        self.root = root
        self.types = frozenset((*spec.eventTypeId, *spec.type))
        self.categories = frozenset(spec.category)
        self.tags = frozenset(spec.tag)
        time = spec.time
        self.begin = _utc(time.beginTime) if time is not None else None
        self.end = _utc(time.endTime) if time is not None else None
        by_user = spec.userName
        self.users = None if by_user is None else frozenset(by_user.userList)
        self.system_user = bool(by_user.systemUser) if by_user is not None else False
        by_entity = spec.entity
        self.entity: Ref | None = by_entity.entity if by_entity is not None else None
        self.recursion = str(getattr(by_entity.recursion, "value", by_entity.recursion)) \
            if by_entity is not None else "all"
        self.entity_is_container = False
        if self.entity is not None:
            obj = model.get(self.entity)
            if obj is not None:
                self.entity = obj.ref  # the actual type (a client may send ManagedEntity)
                from aiovsphere.vim._schema import schema

                s = schema()
                self.entity_is_container = any(
                    s.is_subtype(obj.type, base) for base in ("Folder", "ResourcePool"))
        self._containers: dict[Ref, frozenset[Ref]] = {}

    def __call__(self, event: Any) -> bool:
        spec = self.spec
        if self.types and self.types.isdisjoint(type_names(event)):
            return False
        if self.categories and category_of(event) not in self.categories:
            return False
        if self.begin is not None or self.end is not None:
            created = _utc(event.createdTime)
            if created is not None:
                if self.begin is not None and created < self.begin:
                    return False
                if self.end is not None and created > self.end:
                    return False
        if self.users is not None:
            user = event.userName or ""
            if not ((self.system_user and not user) or user in self.users):
                return False
        if spec.eventChainId is not None and event.chainId != spec.eventChainId:
            return False
        if spec.alarm is not None and _arg_ref(event, "alarm", "alarm") != spec.alarm:
            return False
        if spec.scheduledTask is not None and _arg_ref(
                event, "scheduledTask", "scheduledTask") != spec.scheduledTask:
            return False
        if self.tags and event.changeTag not in self.tags:
            return False
        return self.entity is None or self._entity_matches(event)

    def _entity_matches(self, event: Any) -> bool:
        entity = self.entity
        primary = primary_entity(event)
        if primary is None:  # a login, an EventEx about nothing
            return entity == self.root and self.recursion in ("all", "children")
        is_self = _same(primary, entity)
        if self.recursion == "self":
            if self.entity_is_container:
                return any(_same(entity, p) for p in self._parents(primary))
            return is_self
        if entity == self.root:
            return self.recursion == "all" or not is_self
        below = any(_same(entity, c) for c in self._event_containers(event, primary))
        if self.recursion == "children":
            return below and not is_self
        return is_self or below

    def _event_containers(self, event: Any, primary: Ref) -> frozenset[Ref]:
        """Everything the event's entity is in: its ancestors now, the entities the event
        recorded beside it (its host, compute resource, datacenter at the time) and
        theirs (so the events of a VM destroyed since still match its datacenter)."""
        out = set(self._ancestors(primary))
        for ref in entity_refs(event):
            if not _same(ref, primary):
                out.add(ref)
                out |= self._ancestors(ref)
        return frozenset(out)

    def _parents(self, ref: Ref) -> set[Ref]:
        """The containers ``ref`` is directly in: its parent, a VM's resource pool."""
        obj = self.model.get(ref)
        if obj is None:
            return set()
        out = set()
        for name in ("parent", "resourcePool") if obj.type == "VirtualMachine" else (
                "parent",):
            value = obj.props.get(name)
            if isinstance(value, Ref):
                target = self.model.get(value)
                out.add(target.ref if target is not None else value)
        return out

    def _ancestors(self, ref: Ref) -> frozenset[Ref]:
        cached = self._containers.get(ref)
        if cached is not None:
            return cached
        out: set[Ref] = set()
        todo = [ref]
        depth = 0
        while todo and depth < _MAX_DEPTH * 4:
            depth += 1
            obj = self.model.get(todo.pop())
            if obj is None:
                continue
            nexts = list(self._parents(obj.ref))
            if obj.type == "VirtualMachine":  # a VM is also below its host
                host = getattr(obj.props.get("runtime"), "host", None)
                if isinstance(host, Ref):
                    nexts.append(host)
            owner = obj.props.get("owner")
            if isinstance(owner, Ref) and obj.type != "VirtualMachine":
                nexts.append(owner)
            for nxt in nexts:
                if nxt not in out:
                    out.add(nxt)
                    todo.append(nxt)
        result = frozenset(out)
        self._containers[ref] = result
        return result


def _same(a: Ref | None, b: Ref | None) -> bool:
    return a is not None and b is not None and a.value == b.value


def _arg_ref(event: Any, name: str, field: str) -> Ref | None:
    arg = getattr(event, name, None)
    value = getattr(arg, field, None) if arg is not None else None
    return value if isinstance(value, Ref) else None


def _root(ctx: Context) -> Ref | None:
    content = ctx.sim.model.get(Ref("ServiceInstance", "ServiceInstance"))
    root = getattr(content.props.get("content"), "rootFolder", None) if content else None
    return root if isinstance(root, Ref) else None


def _matcher(ctx: Context, spec: Any) -> EventMatcher:
    if spec.entity is not None:
        ctx.lookup(spec.entity.entity)  # ManagedObjectNotFound for a missing entity
        recursion = str(getattr(spec.entity.recursion, "value", spec.entity.recursion))
        if recursion not in ("self", "children", "all"):
            raise fault("InvalidArgument", f"invalid recursion {recursion!r}",
                        invalidProperty="recursion")
    if spec.maxCount is not None and spec.maxCount < 0:
        raise fault("InvalidArgument", "maxCount must not be negative",
                    invalidProperty="maxCount")
    return EventMatcher(ctx.model, spec, _root(ctx))


def _shown(spec: Any, events: list[Any]) -> list[Any]:
    """Events as the filter returns them: without messages under ``disableFullMessage``."""
    if spec.disableFullMessage:
        return [e.model_copy(update={"fullFormattedMessage": None}) for e in events]
    return events


# ---------------------------------------------------------------------------- EventManager
@handles("EventManager", "QueryEvents")
def query_events(ctx: Context, this: SimObject, filter: Any,
                 eventViewSpec: Any = None) -> tuple[Any, ...]:
    """vim.event.EventManager.QueryEvents: the newest matching events first."""
    install(ctx.sim)
    match = _matcher(ctx, filter)
    limit = filter.maxCount if filter.maxCount else QUERY_LIMIT
    log = events_of(ctx.sim)
    if eventViewSpec is not None and hasattr(eventViewSpec, "startEventId"):
        start = eventViewSpec.startEventId
        if eventViewSpec.isForward:
            picked = [e for e in log if e.key >= start and match(e)][:limit]
        else:
            picked = [e for e in reversed(log) if e.key <= start and match(e)][:limit]
        return tuple(_shown(filter, picked))
    out = []
    for event in reversed(log):
        if match(event):
            out.append(event)
            if len(out) >= limit:
                break
    return tuple(_shown(filter, out))


@handles("EventManager", "CreateCollectorForEvents")
def create_collector(ctx: Context, this: SimObject, filter: Any) -> Ref:
    """vim.event.EventManager.CreateCollectorForEvents: a collector of this session's."""
    install(ctx.sim)
    session = ctx.session
    assert session is not None
    match = _matcher(ctx, filter)
    registry = _collectors(ctx.sim)
    mine = sum(1 for c in registry.values() if c.owner == session.key)
    if mine >= MAX_COLLECTORS:
        raise fault("InvalidState", f"Too many event collectors: a session may have "
                    f"{MAX_COLLECTORS}")
    history = [e for e in events_of(ctx.sim) if match(e)]
    if filter.maxCount:
        history = history[-filter.maxCount:]
    ref = Ref("EventHistoryCollector", f"session[{session.key}]{uuid.uuid4()}")
    obj = SimObject(ref, {"filter": filter, "initialized": True}, owner=session.key)
    obj.data.update(match=match, events=history, pos=0, page_size=DEFAULT_PAGE_SIZE)
    obj.dynamic["latestPage"] = lambda _ctx: _latest_page(obj)
    ctx.model.add(obj)
    registry[ref] = obj
    return ref


@handles("EventManager", "PostEvent")
def post_event(ctx: Context, this: SimObject, eventToPost: Any, taskInfo: Any = None) -> None:
    """vim.event.EventManager.PostEvent: log a client's event (the server sets its key,
    chain (``taskInfo.eventChainId`` when given), time and user; entity arguments the
    client left out are filled in; the message is formatted as vCenter's)."""
    ctx.require_write()
    install(ctx.sim)
    for ref in entity_refs(eventToPost):
        ctx.lookup(ref)
    chain = getattr(taskInfo, "eventChainId", None) if taskInfo is not None else None
    record_event(ctx.sim, complete_event(ctx, eventToPost, chain))


def _collectors(sim: Simulator) -> dict[Ref, SimObject]:
    registry: dict[Ref, SimObject] = sim.__dict__.setdefault("_event_collectors", {})
    for ref in [r for r in registry if r not in sim.model]:  # went with their session
        del registry[ref]
    return registry


def feed(sim: Simulator, event: Any) -> None:
    """Hand a newly logged ``event`` to every collector whose filter matches it."""
    registry: dict[Ref, SimObject] | None = sim.__dict__.get("_event_collectors")
    if not registry:
        return
    for obj in list(_collectors(sim).values()):
        if obj.data["match"](event):
            obj.data["events"].append(event)


def _latest_page(obj: SimObject) -> tuple[Any, ...]:
    size: int = obj.data["page_size"]
    events: list[Any] = obj.data["events"]
    page = events[-size:] if size else []
    return tuple(_shown(obj.props["filter"], page[::-1]))


# ---------------------------------------------------------------------------- collector
def _count(max_count: int) -> int:
    if not 0 < max_count <= MAX_PAGE_SIZE:
        raise fault("InvalidArgument", f"maxCount must be 1 to {MAX_PAGE_SIZE}",
                    invalidProperty="maxCount")
    return max_count


@handles("EventHistoryCollector", "ReadNextEvents")
def read_next(ctx: Context, this: SimObject, maxCount: int) -> tuple[Any, ...]:
    """The next ``maxCount`` events from the position, oldest first."""
    count = _count(maxCount)
    events = this.data["events"]
    pos = min(this.data["pos"], len(events))
    page = events[pos:pos + count]
    this.data["pos"] = pos + len(page)
    return tuple(_shown(this.props["filter"], page))


@handles("EventHistoryCollector", "ReadPreviousEvents")
def read_previous(ctx: Context, this: SimObject, maxCount: int) -> tuple[Any, ...]:
    """The ``maxCount`` events before the position, newest first."""
    count = _count(maxCount)
    events = this.data["events"]
    pos = min(this.data["pos"], len(events))
    start = max(0, pos - count)
    page = events[start:pos]
    this.data["pos"] = start
    return tuple(_shown(this.props["filter"], page[::-1]))


@handles("EventHistoryCollector", "ResetCollector")
def reset_collector(ctx: Context, this: SimObject) -> None:
    """Position just before the latest page."""
    this.data["pos"] = max(0, len(this.data["events"]) - this.data["page_size"])


@handles("EventHistoryCollector", "RewindCollector")
def rewind_collector(ctx: Context, this: SimObject) -> None:
    """Position at the oldest event."""
    this.data["pos"] = 0


@handles("EventHistoryCollector", "SetCollectorPageSize")
def set_page_size(ctx: Context, this: SimObject, maxCount: int) -> None:
    """The size of ``latestPage`` (0 to 1000)."""
    if not 0 <= maxCount <= MAX_PAGE_SIZE:
        raise fault("InvalidArgument", f"maxCount must be 0 to {MAX_PAGE_SIZE}",
                    invalidProperty="maxCount")
    this.data["page_size"] = maxCount
    ctx.model.touch()


@handles("EventHistoryCollector", "DestroyCollector")
def destroy_collector(ctx: Context, this: SimObject) -> None:
    ctx.model.remove(this.ref)
    _collectors(ctx.sim).pop(this.ref, None)
