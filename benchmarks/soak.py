"""Soak: one client, 200 operations in flight for 30 minutes against the embedded simulator.

    python -m benchmarks.soak                          # 30 min, ~1,000 VMs, 200 in flight
    python -m benchmarks.soak --minutes 1 --interval 2 # a quick check
    nox -s soak [-- --minutes 5]

The simulator runs in its own process (``python -m aiovsphere.simulator``), so the
client's RSS and descriptors below are the client's own. One client
(``max_in_flight=--concurrency``) keeps ``--concurrency`` operations in flight, in lanes:

* 70 % property reads (``client.get_properties`` of a random VM, three paths);
* 5 % ContainerView retrieves (``client.retrieve`` of ``name`` and ``runtime.powerState``
  of the VMs of one random host, or of every VM one time in five; the view destroyed);
* 10 % task waits (PowerOff/PowerOn of a VM of a reserved pool, ``client.wait_for_task``;
  the simulator's tasks take ``--task-seconds``);
* 10 % short watch streams (``client.watch`` of a pool VM's power state: up to 3 changes
  or 2 s, then ``break``);
* 5 % events reads (``client.events`` of a pool VM over the last 30 s, up to 50);

plus one :class:`~aiovsphere.InventoryCache` of every VM kept live for the whole run.
A few operations are cancelled at a random point (``--cancel``, default 3 %), and a few
more run under a short deadline (``--deadline``, 3 %: ``aiovsphere.timeout`` or
``asyncio.timeout``, 5-500 ms). Outcomes: completed, cancelled (on purpose), deadline
(TimeoutError under a short deadline), failed by type (a ``VSphereError`` subclass or an
unasked ``TimeoutError``) and *untyped* (anything else: a bug).

Every ``--interval`` seconds one CSV row (``--csv``, written as it comes): the client's
RSS, open descriptors and TCP sockets (psutil), ``len(asyncio.all_tasks())``, Python
objects tracked by the GC, the server's sessions (``SessionManager.sessionList`` read by a
second, separate admin client) and views of the soak client's session
(``ViewManager.viewList``), the server process's RSS and descriptors, operations per
second and by outcome in the interval, the client's :class:`~aiovsphere.CallStats`, and the
cache's snapshot version. At the end: a plot (``--png``, matplotlib Agg), a summary table of
warm-up (the first ``--warmup`` minutes, at most a third of the run) against the rest, and
the verdict:

    flat = client RSS grows < 5 % over the steady phase (least-squares line, start to end)
           and client descriptors vary by <= 16 (max - min) after warm-up
           and server sessions never exceed 2 (the soak client and the admin)
           and no untyped error, and nothing left at exit.

At exit everything is closed and the leftovers are reported: sessions still on the server
(the admin's own excepted), the client's sockets to the server, asyncio tasks, the cache's
consistency with a fresh read, unretrieved task exceptions and ResourceWarnings.

Finding a leak: ``--tracemalloc FILE`` traces allocations from the end of warm-up and
writes what stayed allocated by the end, by line and by traceback (slow: run it shorter).
``--leak-bytes N`` keeps N bytes per completed operation alive, to see what a leak looks
like in the figures and that the verdict catches it. ``--replot`` redraws the PNG of a
CSV; ``--json FILE`` also writes the totals, leftovers and verdict.

Numbers are this machine's; tests never assert on them (the smoke test,
``tests/benchmarks_smoke``, checks the leftovers and outcomes of a 5-second run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import ctypes
import dataclasses
import gc
import json
import os
import random
import resource
import sys
import time
import traceback
import tracemalloc
import warnings
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

from benchmarks._common import PASSWORD, RESULTS, ROOT, USER
from benchmarks.simulator import Server, embedded_process

# Lanes: share of --concurrency, and the longest random delay before a cancellation (s).
LANES: dict[str, tuple[float, float]] = {
    "read": (0.70, 0.3),
    "retrieve": (0.05, 0.6),
    "task": (0.10, 2.0),
    "watch": (0.10, 2.0),
    "events": (0.05, 0.6),
}
READ_PATHS = ("name", "runtime.powerState", "config.hardware.memoryMB")
WATCH_WINDOW = 2.0  # seconds a watch stream lasts at most
WATCH_CHANGES = 3  # ... or this many changes (the first is the "enter")
EVENTS_MAX = 50
FLAT_RSS_GROWTH = 0.05  # verdict: client RSS growth over the steady phase, fraction
FLAT_FD_RANGE = 16  # verdict: client descriptors max - min after warm-up
EXPECTED_SESSIONS = 2  # the soak client and the admin client


# ---------------------------------------------------------------------------- workload
@dataclasses.dataclass
class Tally:
    """Outcomes, in all and since the last sample."""

    total: Counter[str] = dataclasses.field(default_factory=Counter)
    interval: Counter[str] = dataclasses.field(default_factory=Counter)
    by_kind: Counter[tuple[str, str]] = dataclasses.field(default_factory=Counter)
    untyped: list[str] = dataclasses.field(default_factory=list)

    def add(self, kind: str, outcome: str) -> None:
        self.total[outcome] += 1
        self.interval[outcome] += 1
        self.by_kind[(kind, outcome)] += 1

    def take_interval(self) -> Counter[str]:
        out, self.interval = self.interval, Counter()
        return out


class Workload:
    """The lanes' operations on one client."""

    def __init__(self, client: Any, vms: list[Any], hosts: list[Any], pool: list[Any],
                 rng: random.Random, args: argparse.Namespace) -> None:
        self.client = client
        self.vms = vms
        self.hosts = hosts
        self.pool = pool  # VMs of the task, watch and events lanes
        self.free: asyncio.Queue[Any] = asyncio.Queue()
        for vm in pool:
            self.free.put_nowait(vm)
        self.rng = rng
        self.args = args
        self.tally = Tally()
        self.stop = asyncio.Event()
        self.leaked: list[bytearray] = []
        self.ops: dict[str, Callable[[], Awaitable[None]]] = {
            "read": self.read, "retrieve": self.retrieve, "task": self.task,
            "watch": self.watch, "events": self.events}

    async def read(self) -> None:
        props = await self.client.get_properties(self.rng.choice(self.vms), READ_PATHS)
        if "name" not in props:
            raise AssertionError(f"get_properties without name: {props!r}")

    async def retrieve(self) -> None:
        whole = self.rng.random() < 0.2 or not self.hosts
        container = None if whole else self.rng.choice(self.hosts)
        async with self.client.container_view(["VirtualMachine"],
                                              container=container) as view:
            records = await self.client.retrieve(view, ["name", "runtime.powerState"])
        if whole and len(records) != len(self.vms):
            raise AssertionError(f"{len(records)} VMs read, {len(self.vms)} expected")

    async def task(self) -> None:
        vm = await self.free.get()
        try:
            state = (await self.client.get_properties(vm, ["runtime.powerState"])
                     )["runtime.powerState"]
            method = "PowerOffVM_Task" if str(getattr(state, "value", state)) == \
                "poweredOn" else "PowerOnVM_Task"
            task = await self.client.invoke(vm, method)
            await self.client.wait_for_task(task)
        finally:
            self.free.put_nowait(vm)

    async def watch(self) -> None:
        """The first change (the "enter") within a generous bound, then up to
        WATCH_CHANGES - 1 more within WATCH_WINDOW seconds."""
        import aiovsphere

        loop = asyncio.get_running_loop()
        async with contextlib.aclosing(self.client.watch(
                [self.rng.choice(self.pool)], ["runtime.powerState"])) as stream:
            async with aiovsphere.timeout(60):  # no hang: the enter comes first
                first = await anext(stream)
            if first.kind != "enter":
                raise AssertionError(f"a watch stream began with {first.kind!r}")
            end = loop.time() + WATCH_WINDOW
            seen = 1
            try:
                async with aiovsphere.timeout(WATCH_WINDOW):
                    async for _change in stream:
                        seen += 1
                        if seen >= WATCH_CHANGES:
                            break
            except TimeoutError:
                if loop.time() < end - 0.001:  # an earlier, injected deadline: not ours
                    raise

    async def events(self) -> None:
        since = datetime.now(UTC) - timedelta(seconds=30)
        n = 0
        async with contextlib.aclosing(self.client.events(
                entity=self.rng.choice(self.pool), since=since, page_size=EVENTS_MAX)) as ev:
            async for _event in ev:
                n += 1
                if n >= EVENTS_MAX:
                    break

    async def one(self, kind: str, cancel_max: float) -> None:
        """One operation, perhaps cancelled at a random point or under a short deadline;
        its outcome tallied."""
        import aiovsphere

        op = self.ops[kind]
        r = self.rng.random()
        injected = ""
        try:
            if r < self.args.cancel:
                injected = "cancel"
                task = asyncio.create_task(op())
                try:
                    done, _ = await asyncio.wait({task}, timeout=self.rng.uniform(
                        0, cancel_max))
                    if not done:
                        task.cancel()
                    await task
                except asyncio.CancelledError:
                    if not task.done():
                        task.cancel()  # we are being cancelled: take the op along
                        with contextlib.suppress(BaseException):
                            await task
                    current = asyncio.current_task()
                    if current is not None and current.cancelling():
                        raise
                    self.tally.add(kind, "cancelled")
                    return
            elif r < self.args.cancel + self.args.deadline:
                injected = "deadline"
                seconds = self.rng.uniform(0.005, 0.5)
                cm = (aiovsphere.timeout(seconds) if self.rng.random() < 0.5
                      else asyncio.timeout(seconds))
                async with cm:
                    await op()
            else:
                await op()
        except TimeoutError:
            self.tally.add(kind, "deadline" if injected == "deadline"
                           else "failed:TimeoutError")
            return
        except aiovsphere.VSphereError as exc:
            self.tally.add(kind, f"failed:{type(exc).__name__}")
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.tally.add(kind, f"untyped:{type(exc).__name__}")
            if len(self.tally.untyped) < 5:
                self.tally.untyped.append("".join(traceback.format_exception(exc)))
            return
        self.tally.add(kind, "completed")
        if self.args.leak_bytes:  # the detector's self-check: a leak on purpose
            self.leaked.append(bytearray(self.args.leak_bytes))

    async def lane(self, kind: str) -> None:
        cancel_max = LANES[kind][1]
        while not self.stop.is_set():
            await self.one(kind, cancel_max)


def lane_counts(concurrency: int) -> dict[str, int]:
    counts = {k: max(1, round(share * concurrency)) for k, (share, _) in LANES.items()}
    counts["read"] += concurrency - sum(counts.values())
    return counts


# ---------------------------------------------------------------------------- sampling
FIELDS = [
    "t_s", "phase", "loadavg_1m", "client_cpu_pct", "server_cpu_pct", "client_rss_mb",
    "malloc_used_mb", "malloc_free_mb", "py_blocks",
    "client_fds", "client_sockets", "asyncio_tasks", "gc_objects", "server_sessions",
    "server_views", "server_rss_mb", "server_fds",
    "ops_per_s", "ops", "completed", "cancelled", "deadline", "failed", "untyped", "calls",
    "calls_failed", "in_flight", "waits_in_flight", "queued", "queue_wait_max_ms",
    "relogins", "cache_version", "cache_objects",
]


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _mallinfo() -> Callable[[], tuple[float, float]] | None:
    """glibc's ``mallinfo2()`` as (MB in use, MB free but held by malloc), or None (not
    glibc 2.33+). What Python's own allocator does not hold: C libraries (lxml, libxml2),
    and Python objects over 512 bytes."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        fn = libc.mallinfo2
    except (OSError, AttributeError):
        return None
    fn.restype = _MallInfo2

    def read() -> tuple[float, float]:
        m = fn()
        return (m.uordblks + m.hblkhd) / 2**20, m.fordblks / 2**20

    return read


MALLINFO = _mallinfo()


def sockets_to(proc: psutil.Process, port: int | None) -> int:
    """TCP sockets of ``proc`` (to ``port`` only, if given)."""
    conns = proc.net_connections(kind="tcp")
    return sum(1 for c in conns if port is None or (c.raddr and c.raddr.port == port))


class Sampler:
    def __init__(self, work: Workload, admin: Any, server: psutil.Process, port: int,
                 cache: Any, out: csv.DictWriter[str], fh: Any, warmup_s: float) -> None:
        self.work = work
        self.admin = admin
        self.server = server
        self.port = port
        self.cache = cache
        self.out = out
        self.fh = fh
        self.warmup_s = warmup_s
        self.me = psutil.Process()
        self.rows: list[dict[str, Any]] = []
        self.me.cpu_percent()  # start the CPU counters (each call: since the last)
        self.server.cpu_percent()
        self.t0 = time.monotonic()
        self.last = self.t0
        self.last_calls = 0

    async def sample(self) -> dict[str, Any]:
        client = self.work.client
        sessions = (await self.admin.get_properties(
            self.admin.content.sessionManager, ["sessionList"])).get("sessionList") or ()
        views = (await client.get_properties(client.content.viewManager,
                                              ["viewList"])).get("viewList") or ()
        now = time.monotonic()
        counts = self.work.tally.take_interval()
        ops = sum(counts.values())
        stats = client.stats
        snap = self.cache.snapshot()
        t = now - self.t0
        row = {
            "t_s": round(t, 1),
            "phase": "warmup" if t < self.warmup_s else "steady",
            "loadavg_1m": round(os.getloadavg()[0], 2),
            "client_cpu_pct": self.me.cpu_percent(),
            "server_cpu_pct": self.server.cpu_percent(),
            "client_rss_mb": round(self.me.memory_info().rss / 2**20, 1),
            "malloc_used_mb": round(MALLINFO()[0], 1) if MALLINFO else "",
            "malloc_free_mb": round(MALLINFO()[1], 1) if MALLINFO else "",
            "py_blocks": sys.getallocatedblocks(),
            "client_fds": self.me.num_fds(),
            "client_sockets": sockets_to(self.me, None),
            "asyncio_tasks": len(asyncio.all_tasks()),
            "gc_objects": len(gc.get_objects()),
            "server_sessions": len(sessions),
            "server_views": len(views),
            "server_rss_mb": round(self.server.memory_info().rss / 2**20, 1),
            "server_fds": self.server.num_fds(),
            "ops_per_s": round(ops / (now - self.last), 1) if now > self.last else 0.0,
            "ops": ops,
            "completed": counts["completed"],
            "cancelled": counts["cancelled"],
            "deadline": counts["deadline"],
            "failed": sum(v for k, v in counts.items() if k.startswith("failed:")),
            "untyped": sum(v for k, v in counts.items() if k.startswith("untyped:")),
            "calls": stats.calls - self.last_calls,
            "calls_failed": stats.failed,
            "in_flight": stats.in_flight,
            "waits_in_flight": stats.waits_in_flight,
            "queued": stats.queued,
            "queue_wait_max_ms": round(stats.queue_wait_max * 1000, 1),
            "relogins": stats.relogins,
            "cache_version": snap.version,
            "cache_objects": len(snap),
        }
        self.last, self.last_calls = now, stats.calls
        self.rows.append(row)
        self.out.writerow(row)
        self.fh.flush()
        return row

    async def run(self, seconds: float, interval: float, progress: bool,
                  trace: Path | None = None) -> None:
        """Sample until ``seconds`` have passed. With ``trace``: tracemalloc from the end
        of warm-up, and the growth from the next sample to the end written to ``trace``."""
        deadline = self.t0 + seconds
        first: Any = None
        while True:
            row = await self.sample()
            if trace is not None and first is None and row["phase"] == "steady":
                # Traced from the end of warm-up; compared from one sample later, so the
                # work in flight at both ends roughly cancels out of the difference.
                if tracemalloc.is_tracing():
                    first = tracemalloc.take_snapshot()
                else:
                    tracemalloc.start(12)
            if progress:
                print(f"  {row['t_s']:7.1f} s  rss {row['client_rss_mb']:6.1f} MB  "
                      f"fds {row['client_fds']:4d}  tasks {row['asyncio_tasks']:4d}  "
                      f"sessions {row['server_sessions']}  views {row['server_views']:3d}  "
                      f"server {row['server_rss_mb']:6.1f} MB  "
                      f"{row['ops_per_s']:7.1f} ops/s  failed {row['failed']}  "
                      f"untyped {row['untyped']}", file=sys.stderr, flush=True)
            now = time.monotonic()
            if now >= deadline - 0.001:
                if first is not None and trace is not None:
                    write_growth(first, tracemalloc.take_snapshot(), trace)
                    tracemalloc.stop()
                return
            # On a fixed grid (t0 + k * interval): a slow sample does not shift the rest.
            step = min(deadline, self.t0 + (int((now - self.t0) / interval) + 1) * interval)
            await asyncio.sleep(step - now)


def write_growth(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot,
                 path: Path, top: int = 25) -> None:
    """Where the memory that stayed allocated from ``before`` to ``after`` was allocated:
    by line, then the tracebacks of the largest few (a leak shows as a steady positive
    ``size_diff`` that grows with the run's length)."""
    keep = (tracemalloc.Filter(False, tracemalloc.__file__),
            tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"))
    before, after = before.filter_traces(keep), after.filter_traces(keep)
    lines = [f"tracemalloc growth, {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC",
             f"traced now {sum(s.size for s in after.statistics('filename')) / 2**20:.1f} MiB",
             "", "by line:"]
    lines += [str(d) for d in after.compare_to(before, "lineno")[:top]]
    lines += ["", "largest by traceback:"]
    for d in after.compare_to(before, "traceback")[:5]:
        lines.append(f"{d.size_diff / 1024:+.1f} KiB, {d.count_diff:+d} blocks")
        lines += ["    " + line for line in d.traceback.format(most_recent_first=True)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------- the run
@dataclasses.dataclass
class Leftovers:
    sessions: list[str]  # on the server after the soak client closed (admin's excepted)
    views_before_close: int  # the soak client's views once its lanes and cache stopped
    client_sockets: int  # TCP sockets of this process to the server after both closed
    fds_before: int
    fds_after: int
    tasks: int  # asyncio tasks besides main
    cache_consistent: bool
    cache_error: str
    unretrieved: int  # "exception was never retrieved" and such, via the loop's handler
    resource_warnings: int
    lanes_stuck: int  # lanes that did not stop within the grace period


async def soak(args: argparse.Namespace, server: Server, out: csv.DictWriter[str],
               fh: Any) -> tuple[Sampler, Workload, Leftovers]:
    import aiovsphere

    loop = asyncio.get_running_loop()
    loop_errors: list[str] = []

    def on_error(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        loop_errors.append(str(context.get("message")))
        if len(loop_errors) <= 5:
            print(f"  loop error: {context.get('message')}: {context.get('exception')!r}",
                  file=sys.stderr)

    loop.set_exception_handler(on_error)
    me = psutil.Process()
    fds_before = me.num_fds()
    port = int(server.url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    rng = random.Random(args.seed)
    lanes = lane_counts(args.concurrency)
    async with aiovsphere.connect(server.url, user="soak-admin", password=PASSWORD,
                                  max_in_flight=4) as admin:
        client = aiovsphere.Client(server.url, max_in_flight=args.concurrency)
        try:
            await client.open()
            await client.session.login(USER, PASSWORD)
            async with client.container_view(["VirtualMachine"]) as view:
                vms = [r.obj for r in await client.retrieve(view, ["name"])]
            async with client.container_view(["HostSystem"]) as view:
                hosts = [r.obj for r in await client.retrieve(view, ["name"])]
            pool_size = min(len(vms), 2 * (lanes["task"] + lanes["watch"]))
            pool = rng.sample(vms, pool_size)
            work = Workload(client, vms, hosts, pool, rng, args)
            print(f"soak: {len(vms)} VMs, {len(hosts)} hosts, lanes {lanes}, "
                  f"{args.minutes:g} min, sample every {args.interval:g} s",
                  file=sys.stderr, flush=True)
            cache = client.inventory_cache("VirtualMachine", ["name", "runtime.powerState"])
            async with cache:
                warmup_s = min(args.warmup * 60, args.minutes * 60 / 3)
                sampler = Sampler(work, admin, psutil.Process(server.pid), port, cache, out,
                                  fh, warmup_s)
                running = [asyncio.create_task(work.lane(kind), name=f"lane-{kind}-{i}")
                           for kind, n in lanes.items() for i in range(n)]
                try:
                    await sampler.run(args.minutes * 60, args.interval, not args.quiet,
                                      args.tracemalloc)
                finally:
                    work.stop.set()
                    _, pending = await asyncio.wait(running, timeout=30)
                    for t in pending:
                        t.cancel()
                    await asyncio.gather(*running, return_exceptions=True)
                    for t in running:  # a lane that raised: report it
                        if not t.cancelled() and t.exception() is not None:
                            exc = t.exception()
                            assert exc is not None
                            work.tally.untyped.append("".join(
                                traceback.format_exception(exc)))
                # Tasks of the last cancelled waits may still run on the server: let them
                # end, then the cache must agree with a fresh read.
                await asyncio.sleep(args.task_seconds * 2 + 0.3)
                async with client.container_view(["VirtualMachine"]) as view:
                    truth = {r.obj: str(r.runtime.powerState.value if hasattr(
                        r.runtime.powerState, "value") else r.runtime.powerState)
                        for r in await client.retrieve(view, ["runtime.powerState"])}

                def agrees(snap: Any) -> bool:
                    return len(snap) == len(truth) and all(
                        str(getattr(rec.runtime.powerState, "value", rec.runtime.powerState))
                        == truth.get(ref) for ref, rec in snap.items())

                try:
                    await cache.wait_until(agrees, timeout=15)
                    consistent = True
                except TimeoutError:
                    consistent = False
                cache_error = repr(cache.error) if cache.error is not None else ""
            views = (await client.get_properties(client.content.viewManager,
                                                  ["viewList"])).get("viewList") or ()
            views_left = len(views)
        finally:
            await client.close()
        own = admin.session.user_session.key
        sessions = (await admin.get_properties(
            admin.content.sessionManager, ["sessionList"])).get("sessionList") or ()
        others = [str(s.userName) for s in sessions if s.key != own]
    await asyncio.sleep(0.2)  # closed sockets: the transports finish on the next turns
    gc.collect()
    leftovers = Leftovers(
        sessions=others, views_before_close=views_left, client_sockets=sockets_to(me, port),
        fds_before=fds_before, fds_after=me.num_fds(),
        tasks=len(asyncio.all_tasks()) - 1, cache_consistent=consistent,
        cache_error=cache_error, unretrieved=len(loop_errors), resource_warnings=0,
        lanes_stuck=len(pending))
    return sampler, work, leftovers


# ---------------------------------------------------------------------------- analysis
def _fit(ts: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares line (slope per second, intercept)."""
    n = len(ts)
    if n < 2:
        return 0.0, ys[0] if ys else 0.0
    mt, my = sum(ts) / n, sum(ys) / n
    var = sum((t - mt) ** 2 for t in ts)
    slope = sum((t - mt) * (y - my) for t, y in zip(ts, ys, strict=True)) / var if var else 0.0
    return slope, my - slope * mt


def phase_stats(rows: list[dict[str, Any]], key: str) -> dict[str, float]:
    rows = [r for r in rows if r.get(key) not in (None, "")]
    ts = [float(r["t_s"]) for r in rows]
    ys = [float(r[key]) for r in rows]
    if not ys:
        return {}
    slope, icpt = _fit(ts, ys)
    return {"min": min(ys), "max": max(ys), "slope_per_10min": slope * 600,
            "first": icpt + slope * ts[0], "last": icpt + slope * ts[-1]}


def trend_checks(rows: list[dict[str, Any]]) -> tuple[bool, list[str]]:
    """The samples' part of the verdict: RSS growth, descriptor range, sessions."""
    steady = [r for r in rows if r["phase"] == "steady"]
    if len(steady) < 2:
        return False, ["NOT FLAT: fewer than 2 samples after warm-up"]
    reasons: list[str] = []
    rss = phase_stats(steady, "client_rss_mb")
    growth = (rss["last"] - rss["first"]) / rss["first"]
    ok_rss = growth < FLAT_RSS_GROWTH
    reasons.append(("ok: " if ok_rss else "NOT FLAT: ") + f"client RSS {growth:+.1%} over "
                   f"the steady phase (fitted line; limit {FLAT_RSS_GROWTH:.0%})")
    fds = phase_stats(steady, "client_fds")
    fd_range = fds["max"] - fds["min"]
    ok_fd = fd_range <= FLAT_FD_RANGE
    reasons.append(("ok: " if ok_fd else "NOT FLAT: ")
                   + f"client fds range {fd_range:.0f} after warm-up (limit {FLAT_FD_RANGE})")
    max_sessions = max(int(r["server_sessions"]) for r in rows)
    ok_sessions = max_sessions <= EXPECTED_SESSIONS
    reasons.append(("ok: " if ok_sessions else "LEAK: ")
                   + f"server sessions max {max_sessions} (expected {EXPECTED_SESSIONS})")
    return ok_rss and ok_fd and ok_sessions, reasons


def verdict(rows: list[dict[str, Any]], tally: Tally, left: Leftovers
            ) -> tuple[bool, list[str]]:
    ok, reasons = trend_checks(rows)
    untyped = sum(v for k, v in tally.total.items() if k.startswith("untyped:"))
    reasons.append(("ok: " if not untyped else "BUG: ") + f"{untyped} untyped errors")
    clean = (not left.sessions and left.client_sockets == 0 and left.tasks == 0
             and left.cache_consistent and not left.cache_error and not left.unretrieved
             and not left.resource_warnings and not left.lanes_stuck
             and left.views_before_close == 0 and left.fds_after <= left.fds_before)
    reasons.append("ok: nothing left at exit" if clean
                   else "LEAK: something left at exit (see leftovers)")
    return ok and not untyped and clean, reasons


def phase_table(rows: list[dict[str, Any]], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    phases = {"warm-up": [r for r in rows if r["phase"] == "warmup"],
              "steady": [r for r in rows if r["phase"] == "steady"]}
    table = Table(title=title)
    for col in ("metric", "phase", "samples", "min", "max", "slope / 10 min"):
        table.add_column(col, justify="left" if col in ("metric", "phase") else "right")
    for key, label in (("client_rss_mb", "client RSS MB"),
                       ("malloc_used_mb", "client malloc in use MB"),
                       ("malloc_free_mb", "client malloc free MB"),
                       ("py_blocks", "client Python blocks"), ("client_fds", "client fds"),
                       ("client_sockets", "client sockets"),
                       ("asyncio_tasks", "asyncio tasks"), ("gc_objects", "GC objects"),
                       ("server_sessions", "server sessions"),
                       ("server_views", "server views (client)"),
                       ("server_rss_mb", "server RSS MB"), ("server_fds", "server fds"),
                       ("ops_per_s", "ops/s"), ("client_cpu_pct", "client CPU %"),
                       ("server_cpu_pct", "server CPU %"), ("loadavg_1m", "load average")):
        for phase, rs in phases.items():
            s = phase_stats(rs, key)
            if not s:
                continue
            fmt = "{:,.0f}" if key in ("client_fds", "client_sockets", "asyncio_tasks",
                                       "py_blocks",
                                       "gc_objects", "server_sessions", "server_views",
                                       "server_fds") else "{:,.1f}"
            table.add_row(label, phase, str(len(rs)), fmt.format(s["min"]),
                          fmt.format(s["max"]), f"{s['slope_per_10min']:+,.2f}")
    Console(width=140).print(table)


def summarize(rows: list[dict[str, Any]], work: Workload, left: Leftovers,
              args: argparse.Namespace, seconds: float) -> tuple[bool, list[str]]:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=140)
    phase_table(rows, f"Soak: {args.concurrency} in flight, {args.minutes:g} min, "
                      f"{args.vms:,} VMs, sample every {args.interval:g} s")
    out = Table(title=f"Operations by lane and outcome ({seconds:.0f} s)")
    outcomes = sorted(work.tally.total)
    out.add_column("lane")
    for o in outcomes:
        out.add_column(o, justify="right")
    for kind in LANES:
        out.add_row(kind, *(f"{work.tally.by_kind[(kind, o)]:,}" for o in outcomes))
    out.add_row("all", *(f"{work.tally.total[o]:,}" for o in outcomes))
    console.print(out)
    console.print(f"leftovers: {dataclasses.asdict(left)}", markup=False)
    for tb in work.tally.untyped[:3]:
        console.print(f"untyped error:\n{tb}", markup=False)
    ok, reasons = verdict(rows, work.tally, left)
    for r in reasons:
        console.print("  " + r, markup=False)
    console.print(f"verdict: {'flat' if ok else 'NOT flat'}", markup=False)
    return ok, reasons


def plot(rows: list[dict[str, Any]], png: Path, title: str, warmup_s: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [float(r["t_s"]) / 60 for r in rows]
    rows = [{**r, "load_pct": float(r["loadavg_1m"]) * 100,
             "gc_objects_k": float(r["gc_objects"]) / 1000,
             "py_blocks_k": float(r.get("py_blocks") or "nan") / 1000} for r in rows]
    panels: list[tuple[str, list[tuple[str, str]]]] = [
        ("memory (MB)", [("client_rss_mb", "client RSS"), ("server_rss_mb", "server RSS"),
                         ("malloc_used_mb", "client malloc in use"),
                         ("malloc_free_mb", "client malloc free (held)")]),
        ("open descriptors", [("client_fds", "client fds"), ("client_sockets",
                                                             "client TCP sockets"),
                              ("server_fds", "server fds")]),
        ("asyncio tasks (client)", [("asyncio_tasks", "tasks")]),
        ("server-side objects", [("server_sessions", "sessions"),
                                 ("server_views", "views of the client's session")]),
        ("operations / s", [("ops_per_s", "ops/s")]),
        ("CPU % (100 = one core)", [("client_cpu_pct", "client"),
                                    ("server_cpu_pct", "server"),
                                    ("load_pct", "machine load (1-min average x 100)")]),
        ("client Python objects (thousands)", [("gc_objects_k", "GC-tracked objects"),
                                               ("py_blocks_k", "allocated blocks")]),
        ("outcomes per sample", [("cancelled", "cancelled"), ("deadline", "deadline"),
                                 ("failed", "failed (typed)"), ("untyped", "untyped")]),
    ]
    fig, axes = plt.subplots(4, 2, figsize=(12, 11), sharex=True)
    for ax, (name, series) in zip(axes.flat, panels, strict=True):
        for key, label in series:
            ys = [float(r.get(key) or "nan") for r in rows]  # older CSVs lack some columns
            if any(y == y for y in ys):  # not all NaN
                ax.plot(t, ys, label=label, linewidth=1.2)
        ax.set_title(name, fontsize=10)
        ax.axvspan(0, warmup_s / 60, color="0.9", zorder=0)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize=8, loc="best")
    for ax in axes[-1]:
        ax.set_xlabel("minutes (grey: warm-up)")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    plt.close(fig)


# ---------------------------------------------------------------------------- main
def _raise_nofile(want: int = 8192) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0, help="length of the run")
    ap.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    ap.add_argument("--warmup", type=float, default=2.0,
                    help="minutes of warm-up (at most a third of the run)")
    ap.add_argument("--concurrency", type=int, default=200,
                    help="operations in flight (and the client's max_in_flight)")
    ap.add_argument("--vms", type=int, default=1000, help="VMs in the simulator")
    ap.add_argument("--task-seconds", type=float, default=1.0,
                    help="how long a simulated task runs")
    ap.add_argument("--cancel", type=float, default=0.03,
                    help="share of operations cancelled at a random point")
    ap.add_argument("--deadline", type=float, default=0.03,
                    help="share of operations under a short deadline (5-500 ms)")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--csv", type=Path, default=RESULTS / "soak.csv")
    ap.add_argument("--png", type=Path, default=ROOT / "benchmarks" / "results" / "soak.png")
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--json", type=Path, default=None,
                    help="also write the totals, leftovers and verdict here")
    ap.add_argument("--leak-bytes", type=int, default=0, metavar="N",
                    help="self-check of the verdict: keep N bytes alive per completed "
                         "operation (a leak on purpose)")
    ap.add_argument("--tracemalloc", type=Path, default=None, metavar="TXT",
                    help="trace allocations after warm-up (slow) and write the growth "
                         "from then to the end here")
    ap.add_argument("--replot", action="store_true",
                    help="no run: plot --csv to --png again and print its trend table")
    ap.add_argument("--quiet", action="store_true", help="no line per sample")
    args = ap.parse_args(argv)
    if args.concurrency < len(LANES):
        ap.error(f"--concurrency must be at least {len(LANES)}")
    if not (args.minutes > 0 and args.interval > 0):
        ap.error("--minutes and --interval must be positive")
    if args.replot:
        return replot(args)

    _raise_nofile()
    resource_warnings: list[str] = []
    warnings.simplefilter("always", ResourceWarning)
    shown = warnings.showwarning

    def show(message: Any, category: type[Warning], *rest: Any, **kw: Any) -> None:
        if issubclass(category, ResourceWarning):
            resource_warnings.append(str(message))
        shown(message, category, *rest, **kw)

    warnings.showwarning = show
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with embedded_process(args.vms, "--task-seconds", str(args.task_seconds)) as server, \
            args.csv.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        sampler, work, left = asyncio.run(soak(args, server, writer, fh))
    gc.collect()
    left.resource_warnings = len(resource_warnings)
    seconds = time.monotonic() - started
    print(f"csv: {args.csv}", file=sys.stderr)
    if not args.no_plot:
        plot(sampler.rows, args.png, _title(args, time.strftime("%Y-%m-%d")),
             sampler.warmup_s)
        print(f"png: {args.png}", file=sys.stderr)
    ok, reasons = summarize(sampler.rows, work, left, args, seconds)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "flat": ok, "reasons": reasons, "seconds": seconds, "samples": len(sampler.rows),
            "totals": dict(work.tally.total),
            "by_lane": {f"{k}/{o}": v for (k, o), v in work.tally.by_kind.items()},
            "leftovers": dataclasses.asdict(left), "untyped": work.tally.untyped,
            "args": {k: str(v) for k, v in vars(args).items()}}, indent=1))
    return 0 if ok else 1


def _title(args: argparse.Namespace, day: str) -> str:
    return (f"aiovsphere soak: {args.concurrency} in flight, {args.minutes:g} min, "
            f"{args.vms:,} simulated VMs ({os.cpu_count()} CPUs, {day})")


def replot(args: argparse.Namespace) -> int:
    """``--replot``: the plot and trend table of an earlier run's CSV (the run's
    ``--concurrency``/``--vms`` are taken from the command line, its length from the CSV)."""
    with args.csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        print(f"{args.csv}: no samples", file=sys.stderr)
        return 1
    args.minutes = round(float(rows[-1]["t_s"]) / 60)
    warmup_s = max((float(r["t_s"]) for r in rows if r["phase"] == "warmup"), default=0.0)
    day = time.strftime("%Y-%m-%d", time.localtime(args.csv.stat().st_mtime))
    plot(rows, args.png, _title(args, day), warmup_s)
    print(f"png: {args.png}", file=sys.stderr)
    phase_table(rows, f"{args.csv}: {len(rows)} samples")
    ok, reasons = trend_checks(rows)
    for r in reasons:
        print("  " + r)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
