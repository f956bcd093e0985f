"""Load generator behind ``python -m aiovsphere bench``: one session, M calls, N in flight.

Reports calls/s, latency percentiles (ms), client CPU per call (ms of this process's CPU
time, which includes the event loop and any decode threads) and errors. Numbers are for
benchmarks and reports only; tests never assert on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from aiovsphere._inventory import list_vms
from aiovsphere._property import container_view, retrieve_pages, view_filter_spec

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiovsphere._client import Client

__all__ = ["BenchResult", "Workload", "run_bench"]

Workload = Literal["small", "inventory", "full"]


@dataclass(frozen=True, slots=True)
class BenchResult:
    workload: str
    concurrency: int
    calls: int
    errors: int
    seconds: float
    calls_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_call: float
    first_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def _first_vm(client: Client) -> Any:
    async with container_view(client, ["VirtualMachine"]) as view:
        pages = retrieve_pages(client, [view_filter_spec(view, "VirtualMachine", ["name"])])
        async with contextlib.aclosing(pages):  # release the paging token right away
            async for page in pages:
                for obj in page:
                    return obj.obj
    raise LookupError("the inventory has no VirtualMachine")


async def make_workload(client: Client, workload: Workload) -> Callable[[], Awaitable[Any]]:
    """The coroutine function one benchmark call runs."""
    if workload == "small":
        vm = await _first_vm(client)

        async def small() -> Any:
            return await client.get_properties(vm, ["name", "runtime.powerState"])

        return small
    if workload == "inventory":

        async def inventory() -> Any:
            return await list_vms(client)

        return inventory
    if workload == "full":

        async def full() -> Any:
            count = 0
            async with container_view(client, ["VirtualMachine"]) as view:
                async for page in retrieve_pages(
                    client, [view_filter_spec(view, "VirtualMachine", None)]
                ):
                    count += len(page)
            return count

        return full
    raise ValueError(f"unknown workload {workload!r}")


async def run_bench(
    client: Client, workload: Workload, *, concurrency: int, calls: int
) -> BenchResult:
    """Run ``calls`` calls of ``workload`` with ``concurrency`` in flight on this loop."""
    fn = await make_workload(client, workload)
    latencies: list[float] = []
    errors = 0
    first_error: str | None = None
    remaining = calls

    async def worker() -> None:
        nonlocal remaining, errors, first_error
        while remaining > 0:
            remaining -= 1
            start = time.perf_counter()
            try:
                await fn()
            except Exception as exc:
                errors += 1
                first_error = first_error or f"{type(exc).__name__}: {exc}"
                continue
            latencies.append(time.perf_counter() - start)

    cpu0, wall0 = time.process_time(), time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        for _ in range(min(concurrency, calls)):
            tg.create_task(worker())
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    latencies.sort()

    def pct(q: float) -> float:
        if not latencies:
            return float("nan")
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return BenchResult(
        workload=workload,
        concurrency=concurrency,
        calls=calls,
        errors=errors,
        seconds=wall,
        calls_per_s=len(latencies) / wall if wall else 0.0,
        p50_ms=pct(0.50),
        p99_ms=pct(0.99),
        cpu_ms_per_call=cpu * 1000 / max(calls, 1),
        first_error=first_error,
    )
