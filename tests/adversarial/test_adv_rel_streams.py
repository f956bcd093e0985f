"""Adversarial tests of watch streams and InventoryCache under lost WaitForUpdatesEx
answers (the wait is re-sent at the same version by invoke_repeatable) and reconnects."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest

import aiovsphere
from aiovsphere import RetryPolicy, _cache, _retry
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._inventory import InventorySpec

from ._support import leak_checks, other_tasks

SPEC = InventorySpec(clusters=0, hosts=1, vms=6, dvs=False)


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    monkeypatch.setattr(_retry, "_sleep", fake_sleep)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SPEC, seed=11, task_seconds=0) as sim:
        yield sim


def _session_objects(sim: Simulator, key: str) -> int:
    return sum(1 for o in sim.model if o.owner == key)


@pytest.mark.parametrize("cap", [None, 1])
async def test_lost_wait_answers_give_no_duplicate_or_missed_change(
        sim: Simulator, no_sleep: None, cap: int | None) -> None:
    """Every other WaitForUpdatesEx answer is lost after the server computed it; the
    stream's record of names must equal the server's at the end, each rename seen, and
    no "enter" of a known object outside a reset."""
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        async with client.container_view(["VirtualMachine"]) as view:
            vms = list(await view.objects())
        names: dict[aiovsphere.ManagedObjectReference, str] = {}
        problems: list[str] = []
        renamed: list[str] = []
        async with aiovsphere.timeout(20), contextlib.aclosing(aiovsphere.watch_batches(
                client, vms, ["name"], max_object_updates=cap)) as batches:
            rule = None
            async for batch in batches:
                for change in batch.changes:
                    if change.kind == "leave":
                        names.pop(change.obj, None)
                        continue
                    if change.kind == "enter" and change.obj in names and not batch.reset:
                        problems.append(f"enter again: {change.obj}")
                    for prop in change.changes:
                        names[change.obj] = prop.val
                if batch.truncated:
                    continue
                if rule is None:  # first full state: from now on lose answers
                    # Uncapped: every other answer. Capped at one object an answer, a full
                    # state takes 6 answers, and each loss starts it again: lose every 8th.
                    rule = sim.faults.drop(when="after", method="WaitForUpdatesEx",
                                           every=2 if cap is None else 8,
                                           times=None if cap is None else 3)
                if len(renamed) == len(vms):
                    if all(names[vm] == f"lost-{i}" for i, vm in enumerate(vms)):
                        break
                    continue
                i = len(renamed)
                renamed.append(f"lost-{i}")
                await client.invoke(vms[i], "Rename_Task", newName=f"lost-{i}")
        assert rule is not None
        lost = rule.fired
        sim.faults.clear()
        truth = {r.obj: r.name for r in await client.retrieve(vms, ["name"])}
    assert lost >= 3  # answers really were lost
    assert problems == []
    assert names == truth


async def test_cache_close_during_every_phase_of_a_reconnect_leaves_nothing(
        sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache whose WaitForUpdatesEx answers 503 forever after the first snapshot,
    with long backoffs: close() at once, no server objects, tasks or loop errors left."""
    monkeypatch.setattr(_cache, "_random", SimpleNamespace(uniform=lambda a, b: b))
    monkeypatch.setattr(_retry, "_random", SimpleNamespace(uniform=lambda a, b: b))
    policy = RetryPolicy(initial_backoff=0.05, max_backoff=30.0)
    baseline = set(asyncio.all_tasks())
    with leak_checks() as problems:
        async with aiovsphere.connect(sim.url, user="admin", password="pw",
                                      retry=policy) as client:
            key = (await client.get_properties(client.service("sessionManager"),
                                               ["currentSession"]))["currentSession"].key
            for wait_for in (1, 3, 6):  # in the inner backoff, then later in the cycle
                cache = client.inventory_cache("VirtualMachine", ["name"])
                async with cache:
                    sim.faults.http_status(503, method="WaitForUpdatesEx")
                    async with asyncio.timeout(10):
                        while sim.faults.count("http_status") < wait_for:  # noqa: ASYNC110
                            await asyncio.sleep(0.01)
                    loop = asyncio.get_running_loop()
                    began = loop.time()
                async with asyncio.timeout(5):
                    await cache.close()
                assert loop.time() - began < 3.0  # generous: not a 30 s backoff
                sim.faults.clear()
                await asyncio.sleep(0.1)
                assert _session_objects(sim, key) == 0, wait_for
        assert other_tasks(baseline) == set()
    assert problems == []


async def test_cache_ends_with_the_typed_error_after_reconnect_seconds_of_503(
        sim: Simulator, no_sleep: None) -> None:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        async with client.inventory_cache("VirtualMachine", ["name"],
                                          reconnect_seconds=0.5) as cache:
            first = cache.snapshot()
            sim.faults.http_status(503)
            async with asyncio.timeout(15):
                with pytest.raises(aiovsphere.HTTPStatusError):
                    await cache.wait_until(lambda s: False)
            assert cache.snapshot() is first
            sim.faults.clear()


async def test_losses_faster_than_a_truncated_full_state_end_the_stream_typed(
        sim: Simulator, no_sleep: None) -> None:
    """One object an answer and every other answer lost: the full state never completes.
    The stream ends with the transport error after RetryPolicy.attempts losses, not a
    loop until the deadline."""
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        async with client.container_view(["VirtualMachine"]) as view:
            vms = list(await view.objects())
        rule = sim.faults.drop(when="after", method="WaitForUpdatesEx", every=2)
        with pytest.raises(aiovsphere.TransportError):
            async with aiovsphere.timeout(20), contextlib.aclosing(aiovsphere.watch_batches(
                    client, vms, ["name"], max_object_updates=1)) as batches:
                async for _batch in batches:
                    pass
        assert rule.fired == client.retry.attempts  # type: ignore[union-attr]
