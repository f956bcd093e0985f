"""PropertyCollector, watch streams, InventoryCache and task waits against FakeVC.

What vcsim 0.24 cannot show is shown here with scripted WaitForUpdatesEx answers: its
version is always ``"-"``, it never truncates (ignores ``maxObjectUpdates``), never sends
``add``/``remove``/``indirectRemove`` or indexed paths (it ignores ``partialUpdates``),
never answers InvalidCollectorVersion, and its tasks finish too fast to time out. The
exact request sequence (and each request's parameters) is asserted on the fake too.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

import aiovsphere
from aiovsphere import Client, ManagedObjectReference, faults
from aiovsphere.transport.mock import MockResponse
from aiovsphere.vim import types as t

from ._soap import Call, FakeVC, V, fault, ok

VIEW = ManagedObjectReference("ContainerView", "session[52f1]52a0-view-1")


def vm(n: int) -> ManagedObjectReference:
    return ManagedObjectReference("VirtualMachine", f"vm-{n}")


# ---------------------------------------------------------------------------- XML pieces
def change(name: str, op: str = "assign", val: str | None = None,
           xsi: str = "xsd:string") -> str:
    value = "" if val is None else f'<val xsi:type="{xsi}">{val}</val>'
    return f"<changeSet><name>{name}</name><op>{op}</op>{value}</changeSet>"


def obj_update(kind: str, obj: ManagedObjectReference, *changes: str, missing: str = "") -> str:
    return (f'<objectSet><kind>{kind}</kind><obj type="{obj.type}">{obj.value}</obj>'
            f'{"".join(changes)}{missing}</objectSet>')


def power(obj: ManagedObjectReference, state: str, kind: str = "modify",
          name: str | None = None) -> str:
    changes = [change("runtime.powerState", val=state, xsi="VirtualMachinePowerState")]
    if name is not None:
        changes.insert(0, change("name", val=name))
    return obj_update(kind, obj, *changes)


def update_set(version: str, *objects: str, truncated: bool = False,
               filter_value: str = "filter-1", missing: str = "") -> str:
    return (f"<returnval><version>{version}</version><filterSet>"
            f'<filter type="PropertyFilter">{filter_value}</filter>{"".join(objects)}'
            f"{missing}</filterSet><truncated>{str(truncated).lower()}</truncated></returnval>")


def not_found_xml(obj: ManagedObjectReference) -> str:
    return (f'<fault><fault xsi:type="ManagedObjectNotFound"><obj type="{obj.type}">'
            f"{obj.value}</obj></fault><localizedMessage>The object has already been "
            "deleted or has not been completely created</localizedMessage></fault>")


def e1000(key: int, summary: str = "VM Network") -> str:
    return (f"<key>{key}</key><deviceInfo><label>Network adapter {key}</label>"
            f"<summary>{summary}</summary></deviceInfo>")


# ---------------------------------------------------------------------------- the fake PC
@dataclass
class Collectors:
    """The PropertyCollector methods on FakeVC, with scripted WaitForUpdatesEx answers.

    ``script`` holds the next answers, in order: a returnval string (an UpdateSet),
    ``None`` (the wait ended with no change) or a MockResponse (a fault). With the script
    empty a wait blocks until CancelWaitForUpdates (RequestCanceled) or DestroyPropertyCollector;
    ``honour_wait`` makes it end after ``min(maxWaitSeconds, wait_cap)`` with no change.
    ``waits`` records every WaitForUpdatesEx: (collector, version, maxWaitSeconds,
    maxObjectUpdates, loop time sent).
    """

    fake: FakeVC
    script: list[str | MockResponse | None] = field(default_factory=list)
    live: set[str] = field(default_factory=set)
    filters: dict[str, str] = field(default_factory=dict)  # filter -> collector
    waits: list[tuple[str, str, int | None, int | None, float]] = field(default_factory=list)
    honour_wait: bool = False
    wait_cap: float = 3600.0
    _n: int = 0
    _more: asyncio.Event = field(default_factory=asyncio.Event)
    _cancels: dict[str, asyncio.Event] = field(default_factory=dict)

    def __post_init__(self) -> None:
        on = self.fake.on
        on["CreatePropertyCollector"] = self._create_collector
        on["CreateFilter"] = self._create_filter
        on["DestroyPropertyFilter"] = self._destroy_filter
        on["DestroyPropertyCollector"] = self._destroy_collector
        on["CancelWaitForUpdates"] = self._cancel
        on["WaitForUpdatesEx"] = self._wait
        on["CancelTask"] = lambda call: ok("CancelTask")

    def push(self, *answers: str | MockResponse | None) -> None:
        self.script.extend(answers)
        self._more.set()

    def _next_ref(self, prefix: str) -> str:
        self._n += 1
        return f"session[52f1]{prefix}-{self._n}"

    def _create_collector(self, call: Call) -> MockResponse:
        ref = self._next_ref("pc")
        self.live.add(ref)
        return ok("CreatePropertyCollector", f'<returnval type="PropertyCollector">{ref}'
                  "</returnval>")

    def _create_filter(self, call: Call) -> MockResponse:
        this = call.text("_this") or ""
        if this not in self.live:
            return fault("ManagedObjectNotFound", "gone",
                         f'<obj type="PropertyCollector">{this}</obj>')
        ref = self._next_ref("filter")
        self.filters[ref] = this
        return ok("CreateFilter", f'<returnval type="PropertyFilter">{ref}</returnval>')

    def _destroy_filter(self, call: Call) -> MockResponse:
        self.filters.pop(call.text("_this") or "", None)
        return ok("DestroyPropertyFilter")

    def _destroy_collector(self, call: Call) -> MockResponse:
        this = call.text("_this") or ""
        self.live.discard(this)
        self.filters = {f: c for f, c in self.filters.items() if c != this}
        self._cancels.pop(this, asyncio.Event()).set()
        return ok("DestroyPropertyCollector")

    def _cancel(self, call: Call) -> MockResponse:
        self._cancels.pop(call.text("_this") or "", asyncio.Event()).set()
        return ok("CancelWaitForUpdates")

    async def _wait(self, call: Call) -> MockResponse:
        this = call.text("_this") or ""
        max_wait = call.text("options/" + V + "maxWaitSeconds")
        max_updates = call.text("options/" + V + "maxObjectUpdates")
        self.waits.append((this, call.text("version") or "",
                           None if max_wait is None else int(max_wait),
                           None if max_updates is None else int(max_updates),
                           asyncio.get_running_loop().time()))
        if this not in self.live:
            return fault("ManagedObjectNotFound", "gone",
                         f'<obj type="PropertyCollector">{this}</obj>')
        cancelled = self._cancels[this] = asyncio.Event()
        limit = min(float(max_wait or 0), self.wait_cap) if self.honour_wait else None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit):
                while not self.script:
                    self._more.clear()
                    more = asyncio.ensure_future(self._more.wait())
                    stop = asyncio.ensure_future(cancelled.wait())
                    try:
                        await asyncio.wait([more, stop], return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        more.cancel()
                        stop.cancel()
                    if cancelled.is_set():
                        return fault("RequestCanceled", "The task was canceled by a user.")
        if not self.script:
            return ok("WaitForUpdatesEx")  # maxWaitSeconds passed: no change
        answer = self.script.pop(0)
        if isinstance(answer, MockResponse):
            return answer
        return ok("WaitForUpdatesEx", answer or "")


@pytest.fixture
def pcs(fake: FakeVC) -> Collectors:
    fake.on["CreateContainerView"] = lambda call: ok(
        "CreateContainerView", f'<returnval type="ContainerView">{VIEW.value}</returnval>')
    return Collectors(fake)


def calls_since(fake: FakeVC, start: int, *methods: str) -> list[Call]:
    return [c for c in fake.calls[start:] if not methods or c.method in methods]


def spec_for(objs: Sequence[ManagedObjectReference]) -> Any:
    return aiovsphere.filter_spec(list(objs), ["name", "runtime.powerState"])


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


# ---------------------------------------------------------------------------- collector
async def test_invalid_collector_version_recreates_the_filter_from_version_empty(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    pcs.push(update_set("1", power(vm(1), "poweredOn", "enter", "a"),
                        power(vm(2), "poweredOn", "enter", "b")),
             fault("InvalidCollectorVersion", "The collector version is invalid."),
             update_set("1", power(vm(1), "poweredOff", "enter", "a")))
    start = len(fake.calls)
    async with contextlib.aclosing(aiovsphere.watch_batches(
            client, [vm(1), vm(2)], ["name", "runtime.powerState"])) as batches:
        first = await anext(batches)
        second = await anext(batches)
    assert (first.reset, first.version) == (True, "1")
    assert [(c.kind, c.obj) for c in first.changes] == [("enter", vm(1)), ("enter", vm(2))]
    # Rebuilt: a full state again; vm-1 seen before comes as modify, vm-2 left meanwhile.
    assert (second.reset, second.version) == (True, "1")
    assert [(c.kind, c.obj) for c in second.changes] == [("modify", vm(1)), ("leave", vm(2))]
    assert second.changes[0].changes[1].val == "poweredOff"
    calls = calls_since(fake, start)
    assert [c.method for c in calls] == [
        "CreatePropertyCollector", "CreateFilter",
        "WaitForUpdatesEx", "WaitForUpdatesEx",
        "DestroyPropertyFilter", "CreateFilter", "WaitForUpdatesEx",  # the rebuild
        "DestroyPropertyFilter", "DestroyPropertyCollector",  # the exit (no wait pending)
    ]
    waits = [c.text("version") for c in calls if c.method == "WaitForUpdatesEx"]
    assert waits == ["", "1", ""]
    collector = calls[0]
    assert {c.text("_this") for c in calls[1:] if c.method != "DestroyPropertyFilter"} == {
        "session[52f1]pc-1"}  # the same collector throughout: only its filter was re-made
    assert [c.text("_this") for c in calls if c.method == "DestroyPropertyFilter"] == [
        "session[52f1]filter-2", "session[52f1]filter-3"]
    assert collector.method == "CreatePropertyCollector"
    assert pcs.live == set() and pcs.filters == {}


@pytest.mark.parametrize("how", ["break", "exception", "cancel", "deadline"])
async def test_every_exit_destroys_filter_and_collector(
        fake: FakeVC, client: Client, pcs: Collectors, how: str) -> None:
    pcs.push(update_set("1", power(vm(1), "poweredOn", "enter", "a")))
    start = len(fake.calls)
    entered_second_wait = asyncio.Event()

    async def consume() -> None:
        async for change in aiovsphere.watch(client, [vm(1)], ["name", "runtime.powerState"]):
            assert change.kind == "enter"
            if how == "break":
                break
            if how == "exception":
                raise LookupError("consumer failed")
            entered_second_wait.set()  # the next wait blocks: nothing is scripted

    if how == "break":
        # watch() closes the collector's stream as the generator is finalized: make it now.
        async with contextlib.aclosing(aiovsphere.watch(
                client, [vm(1)], ["name", "runtime.powerState"])) as changes:
            async for change in changes:
                assert change.kind == "enter"
                break
    elif how == "exception":
        with pytest.raises(LookupError):
            await consume()
    elif how == "cancel":
        task = asyncio.create_task(consume())
        await entered_second_wait.wait()
        await fake.wait_for("WaitForUpdatesEx", 2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        with pytest.raises(TimeoutError):
            async with aiovsphere.timeout(0.3):
                await consume()
    # A plain `async for` left by an exception is closed by asyncio's async-generator
    # finalizer: soon, not at once.
    await fake.wait_for("DestroyPropertyCollector")
    await _settle()
    methods = [c.method for c in calls_since(fake, start)]
    interrupted = how in ("cancel", "deadline")
    expected_tail = (["CancelWaitForUpdates"] if interrupted else []) + [
        "DestroyPropertyFilter", "DestroyPropertyCollector"]
    assert methods[-len(expected_tail):] == expected_tail
    assert methods.count("CancelWaitForUpdates") == (1 if interrupted else 0)
    assert methods.count("DestroyPropertyFilter") == 1
    assert methods.count("DestroyPropertyCollector") == 1
    assert methods.count("CreatePropertyCollector") == 1
    assert methods.count("WaitForUpdatesEx") == (1 if how in ("break", "exception") else 2)
    assert pcs.live == set() and pcs.filters == {}  # nothing left on the server


async def test_max_wait_seconds_never_exceeds_the_remaining_deadline(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    """Each WaitForUpdatesEx asks the server to wait at most the whole seconds left of the
    caller's deadline (measured when the request reaches the fake); in the last second
    it checks once and pauses instead of busy-looping."""
    pcs.honour_wait = True
    pcs.wait_cap = 0.2  # the fake answers "no change" sooner, to keep the test short
    pcs.push(update_set("1", power(vm(1), "poweredOn", "enter", "a")))
    loop = asyncio.get_running_loop()
    async with aiovsphere.PropertyCollector(client) as pc:
        await pc.create_filter(spec_for([vm(1)]))
        first = await pc.wait_for_updates()
        assert first is not None and first.reset and first.version == "1"
        assert pcs.waits[-1][2] == 60  # no deadline: the default bound
        assert await pc.wait_for_updates(max_wait_seconds=0.2) is None
        assert pcs.waits[-1][2] == 1  # the caller's own bound, in whole seconds (up)
        async with aiovsphere.timeout(30):
            assert await pc.wait_for_updates(max_wait_seconds=5) is None
        assert pcs.waits[-1][2] == 5  # a far deadline does not lower the caller's bound
        before = len(pcs.waits)
        deadline = loop.time() + 1.1
        with pytest.raises(TimeoutError):
            async with aiovsphere.timeout(1.1):
                async for _updates in pc.updates():
                    raise AssertionError("no change was scripted")
    bounded = pcs.waits[before:]
    assert [w[1] for w in bounded] == ["1"] * len(bounded)  # the version is passed along
    for _pc, _version, max_wait, _max_updates, sent in bounded:
        assert max_wait is not None and 0 <= max_wait <= deadline - sent
    assert bounded[0][2] == 1  # floor(1.1): never rounded up past the deadline
    assert bounded[-1][2] == 0  # the last second: "check once"
    # The last second is not a busy loop of maxWaitSeconds=0 round trips.
    assert sum(1 for w in bounded if w[2] == 0) <= 8


async def test_a_second_concurrent_wait_is_refused(fake: FakeVC, client: Client,
                                                   pcs: Collectors) -> None:
    async with client.property_collector() as pc:
        await pc.create_filter(spec_for([vm(1)]))
        first = asyncio.create_task(pc.wait_for_updates())
        await fake.wait_for("WaitForUpdatesEx")
        with pytest.raises(aiovsphere.CollectorInUseError):
            await pc.wait_for_updates()
        pcs.push(update_set("4", power(vm(1), "poweredOff", "enter", "a")))
        updates = await first
        assert updates is not None and updates.version == "4" and updates.reset
        (obj,) = updates.update_set.filterSet[0].objectSet
        assert obj.obj == vm(1) and obj.changeSet[1].val == "poweredOff"
        assert fake.count("WaitForUpdatesEx") == 1  # the refused wait sent nothing
        # The collector is usable again once the first wait is over.
        pcs.push(update_set("5", power(vm(1), "poweredOn")))
        again = await pc.wait_for_updates()
        assert again is not None and again.version == "5" and not again.reset
    assert fake.count("CancelWaitForUpdates") == 0  # no wait was interrupted


async def test_adding_a_filter_later_does_not_make_the_next_answer_a_reset(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    pcs.push(update_set("1", power(vm(1), "poweredOn", "enter", "a")),
             update_set("2", power(vm(2), "poweredOn", "enter", "b"),
                        filter_value="session[52f1]filter-3"))
    async with aiovsphere.PropertyCollector(client) as pc:
        await pc.create_filter(spec_for([vm(1)]))
        first = await pc.wait_for_updates()
        await pc.create_filter(spec_for([vm(2)]))
        second = await pc.wait_for_updates()
    assert first is not None and first.reset
    # A delta holding the new filter's objects, not a full state of both filters.
    assert second is not None and not second.reset and second.version == "2"


# ---------------------------------------------------------------------------- watch
async def test_ops_and_indexed_paths_decode_into_object_changes(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    devices = (f'<val xsi:type="ArrayOfVirtualDevice">'
               f'<VirtualDevice xsi:type="VirtualE1000">{e1000(4000)}</VirtualDevice>'
               f'<VirtualDevice xsi:type="VirtualE1000">{e1000(4002)}</VirtualDevice></val>')
    pcs.push(
        update_set("1", obj_update(
            "enter", vm(1),
            f"<changeSet><name>config.hardware.device</name><op>assign</op>{devices}"
            "</changeSet>",
            change("summary.guest.ipAddress", val="10.0.0.7"))),
        update_set("2", obj_update(
            "modify", vm(1),
            change("config.hardware.device[4000]", "remove"),
            change("config.hardware.device[4001]", "add", e1000(4001), "VirtualE1000"),
            change("config.hardware.device[4002].deviceInfo.summary", "assign", "Other"),
            change("summary.guest.ipAddress", "indirectRemove"))),
    )
    start = len(fake.calls)
    async with contextlib.aclosing(aiovsphere.watch(
            client, [vm(1)], ["config.hardware.device", "summary.guest.ipAddress"],
            partial_updates=True)) as changes:
        entered = await anext(changes)
        modified = await anext(changes)
    (create,) = calls_since(fake, start, "CreateFilter")
    assert create.text("partialUpdates") == "true"
    assert entered.kind == "enter" and entered.obj == vm(1)
    assert modified.kind == "modify" and modified.obj == vm(1) and modified.missing == {}
    assert [(c.name, c.op) for c in modified.changes] == [
        ("config.hardware.device[4000]", "remove"),
        ("config.hardware.device[4001]", "add"),
        ("config.hardware.device[4002].deviceInfo.summary", "assign"),
        ("summary.guest.ipAddress", "indirectRemove"),
    ]
    removed, added, summary, gone = modified.changes
    assert removed.val is None and gone.val is None
    assert isinstance(added.val, t.VirtualE1000) and added.val.key == 4001
    assert summary.val == "Other"
    # Applied in order to the record the enter built.
    props: dict[str, Any] = {}
    for c in (*entered.changes, *modified.changes):
        aiovsphere.apply_change(props, c.name, c.op, c.val)
    record = aiovsphere.ObjectRecord(vm(1), props)
    assert [d.key for d in record.config.hardware.device] == [4002, 4001]
    assert record.config.hardware.device[0].deviceInfo.summary == "Other"
    assert record["summary.guest.ipAddress"] is None  # removed: unset, as in a retrieve


async def test_truncated_answers_are_continued_with_the_version_passed_along(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    pcs.push(update_set("1", power(vm(1), "poweredOn", "enter", "a"), truncated=True),
             update_set("2", power(vm(2), "poweredOn", "enter", "b")),
             update_set("3", power(vm(1), "poweredOff"), truncated=True),
             update_set("4", power(vm(2), "poweredOff")))
    batches = []
    async with contextlib.aclosing(aiovsphere.watch_batches(
            client, [vm(1), vm(2)], ["name", "runtime.powerState"],
            max_object_updates=1)) as stream:
        async for batch in stream:
            batches.append(batch)
            if len(batches) == 4:
                break
    assert [(b.version, b.truncated, b.reset) for b in batches] == [
        ("1", True, True), ("2", False, True), ("3", True, False), ("4", False, False)]
    assert [[(c.kind, c.obj) for c in b.changes] for b in batches] == [
        [("enter", vm(1))], [("enter", vm(2))], [("modify", vm(1))], [("modify", vm(2))]]
    assert [(w[1], w[3]) for w in pcs.waits] == [
        ("", 1), ("1", 1), ("2", 1), ("3", 1)]


async def test_missing_listed_objects_leave(fake: FakeVC, client: Client,
                                            pcs: Collectors) -> None:
    """A moref-list watch asks the server to report missing objects rather than fail
    CreateFilter; a missing object comes out as a leave with its fault."""
    missing = f'<missingSet><obj type="VirtualMachine">vm-2</obj>{not_found_xml(vm(2))}' \
              "</missingSet>"
    pcs.push(update_set("1", power(vm(1), "poweredOn", "enter", "a"), missing=missing))
    start = len(fake.calls)
    async with contextlib.aclosing(aiovsphere.watch_batches(
            client, [vm(1), vm(2)], ["name", "runtime.powerState"])) as batches:
        batch = await anext(batches)
    (create,) = calls_since(fake, start, "CreateFilter")
    assert create.text("spec/" + V + "reportMissingObjectsInResults") == "true"
    assert [(c.kind, c.obj) for c in batch.changes] == [("leave", vm(2)), ("enter", vm(1))]
    assert isinstance(batch.changes[0].missing[""], faults.ManagedObjectNotFound)


# ---------------------------------------------------------------------------- cache
async def test_cache_publishes_a_truncated_update_set_only_as_a_whole(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    vms = [vm(n) for n in range(1, 5)]
    pcs.push(update_set("1", *(power(v, "poweredOn", "enter", f"n{v.value}") for v in vms)))
    async with aiovsphere.InventoryCache(client, "VirtualMachine",
                                         ["name", "runtime.powerState"],
                                         max_object_updates=2) as cache:
        first = cache.snapshot()
        assert first.version == 1 and len(first) == 4
        assert first.server_version == "1"
        # The first half of one update set: two of the four VMs powered off.
        pcs.push(update_set("2", *(power(v, "poweredOff") for v in vms[:2]), truncated=True))
        # The cache continued at once (a third wait, from version "2") ...
        await fake.wait_for("WaitForUpdatesEx", 3)
        await _settle()
        assert pcs.waits[-1][1] == "2"
        # ... and while the rest has not come, readers still see the old whole state.
        assert cache.snapshot() is first
        assert [r.runtime.powerState for r in cache.snapshot().values()] == ["poweredOn"] * 4
        pcs.push(update_set("3", *(power(v, "poweredOff") for v in vms[2:])))
        second = await cache.wait_until(lambda s: s.version > 1, timeout=5)
        assert second.version == 2 and second.server_version == "3"  # one set, one step
        assert {r.runtime.powerState for r in second.values()} == {"poweredOff"}
        assert [r.runtime.powerState for r in first.values()] == ["poweredOn"] * 4
        assert all(w[3] == 2 for w in pcs.waits)  # maxObjectUpdates sent every time
    assert pcs.live == set() and fake.count("DestroyView") == 1


async def test_cache_error_ends_it_and_wait_until_raises(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    pcs.push(update_set("1", power(vm(1), "poweredOn", "enter", "a")))
    cache = aiovsphere.InventoryCache(client, "VirtualMachine", ["name", "runtime.powerState"])
    async with cache:
        first = cache.snapshot()
        pcs.push(fault("SystemError", "A general system error occurred: boom",
                       "<reason>boom</reason>"))
        with pytest.raises(faults.SystemError):
            await cache.wait_until(lambda s: False, timeout=5)
        assert isinstance(cache.error, faults.SystemError)
        assert cache.snapshot() is first  # the last snapshot stays readable
        with pytest.raises(faults.SystemError):
            await cache.wait_until(lambda s: s.version > 1)
        # Its server objects went with the task, before close().
        assert pcs.live == set() and fake.count("DestroyView") == 1
    assert cache.snapshot() is first
    assert fake.count("DestroyPropertyCollector") == 1


async def test_cache_wait_until_times_out(fake: FakeVC, client: Client,
                                          pcs: Collectors) -> None:
    pcs.push(update_set("1", power(vm(1), "poweredOn", "enter", "a")))
    async with aiovsphere.InventoryCache(client, "VirtualMachine", ["name"]) as cache:
        snap = await cache.wait_until(lambda s: vm(1) in s, timeout=1)
        assert snap is cache.snapshot() and snap.version == 1
        assert snap.timestamp.tzinfo is dt.UTC
        with pytest.raises(TimeoutError):
            await cache.wait_until(lambda s: vm(2) in s, timeout=0.1)
        assert cache.error is None  # a reader's timeout does not end the cache
    assert pcs.live == set()
    assert fake.count("CancelWaitForUpdates") == 1  # the close interrupted its wait


# ---------------------------------------------------------------------------- tasks
TASK_ROOT = ManagedObjectReference("Task", "task-1")


def task_info(task: str, state: str, *, progress: int | None = None,
              result: str = "", error: str = "") -> str:
    extra = f"<progress>{progress}</progress>" if progress is not None else ""
    return (f'<val xsi:type="TaskInfo"><key>{task}</key><task type="Task">{task}</task>'
            "<descriptionId>VirtualMachine.clone</descriptionId>"
            f"<state>{state}</state><cancelled>false</cancelled><cancelable>true</cancelable>"
            f"{error}{result}{extra}"
            '<reason xsi:type="TaskReasonUser"><userName>u</userName></reason>'
            "<queueTime>2024-05-01T10:00:00Z</queueTime><eventChainId>1</eventChainId>"
            "</val>")


def task_update(task: str, kind: str, info: str) -> str:
    return (f'<objectSet><kind>{kind}</kind><obj type="Task">{task}</obj>'
            f"<changeSet><name>info</name><op>assign</op>{info}</changeSet></objectSet>")


async def test_progress_callback_sees_each_new_percentage_then_100(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    pcs.push(update_set("1", task_update("task-1", "enter", task_info("task-1", "queued"))),
             *(update_set(str(v), task_update("task-1", "modify", task_info(
                 "task-1", "running", progress=p))) for v, p in
               ((2, 0), (3, 10), (4, 10), (5, 45), (6, 90))),
             update_set("7", task_update("task-1", "modify", task_info(
                 "task-1", "success", progress=90,
                 result='<result xsi:type="xsd:string">done</result>'))))
    seen: list[int] = []
    assert await aiovsphere.wait_for_task(client, TASK_ROOT, progress=seen.append) == "done"
    assert seen == [0, 10, 45, 90, 100]  # repeats dropped, 100 at success
    assert pcs.live == set()


@pytest.mark.parametrize("cancel_task", [True, False])
async def test_timeout_cancels_the_server_task_only_when_asked(
        fake: FakeVC, client: Client, pcs: Collectors, cancel_task: bool) -> None:
    pcs.push(update_set("1", task_update("task-1", "enter", task_info(
        "task-1", "running", progress=5))))
    with pytest.raises(TimeoutError):
        async with aiovsphere.timeout(0.2):
            await aiovsphere.wait_for_task(client, TASK_ROOT, cancel_task=cancel_task)
    cancels = [c.text("_this") for c in fake.calls if c.method == "CancelTask"]
    assert cancels == (["task-1"] if cancel_task else [])
    assert fake.count("CancelWaitForUpdates") == 1
    assert pcs.live == set() and pcs.filters == {}


async def test_a_thousand_tasks_through_one_collector_and_one_filter(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    """vcsim cannot make 1,000 tasks cheaply; the fake answers for them. Two answers:
    all running, then all done (task 500 failed), split into truncated parts."""
    n = 1000
    names = [f"task-{i}" for i in range(n)]
    pcs.push(update_set("1", *(task_update(k, "enter", task_info(k, "running"))
                               for k in names)))

    def done(k: str) -> str:
        if k == "task-500":
            return task_info(k, "error", error=(
                '<error><fault xsi:type="InvalidPowerState"><existingState>poweredOn'
                "</existingState></fault><localizedMessage>bad state</localizedMessage>"
                "</error>"))
        return task_info(k, "success", result=f'<result xsi:type="xsd:string">r-{k}</result>')

    for part in range(4):
        chunk = names[part * 250:(part + 1) * 250]
        pcs.push(update_set(str(part + 2), *(task_update(k, "modify", done(k))
                                             for k in chunk), truncated=part < 3))
    start = len(fake.calls)
    tasks = [ManagedObjectReference("Task", k) for k in names]
    outcomes = await aiovsphere.wait_for_tasks(client, tasks, return_exceptions=True)
    assert fake.methods[start:].count("CreatePropertyCollector") == 1
    (create,) = calls_since(fake, start, "CreateFilter")
    assert len(create.all_text("v:spec/v:objectSet/v:obj")) == n
    assert create.all_text("v:spec/v:propSet/v:pathSet") == ["info"]
    assert fake.methods[start:].count("WaitForUpdatesEx") == 5
    assert outcomes[:500] == [f"r-task-{i}" for i in range(500)]
    assert outcomes[501:] == [f"r-task-{i}" for i in range(501, n)]
    assert isinstance(outcomes[500], faults.InvalidPowerState)
    assert outcomes[500].task == tasks[500]
    assert pcs.live == set()
