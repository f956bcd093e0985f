"""Client benchmark: aiovsphere vs pyvmomi vs govmomi against vcsim, one table.

    python -m benchmarks.run            # full run (~10-15 min on 2 cores)
    python -m benchmarks.run --quick    # short run (~3-5 min)
    python -m benchmarks.run --quick --clients aiovsphere,govmomi --inventories 8 \
        --workloads small --concurrency 1,100

Starts vcsim (an 8-VM and a 2,000-VM inventory), then runs every client x workload x
concurrency in its own subprocess (so peak RSS and CPU are per client), bounded by a
timeout, and prints one table. Results also go to ``benchmarks/results/*.json``.

Combinations that would take far too long are skipped and shown as ``skipped: reason``:
pyvmomi above 100 threads, and any run whose estimate (calls x seconds per call measured at
concurrency 1) exceeds the per-run budget. Only 127.0.0.1 is ever loaded.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from benchmarks._common import RESULTS, ROOT, child_env, govmomi_peer, sdk_url, vcsim

CLIENTS = ("aiovsphere", "pyvmomi", "govmomi")
WORKLOADS = ("small", "inventory", "full")
PYVMOMI_MAX_THREADS = 100


@dataclass
class Plan:
    quick: bool
    budget: float  # seconds one run may be estimated to take
    results: list[dict[str, Any]] = field(default_factory=list)

    def calls(self, workload: str, vms: int, concurrency: int) -> tuple[int, int]:
        """(measured calls, warm-up calls): enough calls that every worker makes a few."""
        big = vms >= 500
        if workload == "small":
            base, per = (500, 2) if self.quick else (2000, 5)
            return max(base, per * concurrency), min(50, concurrency * 2)
        if workload == "inventory":
            base = (5 if self.quick else 10) if big else (100 if self.quick else 400)
            return max(base, concurrency), 0 if big else min(5, concurrency)
        base = (2 if self.quick else 3) if big else (30 if self.quick else 100)
        return max(base, concurrency), 0 if big else min(2, concurrency)


def _command(client: str, url: str, workload: str, concurrency: int, calls: int,
             warmup: int, deadline: float) -> list[str]:
    if client == "aiovsphere":
        return [sys.executable, "-m", "benchmarks.aio_peer", url, workload, str(concurrency),
                str(calls), "--warmup", str(warmup)]
    if client == "pyvmomi":
        return [sys.executable, "-m", "benchmarks.pyvmomi_peer", url, workload,
                str(concurrency), str(calls), "--warmup", str(warmup),
                "--deadline", f"{deadline:.1f}"]
    return [str(govmomi_peer()), "-url", url, "-workload", workload, "-concurrency",
            str(concurrency), "-calls", str(calls), "-warmup", str(warmup),
            "-deadline", f"{deadline:.1f}"]


def run_one(client: str, url: str, workload: str, concurrency: int, calls: int, warmup: int,
            timeout: float) -> dict[str, Any]:
    cmd = _command(client, url, workload, concurrency, calls, warmup, deadline=timeout * 0.8)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT, env=child_env())
    except subprocess.TimeoutExpired:
        return {"skipped": f"timed out after {timeout:.0f}s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"skipped": f"failed (exit {proc.returncode}): {tail[:120]}"}
    out: dict[str, Any] = json.loads(lines[-1])
    out["wall_s"] = time.perf_counter() - t0
    return out


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


def print_table(results: list[dict[str, Any]], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for name in ("client", "inventory", "workload", "concurrency", "calls/s", "p50 ms",
                 "p99 ms", "client CPU ms/call", "peak RSS MB", "errors"):
        table.add_column(name, justify="left" if name in ("client", "workload") else "right")
    for r in results:
        head = (r["client"], f"{r['vms']} VMs", r["workload"], str(r["concurrency"]))
        if "skipped" in r:
            table.add_row(*head, f"[yellow]skipped: {r['skipped']}[/yellow]", "", "", "", "",
                          "")
            continue
        cps = _fmt(r["calls_per_s"], 1 if r["calls_per_s"] < 100 else 0)
        if r.get("truncated"):
            cps += f" ({r['completed']}/{r['calls']})"
        spread = [v for v in r.get("calls_per_s_all") or () if v]
        if len(spread) > 1:
            cps += f" [{min(spread):,.0f}-{max(spread):,.0f}]"
        errors = str(r["errors"])
        if r["errors"] and r.get("first_error"):
            errors += f" ({str(r['first_error'])[:40]})"
        table.add_row(*head, cps, _fmt(r["p50_ms"]), _fmt(r["p99_ms"]),
                      _fmt(r["cpu_ms_per_call"], 2), _fmt(r.get("peak_rss_mb"), 0), errors)
    Console(width=200).print(table)


def _find(results: list[dict[str, Any]], client: str, vms: int, workload: str,
          concurrency: int) -> dict[str, Any] | None:
    for r in results:
        if (r["client"], r["vms"], r["workload"], r["concurrency"]) == (
                client, vms, workload, concurrency) and "skipped" not in r:
            return r
    return None


def print_targets(results: list[dict[str, Any]]) -> None:
    """The performance targets that come out of this table (see docs/performance.md)."""
    for vms in sorted({r["vms"] for r in results}):
        a = _find(results, "aiovsphere", vms, "small", 100)
        p = _find(results, "pyvmomi", vms, "small", 100)
        g = _find(results, "govmomi", vms, "small", 100)
        if a is None:
            continue
        parts = [f"small@100, {vms} VMs:"]
        if p:
            parts.append(f"aiovsphere/pyvmomi calls/s = {a['calls_per_s'] / p['calls_per_s']:.2f}x"
                         f" (target >= 3x); CPU/call = "
                         f"{a['cpu_ms_per_call'] / p['cpu_ms_per_call']:.2f}x (target <= 0.4x)")
        if g:
            parts.append(f"aiovsphere/govmomi calls/s = "
                         f"{a['calls_per_s'] / g['calls_per_s']:.2f}x (target >= 0.8x)")
        print("  ".join(parts))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer calls, smaller budget")
    ap.add_argument("--clients", default=",".join(CLIENTS))
    ap.add_argument("--inventories", default="8,2000", help="VM counts, e.g. 8,2000")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--concurrency", default="1,10,100,1000")
    ap.add_argument("--budget", type=float, default=None,
                    help="max estimated seconds per run (default 20 quick, 60 full)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each `small` combination (median reported; default 3)")
    ap.add_argument("--out", default=None, help="results JSON path")
    args = ap.parse_args(argv)

    clients = [c for c in args.clients.split(",") if c]
    for c in clients:
        if c not in CLIENTS:
            ap.error(f"unknown client {c!r}")
    inventories = [int(v) for v in args.inventories.split(",") if v]
    workloads = [w for w in args.workloads.split(",") if w]
    levels = sorted(int(c) for c in args.concurrency.split(",") if c)
    plan = Plan(quick=args.quick, budget=args.budget or (20.0 if args.quick else 60.0))
    if "govmomi" in clients:
        govmomi_peer()  # build before timing anything
    started = time.time()

    load0 = os.getloadavg()
    if load0[0] > 0.5:
        print(f"warning: load average {load0[0]:.1f} before start: other processes use CPU, "
              f"throughput will be noisy", file=sys.stderr)
    for vms in inventories:
        with vcsim(vms) as sim:
            url = sdk_url(sim)
            print(f"vcsim with {vms} VMs at {url}", file=sys.stderr)
            for workload in workloads:
                # seconds per call at the lowest level, per client (for the estimates)
                per_call: dict[str, float] = {}
                for conc in levels:
                    reps = args.repeat if workload == "small" else 1
                    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in clients}
                    skipped: dict[str, str] = {}
                    calls, warmup = plan.calls(workload, vms, conc)
                    # Clients take turns within each repetition, so drift in the machine's
                    # load hits all of them alike; the median run by calls/s is reported.
                    for _rep in range(reps):
                        for client in clients:
                            if client in skipped:
                                continue
                            pc = per_call.get(client)
                            estimate = calls * pc if pc is not None else None
                            if client == "pyvmomi" and conc > PYVMOMI_MAX_THREADS:
                                skipped[client] = (f"pyvmomi capped at "
                                                   f"{PYVMOMI_MAX_THREADS} threads")
                                continue
                            if pc == math.inf:
                                skipped[client] = "the lowest concurrency failed"
                                continue
                            if pc is not None and estimate is not None and (
                                    estimate > plan.budget):
                                skipped[client] = (f"est. {estimate:.0f}s ({calls} x "
                                                   f"{pc:.1f}s) > {plan.budget:.0f}s budget")
                                continue
                            guess = estimate if estimate is not None else plan.budget
                            timeout = max(30.0, min(3 * guess + 20, plan.budget * 3 + 30))
                            print(f"  {client:<10} {workload:<9} c={conc:<4} calls={calls}",
                                  file=sys.stderr, flush=True)
                            r = run_one(client, url, workload, conc, calls, warmup, timeout)
                            if "skipped" in r:
                                skipped[client] = r["skipped"]
                                per_call.setdefault(client, math.inf)
                                continue
                            runs[client].append(r)
                    for client in clients:
                        row: dict[str, Any] = {"client": client, "vms": vms,
                                               "workload": workload, "concurrency": conc}
                        ok = sorted(runs[client], key=lambda r: r.get("calls_per_s") or 0.0)
                        if ok:
                            row.update(ok[len(ok) // 2])
                            row["runs"] = len(ok)
                            row["calls_per_s_all"] = [r.get("calls_per_s") for r in ok]
                            if row.get("calls_per_s"):
                                per_call.setdefault(client, 1.0 / row["calls_per_s"])
                        else:
                            row["skipped"] = skipped.get(client, "no run")
                        plan.results.append(row)

    order = {c: i for i, c in enumerate(clients)}
    plan.results.sort(key=lambda r: (inventories.index(r["vms"]),
                                     workloads.index(r["workload"]), order[r["client"]],
                                     r["concurrency"]))
    title = (f"aiovsphere vs pyvmomi vs govmomi on vcsim "
             f"({'quick' if args.quick else 'full'} run, {os.cpu_count()} cores shared "
             f"with vcsim; small: median of {args.repeat} \\[min-max])")
    print_table(plan.results, title)
    print_targets(plan.results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = args.out or str(RESULTS / time.strftime(
        f"run-{'quick' if args.quick else 'full'}-%Y%m%d-%H%M%S.json"))
    meta = {
        "mode": "quick" if args.quick else "full", "started": started,
        "seconds": time.time() - started, "python": sys.version.split()[0],
        "platform": platform.platform(), "cpus": os.cpu_count(), "budget_s": plan.budget,
        "repeat_small": args.repeat, "loadavg_start": load0, "loadavg_end": os.getloadavg(),
    }
    with open(out, "w") as f:
        json.dump({"meta": meta, "results": plan.results}, f, indent=1)
    print(f"results: {os.path.relpath(out, ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
