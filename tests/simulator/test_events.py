"""The simulator's EventManager and EventHistoryCollector: typed events with vCenter's
keys, chains, users, entity arguments and messages; collector paging (forward from the
oldest, backward, reset, rewind, page size), ``latestPage``, filters, session scope and
limits; the aiovsphere client's ``events()`` over all of it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._context import Context, Session
from aiovsphere.simulator._eventlog import events_of, post_event
from aiovsphere.simulator._events import format_message, make_event
from aiovsphere.simulator._handlers import events as event_handlers
from aiovsphere.simulator._handlers import folders, perf
from aiovsphere.simulator._model import SimObject
from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as Ref

EM = Ref("EventManager", "EventManager")


def _install(sim: Simulator) -> None:
    """The manager properties (also made on the first call of a handler)."""
    event_handlers.install(sim)
    perf.install(sim)
    folders.install_settings(sim)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=3, task_seconds=0) as sim:
        _install(sim)
        yield sim


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        yield client


def obj(sim: Simulator, path: str) -> SimObject:
    """The object at an inventory path, found in the model by names."""
    from aiovsphere.simulator._handlers.search import resolve_path

    found = resolve_path(Context(sim, None), path)
    assert found is not None, path
    return found


def system(sim: Simulator) -> Context:
    return Context(sim, None)


def as_user(sim: Simulator, user: str) -> Context:
    return Context(sim, Session(key=f"k-{user}", cookie="c", user=user, role="Admin"))


def note(sim: Simulator, entity: SimObject | None, text: str, user: str = "admin") -> Any:
    """Post a GeneralUserEvent (as ``user``) about ``entity``."""
    return post_event(as_user(sim, user), "GeneralUserEvent", entity, message=text)


async def query(client: aiovsphere.Client, **spec: Any) -> list[Any]:
    return list(await client.invoke(EM, "QueryEvents", filter=t.EventFilterSpec(**spec)))


# ---------------------------------------------------------------------------- events
async def test_a_task_posts_typed_events_in_one_chain(sim: Simulator,
                                                      client: aiovsphere.Client) -> None:
    vm = obj(sim, "/DC0/vm/DC0_H0_VM0")
    before = len(events_of(sim))
    task = await client.invoke(vm.ref, "PowerOffVM_Task")
    await client.wait_for_task(task)
    got = [e async for e in client.events(entity=vm.ref)]
    new = [e for e in got if e.key > before]
    kinds = [type(e).__name__ for e in new]
    assert kinds[0] == "TaskEvent" and "VmPoweredOffEvent" in kinds
    first = new[0]
    assert first.info.task == task and first.info.eventChainId == first.key
    assert {e.chainId for e in new} == {first.key}
    assert [e.key for e in new] == sorted(e.key for e in new)
    off = next(e for e in new if isinstance(e, t.VmPoweredOffEvent))
    assert off.userName == "admin" and off.template is False
    assert (off.vm.vm, off.vm.name) == (vm.ref, "DC0_H0_VM0")
    assert off.host.name == "DC0_H0" and off.datacenter.name == "DC0"
    assert off.computeResource.name == "DC0_H0"
    assert off.fullFormattedMessage == "DC0_H0_VM0 on DC0_H0 in DC0 is powered off"
    info = await client.get_properties(task, ["info"])
    assert info["info"].eventChainId == first.key


async def test_entity_arguments_and_messages_follow_the_inventory(sim: Simulator) -> None:
    ctx = as_user(sim, "alice")
    host = obj(sim, "/DC0/host/DC0_C0/DC0_C0_H1")
    event = post_event(ctx, "EnteredMaintenanceModeEvent", host)
    assert event.userName == "alice" and event.chainId == event.key
    assert (event.host.host, event.computeResource.name, event.datacenter.name) == (
        host.ref, "DC0_C0", "DC0")
    assert event.vm is None
    assert event.fullFormattedMessage == \
        "Host DC0_C0_H1 in DC0 has entered maintenance mode"
    vm = obj(sim, "/DC0/vm/DC0_C0_RP0_VM1")
    renamed = post_event(ctx, "VmRenamedEvent", vm, oldName="old", newName="new")
    assert renamed.fullFormattedMessage == "Renamed DC0_C0_RP0_VM1 from old to new in DC0"
    assert renamed.computeResource.name == "DC0_C0"
    pool = obj(sim, "/DC0/host/DC0_C0/Resources")
    changed = post_event(ctx, "ResourcePoolReconfiguredEvent", pool)
    assert changed.resourcePool.resourcePool == pool.ref
    assert changed.computeResource.name == "DC0_C0"
    assert changed.fullFormattedMessage == \
        "Updated configuration for Resources in compute-resource DC0_C0 in DC0"
    ds = obj(sim, "/DC0/datastore/LocalDS_0")
    ds_event = post_event(ctx, "DatastoreRenamedEvent", ds, oldName="a", newName="b",
                          datastore=t.DatastoreEventArgument(name="b", datastore=ds.ref))
    assert ds_event.ds.datastore == ds.ref and ds_event.datacenter.name == "DC0"
    assert ds_event.fullFormattedMessage == "Renamed datastore from a to b in DC0"
    system_event = post_event(system(sim), "GeneralEvent", None, message="hi")
    assert system_event.userName == "" and system_event.fullFormattedMessage == \
        "General event: hi"


async def test_session_event_messages_as_vcenter_writes_them(sim: Simulator) -> None:
    ctx = as_user(sim, "bob")
    login = make_event(ctx, "UserLoginSessionEvent", None, ipAddress="10.0.0.5",
                       userAgent="pyvmomi Python/3.11", locale="en", sessionId="52a1")
    assert login.fullFormattedMessage == \
        "User bob@10.0.0.5 logged in as pyvmomi Python/3.11"
    when = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
    logout = make_event(ctx, "UserLogoutSessionEvent", None, ipAddress="10.0.0.5",
                        userAgent="x", callCount=7, sessionId="52a1", loginTime=when)
    assert logout.fullFormattedMessage == (
        "User bob@10.0.0.5 logged out (login time: 2024-05-01T12:00:00+00:00, "
        "number of API invocations: 7, user agent: x)")
    # An uncatalogued type still gets a readable message naming its entity.
    host = obj(sim, "/DC0/host/DC0_H0/DC0_H0")
    other = make_event(ctx, "HostIpChangedEvent", host, oldIP="1.1.1.1", newIP="2.2.2.2")
    assert format_message(other) == "Host Ip Changed on DC0_H0"


async def test_post_event_fills_key_user_arguments_and_message(
        sim: Simulator, client: aiovsphere.Client) -> None:
    vm = obj(sim, "/DC0/vm/DC0_H0_VM1")
    posted = t.GeneralUserEvent(
        key=0, chainId=0, createdTime=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        userName="someone-else", message="backup done",
        vm=t.VmEventArgument(name="DC0_H0_VM1", vm=vm.ref),
        entity=t.ManagedEntityEventArgument(name="DC0_H0_VM1", entity=vm.ref))
    await client.invoke(EM, "PostEvent", eventToPost=posted)
    (event,) = await query(client, eventTypeId=("GeneralUserEvent",))
    assert event.key == len(events_of(sim)) and event.chainId == event.key
    assert event.userName == "admin"
    assert event.createdTime.year > 2000
    assert event.host.name == "DC0_H0" and event.datacenter.name == "DC0"
    assert event.fullFormattedMessage == "User logged event: backup done"
    # Into a task's chain.
    task = await client.invoke(vm.ref, "PowerOffVM_Task")
    await client.wait_for_task(task)
    info = (await client.get_properties(task, ["info"]))["info"]
    await client.invoke(EM, "PostEvent", eventToPost=posted, taskInfo=info)
    chained = await query(client, eventChainId=info.eventChainId)
    assert {type(e).__name__ for e in chained} >= {"TaskEvent", "GeneralUserEvent"}


async def test_post_event_needs_a_writer(sim: Simulator) -> None:
    async with aiovsphere.connect(sim.url, user="readonly", password="pw") as reader:
        event = t.GeneralUserEvent(key=0, chainId=0, createdTime=dt.datetime.now(dt.UTC),
                                   userName="", message="x")
        with pytest.raises(faults.NoPermission):
            await reader.invoke(EM, "PostEvent", eventToPost=event)
        logged = await reader.invoke(EM, "QueryEvents", filter=t.EventFilterSpec())
        # Only the reader's own login: the refused post left nothing.
        assert [type(e).__name__ for e in logged] == ["UserLoginSessionEvent"]


async def test_event_manager_properties(sim: Simulator, client: aiovsphere.Client) -> None:
    dc = obj(sim, "/DC0")
    last = note(sim, dc, "newest")
    props = await client.get_properties(EM, ["latestEvent", "maxCollector", "description"])
    assert props["latestEvent"].key == last.key
    assert props["latestEvent"].fullFormattedMessage == "User logged event: newest"
    assert props["maxCollector"] == event_handlers.MAX_COLLECTORS
    infos = {i.key: i for i in props["description"].eventInfo}
    assert infos["VmPoweredOnEvent"].fullFormat == \
        "{vm.name} on {host.name} in {datacenter.name} is powered on"
    assert infos["VmPoweredOnEvent"].category == "info"
    assert infos["VmFailedToPowerOnEvent"].category == "error"


# ---------------------------------------------------------------------------- queries
async def test_query_events_newest_first_with_max_count(sim: Simulator,
                                                        client: aiovsphere.Client) -> None:
    dc = obj(sim, "/DC0")
    keys = [note(sim, dc, f"n{i}").key for i in range(5)]
    got = await query(client, eventTypeId=("GeneralUserEvent",))
    assert [e.key for e in got] == keys[::-1]
    newest = await query(client, eventTypeId=("GeneralUserEvent",), maxCount=2)
    assert [e.key for e in newest] == keys[:-3:-1]
    quiet = await query(client, eventTypeId=("GeneralUserEvent",), disableFullMessage=True)
    assert quiet and all(e.fullFormattedMessage is None for e in quiet)


async def test_query_events_view_by_start_id() -> None:
    """EventManagerViewByStartId (API 9.0): from a key forward or backward."""
    async with Simulator(api_version="9.0.0.0") as sim9, aiovsphere.connect(
            sim9.url, user="admin", password="pw") as client9:
        dc = obj(sim9, "/DC0")
        keys = [note(sim9, dc, f"n{i}").key for i in range(5)]

        async def view(start: int, forward: bool) -> list[int]:
            got = await client9.invoke(EM, "QueryEvents", filter=t.EventFilterSpec(
                eventTypeId=("GeneralUserEvent",), maxCount=2),
                eventViewSpec=t.EventManagerViewByStartId(startEventId=start,
                                                          isForward=forward))
            return [e.key for e in got]

        assert await view(keys[1], True) == keys[1:3]
        assert await view(keys[3], False) == [keys[3], keys[2]]


async def test_filters_type_user_time_chain_category(sim: Simulator,
                                                     client: aiovsphere.Client) -> None:
    dc = obj(sim, "/DC0")
    vm = obj(sim, "/DC0/vm/DC0_H0_VM0")
    a = note(sim, dc, "by alice", user="alice")
    b = note(sim, dc, "by bob", user="bob")
    host = obj(sim, "/DC0/host/DC0_H0/DC0_H0")
    s = post_event(system(sim), "GeneralHostWarningEvent", host, message="system says")
    on = post_event(as_user(sim, "alice"), "VmPoweredOnEvent", vm)
    users = await query(client, userName=t.EventFilterSpecByUsername(
        systemUser=False, userList=("alice",)))
    assert [e.key for e in users] == [on.key, a.key]
    with_system = await query(client, userName=t.EventFilterSpecByUsername(
        systemUser=True, userList=("bob",)))
    assert [e.key for e in with_system] == [s.key, b.key]
    vm_events = await query(client, eventTypeId=("VmEvent",))
    assert [e.key for e in vm_events] == [on.key]
    by_old_type = await query(client, type=("GeneralHostWarningEvent", "VmPoweredOnEvent"))
    assert [e.key for e in by_old_type] == [on.key, s.key]
    warnings = await query(client, category=("warning",))
    assert [e.key for e in warnings] == [s.key]
    assert s.fullFormattedMessage == "Issue detected on DC0_H0 in DC0: system says"
    users_cat = await query(client, category=("user",))
    assert [e.key for e in users_cat] == [b.key, a.key]
    chain = await query(client, eventChainId=b.chainId)
    assert [e.key for e in chain] == [b.key]
    window = await query(client, time=t.EventFilterSpecByTime(
        beginTime=s.createdTime, endTime=s.createdTime))
    assert s.key in [e.key for e in window]
    assert all(e.createdTime == s.createdTime for e in window)
    future = await query(client, time=t.EventFilterSpecByTime(
        beginTime=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)))
    assert future == []


async def test_entity_filter_recursion(sim: Simulator, client: aiovsphere.Client) -> None:
    ctx = as_user(sim, "admin")
    cluster = obj(sim, "/DC0/host/DC0_C0")
    host = obj(sim, "/DC0/host/DC0_C0/DC0_C0_H0")
    vm = obj(sim, "/DC0/vm/DC0_C0_RP0_VM0")
    other_vm = obj(sim, "/DC0/vm/DC0_H0_VM0")
    dc = obj(sim, "/DC0")
    vm_folder = obj(sim, "/DC0/vm")
    on_cluster = post_event(ctx, "ClusterReconfiguredEvent", cluster)
    on_host = post_event(ctx, "EnteredMaintenanceModeEvent", host)
    on_vm = post_event(ctx, "VmPoweredOnEvent", vm)
    elsewhere = post_event(ctx, "VmPoweredOnEvent", other_vm)
    login = post_event(ctx, "UserLoginSessionEvent", None, ipAddress="127.0.0.1",
                       locale="en", sessionId="s")
    mine = {on_cluster.key, on_host.key, on_vm.key, elsewhere.key, login.key}

    async def keys(entity: SimObject, recursion: str) -> set[int]:
        found = await query(client, entity=t.EventFilterSpecByEntity(
            entity=entity.ref, recursion=recursion))
        return {e.key for e in found} & mine

    assert await keys(cluster, "self") == {on_cluster.key}
    assert await keys(cluster, "children") == {on_host.key, on_vm.key}
    assert await keys(cluster, "all") == {on_cluster.key, on_host.key, on_vm.key}
    assert await keys(host, "all") == {on_host.key, on_vm.key}  # a VM is below its host
    assert await keys(vm, "self") == {on_vm.key}
    assert await keys(dc, "all") == mine - {login.key}
    # A folder's "self" is about the entities directly in it (the API's rule).
    assert await keys(vm_folder, "self") == {on_vm.key, elsewhere.key}
    root = sim.model.get(client.content.rootFolder)
    assert root is not None
    assert await keys(root, "all") == mine
    assert await keys(root, "self") == set()
    # The client's keyword filter sends the same spec.
    got = {e.key async for e in client.events(entity=cluster.ref, recursion="children")}
    assert got & mine == {on_host.key, on_vm.key}
    with pytest.raises(faults.ManagedObjectNotFound):
        await query(client, entity=t.EventFilterSpecByEntity(
            entity=Ref("VirtualMachine", "vm-999999"), recursion="all"))


# ---------------------------------------------------------------------------- collectors
async def new_collector(client: aiovsphere.Client, **spec: Any) -> Ref:
    ref = await client.invoke(EM, "CreateCollectorForEvents", filter=t.EventFilterSpec(**spec))
    assert isinstance(ref, Ref) and ref.type == "EventHistoryCollector"
    return ref


async def read(client: aiovsphere.Client, ref: Ref, method: str, n: int) -> list[int]:
    return [e.key for e in await client.invoke(ref, method, maxCount=n)]


async def test_collector_pages_forward_backward_reset_rewind(
        sim: Simulator, client: aiovsphere.Client) -> None:
    dc = obj(sim, "/DC0")
    keys = [note(sim, dc, f"e{i}").key for i in range(12)]
    c = await new_collector(client, eventTypeId=("GeneralUserEvent",))
    # A new collector reads forward from the oldest event.
    assert await read(client, c, "ReadNextEvents", 5) == keys[:5]
    assert await read(client, c, "ReadNextEvents", 5) == keys[5:10]
    assert await read(client, c, "ReadNextEvents", 5) == keys[10:]
    assert await read(client, c, "ReadNextEvents", 5) == []
    # An event posted later is read next (nothing is lost).
    later = note(sim, dc, "later").key
    assert await read(client, c, "ReadNextEvents", 5) == [later]
    keys.append(later)
    # Backward: newest first, from the position.
    assert await read(client, c, "ReadPreviousEvents", 3) == keys[:-4:-1]
    assert await read(client, c, "ReadNextEvents", 2) == keys[-3:-1]
    # latestPage: the newest 10 (the default page size), newest first.
    page = (await client.get_properties(c, ["latestPage"]))["latestPage"]
    assert [e.key for e in page] == keys[:-11:-1]
    # Reset: just before the latest page; reading back gives what is older than it.
    await client.invoke(c, "ResetCollector")
    assert await read(client, c, "ReadPreviousEvents", 100) == keys[:3][::-1]
    assert await read(client, c, "ReadPreviousEvents", 100) == []
    await client.invoke(c, "RewindCollector")
    assert await read(client, c, "ReadNextEvents", 2) == keys[:2]
    await client.invoke(c, "SetCollectorPageSize", maxCount=3)
    page = (await client.get_properties(c, ["latestPage"]))["latestPage"]
    assert [e.key for e in page] == keys[:-4:-1]
    props = await client.get_properties(c, ["filter", "initialized"])
    assert props["filter"].eventTypeId == ("GeneralUserEvent",) and props["initialized"]
    for bad in (0, 1001):
        with pytest.raises(faults.InvalidArgument):
            await client.invoke(c, "ReadNextEvents", maxCount=bad)
    with pytest.raises(faults.InvalidArgument):
        await client.invoke(c, "SetCollectorPageSize", maxCount=-1)
    await client.invoke(c, "DestroyCollector")
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.invoke(c, "ReadNextEvents", maxCount=1)


async def test_collector_max_count_keeps_the_newest_history(
        sim: Simulator, client: aiovsphere.Client) -> None:
    dc = obj(sim, "/DC0")
    keys = [note(sim, dc, f"e{i}").key for i in range(6)]
    c = await new_collector(client, eventTypeId=("GeneralUserEvent",), maxCount=4)
    assert await read(client, c, "ReadNextEvents", 100) == keys[2:]


async def test_collectors_belong_to_their_session_and_are_limited(
        sim: Simulator, client: aiovsphere.Client) -> None:
    c = await new_collector(client)
    async with aiovsphere.connect(sim.url, user="other", password="pw") as other:
        with pytest.raises(faults.ManagedObjectNotFound):
            await other.invoke(c, "ReadNextEvents", maxCount=1)
        mine = [await new_collector(other) for _ in range(event_handlers.MAX_COLLECTORS)]
        with pytest.raises(faults.InvalidState):
            await new_collector(other)
        await other.invoke(mine[0], "DestroyCollector")
        mine[0] = await new_collector(other)  # a place again
    # Logging out removed the other session's collectors; this one lives on.
    assert all(ref not in sim.model for ref in mine)
    assert c in sim.model
    assert await client.invoke(c, "ReadNextEvents", maxCount=1) is not None


async def test_latest_page_changes_wake_a_follower(sim: Simulator,
                                                   client: aiovsphere.Client) -> None:
    dc = obj(sim, "/DC0")
    old = note(sim, dc, "history")
    seen: list[Any] = []

    async def follow() -> None:
        stream = client.events(types=("GeneralUserEvent",), follow=True, page_size=5,
                               poll_interval=30)
        async with contextlib.aclosing(stream) as events:
            async for event in events:
                seen.append(event)
                if len(seen) == 3:
                    return

    task = asyncio.ensure_future(follow())
    for _ in range(200):  # until the history is read
        await asyncio.sleep(0.01)
        if seen:
            break
    first = note(sim, dc, "live 1")
    second = note(sim, dc, "live 2")
    await asyncio.wait_for(task, 10)
    assert [e.key for e in seen] == [old.key, first.key, second.key]
    assert seen[2].fullFormattedMessage == "User logged event: live 2"
    # The stream destroyed its collector.
    assert not [o for o in sim.model if o.type == "EventHistoryCollector"]
