"""Event streams against vcsim: typed history, filters, follow, collectors always destroyed.

All on this module's own vcsim (``private_vcsim``): the tests power VMs and post events.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere._events import event_filter, events
from aiovsphere._property import container_view
from aiovsphere.vim import types as t

Ref = aiovsphere.ManagedObjectReference


@pytest.fixture
async def client(private_vcsim: Any) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(private_vcsim.url, user="events", password="pw") as c:
        yield c


async def _vms(client: aiovsphere.Client) -> list[Ref]:
    async with container_view(client, ["VirtualMachine"]) as view:
        refs = (await client.get_properties(view, ["view"]))["view"]
    return sorted(refs, key=lambda r: int(r.value.split("-")[1]))


class _Recorder:
    """Wraps ``client.invoke``: records the collectors made, counts methods, and can stall
    or fail a method (``stall["ReadNextEvents"] = n`` stalls its n-th call an hour)."""

    def __init__(self, client: aiovsphere.Client) -> None:
        self.created: list[Ref] = []
        self.calls: dict[str, int] = {}
        self.stall: dict[str, int] = {}
        self.fail: dict[str, int] = {}
        self.stalled = asyncio.Event()
        self.after_create: asyncio.Event | None = None  # hold a creation's answer
        original = client.invoke

        async def invoke(ref, method, /, **kwargs):  # type: ignore[no-untyped-def]
            n = self.calls[method] = self.calls.get(method, 0) + 1
            if self.stall.get(method) == n:
                self.stalled.set()
                await asyncio.sleep(3600)
            if self.fail.get(method) == n:
                raise faults.SystemError(f"{method} failed (injected)")
            result = await original(ref, method, **kwargs)
            if method in ("CreateCollectorForEvents", "CreatePropertyCollector"):
                self.created.append(result)
                if self.after_create is not None:
                    self.stalled.set()
                    await self.after_create.wait()
            return result

        client.invoke = invoke  # type: ignore[method-assign]


async def _assert_gone(client: aiovsphere.Client, refs: list[Ref]) -> None:
    assert refs
    for ref in refs:
        with pytest.raises(faults.ManagedObjectNotFound):
            await client.get_properties(ref, ["filter"])


async def _post(client: aiovsphere.Client, message: str,
                vm: Ref | None = None) -> None:
    event = t.GeneralUserEvent(
        key=0, chainId=0, createdTime=datetime.now(UTC), userName="", message=message,
        vm=None if vm is None else t.VmEventArgument(name="", vm=vm))
    await client.invoke(client.service("eventManager"), "PostEvent", eventToPost=event)


async def _raw_history(client: aiovsphere.Client, spec: t.EventFilterSpec) -> list[t.Event]:
    """Every event the server holds for ``spec``, read without the SDK's stream."""
    collector = await client.invoke(client.service("eventManager"),
                                    "CreateCollectorForEvents", filter=spec)
    try:
        await client.invoke(collector, "SetCollectorPageSize", maxCount=1000)
        return list(await client.invoke(collector, "ReadNextEvents", maxCount=1000))
    finally:
        await client.invoke(collector, "DestroyCollector")


# ---------------------------------------------------------------------------- history
async def test_history_is_typed_and_chronological(client: aiovsphere.Client) -> None:
    vms = await _vms(client)
    raw = await _raw_history(client, t.EventFilterSpec())
    seen = [e async for e in events(client, page_size=1000)]
    keys = [e.key for e in seen]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)  # oldest first, once each
    assert set(keys) == {e.key for e in raw}  # all of it
    times = [e.createdTime for e in seen]
    assert times == sorted(times)
    # Typed: the inventory's creation, one VmCreatedEvent and one VmPoweredOnEvent per VM.
    assert type(seen[0]) is t.DatacenterCreatedEvent
    created = [e for e in seen if type(e) is t.VmCreatedEvent]
    assert sorted((e.vm.vm for e in created), key=lambda r: int(r.value.split("-")[1])) == vms
    powered = [e for e in seen if isinstance(e, t.VmPoweredOnEvent)]
    assert {e.vm.vm for e in powered} == set(vms)
    assert all(isinstance(e, t.VmEvent) and e.vm.name for e in powered)
    logins = [e for e in seen if isinstance(e, t.UserLoginSessionEvent)]
    assert any(e.userName == "events" for e in logins)


async def test_history_in_small_pages(client: aiovsphere.Client) -> None:
    # The stream's page size is also the collector's latestPage size; with a page of 10
    # vcsim's collector holds 10 events, each yielded once, in order.
    recorder = _Recorder(client)
    seen = [e.key async for e in events(client, page_size=10)]
    assert len(seen) == 10 and seen == sorted(seen)
    assert recorder.calls["ReadNextEvents"] == 2  # one page, then the empty end


async def test_filter_by_type(client: aiovsphere.Client) -> None:
    vms = await _vms(client)
    on = [e async for e in events(client, types=("VmPoweredOnEvent",), page_size=1000)]
    assert on and all(type(e) is t.VmPoweredOnEvent for e in on)
    assert {e.vm.vm for e in on} == set(vms)
    # A base type selects its subtypes; classes work as names.
    vm_events = [e async for e in events(client, types=[t.VmEvent], page_size=1000)]
    assert {type(e) for e in vm_events} >= {t.VmCreatedEvent, t.VmPoweredOnEvent,
                                            t.VmStartingEvent}
    assert all(isinstance(e, t.VmEvent) for e in vm_events)
    assert {e.key for e in on} < {e.key for e in vm_events}


async def test_filter_by_entity_raw_spec_and_keywords(client: aiovsphere.Client) -> None:
    vm = (await _vms(client))[3]
    by_keyword = [e async for e in events(client, entity=vm, recursion="self",
                                          page_size=1000)]
    assert by_keyword and all(e.vm is not None and e.vm.vm == vm for e in by_keyword)
    assert t.VmCreatedEvent in {type(e) for e in by_keyword}
    spec = t.EventFilterSpec(entity=t.EventFilterSpecByEntity(entity=vm, recursion="self"))
    by_spec = [e async for e in events(client, spec, page_size=1000)]
    assert [e.key for e in by_spec] == [e.key for e in by_keyword]
    assert spec == event_filter(client.mo(vm), recursion="self")
    # The whole inventory's events about VMs other than this one are not there.
    everything = [e async for e in events(client, page_size=1000)]
    assert len(by_keyword) < len(everything)


async def test_since_and_until_bound_the_history(client: aiovsphere.Client) -> None:
    everything = [e async for e in events(client, page_size=1000)]
    since = everything[len(everything) // 2].createdTime
    until = everything[-3].createdTime
    window = [e async for e in events(client, since=since, until=until, page_size=1000)]
    expected = [e.key for e in everything if since <= e.createdTime <= until]
    assert [e.key for e in window] == expected
    assert 0 < len(expected) < len(everything)
    # Naive datetimes are UTC.
    naive = [e async for e in events(client, since=since.replace(tzinfo=None),
                                     page_size=1000)]
    assert [e.key for e in naive] == [e.key for e in everything if e.createdTime >= since]


async def test_bad_arguments_fail_before_any_call(client: aiovsphere.Client) -> None:
    calls = client.stats.calls
    with pytest.raises(ValueError, match="page_size"):
        events(client, page_size=0)
    with pytest.raises(ValueError, match="page_size"):
        events(client, page_size=1001)
    with pytest.raises(ValueError, match="poll_interval"):
        events(client, follow=True, poll_interval=0)
    with pytest.raises(TypeError, match="not both"):
        events(client, t.EventFilterSpec(), types=("VmEvent",))
    with pytest.raises(TypeError, match="types"):
        events(client, types=(3,))  # type: ignore[arg-type]
    assert client.stats.calls == calls


# ---------------------------------------------------------------------------- follow
async def _until(condition: Any, what: str) -> None:
    """Wait (at most 10 s) until ``condition()``: a state other tasks change in lists and
    counters, so it is polled."""
    try:
        async with asyncio.timeout(10):
            while not condition():  # noqa: ASYNC110 (plain lists filled by another task)
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for: {what}") from None


async def test_follow_receives_events_caused_after_it_started(client: aiovsphere.Client
                                                              ) -> None:
    vm = (await _vms(client))[5]
    recorder = _Recorder(client)
    got: list[t.Event] = []

    async def consume() -> None:
        async with contextlib.aclosing(events(
                client, entity=vm, types=("VmPoweredOffEvent", "VmPoweredOnEvent"),
                follow=True)) as stream:
            async for event in stream:
                got.append(event)

    consumer = asyncio.create_task(consume())
    # Wait until the stream is past its history and waiting for changes.
    await _until(lambda: recorder.calls.get("WaitForUpdatesEx", 0) >= 2, "following")
    history = list(got)
    assert [type(e) for e in history] == [t.VmPoweredOnEvent]  # from the VM's creation
    mo = client.mo(vm)
    await aiovsphere.wait_for_task(client, await mo.PowerOffVM_Task())
    await _until(lambda: len(got) > len(history), "power off event")
    await aiovsphere.wait_for_task(client, await mo.PowerOnVM_Task())
    await _until(lambda: len(got) > len(history) + 1, "power on event")
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    new = got[len(history):]
    assert [type(e) for e in new] == [t.VmPoweredOffEvent, t.VmPoweredOnEvent]
    assert all(e.vm.vm == vm for e in new)
    assert new[0].key > history[-1].key and new[1].key > new[0].key
    # One EventHistoryCollector; the stream's PropertyCollector and wait_for_task's: all gone.
    assert [r.type for r in recorder.created].count("EventHistoryCollector") == 1
    await _assert_gone(client, recorder.created)


async def test_follow_yields_each_new_event_once_in_order(client: aiovsphere.Client) -> None:
    recorder = _Recorder(client)
    got: list[str] = []

    async def consume() -> None:
        async with contextlib.aclosing(events(client, types=("GeneralUserEvent",),
                                              follow=True)) as stream:
            async for event in stream:
                got.append(event.message)
                if event.message == "burst-4":
                    return

    consumer = asyncio.create_task(consume())
    await _until(lambda: recorder.calls.get("WaitForUpdatesEx", 0) >= 2, "following")
    before = list(got)  # earlier tests' posts, if any
    for i in range(5):
        await _post(client, f"burst-{i}")
    async with asyncio.timeout(10):
        await consumer
    assert got[len(before):] == [f"burst-{i}" for i in range(5)]
    await _assert_gone(client, recorder.created)


async def test_an_event_posted_while_the_history_is_read_comes_once(
        client: aiovsphere.Client) -> None:
    """Regression: an event that lands while the history is still being read is handed
    back again by vcsim's ReadNextEvents; it must be yielded once."""
    got: list[int] = []
    async with asyncio.timeout(20), contextlib.aclosing(
            events(client, types=("GeneralUserEvent",), follow=True)) as stream:
        posted = False
        async for event in stream:
            got.append(event.key)
            if not posted:
                posted = True
                await _post(client, "during-history")  # inside the loop, mid-history
            if event.message == "during-history":
                break
    assert len(got) == len(set(got)), got
    assert got == sorted(got)


async def test_follow_survives_a_relogin(private_vcsim: Any, client: aiovsphere.Client
                                         ) -> None:
    recorder = _Recorder(client)
    got: list[str] = []

    async def consume() -> None:
        async for event in events(client, types=("GeneralUserEvent",), follow=True,
                                  poll_interval=1):
            got.append(event.message)

    consumer = asyncio.create_task(consume())
    await _until(lambda: recorder.calls.get("WaitForUpdatesEx", 0) >= 2, "following")
    await _post(client, "before-relogin")
    await _until(lambda: "before-relogin" in got, "first event")
    assert client.session.user_session is not None
    async with aiovsphere.connect(private_vcsim.url, user="admin", password="pw") as admin:
        await admin.invoke(admin.content.sessionManager, "TerminateSession",
                           sessionId=(client.session.user_session.key,))
        await _post(admin, "after-relogin")
    await _until(lambda: "after-relogin" in got, "event after the re-login")
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert client.stats.relogins == 1
    assert got.count("before-relogin") == 1 and got.count("after-relogin") == 1
    assert got.index("after-relogin") > got.index("before-relogin")
    # New collectors were made in the new session; they are gone too.
    assert recorder.calls["CreateCollectorForEvents"] == 2
    await _assert_gone(client, recorder.created)


async def test_follow_ends_at_the_deadline(client: aiovsphere.Client) -> None:
    recorder = _Recorder(client)
    with pytest.raises(TimeoutError):
        async with aiovsphere.timeout(0.5):
            async for _ in events(client, types=("NoSuchEventTypeAtAll",), follow=True):
                pass
    await _assert_gone(client, recorder.created)
    assert len(recorder.created) == 2


# ---------------------------------------------------------------------------- cleanup
async def test_collector_destroyed_after_normal_end(client: aiovsphere.Client) -> None:
    recorder = _Recorder(client)
    assert [e async for e in events(client, page_size=1000)]
    assert recorder.calls["DestroyCollector"] == 1
    await _assert_gone(client, recorder.created)


async def test_collector_destroyed_after_break(client: aiovsphere.Client,
                                               loop_errors: list[dict[str, object]]) -> None:
    recorder = _Recorder(client)
    async with contextlib.aclosing(events(client, page_size=5)) as stream:
        async for _ in stream:
            break
    assert recorder.calls["DestroyCollector"] == 1
    await _assert_gone(client, recorder.created)
    # Without aclosing, the abandoned generator is closed when the loop finalizes it.
    async for _ in events(client, page_size=5):
        break
    gc.collect()
    await _until(lambda: recorder.calls["DestroyCollector"] == 2, "finalizer")
    assert len(recorder.created) == 2
    await _assert_gone(client, recorder.created)
    assert loop_errors == []


async def test_collector_destroyed_after_an_exception(client: aiovsphere.Client) -> None:
    recorder = _Recorder(client)
    with pytest.raises(ZeroDivisionError):  # raised by the caller's loop body
        async with contextlib.aclosing(events(client, page_size=5)) as stream:
            async for _ in stream:
                1 / 0  # noqa: B018
    recorder.fail["ReadNextEvents"] = 3  # ...and by the server, mid-stream
    got: list[t.Event] = []
    with pytest.raises(faults.SystemError):
        async for event in events(client, page_size=5):
            got.append(event)
    assert len(got) == 5  # one page, then the failed read
    recorder.fail["SetCollectorPageSize"] = 3  # ...and right after the collector was made
    with pytest.raises(faults.SystemError):
        async for _ in events(client, page_size=5):
            pass
    assert len(recorder.created) == 3
    assert recorder.calls["ReadNextEvents"] == 1 + 2  # none in the third stream
    await _assert_gone(client, recorder.created)


async def test_cancelled_mid_page(client: aiovsphere.Client,
                                  loop_errors: list[dict[str, object]]) -> None:
    recorder = _Recorder(client)
    got: list[int] = []
    three = asyncio.Event()

    async def consume() -> None:
        async with contextlib.aclosing(events(client, page_size=1000)) as stream:
            async for event in stream:
                got.append(event.key)
                if len(got) == 3:
                    three.set()
                await asyncio.sleep(0.01)  # the caller's work on each event

    # Cancelled while the caller holds a page it has not finished.
    consumer = asyncio.create_task(consume())
    async with asyncio.timeout(10):
        await three.wait()
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert 3 <= len(got) < 10  # the page holds dozens of events
    assert recorder.calls["DestroyCollector"] == 1
    await _assert_gone(client, recorder.created)

    # Cancelled while the next page is being read.
    recorder.stall["ReadNextEvents"] = 2
    consumer = asyncio.create_task(_drain(events(client, page_size=1000, follow=True)))
    async with asyncio.timeout(10):
        await recorder.stalled.wait()
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert len(recorder.created) == 2 and recorder.calls["DestroyCollector"] == 2
    await _assert_gone(client, recorder.created)
    assert loop_errors == []


async def test_cancelled_while_following(client: aiovsphere.Client) -> None:
    recorder = _Recorder(client)
    consumer = asyncio.create_task(_drain(events(client, types=("NoSuchEvent",),
                                                 follow=True)))
    await _until(lambda: recorder.calls.get("WaitForUpdatesEx", 0) >= 2, "following")
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert [r.type for r in recorder.created] == ["EventHistoryCollector",
                                                  "PropertyCollector"]
    await _assert_gone(client, recorder.created)


async def test_cancelled_while_the_collector_is_being_made(
        client: aiovsphere.Client, loop_errors: list[dict[str, object]]) -> None:
    recorder = _Recorder(client)
    recorder.after_create = asyncio.Event()  # the answer is "in transit"
    consumer = asyncio.create_task(_drain(events(client)))
    async with asyncio.timeout(10):
        await recorder.stalled.wait()
    consumer.cancel()
    recorder.after_create.set()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    await _until(lambda: recorder.calls.get("DestroyCollector", 0) == 1, "destroyed")
    assert "ReadNextEvents" not in recorder.calls
    await _assert_gone(client, recorder.created)
    assert loop_errors == []


async def _drain(stream: Any) -> None:
    async for _ in stream:
        pass
