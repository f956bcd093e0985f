"""Hundreds of concurrent calls on one loop, with random cancellations, against vcsim."""

from __future__ import annotations

import asyncio
import gc
import random
import warnings

import aiovsphere
from tests.integration.conftest import session_users


async def test_500_calls_with_random_cancellations_leak_nothing(
    vcsim_url: str, observer: aiovsphere.Client, loop_errors: list[dict[str, object]]
) -> None:
    rng = random.Random(20261129)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with aiovsphere.connect(vcsim_url, user="stress", password="pw",
                                      max_in_flight=50) as client:
            root = client.content.rootFolder
            tasks = [
                asyncio.create_task(client.get_properties(root, ["name"])) for _ in range(500)
            ]
            doomed = rng.sample(range(500), 150)
            for i in doomed:
                await asyncio.sleep(rng.random() * 0.002)
                tasks[i].cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            cancelled = [r for r in results if isinstance(r, asyncio.CancelledError)]
            ok = [r for r in results if r == {"name": "Datacenters"}]
            assert len(ok) + len(cancelled) == 500, [r for r in results if r not in ok][:3]
            assert len(ok) >= 350
            assert client.stats.in_flight == 0
            assert client.stats.queued == 0
            # The pool still works after the cancellations.
            assert await client.get_properties(root, ["name"]) == {"name": "Datacenters"}
            connector = client.transport._session.connector  # type: ignore[attr-defined]
        assert connector.closed
        del client, tasks, results
        gc.collect()
    assert "stress" not in await session_users(observer)
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)
             or "Unclosed" in str(w.message)]
    assert leaks == []
    assert loop_errors == []


async def test_queued_calls_wait_in_the_semaphore(vcsim_url: str) -> None:
    async with aiovsphere.connect(vcsim_url, user="queue", password="pw",
                                  max_in_flight=4) as client:
        peak = 0
        original = client.transport.request

        async def counting(request, sink):  # type: ignore[no-untyped-def]
            nonlocal peak
            peak = max(peak, client.stats.in_flight)
            return await original(request, sink)

        client.transport.request = counting  # type: ignore[method-assign]
        root = client.content.rootFolder
        await asyncio.gather(*(client.get_properties(root, ["name"]) for _ in range(100)))
        assert peak == 4
        assert client.stats.queue_wait_max > 0
        assert client.stats.queued == 0


async def test_deadline_cancels_and_pool_stays_healthy(vcsim_url: str) -> None:
    async with aiovsphere.connect(vcsim_url, user="deadline", password="pw") as client:
        root = client.content.rootFolder
        failures = 0
        # Deadlines from already-expired to a few ms: some calls are cut off mid-flight.
        for deadline in [0.0, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3] * 5:
            try:
                await client.get_properties(root, ["name"], timeout=deadline)
            except TimeoutError:
                failures += 1
        assert failures >= 5  # at least every already-expired one
        assert client.stats.in_flight == 0
        async with aiovsphere.timeout(10):
            left = aiovsphere.remaining()
            assert left is not None and 9 < left <= 10
            assert await client.get_properties(root, ["name"]) == {"name": "Datacenters"}
