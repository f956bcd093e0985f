"""vcsim killed with SIGKILL while the collector layer is busy with it.

A watch (its WaitForUpdatesEx parked on the server), an InventoryCache, an event stream
following new events and a finder walk whose next RetrievePropertiesEx is about to go
out, all on one client, when the server process dies. Each must end with a typed
transport error (aiovsphere.TransportError / ConnectError, or TimeoutError), the cache
must hold the error and raise it from wait_until, nothing may hang (every wait here is
bounded), no task may be left running and the loop's exception handler sees nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

import aiovsphere
from tools.vcsim.launcher import Vcsim

from ._support import Stretch, leak_checks, other_tasks

TYPED = (aiovsphere.TransportError, TimeoutError)


async def test_server_killed_mid_watch_cache_events_and_find() -> None:
    sim = Vcsim.for_vm_count(8).start()
    try:
        with leak_checks() as problems:
            baseline = set(asyncio.all_tasks())
            client = aiovsphere.Client(sim.url)
            await client.open()
            await client.session.login("u", "p")
            finder_client = aiovsphere.Client(sim.url)  # its calls are held back
            await finder_client.open()
            await finder_client.session.login("u", "p")
            try:
                async with client.container_view(["VirtualMachine"]) as view:
                    vms = await view.objects()
                watching = asyncio.Event()
                following = asyncio.Event()

                async def watch() -> None:
                    async with contextlib.aclosing(client.watch(vms, ["name"])) as changes:
                        async for _change in changes:
                            watching.set()

                async def follow() -> None:
                    async with contextlib.aclosing(client.events(
                            follow=True, poll_interval=30)) as stream:
                        async for _event in stream:
                            following.set()

                # reconnect_seconds=0: give up at the first lost stream (the default keeps
                # trying for 5 minutes; tests/chaos shows a cache outliving a restart).
                cache = client.inventory_cache("VirtualMachine", ["name"],
                                               reconnect_seconds=0)
                await cache.__aenter__()
                assert len(cache.snapshot()) == 8
                finder = finder_client.finder()
                await finder.default_datacenter()
                stretch = Stretch(finder_client, before={"RetrievePropertiesEx": 0.3})
                tasks = {
                    "watch": asyncio.create_task(watch()),
                    "events": asyncio.create_task(follow()),
                    "find": asyncio.create_task(finder.find("/DC0/vm/*")),
                }
                async with asyncio.timeout(10):
                    await watching.wait()
                    await following.wait()
                    await stretch.entered["RetrievePropertiesEx"].wait()
                await asyncio.sleep(0.1)  # the waits are parked on the server
                os.kill(sim.pid, signal.SIGKILL)

                async with asyncio.timeout(20):
                    done = await asyncio.gather(*tasks.values(), return_exceptions=True)
                    outcomes = dict(zip(tasks, done, strict=True))
                    for name, outcome in outcomes.items():
                        assert isinstance(outcome, TYPED), (name, outcome)
                    err = None
                    try:
                        await cache.wait_until(lambda s: False)
                    except BaseException as exc:
                        err = exc
                    assert isinstance(err, TYPED), err
                    assert cache.error is err
                    assert cache.snapshot().version >= 1  # the last snapshot stays
                    await cache.close()
            finally:
                async with asyncio.timeout(20):
                    await client.close()
                    await finder_client.close()
            await asyncio.sleep(0)
            assert other_tasks(baseline) == set()
        assert problems == []
    finally:
        sim.stop()


async def test_calls_after_the_kill_fail_fast_and_typed() -> None:
    sim = Vcsim.for_vm_count(8).start()
    try:
        async with aiovsphere.connect(sim.url, user="u", password="p") as client:
            os.kill(sim.pid, signal.SIGKILL)
            await asyncio.sleep(0.1)
            async with asyncio.timeout(10):
                for attempt in (
                    client.retrieve([client.content.rootFolder], ["name"]),
                    client.finder().find("/DC0/vm/*"),
                    client.perf_counters(),
                    client.wait_for_task(aiovsphere.ManagedObjectReference("Task", "t-1")),
                ):
                    try:
                        await attempt
                    except BaseException as exc:
                        assert isinstance(exc, aiovsphere.ConnectError), exc
                    else:
                        raise AssertionError("a call to a dead server returned")
                cache = client.inventory_cache("VirtualMachine", ["name"])
                try:
                    await cache.__aenter__()
                except aiovsphere.ConnectError:
                    pass
                else:
                    raise AssertionError("a cache of a dead server started")
                assert isinstance(cache.error, aiovsphere.ConnectError)
    finally:
        sim.stop()
