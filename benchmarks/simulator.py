"""The embedded simulator beside vcsim: start time, `small` requests/s, full-inventory reads.

    python -m benchmarks.simulator            # ~2 min on 2 cores
    python -m benchmarks.simulator --quick    # one run of each, fewer calls (~40 s)
    nox -s bench_simulator [-- --quick]

Three tables:

* **Start**: from ``Simulator(vms=N)`` to listening, for 1,000 and 5,000 VMs; *cold* in a
  fresh interpreter (``import aiovsphere.simulator`` done, the lazily built vim classes
  and the handlers not), *warm* a second simulator in the same process. vcsim: from
  spawning ``Vcsim.for_vm_count(N)`` (binary already built) to its URL line. Median of
  ``--runs``.
* **small**: the ``small`` workload of ``aiovsphere._bench.run_bench`` (one
  RetrievePropertiesEx of ``name`` and ``runtime.powerState`` of one VM), ``--concurrency``
  in flight, ``--calls`` calls after ``--warmup``, by an aiovsphere client in its own
  process (``benchmarks.aio_peer``) against each server with ``--vms`` VMs: the embedded
  simulator in its own process (``python -m aiovsphere.simulator``), vcsim, and the
  embedded simulator *in the client's process and loop* (as the demo and tests run it).
  Median run by calls/s of ``--repeat``; servers take turns within each repetition.
  Server CPU per call is the server process's user+system time (``/proc/PID/stat``) over
  the peer's whole run divided by its calls (warm-up included; Linux only).
* **Full inventory**: the ``full`` workload (ContainerView + RetrievePropertiesEx of every
  property of every VM + DestroyView) and the ``inventory`` workload (five paths of every
  VM, host names; paged): median seconds per call, one call at a time.

Numbers are this machine's and go to ``benchmarks/results/simulator-*.json``; tests never
assert on them. Only 127.0.0.1 is loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from benchmarks._common import PASSWORD, RESULTS, ROOT, USER, child_env, emit

SIZES = (1000, 5000)
SERVERS = ("embedded", "vcsim", "embedded in-process")


# ---------------------------------------------------------------------------- probes
def _start_probe(vms: int) -> None:
    """In a fresh interpreter: cold and warm start of ``Simulator(vms=N)``; one JSON line."""
    t0 = time.perf_counter()
    from aiovsphere.simulator import Simulator

    imported = time.perf_counter() - t0

    async def main() -> dict[str, float]:
        out: dict[str, float] = {"import_s": imported}
        for key in ("cold_s", "warm_s"):
            started = time.perf_counter()
            sim = Simulator(vms=vms)
            await sim.start()
            out[key] = time.perf_counter() - started
            assert sim.inventory.vm_count >= vms
            await sim.stop()
        return out

    emit(asyncio.run(main()))


def _inprocess_peer(vms: int, workload: str, concurrency: int, calls: int,
                    warmup: int) -> None:
    """The simulator and the client on one loop in this process; one JSON line."""
    from benchmarks._common import peak_rss_mb

    async def main() -> dict[str, Any]:
        import aiovsphere
        from aiovsphere._bench import run_bench
        from aiovsphere.simulator import Simulator

        async with Simulator(vms=vms) as sim, aiovsphere.connect(
                sim.url, user=USER, password=PASSWORD, max_in_flight=concurrency) as client:
            if warmup:
                await run_bench(client, workload,  # type: ignore[arg-type]
                                concurrency=min(concurrency, warmup), calls=warmup)
            r = await run_bench(client, workload,  # type: ignore[arg-type]
                                concurrency=concurrency, calls=calls)
        return r.as_dict()

    out = asyncio.run(main())
    out["peak_rss_mb"] = peak_rss_mb()
    emit(out)


# ---------------------------------------------------------------------------- servers
def _cpu_seconds(pid: int | None) -> float | None:
    """User+system CPU seconds of process ``pid`` so far (Linux ``/proc``), else None."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    url: str | None  # None: in the peer's own process
    pid: int | None


@contextlib.contextmanager
def embedded_process(vms: int, *extra: str) -> Iterator[Server]:
    """``python -m aiovsphere.simulator --vms N [extra...]`` in its own process (it exits
    when we do: ``--exit-on-eof``)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiovsphere.simulator", "--vms", str(vms), *extra,
         "--exit-on-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env=child_env(), cwd=ROOT)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().strip()
        key, _, url = line.partition("=")
        if key != "SIMULATOR_URL":
            raise RuntimeError(f"the simulator did not start: {line!r}")
        yield Server("embedded", url, proc.pid)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # --exit-on-eof
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@contextlib.contextmanager
def vcsim_process(vms: int) -> Iterator[Server]:
    from tools.vcsim.launcher import Vcsim

    with Vcsim.for_vm_count(vms) as sim:
        yield Server("vcsim", sim.url, sim.pid)


@contextlib.contextmanager
def in_process(vms: int) -> Iterator[Server]:
    yield Server("embedded in-process", None, None)


def run_peer(server: Server, vms: int, workload: str, concurrency: int, calls: int,
             warmup: int, timeout: float = 600) -> dict[str, Any]:
    """One client run against ``server`` in a subprocess; its JSON result, plus
    ``server_cpu_ms_per_call`` where the server is a process of its own."""
    if server.url is None:
        cmd = [sys.executable, "-m", "benchmarks.simulator", "--peer-inprocess", str(vms),
               workload, str(concurrency), str(calls), str(warmup)]
    else:
        cmd = [sys.executable, "-m", "benchmarks.aio_peer", server.url, workload,
               str(concurrency), str(calls), "--warmup", str(warmup)]
    cpu0 = _cpu_seconds(server.pid)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), cwd=ROOT,
                          timeout=timeout, check=False)
    cpu1 = _cpu_seconds(server.pid)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed:\n{proc.stderr[-2000:]}")
    out: dict[str, Any] = json.loads(lines[-1])
    if cpu0 is not None and cpu1 is not None:
        out["server_cpu_ms_per_call"] = (cpu1 - cpu0) * 1000 / (calls + warmup)
    if out.get("errors"):
        print(f"  warning: {out['errors']} errors ({out.get('first_error')})", file=sys.stderr)
    return out


# ---------------------------------------------------------------------------- phases
def measure_start(runs: int) -> list[dict[str, Any]]:
    from tools.vcsim.launcher import Vcsim

    rows: list[dict[str, Any]] = []
    for vms in SIZES:
        probes = []
        for _ in range(runs):
            proc = subprocess.run(
                [sys.executable, "-m", "benchmarks.simulator", "--start-probe", str(vms)],
                capture_output=True, text=True, env=child_env(), cwd=ROOT, timeout=300,
                check=True)
            probes.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        row = {"server": "embedded", "vms": vms, "runs": runs}
        for key in ("import_s", "cold_s", "warm_s"):
            row[key] = statistics.median(p[key] for p in probes)
            row[key + "_all"] = [round(p[key], 3) for p in probes]
        rows.append(row)
        print(f"  embedded {vms} VMs: cold {row['cold_s']:.2f} s, warm {row['warm_s']:.2f} s",
              file=sys.stderr, flush=True)
    for vms in SIZES:
        walls = []
        for _ in range(runs):
            started = time.perf_counter()
            with Vcsim.for_vm_count(vms):
                walls.append(time.perf_counter() - started)
        rows.append({"server": "vcsim", "vms": vms, "runs": runs,
                     "cold_s": statistics.median(walls),
                     "cold_s_all": [round(w, 3) for w in walls]})
        print(f"  vcsim {vms} VMs: {rows[-1]['cold_s']:.2f} s", file=sys.stderr, flush=True)
    return rows


SERVER_FACTORIES = {"embedded": embedded_process, "vcsim": vcsim_process,
                    "embedded in-process": in_process}


def measure_workloads(args: argparse.Namespace, servers: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        running = {name: stack.enter_context(SERVER_FACTORIES[name](args.vms))
                   for name in servers}
        small: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
        for rep in range(args.repeat):
            for name in servers:  # taking turns: drift in the machine's load hits all
                print(f"  small      {name:<20} run {rep + 1}/{args.repeat}",
                      file=sys.stderr, flush=True)
                small[name].append(run_peer(running[name], args.vms, "small",
                                            args.concurrency, args.calls, args.warmup))
        for name in servers:
            ok = sorted(small[name], key=lambda r: r.get("calls_per_s") or 0.0)
            row = {"server": name, "workload": "small", "vms": args.vms,
                   **ok[len(ok) // 2], "runs": len(ok),
                   "calls_per_s_all": [round(r["calls_per_s"]) for r in ok]}
            rows.append(row)
        for workload, calls in (("inventory", args.inventory_calls),
                                ("full", args.full_calls)):
            for name in servers:
                print(f"  {workload:<10} {name:<20} {calls} calls", file=sys.stderr,
                      flush=True)
                r = run_peer(running[name], args.vms, workload, 1, calls, 1)
                rows.append({"server": name, "workload": workload, "vms": args.vms, **r})
    return rows


# ---------------------------------------------------------------------------- output
def print_tables(start: list[dict[str, Any]], work: list[dict[str, Any]],
                 args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=150)
    if start:
        table = Table(title=f"Start to listening, median of {args.runs} "
                            "(target: 1,000 VMs in under 2 s)")
        for col in ("server", "VMs", "cold s", "warm s", "import s"):
            table.add_column(col, justify="left" if col == "server" else "right")
        for r in start:
            table.add_row(r["server"], f"{r['vms']:,}", f"{r['cold_s']:.2f}",
                          f"{r['warm_s']:.2f}" if "warm_s" in r else "-",
                          f"{r['import_s']:.2f}" if "import_s" in r else "-")
        console.print(table)
    small = [r for r in work if r["workload"] == "small"]
    if small:
        table = Table(title=f"small, {args.concurrency} in flight, {args.calls} calls, "
                            f"{args.vms:,} VMs, median of {args.repeat} [all runs]")
        for col in ("server", "calls/s", "p50 ms", "p99 ms", "client CPU ms/call",
                    "server CPU ms/call", "errors"):
            table.add_column(col, justify="left" if col == "server" else "right")
        for r in small:
            cpu = r.get("server_cpu_ms_per_call")
            table.add_row(r["server"],
                          f"{r['calls_per_s']:.0f} {r['calls_per_s_all']}",
                          f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}",
                          f"{r['cpu_ms_per_call']:.2f}",
                          f"{cpu:.2f}" if cpu is not None else "(shared)",
                          str(r["errors"]))
        console.print(table)
    reads = [r for r in work if r["workload"] in ("inventory", "full")]
    if reads:
        table = Table(title=f"Inventory reads, {args.vms:,} VMs, one call at a time, "
                            "median s per call")
        for col in ("server", "inventory (5 paths) s", "full (all properties) s",
                    "full: server CPU s"):
            table.add_column(col, justify="left" if col == "server" else "right")
        by = {(r["server"], r["workload"]): r for r in reads}
        for name in dict.fromkeys(r["server"] for r in reads):
            inv, full = by[(name, "inventory")], by[(name, "full")]
            cpu = full.get("server_cpu_ms_per_call")
            table.add_row(name, f"{inv['p50_ms'] / 1000:.3f}", f"{full['p50_ms'] / 1000:.2f}",
                          f"{cpu / 1000:.2f}" if cpu is not None else "(shared)")
        console.print(table)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.simulator", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="1 run of each, 1,000 small calls, 1 full call")
    ap.add_argument("--runs", type=int, default=3, help="start measurements (median)")
    ap.add_argument("--repeat", type=int, default=3, help="small runs per server (median)")
    ap.add_argument("--vms", type=int, default=1000, help="VMs for the workloads")
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--inventory-calls", type=int, default=5)
    ap.add_argument("--full-calls", type=int, default=3)
    ap.add_argument("--servers", default=",".join(SERVERS),
                    help="comma-separated: " + ", ".join(SERVERS))
    ap.add_argument("--skip-start", action="store_true", help="no start table")
    ap.add_argument("--start-probe", type=int, metavar="VMS", help=argparse.SUPPRESS)
    ap.add_argument("--peer-inprocess", nargs=5, metavar="X", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.start_probe is not None:
        _start_probe(args.start_probe)
        return 0
    if args.peer_inprocess is not None:
        vms, workload, conc, calls, warmup = args.peer_inprocess
        _inprocess_peer(int(vms), workload, int(conc), int(calls), int(warmup))
        return 0
    if args.quick:
        args.runs, args.repeat, args.calls = 1, 1, 1000
        args.inventory_calls, args.full_calls = 2, 1
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    for s in servers:
        if s not in SERVERS:
            ap.error(f"unknown server {s!r}")

    started = time.time()
    load0 = os.getloadavg()
    if load0[0] > 0.5:
        print(f"warning: load average {load0[0]:.1f} before start: other processes use CPU, "
              "numbers will be noisy", file=sys.stderr)
    start = [] if args.skip_start else measure_start(args.runs)
    work = measure_workloads(args, servers)
    print_tables(start, work, args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / time.strftime("simulator-%Y%m%d-%H%M%S.json")
    meta = {"started": started, "seconds": time.time() - started,
            "python": sys.version.split()[0], "platform": platform.platform(),
            "cpus": os.cpu_count(), "loadavg_start": load0, "loadavg_end": os.getloadavg(),
            "args": {k: v for k, v in vars(args).items()
                     if k not in ("start_probe", "peer_inprocess")}}
    out.write_text(json.dumps({"meta": meta, "start": start, "workloads": work}, indent=1))
    print(f"results: {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
