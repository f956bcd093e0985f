"""500 operations cancelled at random points leave nothing behind on the server.

Retrieves over views, views entered and left, task waits, watch streams and inventory
caches run ~64 at a time, each cancelled after a random short delay (seeded: a failure
replays). Afterwards the server is asked what is left: ViewManager.viewList, the
ServiceContent PropertyCollector's ``filter``, and every view, collector and filter the
operations made (recorded from the calls that made them), which must all be gone.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

import aiovsphere
from aiovsphere import faults
from tests._recorder import Recorder
from tools.vcsim.launcher import Vcsim

SEED = 20240501
OPERATIONS = 500
CONCURRENCY = 64


@pytest.fixture(scope="module")
async def shared(vcsim_url: str) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(vcsim_url, user="leaks", password="pw") as client:
        yield client


@pytest.fixture(scope="module")
async def private(private_vcsim: Vcsim) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(private_vcsim.url, user="leaks", password="pw") as client:
        yield client


async def test_cancelled_operations_leave_nothing_on_the_server(
    shared: aiovsphere.Client, private: aiovsphere.Client,
    loop_errors: list[dict[str, object]],
) -> None:
    async with shared.container_view(["VirtualMachine"]) as view:
        vms = sorted(await view.objects(), key=lambda r: r.value)
    async with private.container_view(["VirtualMachine"]) as view:
        private_vms = sorted(await view.objects(), key=lambda r: r.value)
    recorders = [Recorder(shared), Recorder(private)]
    rng = random.Random(SEED)
    outcomes: collections.Counter[str] = collections.Counter()
    unexpected: list[BaseException] = []

    # ---------------------------------------------------------------- the operations
    async def retrieve_over_view(r: random.Random) -> None:
        async with shared.container_view(["VirtualMachine"]) as v:
            records = await shared.retrieve(v, ["name", "runtime.powerState"])
        assert len(records) == 8

    async def enter_and_leave_view(r: random.Random) -> None:
        async with shared.container_view(["HostSystem"]) as v:
            assert len(await v.objects()) == 4

    async def retrieve_over_list_view(r: random.Random) -> None:
        async with shared.list_view(vms[:3]) as v:
            records = await shared.retrieve(v, ["name"], type="VirtualMachine")
        assert len(records) == 3

    async def wait_for_a_task(r: random.Random) -> None:
        vm = private.mo(r.choice(private_vms))
        method = r.choice(["PowerOffVM_Task", "PowerOnVM_Task"])
        task = await getattr(vm, method)()
        try:
            await private.wait_for_task(task)
        except (faults.InvalidPowerState, faults.InvalidState, faults.TaskInProgress):
            pass  # already in that state, or another op's task is on it

    async def watch_objects(r: random.Random) -> None:
        async with contextlib.aclosing(shared.watch(vms[:4], ["name"])) as changes:
            async for _change in changes:
                pass

    async def watch_a_view(r: random.Random) -> None:
        async with shared.container_view(["VirtualMachine"]) as v:
            async with contextlib.aclosing(shared.watch(v, ["runtime.powerState"])) as changes:
                async for _change in changes:
                    pass

    async def inventory_cache(r: random.Random) -> None:
        async with shared.inventory_cache("VirtualMachine", ["name"]) as cache:
            assert len(cache.snapshot()) == 8
            await asyncio.sleep(0.01)

    kinds: list[Callable[[random.Random], Awaitable[None]]] = [
        retrieve_over_view, enter_and_leave_view, retrieve_over_list_view, wait_for_a_task,
        watch_objects, watch_a_view, inventory_cache,
    ]

    # ---------------------------------------------------------------- run, cancel
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        # Drawn before the first await: the same seed gives the same operations.
        kind = rng.choice(kinds)
        delay = rng.choice([0.0, rng.uniform(0, 0.003), rng.uniform(0, 0.03),
                            rng.uniform(0, 0.1), rng.uniform(0, 0.3)])
        r = random.Random(rng.random())
        async with limit:
            try:
                if i % 2:
                    await asyncio.wait_for(kind(r), delay)
                else:
                    task = asyncio.create_task(kind(r))
                    await asyncio.sleep(delay)
                    task.cancel()
                    await task
                outcomes["finished"] += 1
            except (TimeoutError, asyncio.CancelledError):
                outcomes["cancelled"] += 1
            except BaseException as exc:  # anything else is a bug the test reports
                unexpected.append(exc)

    async with asyncio.timeout(60):
        await asyncio.gather(*(one(i) for i in range(OPERATIONS)))

    # ---------------------------------------------------------------- what is left
    assert unexpected == []
    assert outcomes["finished"] + outcomes["cancelled"] == OPERATIONS
    assert outcomes["cancelled"] >= OPERATIONS // 2  # most were cut somewhere
    for recorder in recorders:
        # No view or collector was made whose moref nobody saw (a CreateFilter cut off
        # in flight is fine: its filter goes with its collector).
        for method in ("CreateContainerView", "CreateListView", "CreatePropertyCollector"):
            assert recorder.sent[method] == recorder.answered[method], method
        assert await recorder.leftovers() == []
        assert recorder.client.stats.in_flight == 0
        assert recorder.client.stats.relogins == 0
    made = recorders[0].made
    # The run made plenty to leak: views, collectors, filters (not all cancelled early).
    # (Bounds well below what a run makes, even on a loaded machine.)
    assert len(made["CreateContainerView"]) >= 50
    assert len(made["CreateListView"]) >= 10
    assert len(made["CreatePropertyCollector"]) >= 20
    assert len(made["CreateFilter"]) >= 10
    assert len(recorders[1].made["CreatePropertyCollector"]) >= 5
    assert outcomes["finished"] >= 10
    assert loop_errors == []


# ---------------------------------------------------------------- a second cancellation
def _signal_on(client: aiovsphere.Client, method: str, event: asyncio.Event) -> None:
    """Set ``event`` when a ``method`` call starts (on top of a Recorder's wrapper)."""
    invoke = client.invoke

    async def signalling(ref: Any, name: str, /, **kwargs: Any) -> Any:
        if name == method:
            event.set()
        return await invoke(ref, name, **kwargs)

    client.invoke = signalling  # type: ignore[method-assign]


async def _until_nothing_left(recorder: Recorder) -> list[str]:
    """The leftovers once the shielded teardown had a moment to finish (bounded)."""
    for _ in range(50):
        left = await recorder.leftovers()
        if not left:
            return left
        await asyncio.sleep(0.02)
    return left


async def test_a_second_cancellation_during_teardown_strands_nothing(
    vcsim_url: str, loop_errors: list[dict[str, object]]
) -> None:
    """A watch cancelled, then cancelled again while its teardown (CancelWaitForUpdates,
    DestroyPropertyFilter, DestroyPropertyCollector) is under way: the teardown still runs
    to its end; the second cancellation only stops the caller waiting for it."""
    async with aiovsphere.connect(vcsim_url, user="leaks-twice", password="pw") as client:
        recorder = Recorder(client)
        tearing_down = asyncio.Event()
        _signal_on(client, "CancelWaitForUpdates", tearing_down)
        async with client.container_view(["VirtualMachine"]) as view:
            vms = await view.objects()
        first = asyncio.Event()

        async def watch() -> None:
            async with contextlib.aclosing(client.watch(vms, ["name"])) as changes:
                async for _change in changes:
                    first.set()

        task = asyncio.create_task(watch())
        await asyncio.wait_for(first.wait(), 10)
        await asyncio.sleep(0.05)  # now in the second, server-side WaitForUpdatesEx
        task.cancel()
        await asyncio.wait_for(tearing_down.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(recorder.made["CreatePropertyCollector"]) == 1
        assert len(recorder.made["CreateFilter"]) == 1
        assert await _until_nothing_left(recorder) == []
    assert loop_errors == []


async def test_cancelling_inventory_cache_close_is_not_swallowed(
    vcsim_url: str, loop_errors: list[dict[str, object]]
) -> None:
    async with aiovsphere.connect(vcsim_url, user="leaks-close", password="pw") as client:
        recorder = Recorder(client)
        tearing_down = asyncio.Event()
        _signal_on(client, "CancelWaitForUpdates", tearing_down)
        cache = client.inventory_cache("VirtualMachine", ["name"])
        await cache.__aenter__()
        assert len(cache.snapshot()) == 8
        closer = asyncio.create_task(cache.close())
        await asyncio.wait_for(tearing_down.wait(), 10)
        closer.cancel()  # the caller of close() is cancelled while it waits
        outcome = (await asyncio.gather(closer, return_exceptions=True))[0]
        # Nothing is left behind either way (the teardown is shielded) ...
        assert await _until_nothing_left(recorder) == []
        assert loop_errors == []
        # ... but the caller's cancellation must come out of close().
        assert isinstance(outcome, asyncio.CancelledError)
