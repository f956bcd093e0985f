"""500 concurrent calls with random cancellations against a real local server."""

from __future__ import annotations

import asyncio
import gc
import random
import warnings
from typing import Any

from client._soap import PASSWORD, USER, Call, FakeVC

from aiovsphere import Client, ManagedObjectReference
from aiovsphere.transport.http import AiohttpTransport
from aiovsphere.transport.mock import MockResponse

from ._server import VCServer

CALLS = 500


async def test_concurrent_calls_with_random_cancellations(fake: FakeVC) -> None:
    rng = random.Random(20240501)
    delays = [rng.uniform(0, 0.02) for _ in range(CALLS)]
    cancel_at = {i: rng.uniform(0, 0.15) for i in rng.sample(range(CALLS), 150)}

    async def slow_read(call: Call) -> MockResponse | None:
        value = call.all_text("v:specSet/v:objectSet/v:obj")
        if value and value[0].startswith("vm-"):
            await asyncio.sleep(delays[int(value[0][3:])])
        return None

    fake.on["RetrievePropertiesEx"] = slow_read  # type: ignore[assignment]

    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            async with VCServer(fake) as server:
                client = Client(server.url, version="8.0.3.0", max_in_flight=32)
                await client.open()
                await client.session.login(USER, PASSWORD)

                async def read(i: int) -> dict[str, Any]:
                    ref = ManagedObjectReference("VirtualMachine", f"vm-{i}")
                    return await client.get_properties(ref, ["name", "config.uuid"])

                tasks = [asyncio.create_task(read(i)) for i in range(CALLS)]

                async def cancel_later(i: int, delay: float) -> None:
                    await asyncio.sleep(delay)
                    tasks[i].cancel()

                cancellers = [asyncio.create_task(cancel_later(i, d))
                              for i, d in cancel_at.items()]
                results = await asyncio.gather(*tasks, return_exceptions=True)
                await asyncio.gather(*cancellers)

                survivors = 0
                for i, result in enumerate(results):
                    if isinstance(result, asyncio.CancelledError):
                        assert i in cancel_at
                        continue
                    assert not isinstance(result, BaseException), (i, result)
                    assert result == {"name": f"name:vm-{i}", "config.uuid": f"config.uuid:vm-{i}"}
                    survivors += 1
                cancelled = CALLS - survivors
                assert 20 < cancelled <= 150 and survivors >= 350
                # Some were cancelled while on the wire (the server had the request), not
                # only while queued for the semaphore.
                reached = {c.all_text("v:specSet/v:objectSet/v:obj")[0] for c in fake.calls
                           if c.method == "RetrievePropertiesEx"}
                on_the_wire = [i for i, r in enumerate(results)
                               if isinstance(r, asyncio.CancelledError) and f"vm-{i}" in reached]
                assert len(on_the_wire) >= 5

                stats = client.stats
                assert stats.in_flight == 0 and stats.queued == 0
                assert stats.queue_wait_max > 0
                # The client is still healthy after all that.
                assert await read(7) == {"name": "name:vm-7", "config.uuid": "config.uuid:vm-7"}

                transport = client.transport
                assert isinstance(transport, AiohttpTransport) and transport._session
                connector = transport._session.connector
                assert connector is not None
                assert len(connector._acquired) == 0
                await client.close()
                assert connector.closed
                assert fake.methods[-1] == "Logout"
                for _ in range(100):
                    if server.open_connections() == 0:
                        break
                    await asyncio.sleep(0.01)
                assert server.open_connections() == 0
            gc.collect()
            await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert errors == []
    assert [str(w.message) for w in caught] == []
