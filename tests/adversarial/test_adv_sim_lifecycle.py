"""The embedded simulator's lifecycle: stopping it with waits, tasks and paused calls in
flight, two at once, restarting one (on the same loop and on another), and what a
stopped simulator leaves behind in the process."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gc
import weakref

import aiohttp
import pytest

import aiovsphere
from aiovsphere.simulator import Simulator
from aiovsphere.vim._moref import ManagedObjectReference as Ref

from ._support import leak_checks, other_tasks
from .test_adv_sim_support import Answer, call, login_raw, post, soap_fault

SI = Ref("ServiceInstance", "ServiceInstance")


def first_vm(sim: Simulator) -> Ref:
    return min((o.ref for o in sim.model.of_type("VirtualMachine")), key=lambda r: r.value)


async def test_stop_with_waits_tasks_and_paused_calls_in_flight_ends_cleanly() -> None:
    baseline = set(asyncio.all_tasks())
    with leak_checks() as problems:
        sim = Simulator(task_seconds=30)  # tasks still running when it stops
        await sim.start()
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(sim.stop)  # (idempotent) if the test fails early
            client = await stack.enter_async_context(aiovsphere.connect(
                sim.url, user="admin", password="pw"))
            http = await stack.enter_async_context(aiohttp.ClientSession())
            cookie = await login_raw(http, sim.url)
            vm = first_vm(sim)
            tasks = [await client.invoke(vm, "PowerOffVM_Task"),
                     await client.invoke(vm, "PowerOnVM_Task")]  # queued behind the first
            waiter = asyncio.ensure_future(client.wait_for_tasks(tasks,
                                                                 return_exceptions=True))
            spec = ("<spec><propSet><type>Folder</type><pathSet>name</pathSet></propSet>"
                    '<objectSet><obj type="Folder">group-d1</obj></objectSet></spec>'
                    "<partialUpdates>false</partialUpdates>")
            pc = ("PropertyCollector", "propertyCollector")
            await post(http, sim.url, call("CreateFilter", *pc, spec), cookie)
            await post(http, sim.url, call("WaitForUpdatesEx", *pc, "<version></version>"),
                       cookie)
            idle_wait = asyncio.ensure_future(post(http, sim.url, call(
                "WaitForUpdatesEx", *pc, "<version>1</version>"), cookie))
            pause = sim.faults.pause(method="CurrentTime")
            held = asyncio.ensure_future(client.invoke(SI, "CurrentTime"))
            async with asyncio.timeout(5):
                await pause.wait_held(1)
            await asyncio.sleep(0.05)
            assert not idle_wait.done() and not waiter.done()

            loop = asyncio.get_running_loop()
            started = loop.time()
            await sim.stop()
            assert loop.time() - started < 2  # shutdown_timeout 0.5 s, not a hang
            async with asyncio.timeout(5):
                outcomes = await asyncio.gather(waiter, idle_wait, held,
                                                return_exceptions=True)
            # Every call ended, one way or another (answer, fault or a closed connection).
            tasks_out, idle_out, held_out = outcomes
            # The paused call was let go and answered; the idle wait ended with the server;
            # the task waiter heard how the tasks ended.
            assert isinstance(held_out, datetime.datetime)
            assert isinstance(idle_out, (aiohttp.ClientError, Answer)), idle_out
            assert isinstance(tasks_out, list) and len(tasks_out) == 2
            assert all(isinstance(o, (aiovsphere.faults.RequestCanceled,
                                      aiovsphere.TransportError)) for o in tasks_out)
            assert {str(o.props["info"].state) for o in sim.model.of_type("Task")} == {
                "error"}  # the running tasks were ended, not left "running"
            with pytest.raises(RuntimeError):
                _ = sim.url
        await asyncio.sleep(0)
        gc.collect()
        assert other_tasks(baseline) == set()
    assert problems == []


async def test_two_simulators_at_once_are_independent() -> None:
    one, two = Simulator(task_seconds=0), Simulator(task_seconds=0, vms=10)
    await asyncio.gather(one.start(), two.start())
    try:
        assert one.url != two.url
        async with aiohttp.ClientSession() as http:
            cookie = await login_raw(http, one.url)
            probe = call("RetrievePropertiesEx", "PropertyCollector", "propertyCollector",
                         "<specSet><propSet><type>Folder</type><pathSet>name</pathSet>"
                         '</propSet><objectSet><obj type="Folder">group-d1</obj>'
                         "</objectSet></specSet><options/>")
            assert (await post(http, one.url, probe, cookie)).status == 200
            assert soap_fault(await post(http, two.url, probe, cookie)) == "NotAuthenticated"
        async with aiovsphere.connect(one.url, user="a", password="pw") as a, \
                aiovsphere.connect(two.url, user="b", password="pw") as b:
            vm = first_vm(one)
            await a.wait_for_task(await a.invoke(vm, "Rename_Task", newName="only-in-one"))
            names_two = {o.props["name"] for o in two.model.of_type("VirtualMachine")}
            assert "only-in-one" not in names_two
            assert len(two.model.of_type("VirtualMachine")) >= 10 > len(
                one.model.of_type("VirtualMachine"))
            assert "b" not in [s.user for s in one.sessions.values()]
            assert (await b.get_properties(b.content.rootFolder, ["name"]))["name"]
    finally:
        await asyncio.gather(one.stop(), two.stop())


async def test_a_restarted_simulator_keeps_its_inventory_and_serves() -> None:
    sim = Simulator(task_seconds=0)
    await sim.start()
    first_url = sim.url
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        vm = first_vm(sim)
        await client.wait_for_task(await client.invoke(vm, "Rename_Task", newName="kept"))
    await sim.stop()
    await sim.start()
    try:
        assert sim.url.startswith("http://127.0.0.1:")
        async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
            assert (await client.get_properties(vm, ["name"]))["name"] == "kept"
            tasks = [await client.invoke(vm, m) for m in (
                "PowerOffVM_Task", "PowerOnVM_Task", "PowerOffVM_Task")]
            async with asyncio.timeout(5):
                assert await client.wait_for_tasks(tasks) == [None, None, None]
        with pytest.raises(RuntimeError):
            await sim.start()  # already running
    finally:
        await sim.stop()
    assert first_url  # (the port may differ: port=0 picks a free one each time)


def _first_life(sim: Simulator) -> None:
    """Run ``sim`` on its own event loop (another thread) with two tasks on one VM, so the
    VM's task lock is contended there; then stop it."""

    async def life() -> None:
        await sim.start()
        try:
            async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
                vm = first_vm(sim)
                tasks = [await client.invoke(vm, "PowerOffVM_Task"),
                         await client.invoke(vm, "PowerOnVM_Task")]
                await client.wait_for_tasks(tasks)
        finally:
            await sim.stop()

    asyncio.run(life())


async def test_a_simulator_restarted_on_another_loop_runs_its_queued_tasks() -> None:
    sim = Simulator(task_seconds=0.02)
    await asyncio.to_thread(_first_life, sim)
    await sim.start()
    try:
        async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
            vm = first_vm(sim)
            tasks = [await client.invoke(vm, m) for m in ("PowerOffVM_Task",
                                                          "PowerOnVM_Task")]
            async with asyncio.timeout(1.5):  # each task takes 0.02 s
                assert await client.wait_for_tasks(tasks) == [None, None]
    finally:
        with contextlib.suppress(Exception):
            await sim.stop()


async def test_a_stopped_simulator_is_freed() -> None:
    """Regression: start() gc.freeze()s the model; stop() must gc.unfreeze() or every
    stopped simulator (its model has reference cycles) leaks for the process's life."""
    sim = Simulator(vms=20)
    async with sim:
        pass
    model = weakref.ref(sim.model)
    del sim
    gc.collect()
    assert model() is None



async def test_a_failed_start_leaves_the_garbage_collector_as_it_was() -> None:
    async with Simulator() as running:
        port = int(running.url.rsplit(":", 1)[1].split("/")[0])
        before = gc.get_freeze_count()
        with pytest.raises(OSError):
            async with Simulator(port=port):
                pass
        assert gc.get_freeze_count() <= before
