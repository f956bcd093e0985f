"""Simulated tasks: queued -> running (progress) -> success/error, one at a time per entity,
CancelTask, TaskManager.recentTask, TaskEvent chains, extension tasks (CreateTask,
SetTaskState, UpdateProgress) and TaskHistoryCollector paging."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere.simulator import Simulator, _tasks
from aiovsphere.simulator._eventlog import events_of
from aiovsphere.simulator._model import SimObject
from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as Ref

TASK_MANAGER = Ref("TaskManager", "TaskManager")


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(task_seconds=0) as sim:
        yield sim


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        yield client


def vm(sim: Simulator, name: str = "DC0_H0_VM0") -> SimObject:
    return next(o for o in sim.model.of_type("VirtualMachine") if o.props["name"] == name)


def info(sim: Simulator, task: Ref) -> Any:
    obj = sim.model.get(task)
    assert obj is not None
    return obj.props["info"]


async def record(sim: Simulator, task: Ref) -> list[tuple[str, int | None]]:
    """Every (state, progress) the task's ``info`` goes through, from the model."""
    seen: list[tuple[str, int | None]] = []
    while True:
        version = sim.model.version
        current = info(sim, task)
        pair = (str(current.state), current.progress)
        if not seen or seen[-1] != pair:
            seen.append(pair)
        if current.state in ("success", "error"):
            return seen
        await sim.model.wait_changed(version, None)


async def test_a_task_goes_queued_running_with_progress_then_success() -> None:
    async with Simulator(task_seconds=0.5) as sim, aiovsphere.connect(
            sim.url, user="admin", password="pw") as client:
        target = vm(sim)
        task = await client.invoke(target.ref, "PowerOffVM_Task")
        assert task.type == "Task"
        assert info(sim, task).state == "queued"  # the call returns before it runs
        states = await record(sim, task)
        assert states == [("queued", None), ("running", 0), ("running", 25),
                          ("running", 50), ("running", 75), ("success", 100)]
        done = info(sim, task)
        assert done.queueTime <= done.startTime <= done.completeTime
        assert done.result is None and done.error is None and done.cancelled is False

        # Through the client: wait_for_task reports progress going up to 100.
        seen: list[int] = []
        task = await client.invoke(target.ref, "PowerOnVM_Task")
        assert await aiovsphere.wait_for_task(client, task, progress=seen.append) is None
        assert seen == sorted(set(seen)) and seen[-1] == 100
        assert any(0 < p < 100 for p in seen)
        assert target.props["runtime"].powerState == "poweredOn"


async def test_task_info_names_the_method_entity_and_user(sim: Simulator,
                                                          client: aiovsphere.Client) -> None:
    target = vm(sim)
    task = await client.invoke(target.ref, "PowerOffVM_Task")
    await aiovsphere.wait_for_task(client, task)
    got = (await client.get_properties(task, ["info"]))["info"]
    assert got.key == task.value and got.task == task
    assert got.name == "PowerOffVM_Task"
    assert got.descriptionId == "VirtualMachine.powerOff"
    assert got.entity == target.ref and got.entityName == "DC0_H0_VM0"
    assert got.reason.userName == "admin"
    assert got.cancelable is False and got.locked == (target.ref,)
    # The TaskEvent starts the chain the operation's events join.
    events = [e for e in events_of(sim) if e.chainId == got.eventChainId]
    assert [type(e).__name__ for e in events] == ["TaskEvent", "VmStoppingEvent",
                                                  "VmPoweredOffEvent"]
    assert events[0].info.task == task and events[0].key == got.eventChainId


async def test_recent_tasks_of_the_manager_and_the_entity(sim: Simulator,
                                                          client: aiovsphere.Client) -> None:
    a, b = vm(sim), vm(sim, "DC0_H0_VM1")
    first = await client.invoke(a.ref, "PowerOffVM_Task")
    second = await client.invoke(b.ref, "PowerOffVM_Task")
    await aiovsphere.wait_for_tasks(client, [first, second])
    recent = (await client.get_properties(TASK_MANAGER, ["recentTask"]))["recentTask"]
    assert recent[-2:] == (first, second)
    props = await client.get_properties(a.ref, ["recentTask"])
    assert props["recentTask"] == (first,)
    assert (await client.get_properties(b.ref, ["recentTask"]))["recentTask"] == (second,)


async def test_recent_task_lists_keep_the_newest(sim: Simulator, client: aiovsphere.Client,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_tasks, "_RECENT", 3)
    target = vm(sim, "DC0_H0_VM1")
    made = []
    for method in ("PowerOffVM_Task", "PowerOnVM_Task") * 2:
        made.append(await client.invoke(target.ref, method))
        await aiovsphere.wait_for_task(client, made[-1])
    manager = sim.model.get(TASK_MANAGER)
    assert manager is not None and manager.props["recentTask"] == tuple(made[-3:])
    assert target.props["recentTask"] == tuple(made[-3:])
    # A task out of the list is still readable.
    assert (await client.get_properties(made[0], ["info"]))["info"].state == "success"


async def test_finished_tasks_are_forgotten_beyond_the_limit(
        sim: Simulator, client: aiovsphere.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_tasks, "_RECENT", 1)
    monkeypatch.setattr(_tasks, "_KEEP_FINISHED", 2)
    target = vm(sim)
    made = []
    for method in ("PowerOffVM_Task", "PowerOnVM_Task", "PowerOffVM_Task"):
        made.append(await client.invoke(target.ref, method))
        await aiovsphere.wait_for_task(client, made[-1])
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.get_properties(made[0], ["info"])
    assert (await client.get_properties(made[1], ["info"]))["info"].state == "success"


async def test_tasks_on_one_vm_run_one_at_a_time_in_order() -> None:
    async with Simulator(task_seconds=0.2) as sim, aiovsphere.connect(
            sim.url, user="admin", password="pw") as client:
        target = vm(sim)
        off = await client.invoke(target.ref, "PowerOffVM_Task")
        on = await client.invoke(target.ref, "PowerOnVM_Task")
        other = await client.invoke(vm(sim, "DC0_H0_VM1").ref, "PowerOffVM_Task")
        states = await record(sim, off)
        assert states[-1] == ("success", 100)
        # While the first ran, the second waited in the queue; another VM's did not.
        assert info(sim, on).state in ("queued", "running")
        assert await aiovsphere.wait_for_tasks(client, [on, other]) == [None, None]
        first, second = info(sim, off), info(sim, on)
        assert second.startTime >= first.completeTime
        assert target.props["runtime"].powerState == "poweredOn"


async def test_a_refused_operation_fails_the_task_not_the_call(
        sim: Simulator, client: aiovsphere.Client) -> None:
    target = vm(sim)  # powered on
    task = await client.invoke(target.ref, "PowerOnVM_Task")
    with pytest.raises(faults.InvalidPowerState) as caught:
        await aiovsphere.wait_for_task(client, task)
    assert caught.value.task == task
    assert caught.value.fault.existingState == "poweredOn"
    got = info(sim, task)
    assert got.state == "error" and got.progress is None
    assert isinstance(got.error.fault, t.InvalidPowerState)
    assert got.error.localizedMessage == ("The attempted operation cannot be performed in "
                                          "the current state (Powered on).")


async def test_cancel_a_running_task() -> None:
    async with Simulator(task_seconds=30) as sim, aiovsphere.connect(
            sim.url, user="admin", password="pw") as client:
        target = vm(sim)
        task = await client.invoke(target.ref, "CreateSnapshot_Task", name="s",
                                   memory=False, quiesce=False)
        while info(sim, task).state != "running":
            await sim.model.wait_changed(sim.model.version, None)
        assert await client.invoke(task, "CancelTask") is None
        with pytest.raises(faults.RequestCanceled) as caught:
            await aiovsphere.wait_for_task(client, task)
        assert caught.value.task == task
        got = info(sim, task)
        assert got.state == "error" and got.cancelled is True and got.cancelable is True
        assert target.props["snapshot"] is None  # the work never ran
        with pytest.raises(faults.InvalidState):  # already finished
            await client.invoke(task, "CancelTask")


async def test_cancel_a_queued_task_and_refuse_non_cancelable_ones() -> None:
    async with Simulator(task_seconds=30) as sim, aiovsphere.connect(
            sim.url, user="admin", password="pw") as client:
        target = vm(sim)
        first = await client.invoke(target.ref, "PowerOffVM_Task")
        queued = await client.invoke(target.ref, "CreateSnapshot_Task", name="s",
                                     memory=False, quiesce=False)
        with pytest.raises(faults.NotSupported):  # a power operation is not cancelable
            await client.invoke(first, "CancelTask")
        await client.invoke(queued, "CancelTask")
        with pytest.raises(faults.RequestCanceled):
            await aiovsphere.wait_for_task(client, queued)
        with pytest.raises(faults.InvalidState):  # already canceled
            await client.invoke(queued, "CancelTask")
        got = info(sim, queued)
        assert got.startTime is None and got.cancelled is True
        assert info(sim, first).state in ("queued", "running")


async def test_wait_for_task_cancel_task_cancels_on_the_server() -> None:
    async with Simulator(task_seconds=30) as sim, aiovsphere.connect(
            sim.url, user="admin", password="pw") as client:
        target = vm(sim)
        task = await client.invoke(target.ref, "CreateSnapshot_Task", name="s",
                                   memory=False, quiesce=False)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await aiovsphere.wait_for_task(client, task, cancel_task=True)
        states = await record(sim, task)
        assert states[-1] == ("error", None) and info(sim, task).cancelled is True


async def test_read_only_users_start_no_task(sim: Simulator) -> None:
    async with aiovsphere.connect(sim.url, user="readonly-bob", password="pw") as reader, \
            aiovsphere.connect(sim.url, user="admin", password="pw") as admin:
        target = vm(sim)
        before = len(sim.model.of_type("Task"))
        with pytest.raises(faults.NoPermission) as caught:
            await reader.invoke(target.ref, "PowerOffVM_Task")
        assert caught.value.task is None  # the call failed, no task
        assert caught.value.fault.privilegeId == "VirtualMachine.Interact.PowerOff"
        assert len(sim.model.of_type("Task")) == before
        task = await admin.invoke(target.ref, "CreateSnapshot_Task", name="s", memory=False,
                                  quiesce=False)
        with pytest.raises(faults.NoPermission):
            await reader.invoke(task, "CancelTask")
        await aiovsphere.wait_for_task(admin, task)


async def test_extension_task_driven_by_the_caller(sim: Simulator,
                                                   client: aiovsphere.Client) -> None:
    target = vm(sim)
    created = await client.invoke(TASK_MANAGER, "CreateTask", obj=target.ref,
                                  taskTypeId="com.example.backup", cancelable=False)
    task = created.task
    assert created.state == "queued" and created.descriptionId == "com.example.backup"
    seen: list[int] = []
    reported = asyncio.Event()

    def on_progress(percent: int) -> None:
        seen.append(percent)
        reported.set()

    waiter = asyncio.create_task(aiovsphere.wait_for_task(client, task, progress=on_progress))
    with pytest.raises(faults.InvalidState):  # only a running task reports progress
        await client.invoke(task, "UpdateProgress", percentDone=10)
    await client.invoke(task, "SetTaskState", state="running")
    for percent in (10, 60):
        await client.invoke(task, "UpdateProgress", percentDone=percent)
        while not seen or seen[-1] != percent:
            reported.clear()
            await reported.wait()
    with pytest.raises(faults.OutOfBounds):
        await client.invoke(task, "UpdateProgress", percentDone=101)
    await client.invoke(task, "SetTaskState", state="success", result="done")
    assert await waiter == "done"
    assert seen == [10, 60, 100]
    with pytest.raises(faults.InvalidState):
        await client.invoke(task, "SetTaskState", state="running")
    assert task in sim.model.get(TASK_MANAGER).props["recentTask"]  # type: ignore[union-attr]


async def test_extension_task_error(sim: Simulator, client: aiovsphere.Client) -> None:
    created = await client.invoke(TASK_MANAGER, "CreateTask", obj=vm(sim).ref,
                                  taskTypeId="com.example.backup", cancelable=True)
    error = t.LocalizedMethodFault(fault=t.NotFound(), localizedMessage="no backup target")
    await client.invoke(created.task, "SetTaskState", state="error", args={"fault": error})
    with pytest.raises(faults.NotFound):
        await aiovsphere.wait_for_task(client, created.task)


# ---------------------------------------------------------------------- history collector
async def _tasks_on(client: aiovsphere.Client, ref: Ref, n: int) -> list[Ref]:
    """``n`` successful power tasks on VM ``ref`` (off, on, off...: whichever fits)."""
    made = []
    for _ in range(n):
        state = (await client.get_properties(ref, ["runtime.powerState"]))[
            "runtime.powerState"]
        made.append(await client.invoke(ref, "PowerOffVM_Task" if state == "poweredOn"
                                        else "PowerOnVM_Task"))
        await aiovsphere.wait_for_task(client, made[-1])
    return made


async def test_task_history_collector_pages(sim: Simulator, client: aiovsphere.Client) -> None:
    target = vm(sim)
    made = await _tasks_on(client, target.ref, 5)
    await _tasks_on(client, vm(sim, "DC0_H0_VM1").ref, 2)  # not this VM's
    spec = t.TaskFilterSpec(entity=t.TaskFilterSpecByEntity(entity=target.ref,
                                                            recursion="self"))
    collector = await client.invoke(TASK_MANAGER, "CreateCollectorForTasks", filter=spec)
    assert collector.type == "TaskHistoryCollector"
    await client.invoke(collector, "SetCollectorPageSize", maxCount=2)
    latest = (await client.get_properties(collector, ["latestPage"]))["latestPage"]
    assert [i.task for i in latest] == made[-2:]
    pages = []
    while page := await client.invoke(collector, "ReadNextTasks", maxCount=2):
        pages.append([i.task for i in page])
    assert pages == [made[0:2], made[2:4], made[4:5]]
    back = await client.invoke(collector, "ReadPreviousTasks", maxCount=3)
    assert [i.task for i in back] == made[2:5]
    await client.invoke(collector, "RewindCollector")
    assert [i.task for i in await client.invoke(collector, "ReadNextTasks", maxCount=1)] \
        == made[:1]
    await client.invoke(collector, "ResetCollector")  # just before the latest page
    assert [i.task for i in await client.invoke(collector, "ReadNextTasks", maxCount=10)] \
        == made[3:]
    assert await client.invoke(collector, "ReadNextTasks", maxCount=10) in (None, ())
    # New tasks show up at the end.
    newer = await _tasks_on(client, target.ref, 1)
    assert [i.task for i in await client.invoke(collector, "ReadNextTasks", maxCount=10)] \
        == newer
    await client.invoke(collector, "DestroyCollector")
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.invoke(collector, "ReadNextTasks", maxCount=1)


async def test_task_history_filters(sim: Simulator, client: aiovsphere.Client) -> None:
    target = vm(sim)
    ok = await _tasks_on(client, target.ref, 2)
    failed = await client.invoke(target.ref, "PowerOnVM_Task")  # already on
    with pytest.raises(faults.InvalidPowerState):
        await aiovsphere.wait_for_task(client, failed)
    datacenter = next(iter(sim.model.of_type("Datacenter"))).ref

    async def read(spec: t.TaskFilterSpec) -> list[Ref]:
        collector = await client.invoke(TASK_MANAGER, "CreateCollectorForTasks", filter=spec)
        try:
            return [i.task for i in await client.invoke(collector, "ReadNextTasks",
                                                        maxCount=100) or ()]
        finally:
            await client.invoke(collector, "DestroyCollector")

    by_state = await read(t.TaskFilterSpec(state=("error",)))
    assert by_state == [failed]
    everything = await read(t.TaskFilterSpec(entity=t.TaskFilterSpecByEntity(
        entity=datacenter, recursion="all")))
    assert everything == [*ok, failed]
    assert await read(t.TaskFilterSpec(entity=t.TaskFilterSpecByEntity(
        entity=datacenter, recursion="self"))) == []
    assert await read(t.TaskFilterSpec(userName=t.TaskFilterSpecByUsername(
        systemUser=False, userList=("someone-else",)))) == []
    assert await read(t.TaskFilterSpec(userName=t.TaskFilterSpecByUsername(
        systemUser=False, userList=("admin",)))) == [*ok, failed]
    started = info(sim, ok[1]).startTime
    assert await read(t.TaskFilterSpec(time=t.TaskFilterSpecByTime(
        timeType="startedTime", beginTime=started))) == [ok[1], failed]


async def test_task_history_collectors_are_per_session(sim: Simulator,
                                                       client: aiovsphere.Client) -> None:
    collector = await client.invoke(TASK_MANAGER, "CreateCollectorForTasks",
                                    filter=t.TaskFilterSpec())
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as other:
        with pytest.raises(faults.ManagedObjectNotFound):
            await other.invoke(collector, "ReadNextTasks", maxCount=1)
    with pytest.raises(faults.InvalidArgument):
        await client.invoke(collector, "SetCollectorPageSize", maxCount=0)
    made = [await client.invoke(TASK_MANAGER, "CreateCollectorForTasks",
                                filter=t.TaskFilterSpec()) for _ in range(31)]
    assert len(made) == 31
    with pytest.raises(faults.InvalidState):  # maxCollector: 32 per session
        await client.invoke(TASK_MANAGER, "CreateCollectorForTasks", filter=t.TaskFilterSpec())
