"""Deadlines (timeout=, asyncio.timeout, aiovsphere.timeout) and the in-flight semaphore."""

from __future__ import annotations

import asyncio
import time

import pytest

import aiovsphere
from aiovsphere import Client

from ._soap import Call, FakeVC


def _slow(fake: FakeVC, seconds: float = 30.0) -> None:
    async def handler(call: Call) -> None:
        await asyncio.sleep(seconds)

    fake.on["CurrentTime"] = handler


def _record_remaining(fake: FakeVC, seen: list[float | None]) -> None:
    def handler(call: Call) -> None:
        # The mock transport runs the handler in the caller's task: it sees its context.
        seen.append(aiovsphere.remaining())

    fake.on["CurrentTime"] = handler


async def _current_time(client: Client, **kw: float) -> object:
    return await client.invoke(client.service_instance, "CurrentTime", **kw)


async def _assert_recovers(fake: FakeVC, client: Client) -> None:
    assert client.stats.in_flight == 0
    assert client.stats.queued == 0
    fake.on.pop("CurrentTime", None)
    assert (await _current_time(client)).year == 2024  # type: ignore[attr-defined]


async def test_per_call_timeout(fake: FakeVC, client: Client) -> None:
    _slow(fake)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        await _current_time(client, timeout=0.05)
    assert 0.04 <= time.monotonic() - t0 < 1.0
    await _assert_recovers(fake, client)


async def test_client_default_timeout(fake: FakeVC) -> None:
    client = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0",
                    timeout=0.05)
    await client.open()
    try:
        _slow(fake)
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            await _current_time(client)
        assert time.monotonic() - t0 < 1.0
        # A per-call timeout overrides the default (here: longer, so the call completes).
        _slow(fake, 0.1)
        slow = await _current_time(client, timeout=5)
        assert slow.year == 2024  # type: ignore[attr-defined]
        await _assert_recovers(fake, client)
    finally:
        await client.close()


async def test_enclosing_asyncio_timeout(fake: FakeVC, client: Client) -> None:
    _slow(fake)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await _current_time(client)
    assert time.monotonic() - t0 < 1.0
    await _assert_recovers(fake, client)


async def test_enclosing_aiovsphere_timeout(fake: FakeVC, client: Client) -> None:
    _slow(fake)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        async with aiovsphere.timeout(0.05):
            await _current_time(client)
    assert time.monotonic() - t0 < 1.0
    assert aiovsphere.remaining() is None  # the deadline does not outlive its block
    await _assert_recovers(fake, client)


async def test_remaining_is_none_without_deadline(fake: FakeVC, client: Client) -> None:
    seen: list[float | None] = []
    _record_remaining(fake, seen)
    await _current_time(client)
    assert seen == [None]


async def test_remaining_visible_in_nested_calls(fake: FakeVC, client: Client) -> None:
    seen: list[float | None] = []
    _record_remaining(fake, seen)
    async with aiovsphere.timeout(5):
        await _current_time(client)
        outer = aiovsphere.remaining()
    (inside,) = seen
    assert inside is not None and 4.5 < inside <= 5
    assert outer is not None and outer <= inside


@pytest.mark.parametrize(
    ("outer", "inner", "per_call", "expected"),
    [
        (5.0, 0.5, None, 0.5),  # inner earlier wins
        (0.5, 5.0, None, 0.5),  # an outer earlier deadline stays in force
        (5.0, None, 1.0, 1.0),  # the call's own timeout is the innermost
        (0.5, None, 5.0, 0.5),  # ... but cannot extend an enclosing deadline
        (5.0, 3.0, 1.0, 1.0),
    ],
)
async def test_innermost_earliest_deadline_wins(
    fake: FakeVC, client: Client, outer: float, inner: float | None, per_call: float | None,
    expected: float,
) -> None:
    seen: list[float | None] = []
    _record_remaining(fake, seen)
    kw = {} if per_call is None else {"timeout": per_call}
    async with aiovsphere.timeout(outer):
        async with aiovsphere.timeout(inner):
            await _current_time(client, **kw)
    (got,) = seen
    assert got is not None
    assert expected - 0.3 < got <= expected


async def test_concurrent_calls_see_their_own_deadlines(fake: FakeVC, client: Client) -> None:
    seen: dict[float, float | None] = {}

    async def handler(call: Call) -> None:
        await asyncio.sleep(0.01)
        left = aiovsphere.remaining()
        assert left is not None
        seen[round(left)] = left

    fake.on["CurrentTime"] = handler

    async def one(seconds: float) -> None:
        async with aiovsphere.timeout(seconds):
            await _current_time(client)

    await asyncio.gather(one(3), one(7), one(11))
    assert sorted(seen) == [3, 7, 11]


async def test_timeout_while_queued_for_the_semaphore(fake: FakeVC) -> None:
    client = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0",
                    max_in_flight=1)
    await client.open()
    release = asyncio.Event()

    async def blocked(call: Call) -> None:
        await release.wait()

    fake.on["CurrentTime"] = blocked
    try:
        first = asyncio.create_task(_current_time(client))
        await asyncio.sleep(0.01)
        assert client.stats.in_flight == 1
        with pytest.raises(TimeoutError):
            await _current_time(client, timeout=0.05)
        assert client.stats.queued == 0
        release.set()
        await first
        await _assert_recovers(fake, client)  # the semaphore was not leaked
    finally:
        await client.close()


async def test_semaphore_bounds_concurrency(fake: FakeVC) -> None:
    client = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0",
                    max_in_flight=3)
    await client.open()
    active = 0
    peak = 0

    async def handler(call: Call) -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        try:
            await asyncio.sleep(0.01)
        finally:
            active -= 1

    fake.on["CurrentTime"] = handler
    try:
        results = await asyncio.gather(*(_current_time(client) for _ in range(30)))
        assert len(results) == 30 and all(r.year == 2024 for r in results)  # type: ignore[attr-defined]
        assert peak == 3
        assert client.stats.queue_wait_max > 0
        assert client.stats.queue_wait_total >= client.stats.queue_wait_max
        assert client.stats.queued == 0
        assert client.stats.in_flight == 0
        assert fake.count("CurrentTime") == 30
    finally:
        await client.close()
