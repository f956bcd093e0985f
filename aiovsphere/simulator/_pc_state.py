"""PropertyCollector state in the simulator: collectors, filters, versions and update sets.

State is per session, as on vCenter: a collector made with CreatePropertyCollector belongs
to one session (its :class:`CollectorState` lives in the SimObject's ``data`` and goes with
it); the ServiceContent ``propertyCollector`` is shared, and keeps one
:class:`CollectorState` per session (dropped once that session has ended). Filters are
session-owned SimObjects (``PropertyFilter``: ``spec``, ``partialUpdates``) holding their
:class:`Filter` in ``data``; they go when their session ends or their collector is
destroyed.

WaitForUpdatesEx is computed, not logged: every filter is evaluated against the model now
(:func:`evaluate`: the objects it selects and their property values) and compared with what
was reported at the version the caller passes (:func:`diff`): objects that appeared
``enter`` (every property ``assign``), disappeared ``leave``, changed ``modify``. A
version names the evaluated states it reported; the last :data:`KEEP_VERSIONS` complete
versions stay valid (vCenter lets a client re-use a non-truncated version to recover from
a failed call), anything else is InvalidCollectorVersion. An answer of more than
``maxObjectUpdates`` (at most :data:`MAX_OBJECT_UPDATES`, vCenter's policy limit) object
updates is truncated: the rest is kept and returned by the next call with that truncated
version, without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiovsphere.simulator._context import SimFault, fault
from aiovsphere.simulator._pc_spec import (
    INDIRECT,
    UNSET,
    CompiledSpec,
    PropPath,
    key_text,
    wire,
)
from aiovsphere.vim._base import DataObject
from aiovsphere.vim._moref import ManagedObjectReference as Ref
from aiovsphere.vim._schema import schema

if TYPE_CHECKING:
    from aiovsphere.simulator._context import Context
    from aiovsphere.simulator._model import SimObject

__all__ = [
    "FILTER", "KEEP_VERSIONS", "MAX_OBJECT_UPDATES", "CollectorState", "Filter",
    "FilterState", "diff", "evaluate", "missing_props", "read_object", "session_ref",
    "state_of", "wait_for_updates",
]

KEEP_VERSIONS = 4
"""How many complete versions per collector stay valid for WaitForUpdatesEx."""
MAX_OBJECT_UPDATES = 100
"""vCenter's policy limit of ObjectUpdates per WaitForUpdatesEx answer (govc and vcsim
document 100); ``maxObjectUpdates`` can only lower it."""
MAX_TOKENS = 64
"""Open RetrievePropertiesEx tokens kept per session and collector (oldest dropped)."""
_SHARED = "pc_sessions"  # data key of the shared collector: {session key: CollectorState}
_OWN = "pc_state"  # data key of a session's own collector
FILTER = "pc_filter"  # data key of a PropertyFilter SimObject


@dataclass(eq=False)
class Filter:
    """A PropertyFilter's working state: its collector, checked spec, partialUpdates."""

    ref: Ref
    collector: Ref
    compiled: CompiledSpec
    partial: bool


ObjState = tuple[dict[str, Any], dict[str, SimFault]]
"""One object's properties as a filter last read them: ``({path: value}, {path: fault})``
(unset paths absent)."""


@dataclass(eq=False, slots=True)
class FilterState:
    """What one filter selected at one moment: ``objects`` (by moref, in selection order)
    and ``missing`` (listed objects that did not exist, reported in ``missingSet``)."""

    objects: dict[Ref, ObjState]
    missing: frozenset[Ref] = frozenset()


@dataclass(eq=False)
class _Pending:
    """The rest of a truncated answer: served with version ``token``; ``final`` is the
    complete version the last part ends with, ``states`` what it reports."""

    token: str
    rest: list[tuple[Ref, Any]]
    final: str
    states: dict[Ref, FilterState]


@dataclass(eq=False)
class CollectorState:
    """One session's view of one collector."""

    filters: list[Ref] = field(default_factory=list)
    versions: OrderedDict[str, dict[Ref, FilterState]] = field(default_factory=OrderedDict)
    seq: int = 0
    pending: _Pending | None = None
    tokens: OrderedDict[str, tuple[list[Any], int]] = field(default_factory=OrderedDict)
    token_seq: int = 0
    waits: set[asyncio.Future[None]] = field(default_factory=set)
    eval_seconds: float = 0.0

    def next_version(self) -> str:
        self.seq += 1
        return str(self.seq)

    def record(self, version: str, states: dict[Ref, FilterState]) -> None:
        self.versions[version] = states
        while len(self.versions) > KEEP_VERSIONS:
            self.versions.popitem(last=False)

    def add_token(self, objects: list[Any], page: int) -> str:
        token = str(self.token_seq)
        self.token_seq += 1
        self.tokens[token] = (objects, page)
        while len(self.tokens) > MAX_TOKENS:
            self.tokens.popitem(last=False)
        return token

    def cancel_waits(self) -> None:
        """End every WaitForUpdatesEx in progress on this state with RequestCanceled."""
        for waiter in self.waits:
            if not waiter.done():
                waiter.set_result(None)

    def live_filters(self, ctx: Context) -> list[tuple[SimObject, Filter]]:
        out = []
        keep = []
        for ref in self.filters:
            obj = ctx.model.get(ref)
            if obj is None:
                continue
            keep.append(ref)
            out.append((obj, obj.data[FILTER]))
        self.filters = keep
        return out


def session_ref(ctx: Context, type_name: str) -> Ref:
    """A new moref for a session-scoped object, spelled as vCenter does:
    ``session[<session key>]<uuid>``."""
    import uuid

    assert ctx.session is not None
    return Ref(type_name, f"session[{ctx.session.key}]{uuid.uuid4()}")


def state_of(ctx: Context, collector: SimObject, *, create: bool = True
             ) -> CollectorState | None:
    """The caller's state of ``collector`` (``None`` if there is none and not ``create``)."""
    if collector.owner is not None:
        state: CollectorState | None = collector.data.get(_OWN)
        if state is None and create:
            state = collector.data[_OWN] = CollectorState()
        return state
    session = ctx.session
    if session is None:
        return None
    states: dict[str, CollectorState] = collector.data.setdefault(_SHARED, {})
    state = states.get(session.key)
    if (state is None and create) or len(states) > len(ctx.sim.sessions):
        # Drop the states of ended sessions (their filters went with them).
        alive = {s.key for s in ctx.sim.sessions.values()}
        for key in [k for k in states if k not in alive]:
            states.pop(key).cancel_waits()
    if state is None and create:
        state = states[session.key] = CollectorState()
    return state


# ---------------------------------------------------------------------------- reading
def read_object(ctx: Context, obj: SimObject, paths: dict[str, PropPath]) -> ObjState:
    """Read ``paths`` of ``obj``: set values, and faults of dynamic properties that could
    not be read (``missingSet``)."""
    values: dict[str, Any] = {}
    missing: dict[str, SimFault] = {}
    for text, path in paths.items():
        try:
            value = path.read(ctx, obj)
        except SimFault as exc:
            missing[text] = exc
            continue
        if value is not UNSET and value is not INDIRECT:
            values[text] = value
    return values, missing


def evaluate(ctx: Context, flt: Filter) -> FilterState:
    """What ``flt`` selects now."""
    spec = flt.compiled
    missing: list[Ref] = []
    objects: dict[Ref, ObjState] = {}
    for ref, obj in spec.select(ctx, missing).items():
        found = spec.paths_for(obj.type)
        if found is not None:
            objects[ref] = read_object(ctx, obj, found[1])
    return FilterState(objects, frozenset(missing) if spec.report_missing else frozenset())


# ---------------------------------------------------------------------------- diffs
def _localized(exc: SimFault) -> Any:
    from aiovsphere.vim import types as t

    return t.LocalizedMethodFault(fault=exc.fault, localizedMessage=exc.message)


def missing_props(missing: dict[str, SimFault]) -> tuple[Any, ...]:
    from aiovsphere.vim import types as t

    return tuple(t.MissingProperty(path=path, fault=_localized(exc))
                 for path, exc in missing.items())


def _same(old: Any, new: Any) -> bool:
    """Whether the client would see no change: equal values (a ``str`` enum member equals
    its plain string, data objects compare by class and fields)."""
    return old is new or bool(old == new)


def diff(ctx: Context, flt: Filter, base: FilterState | None, cur: FilterState
         ) -> tuple[list[Any], list[Any]]:
    """``(ObjectUpdates, MissingObjects)`` taking what ``flt`` reported as ``base`` (None:
    nothing yet) to ``cur``."""
    from aiovsphere.vim import types as t

    spec = flt.compiled
    updates: list[Any] = []
    old_objects = base.objects if base is not None else {}
    for ref, (values, missing) in cur.objects.items():
        found = spec.paths_for(ref.type)
        assert found is not None
        paths = found[1]
        old = old_objects.get(ref)
        if old is None:
            changes = [t.PropertyChange(name=text, op="assign", val=wire(value, paths[text]))
                       for text, value in values.items()]
            updates.append(t.ObjectUpdate(kind="enter", obj=ref, changeSet=tuple(changes),
                                          missingSet=missing_props(missing)))
            continue
        old_values, old_missing = old
        changes = []
        for text, path in paths.items():
            if text in missing:
                continue  # reported in missingSet below
            before = old_values.get(text, UNSET)
            after = values.get(text, UNSET)
            was_missing = text in old_missing
            if not was_missing and (before is after or (
                    before is not UNSET and after is not UNSET and _same(before, after))):
                continue
            if after is UNSET:
                changes.append(_unset_change(ctx, ref, path))
            elif flt.partial and before is not UNSET and not was_missing:
                _partial(changes, text, path, before, after)
            else:
                changes.append(t.PropertyChange(name=text, op="assign", val=wire(after, path)))
        new_missing = {p: e for p, e in missing.items() if p not in old_missing
                       or type(old_missing[p].fault) is not type(e.fault)}
        if changes or new_missing:
            updates.append(t.ObjectUpdate(kind="modify", obj=ref, changeSet=tuple(changes),
                                          missingSet=missing_props(new_missing)))
        else:
            # Unchanged: keep what was reported (the versions kept share it; fewer objects
            # stay alive, and the next comparison starts with an identity check).
            cur.objects[ref] = old
    for ref in old_objects:
        if ref not in cur.objects:
            updates.append(t.ObjectUpdate(kind="leave", obj=ref))
    reported = base.missing if base is not None else frozenset()
    gone = [t.MissingObject(obj=ref, fault=_localized(fault("ManagedObjectNotFound", obj=ref)))
            for ref in cur.missing if ref not in reported and ref not in old_objects]
    return updates, gone


def _unset_change(ctx: Context, ref: Ref, path: PropPath) -> Any:
    """A path that became unset: ``indirectRemove`` when a property containing it is unset,
    else ``assign`` with no value."""
    from aiovsphere.vim import types as t

    obj = ctx.model.get(ref)
    indirect = False
    if obj is not None and path.rest:
        try:
            indirect = path.read(ctx, obj) is INDIRECT
        except SimFault:
            indirect = False
    return t.PropertyChange(name=path.text, op="indirectRemove" if indirect else "assign")


def _partial(out: list[Any], name: str, info: Any, before: Any, after: Any) -> None:
    """The changes taking ``before`` to ``after`` as nested paths (partialUpdates): inside
    data objects of one class field by field, inside arrays of keyed data objects element by
    element (``add``/``remove``/changes of ``name[key]``); else the whole value."""
    from aiovsphere.vim import types as t

    if info.kind == "data" and info.array and _keyed(before) and _keyed(after):
        old = {key_text(item.key): item for item in before}
        new = {key_text(item.key): item for item in after}
        element = _Item(info.type)
        for key, item in new.items():
            prior = old.get(key)
            if prior is None:
                out.append(t.PropertyChange(name=name + key, op="add", val=item))
            elif not _same(prior, item):
                _partial(out, name + key, element, prior, item)
        for key in old:
            if key not in new:
                out.append(t.PropertyChange(name=name + key, op="remove"))
        return
    if (info.kind == "data" and not info.array and isinstance(before, DataObject)
            and type(before) is type(after)):
        try:
            fields = schema().data(type(after).__name__).all
        except KeyError:
            fields = ()
        if fields:
            for f in fields:
                b = getattr(before, f.attr, None)
                a = getattr(after, f.attr, None)
                if b is a or _same(b, a):
                    continue
                sub = f"{name}.{f.name}"
                if a is None or (f.array and not a):
                    out.append(t.PropertyChange(name=sub, op="assign"))
                elif b is None or (f.array and not b):
                    out.append(t.PropertyChange(name=sub, op="assign", val=wire(a, f)))
                else:
                    _partial(out, sub, f, b, a)
            return
    out.append(t.PropertyChange(name=name, op="assign", val=wire(after, info)))


@dataclass(frozen=True, slots=True)
class _Item:
    """One element of an array of data objects, as a PropInfo-like ``info``."""

    type: str
    kind: str = "data"
    array: bool = False


def _keyed(items: Any) -> bool:
    """Every element is a data object with a distinct, non-moref ``key`` (vacuously true
    for an empty array: its first elements come as ``add``)."""
    if not isinstance(items, tuple):
        return False
    keys = set()
    for item in items:
        key = getattr(item, "key", None)
        if not isinstance(item, DataObject) or key is None or isinstance(key, Ref):
            return False
        keys.add(key_text(key))
    return len(keys) == len(items)


# ---------------------------------------------------------------------------- update sets
def compute(ctx: Context, state: CollectorState, base: dict[Ref, FilterState]
            ) -> tuple[dict[Ref, FilterState], list[tuple[Ref, Any]]]:
    """Evaluate every filter of ``state``: the new states and the ``(filter, ObjectUpdate
    or MissingObject)`` entries since ``base``."""
    started = time.perf_counter()
    states: dict[Ref, FilterState] = {}
    entries: list[tuple[Ref, Any]] = []
    for filter_obj, flt in state.live_filters(ctx):
        cur = evaluate(ctx, flt)
        states[filter_obj.ref] = cur
        updates, gone = diff(ctx, flt, base.get(filter_obj.ref), cur)
        entries.extend((filter_obj.ref, m) for m in gone)
        entries.extend((filter_obj.ref, u) for u in updates)
    state.eval_seconds = time.perf_counter() - started
    return states, entries


def update_set(version: str, entries: list[tuple[Ref, Any]], truncated: bool) -> Any:
    """An UpdateSet of ``entries`` grouped by filter (in order of first appearance)."""
    from aiovsphere.vim import types as t

    grouped: dict[Ref, tuple[list[Any], list[Any]]] = {}
    for ref, entry in entries:
        objects, missing = grouped.setdefault(ref, ([], []))
        (missing if isinstance(entry, t.MissingObject) else objects).append(entry)
    return t.UpdateSet(
        version=version, truncated=True if truncated else None,
        filterSet=tuple(t.PropertyFilterUpdate(filter=ref, objectSet=tuple(objects),
                                               missingSet=tuple(missing))
                        for ref, (objects, missing) in grouped.items()))


def _split(entries: list[tuple[Ref, Any]], cap: int | None
           ) -> tuple[list[tuple[Ref, Any]], list[tuple[Ref, Any]]]:
    """The first part (``cap`` ObjectUpdates; MissingObjects do not count) and the rest."""
    if cap is None:
        return entries, []
    from aiovsphere.vim import types as t

    count = 0
    for i, (_ref, entry) in enumerate(entries):
        if isinstance(entry, t.MissingObject):
            continue
        if count == cap:
            return entries[:i], entries[i:]
        count += 1
    return entries, []


def answer(state: CollectorState, states: dict[Ref, FilterState],
           entries: list[tuple[Ref, Any]], cap: int | None) -> Any:
    """The UpdateSet for ``entries`` (recording the new version), truncated at ``cap``."""
    final = state.next_version()
    first, rest = _split(entries, cap)
    if not rest:
        state.record(final, states)
        return update_set(final, first, False)
    token = state.next_version()
    state.pending = _Pending(token, rest, final, states)
    return update_set(token, first, True)


def continue_pending(state: CollectorState, cap: int | None) -> Any:
    """The next part of a truncated answer (the caller passed ``state.pending.token``)."""
    pending = state.pending
    assert pending is not None
    first, rest = _split(pending.rest, cap)
    if not rest:
        state.pending = None
        state.record(pending.final, pending.states)
        return update_set(pending.final, first, False)
    pending.token = state.next_version()
    pending.rest = rest
    return update_set(pending.token, first, True)


async def wait_for_updates(ctx: Context, collector: SimObject, version: str | None,
                           max_wait: float | None, cap: int | None, *,
                           truncated_ok: bool = True) -> Any:
    """WaitForUpdatesEx on ``collector`` for the caller's session: the UpdateSet since
    ``version`` ("" or ``None``: everything, at once), or ``None`` when nothing changed
    within ``max_wait`` seconds (``0``: check once; ``None``: wait until something
    changes). Raises InvalidCollectorVersion, RequestCanceled (CancelWaitForUpdates, the
    collector destroyed), NotAuthenticated (the session ended while waiting)."""
    state = state_of(ctx, collector)
    assert state is not None and ctx.session is not None
    version = version or ""
    pending = state.pending
    if pending is not None and version == pending.token:
        if not truncated_ok:
            raise fault("InvalidCollectorVersion", "The collector version is not valid.")
        return continue_pending(state, cap)
    state.pending = None  # a new calculation discards a suspended one (as vCenter may)
    if version == "":
        base: dict[Ref, FilterState] = {}
    elif version in state.versions:
        base = state.versions[version]
    else:
        raise fault("InvalidCollectorVersion", "The collector version is not valid.")
    loop = asyncio.get_running_loop()
    deadline = None if max_wait is None else loop.time() + max_wait
    cancelled: asyncio.Future[None] = loop.create_future()
    state.waits.add(cancelled)
    session = ctx.session
    model = ctx.model
    try:
        while True:
            seen = model.version
            states, entries = compute(ctx, state, base)
            if entries or version == "":
                return answer(state, states, entries, cap)
            while True:  # until the model changes (or the wait ends)
                left = None if deadline is None else deadline - loop.time()
                if left is not None and left <= 0:
                    return None
                step = 1.0 if left is None else min(left, 1.0)
                changed = asyncio.ensure_future(model.wait_changed(seen, step))
                try:
                    await asyncio.wait((changed, cancelled),
                                       return_when=asyncio.FIRST_COMPLETED)
                finally:
                    changed.cancel()
                if cancelled.done():
                    raise fault("RequestCanceled", "The request was canceled by the user.")
                if ctx.sim.sessions.get(session.cookie) is not session:
                    raise fault("NotAuthenticated", object=collector.ref,
                                privilegeId="System.View")
                if model.version > seen:
                    break
            # Let a burst of changes settle: at most as long as the last evaluation took
            # (so a big filter costs at most about half the loop), never long.
            pause = min(state.eval_seconds, 0.05)
            if pause > 0.0005:
                await asyncio.sleep(pause)
    finally:
        state.waits.discard(cancelled)
