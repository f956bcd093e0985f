"""The chaos run: 1,000 concurrent operations through the proxy while a scenario breaks
things, then an account of how every operation ended and of what was left behind.

Operations (seeded mix): property reads (RetrievePropertiesEx over a VM list), task
waits (PowerOff/PowerOn a VM, then WaitForUpdatesEx on the task), watch streams (a
collector and filter on a VM until its first update) and inventory caches (a container
view, collector and filter until the first snapshot). Each runs under its own deadline
(``aiovsphere.timeout``); a share of them is cancelled at a random moment. One long-lived
InventoryCache runs through the whole scenario and must agree with the server afterwards.

How each ended: ``completed``, ``failed`` (by error type: a VSphereError or TimeoutError),
``cancelled`` (by us), ``untyped`` (anything else: a bug) and ``hung`` (ended later than its
deadline plus ``HANG_MARGIN``). Leaks, counted once the faults are lifted: server objects
the client made and knows of that still exist, server objects of the client's session
that it never heard of (``orphaned``: their Create* answer was lost in transit, which no
client can know; counted on the embedded simulator, which can list them), sessions left
on the server after ``close()``, sockets still open, task exceptions never retrieved and
ResourceWarnings.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import gc
import os
import random
import time
import traceback
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import psutil

import aiovsphere
from aiovsphere import ManagedObjectReference, faults
from tests._recorder import Recorder

from .proxy import ChaosProxy, Faults

# Seconds past an operation's deadline that count as a hang. An operation cut off while
# it was creating a view or collector waits up to CLEANUP_GRACE (2 s) for that object's
# destroy (aiovsphere._views.run_cleanup), and a cache or watch holds two such objects.
HANG_MARGIN = 5.0
KINDS = ("read", "task", "watch", "cache")
WEIGHTS = (50, 20, 15, 15)


@dataclasses.dataclass
class Report:
    """Figures of one scenario run (printed in the terminal summary, docs/reliability.md)."""

    scenario: str
    server: str
    operations: int = 0
    completed: int = 0
    cancelled: int = 0
    failed: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    failed_by_kind: collections.Counter[str] = dataclasses.field(
        default_factory=collections.Counter)
    untyped: list[str] = dataclasses.field(default_factory=list)
    traces: list[str] = dataclasses.field(default_factory=list)  # $AIOVSPHERE_CHAOS_TRACE
    hung: list[str] = dataclasses.field(default_factory=list)
    max_overrun: float = 0.0  # seconds past the deadline, worst operation
    objects_left: list[str] = dataclasses.field(default_factory=list)
    orphaned: int | None = None  # None: the server cannot list them (vcsim)
    lost_create_answers: int = 0
    sessions_left: int = -1
    sockets_open: int = -1
    unretrieved: list[str] = dataclasses.field(default_factory=list)
    resource_warnings: list[str] = dataclasses.field(default_factory=list)
    cache_consistent: bool | None = None
    cache_error: str = ""  # the long-lived cache's error, if it ended
    recovery_p99: float | None = None  # seconds, after a server restart
    relogins: int = 0
    retries: int = 0
    proxy: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def leaks(self) -> int:
        return (len(self.objects_left) + max(self.sessions_left, 0)
                + max(self.sockets_open, 0) + len(self.unretrieved)
                + len(self.resource_warnings))

    def row(self) -> str:
        failed = ", ".join(f"{k} {v}" for k, v in self.failed.most_common()) or "-"
        recovery = f"{self.recovery_p99:.2f} s" if self.recovery_p99 is not None else "-"
        orphaned = "n/a" if self.orphaned is None else str(self.orphaned)
        return (f"| {self.scenario} | {self.server} | {self.operations} | {self.completed} "
                f"| {failed} | {self.cancelled} | {len(self.untyped)} | {len(self.hung)} "
                f"| {max(self.max_overrun, 0.0):.1f} s | {self.leaks} | {orphaned} "
                f"| {recovery} | {self.relogins} | {self.retries} |")


HEADER = ("| scenario | server | ops | completed | failed (typed) | cancelled | untyped "
          "| hung | max overrun | leaks | orphaned | p99 recovery | re-logins | retries |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


@dataclasses.dataclass
class Target:
    """The server under test, as the scenarios need it."""

    name: str
    proxy: ChaosProxy
    admin: Callable[[], Any]  # -> async context manager of a client straight to the server
    kill: Callable[[], Awaitable[None]]  # the server dies (its connections with it)
    revive: Callable[[], Awaitable[None]]  # a new server, the proxy pointed at it
    session_objects: Callable[[str], int] | None  # session key -> its objects (embedded)


async def _operation(client: aiovsphere.Client, kind: str, vms: list[ManagedObjectReference],
                     rng: random.Random) -> None:
    vm = rng.choice(vms)
    if kind == "read":
        picked = rng.sample(vms, min(5, len(vms)))
        records = await client.retrieve(picked, ["name", "runtime.powerState"])
        assert len(records) == len(picked)
    elif kind == "task":
        method = rng.choice(("PowerOffVM_Task", "PowerOnVM_Task"))
        task = await client.invoke(vm, method)
        with contextlib.suppress(faults.InvalidPowerState, faults.TaskInProgress):
            await client.wait_for_task(task)
    elif kind == "watch":
        async with contextlib.aclosing(client.watch([vm], ["runtime.powerState"])) as changes:
            async for change in changes:
                assert change.obj == vm
                break
    else:
        async with client.inventory_cache("VirtualMachine", ["runtime.powerState"]) as cache:
            assert len(cache.snapshot()) == len(vms)


async def run_scenario(
    target: Target,
    scenario: str,
    chaos: Callable[[Target, aiovsphere.Client, dict[str, Any]], Awaitable[None]],
    *,
    operations: int = 1000,
    deadline: float = 4.0,
    cancel_share: float = 0.1,
    seed: int = 0,
    restart_probe: bool = False,
) -> Report:
    """Run ``operations`` at once through ``target.proxy`` while ``chaos`` runs; lift the
    faults; count how everything ended and what is left. Returns the Report."""
    report = Report(scenario, target.name, operations)
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    loop_errors: list[dict[str, Any]] = []
    previous_handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: loop_errors.append(context))
    process = psutil.Process()
    proxy_port = target.proxy.port
    state: dict[str, Any] = {}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            async with aiovsphere.connect(target.proxy.url, user="chaos", password="pw",
                                          max_in_flight=64) as client:
                recorder = Recorder(client)
                async with client.container_view(["VirtualMachine"]) as view:
                    vms = [r.obj for r in await client.retrieve(view, ["name"])]
                async with client.inventory_cache("VirtualMachine",
                                                  ["runtime.powerState"]) as cache:
                    await _drive(client, target, scenario, chaos, vms, rng, report, deadline,
                                 cancel_share, state, restart_probe)
                    target.proxy.faults = Faults()  # lift every fault
                    target.proxy.unstall()
                    report.cache_consistent = await _cache_agrees(client, cache, vms)
                    if cache.error is not None:
                        report.cache_error = f"{type(cache.error).__name__}: {cache.error}"
                await _settle(client)
                report.objects_left = await recorder.alive()
                report.lost_create_answers = recorder.lost
                if target.session_objects is not None:
                    key = (await client.get_properties(client.content.sessionManager,
                                                       ["currentSession"]))["currentSession"].key
                    report.orphaned = max(0, target.session_objects(key)
                                          - len(report.objects_left))
                report.relogins = client.stats.relogins
                report.retries = client.stats.retries
            async with target.admin() as admin:
                sessions = (await admin.get_properties(admin.content.sessionManager,
                                                       ["sessionList"])).get("sessionList") or ()
                report.sessions_left = sum(1 for s in sessions if s.userName != "admin")
            await asyncio.sleep(0.05)
            del client, recorder
            gc.collect()
            report.sockets_open = sum(
                1 for c in process.net_connections("tcp")
                if c.raddr and c.raddr.port == proxy_port and c.status == "ESTABLISHED")
            report.resource_warnings = [str(w.message) for w in caught
                                        if issubclass(w.category, ResourceWarning)]
    finally:
        loop.set_exception_handler(previous_handler)
    report.unretrieved = [str(c.get("message")) for c in loop_errors]
    report.proxy = dict(target.proxy.counts)
    if state.get("recovery"):
        times = sorted(state["recovery"])
        report.recovery_p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    return report


async def _drive(client: aiovsphere.Client, target: Target, scenario: str,
                 chaos: Callable[[Target, aiovsphere.Client, dict[str, Any]], Awaitable[None]],
                 vms: list[ManagedObjectReference], rng: random.Random, report: Report,
                 deadline: float, cancel_share: float, state: dict[str, Any],
                 restart_probe: bool) -> None:
    kinds = rng.choices(KINDS, WEIGHTS, k=report.operations)
    cancelled_on_purpose: set[int] = set()

    async def one(index: int, kind: str, op_rng: random.Random) -> None:
        started = time.monotonic()
        try:
            async with aiovsphere.timeout(deadline):
                await _operation(client, kind, vms, op_rng)
            report.completed += 1
        except asyncio.CancelledError:
            if index not in cancelled_on_purpose:
                raise
            report.cancelled += 1
        except (aiovsphere.VSphereError, TimeoutError) as exc:
            report.failed[type(exc).__name__] += 1
            report.failed_by_kind[f"{kind}: {type(exc).__name__}: {exc}"[:160]] += 1
            if os.environ.get("AIOVSPHERE_CHAOS_TRACE") and len(report.traces) < 3:
                report.traces.append("".join(traceback.format_exception(exc))[-3000:])
        except Exception as exc:
            report.untyped.append(f"{kind}: {type(exc).__name__}: {exc}"[:300])
        overrun = time.monotonic() - started - deadline
        report.max_overrun = max(report.max_overrun, overrun)
        if overrun > HANG_MARGIN:
            report.hung.append(f"{kind} {overrun:.1f}s past its deadline")

    tasks = [asyncio.create_task(one(i, kind, random.Random(rng.random())))
             for i, kind in enumerate(kinds)]
    cancellers = []
    for i, task in enumerate(tasks):
        if rng.random() < cancel_share:
            cancellers.append(asyncio.create_task(_cancel_later(
                task, rng.uniform(0.0, deadline * 0.6), i, cancelled_on_purpose)))
    probes = ([asyncio.create_task(_probe(client, state)) for _ in range(50)]
              if restart_probe else [])
    chaos_task = asyncio.create_task(chaos(target, client, state))
    if os.environ.get("AIOVSPHERE_CHAOS_TRACE"):
        cancellers.append(asyncio.create_task(_dump_stuck(tasks, deadline)))
    try:
        await asyncio.wait(tasks)
        await chaos_task
        if probes:
            await asyncio.wait(probes)
    finally:
        for t in (*cancellers, *probes, chaos_task):
            t.cancel()
        await asyncio.gather(*cancellers, *probes, chaos_task, return_exceptions=True)


async def _dump_stuck(tasks: list[asyncio.Task[None]], deadline: float) -> None:
    """Debugging aid ($AIOVSPHERE_CHAOS_TRACE): where operations near their deadline are."""
    await asyncio.sleep(deadline * 0.9)

    def chain(task: asyncio.Task[Any]) -> list[str]:
        lines, coro = [], task.get_coro()
        while coro is not None:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
            if frame is not None:
                lines.append(f"  {frame.f_code.co_filename}:{frame.f_lineno} "
                             f"{frame.f_code.co_name}")
            coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
        return lines

    stuck = [t for t in tasks if not t.done()]
    print(f"{len(stuck)} operations pending")
    for task in stuck[:2]:
        print("\n".join(chain(task)))
    for inner in [t for t in asyncio.all_tasks() if "destroy" in repr(t.get_coro())][:3]:
        print("destroy task:\n" + "\n".join(chain(inner)))


async def _cancel_later(task: asyncio.Task[None], delay: float, index: int,
                        marked: set[int]) -> None:
    await asyncio.sleep(delay)
    if not task.done():
        marked.add(index)
        task.cancel()


async def _probe(client: aiovsphere.Client, state: dict[str, Any]) -> None:
    """After a restart: how long until this probe's read succeeds again (seconds)."""
    restarted: asyncio.Event = state.setdefault("restarted", asyncio.Event())
    await restarted.wait()
    began = state["restarted_at"]
    async with aiovsphere.timeout(30):
        while True:
            try:
                await client.get_properties(client.content.rootFolder, ["name"])
            except (aiovsphere.VSphereError, TimeoutError):
                await asyncio.sleep(0.02)
                continue
            state.setdefault("recovery", []).append(time.monotonic() - began)
            return


async def _cache_agrees(client: aiovsphere.Client, cache: Any,
                        vms: list[ManagedObjectReference]) -> bool:
    """The long-lived cache, once the faults are gone, converges on the server's truth."""
    truth = {r.obj: r.runtime.powerState for r in await client.retrieve(
        vms, ["runtime.powerState"])}
    try:
        await cache.wait_until(
            lambda snap: {ref: rec.runtime.powerState for ref, rec in snap.items()} == truth,
            timeout=15)
    except (TimeoutError, aiovsphere.VSphereError):
        return False
    return True


async def _settle(client: aiovsphere.Client) -> None:
    """Let shielded teardowns (Destroy* of cancelled operations) reach the server."""
    for _ in range(100):
        if client.stats.in_flight == 0 and client.stats.queued == 0:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
