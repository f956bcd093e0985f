"""Adversarial (final review): deadlines and per-call retry policies around the cache
reconnect and the collector's loss handling."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

import aiovsphere
from aiovsphere import _retry
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._inventory import InventorySpec
from aiovsphere.transport.base import BodySink, HttpRequest, HttpResponse

SPEC = InventorySpec(clusters=0, hosts=1, vms=3, dvs=False)
SI = aiovsphere.ManagedObjectReference("ServiceInstance", "ServiceInstance")


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    monkeypatch.setattr(_retry, "_sleep", fake_sleep)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SPEC, seed=5, task_seconds=0) as sim:
        yield sim


async def test_cache_started_under_a_callers_deadline_outlives_it(sim: Simulator) -> None:
    """A cache entered inside ``aiovsphere.timeout(...)`` (an AsyncExitStack keeps it
    open past the block) must not inherit that deadline: its background task copies the
    caller's context, so once the deadline passes every wait and every reconnect of the
    task fails at once with TimeoutError, which _run treats as transient, for
    reconnect_seconds (300 s): the cache silently stops following the server."""
    async with aiovsphere.connect(sim.url, user="u", password="p") as client, \
            contextlib.AsyncExitStack() as stack:
        async with aiovsphere.timeout(1.0):
            cache = await stack.enter_async_context(
                client.inventory_cache("VirtualMachine", ["name"]))
        first = cache.snapshot()
        vm = next(iter(first))
        await asyncio.sleep(1.2)  # the caller's (long gone) deadline has passed
        await client.invoke(vm, "Rename_Task", newName="after-the-deadline")
        with contextlib.suppress(TimeoutError):
            await cache.wait_until(lambda s: s[vm].name == "after-the-deadline", timeout=5)
        assert cache.error is None
        assert cache.snapshot()[vm].name == "after-the-deadline", (
            "the cache stopped following the server after its creator's deadline")


async def test_callers_deadline_in_wait_until_is_the_callers_not_the_caches(
        sim: Simulator) -> None:
    """The caller's own deadline around wait_until comes out as TimeoutError to the
    caller; the cache does not take it as its error and keeps going."""
    async with aiovsphere.connect(sim.url, user="u", password="p") as client, \
            client.inventory_cache("VirtualMachine", ["name"]) as cache:
        vm = next(iter(cache.snapshot()))
        with pytest.raises(TimeoutError):
            async with aiovsphere.timeout(0.3):
                await cache.wait_until(lambda s: False)
        assert cache.error is None
        await client.invoke(vm, "Rename_Task", newName="still-following")
        await cache.wait_until(lambda s: s[vm].name == "still-following", timeout=5)


@pytest.mark.parametrize("when", ["before", "after"])
async def test_per_call_retry_none_sends_once(sim: Simulator, no_sleep: None,
                                              when: str) -> None:
    """invoke(retry=None) for an idempotent read whose answer is lost: sent once (the
    server's own count), the typed error raised; the client's policy would resend."""
    async with aiovsphere.connect(sim.url, user="u", password="p") as client:
        before = sim.faults.calls["CurrentTime"]
        sim.faults.drop(when=when, method="CurrentTime", times=1)  # type: ignore[arg-type]
        with pytest.raises(aiovsphere.TransportError):
            await client.invoke(SI, "CurrentTime", retry=None)
        assert sim.faults.calls["CurrentTime"] - before == 1
        sim.faults.drop(when=when, method="CurrentTime", times=1)  # type: ignore[arg-type]
        await client.invoke(SI, "CurrentTime")  # the client's policy: sent again
        assert sim.faults.calls["CurrentTime"] - before == 3


class _Counting:
    def __init__(self, client: aiovsphere.Client) -> None:
        self.inner = client.transport
        self.sent: list[str] = []
        client.transport = self

    async def request(self, request: HttpRequest, sink: BodySink) -> HttpResponse:
        self.sent.append(request.operation)
        return await self.inner.request(request, sink)

    async def close(self) -> None:
        await self.inner.close()


async def test_per_call_retry_none_sends_an_unsent_call_once(no_sleep: None) -> None:
    """A refused connect (unsent, retried by the default policy even for writers):
    retry=None still means one send."""
    async with Simulator(SPEC, seed=6) as sim:
        client = aiovsphere.Client(sim.url)
        await client.open()
        await client.session.login("u", "p")
    try:
        for _ in range(3):  # the pooled keep-alive connections die first (not unsent)
            with contextlib.suppress(aiovsphere.ConnectError):
                await client.invoke(SI, "CurrentTime", retry=None)
        counting = _Counting(client)  # the server is gone: every connect is refused
        with pytest.raises(aiovsphere.ConnectError) as info:
            await client.invoke(SI, "CurrentTime", retry=None)
        assert info.value.unsent
        assert counting.sent == ["CurrentTime"]
        counting.sent.clear()
        with pytest.raises(aiovsphere.ConnectError):
            await client.invoke(SI, "CurrentTime")
        assert len(counting.sent) == (client.retry.attempts if client.retry else 1)
    finally:
        await client.close()
