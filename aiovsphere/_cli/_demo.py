"""``aiovsphere demo``: the SDK's strengths on the embedded simulator, with nothing installed.

Starts :class:`aiovsphere.simulator.Simulator` with 1,000 VMs in this process (no network,
no Go, no vCenter), then, on one event loop:

1. the inventory in one paged retrieval (a ContainerView, RetrievePropertiesEx with
   ``maxObjects``, ContinueRetrievePropertiesEx);
2. 1,000 concurrent calls (``bench`` 's ``small`` workload): throughput and latency;
3. an :class:`~aiovsphere.InventoryCache` of power states, started before:
4. 100 VMs powered off then on, each batch of tasks waited through one property collector
   (:func:`aiovsphere.wait_for_tasks`) with a progress bar, while the cache's snapshots
   follow the changes live;
5. a check that no session, view or collector is left on the server.

Numbers are this machine's; the demo asserts nothing about speed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

__all__ = ["demo"]

_SPARE_FDS = 128  # descriptors besides the connections: the listener, epoll, stdio, imports

PATHS = ["name", "runtime.powerState", "config.hardware.numCPU", "config.hardware.memoryMB"]


def demo(
    vms: Annotated[int, typer.Option(min=10, max=20000, help="VMs in the simulator")] = 1000,
    calls: Annotated[int, typer.Option(min=1, help="calls in the concurrency step")] = 1000,
    tasks: Annotated[int, typer.Option(min=1, help="VMs to power off and on")] = 100,
    json_: Annotated[bool, typer.Option("--json", help="print the figures as JSON")] = False,
) -> None:
    """Start the embedded simulator (VMS VMs) and show what aiovsphere does on one loop."""
    console = Console(stderr=json_)
    figures = asyncio.run(_demo(console, vms, calls, tasks))
    if json_:
        print(json.dumps(figures, indent=2))


async def _demo(console: Console, vm_count: int, calls: int, task_count: int) -> dict[str, Any]:
    import aiovsphere
    from aiovsphere._bench import run_bench
    from aiovsphere.simulator import Simulator

    figures: dict[str, Any] = {}
    started = time.perf_counter()
    async with Simulator(vms=vm_count) as sim:
        figures["simulator_start_s"] = round(time.perf_counter() - started, 3)
        console.rule("[bold]aiovsphere demo[/bold]: the embedded simulator, one event loop")
        console.print(f"simulator with {vm_count} VMs at {sim.url} "
                      f"(started in {figures['simulator_start_s']:.2f} s)")
        # Every call of step 2 really on the wire at once (one connection each), as far
        # as the open-file limit allows: client and server share this process.
        in_flight = _in_flight(calls)
        figures["in_flight"] = in_flight
        async with aiovsphere.connect(sim.url, user="demo", password="demo",
                                      max_in_flight=in_flight) as client:
            await _inventory(console, client, figures)
            await _concurrency(console, client, calls, in_flight, figures, run_bench)
            await _tasks_and_cache(console, client, task_count, figures)
            figures["sessions_left_before_logout"] = len(sim.sessions)
        figures["sessions_left"] = len(sim.sessions)
        figures["session_objects_left"] = sum(1 for o in sim.model if o.owner is not None)
    figures["total_s"] = round(time.perf_counter() - started, 2)
    console.rule("[bold]done[/bold]")
    console.print(f"{figures['total_s']:.1f} s in all; sessions left on the server: "
                  f"{figures['sessions_left']}, views/collectors left: "
                  f"{figures['session_objects_left']}")
    return figures


def _in_flight(calls: int) -> int:
    """Connections for step 2: ``calls`` (at most 1,000), fewer if this process may not
    open two descriptors per connection even after raising its soft limit."""
    from aiovsphere.simulator._limits import ensure_open_files

    wanted = min(calls, 1000)
    limit = ensure_open_files(2 * wanted + _SPARE_FDS)
    if limit is None:
        return wanted
    return max(1, min(wanted, (limit - _SPARE_FDS) // 2))


async def _inventory(console: Console, client: Any, figures: dict[str, Any]) -> None:
    console.rule("1. the inventory in one paged retrieval")
    t0 = time.perf_counter()
    async with client.container_view(["VirtualMachine"]) as view:
        records = await client.retrieve(view, PATHS, max_objects=500)
    seconds = time.perf_counter() - t0
    states = Counter(str(r.runtime.powerState) for r in records)
    table = Table("VMs", "powered on", "powered off", "vCPUs", "memory (MB)", "seconds")
    table.add_row(str(len(records)), str(states.get("poweredOn", 0)),
                  str(states.get("poweredOff", 0)),
                  str(sum(r.config.hardware.numCPU or 0 for r in records)),
                  str(sum(r.config.hardware.memoryMB or 0 for r in records)),
                  f"{seconds:.3f}")
    console.print(table)
    figures.update(inventory_vms=len(records), inventory_s=round(seconds, 3))


async def _concurrency(console: Console, client: Any, calls: int, in_flight: int,
                       figures: dict[str, Any], run_bench: Any) -> None:
    console.rule(f"2. {calls} concurrent calls on one loop")
    result = await run_bench(client, "small", concurrency=calls, calls=calls)
    table = Table("calls", "in flight", "calls/s", "p50 ms", "p99 ms", "errors")
    table.add_row(str(result.calls), str(in_flight), f"{result.calls_per_s:.0f}",
                  f"{result.p50_ms:.1f}", f"{result.p99_ms:.1f}", str(result.errors))
    console.print(table)
    figures.update(calls=result.calls, calls_per_s=round(result.calls_per_s),
                   p50_ms=round(result.p50_ms, 2), p99_ms=round(result.p99_ms, 2),
                   call_errors=result.errors)


async def _tasks_and_cache(console: Console, client: Any, count: int,
                           figures: dict[str, Any]) -> None:
    console.rule(f"3. {count} power tasks through one collector, a snapshot cache following")
    async with client.inventory_cache("VirtualMachine", ["name", "runtime.powerState"]) as cache:
        snapshot = cache.snapshot()
        vms = sorted(snapshot, key=lambda ref: snapshot[ref].name)[:count]
        versions = [snapshot.version]

        def powered_on() -> int:
            snap = cache.snapshot()
            return sum(1 for ref in vms if snap[ref].runtime.powerState == "poweredOn")

        for verb, method, wanted in (("off", "PowerOffVM_Task", 0),
                                     ("on", "PowerOnVM_Task", len(vms))):
            seconds, failed, version = await _power_batch(
                console, client, cache, vms, verb, method, wanted, powered_on)
            versions.append(version)
            console.print(f"power {verb}: {len(vms)} tasks in {seconds:.2f} s, {failed} failed; "
                          f"the cache saw it by snapshot version {version}")
            figures[f"power_{verb}_s"] = round(seconds, 3)
            figures[f"power_{verb}_failed"] = failed
        figures["cache_versions"] = versions


async def _power_batch(console: Console, client: Any, cache: Any, vms: list[Any], verb: str,
                       method: str, wanted: int, powered_on: Any) -> tuple[float, int, int]:
    """Start ``method`` on every VM, wait for all the tasks through one collector with a
    progress bar (and the cache's count beside it); (seconds, failed, cache version)."""
    with Progress(TextColumn(f"power {verb:<3}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn(f"cache: {{task.fields[cache]}}/{len(vms)} on"),
                  console=console) as bar:
        done: set[int] = set()
        job = bar.add_task(verb, total=len(vms), cache=powered_on())
        started = await asyncio.gather(*(client.invoke(vm, method) for vm in vms))

        def progress(index: int, percent: int) -> None:
            if percent == 100 and index not in done:
                done.add(index)
                bar.update(job, completed=len(done), cache=powered_on())

        t0 = time.perf_counter()
        outcomes = await client.wait_for_tasks(started, return_exceptions=True,
                                               progress=progress)
        seconds = time.perf_counter() - t0
        final = await cache.wait_until(
            lambda s: sum(1 for r in vms if s[r].runtime.powerState == "poweredOn") == wanted,
            timeout=30)
        bar.update(job, completed=len(vms), cache=powered_on())
    failed = sum(1 for o in outcomes if isinstance(o, BaseException))
    return seconds, failed, final.version
