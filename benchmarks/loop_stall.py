"""Longest event-loop stall while aiovsphere fetches and decodes a ~10 MB response.

    python -m benchmarks.loop_stall [--quick] [--mb 10] [--calls 3]

The response is the captured 2,000-VM ``RetrievePropertiesEx`` (``benchmarks.parse``
captures it) cut to ~10 MB worth of VMs. A local aiohttp server in a *separate process*
serves it (and the captured ``RetrieveServiceContent``), so only the client runs on the
measured loop. A ticker task sleeps 1 ms in a loop and records the longest gap between
wake-ups beyond that 1 ms (a stall). Three ways are measured:

* ``aiovsphere (default)``: a real ``Client`` over ``AiohttpTransport``; the body is fed
  to the incremental parser as it arrives and, being over ``decode_in_thread_bytes``
  (1 MiB), decoded in a worker thread.
* ``aiovsphere (decode on loop)``: the same with ``decode_in_thread_bytes`` above the body
  size: what the stall would be without the thread hand-off.
* ``synchronous decode on the loop``: ``parse_bytes`` + ``body_of`` +
  ``Decoder.returnval`` of the same bytes called directly in a coroutine (no network).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks._common import CACHE, RESULTS, ROOT, child_env, emit

TARGET_MS = 20.0


def response_file(mb: float) -> Path:
    """The 2,000-VM capture cut to about ``mb`` MB (cached)."""
    from benchmarks.parse import capture, truncate

    out = CACHE / f"full-{mb:g}mb.xml"
    full = capture(2000)
    if out.exists() and out.stat().st_mtime >= full.stat().st_mtime:
        return out
    data = full.read_bytes()
    keep = max(1, int(2000 * mb * 1e6 / len(data)))
    out.write_bytes(truncate(data, keep))
    return out


# ---------------------------------------------------------------------------- server
def serve(body_file: str) -> None:
    """The server process: answers RetrieveServiceContent and everything else with the
    big body; prints its URL once listening."""
    from aiohttp import web

    big = Path(body_file).read_bytes()
    service_content = (CACHE / "service-content.xml").read_bytes()

    async def sdk(request: web.Request) -> web.Response:
        body = await request.read()
        data = service_content if b"RetrieveServiceContent" in body else big
        return web.Response(body=data, content_type="text/xml", charset="utf-8")

    async def main() -> None:
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post("/sdk", sdk)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(f"URL=http://127.0.0.1:{port}/sdk", flush=True)
        # Exit when the parent closes our stdin.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await runner.cleanup()

    asyncio.run(main())


# ---------------------------------------------------------------------------- client
class Ticker:
    """Sleeps ``period`` s in a loop; ``stalls`` are the gaps beyond the period (ms)."""

    def __init__(self, period: float = 0.001) -> None:
        self.period = period
        self.gaps: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(self.period)
            now = time.perf_counter()
            self.gaps.append((now - last - self.period) * 1000)
            last = now

    def __enter__(self) -> Ticker:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()

    def summary(self) -> dict[str, float]:
        g = sorted(self.gaps) or [0.0]
        return {"max_stall_ms": g[-1], "p99_stall_ms": g[min(len(g) - 1, int(0.99 * len(g)))],
                "ticks": len(self.gaps)}


async def _measure(url: str, body: bytes, calls: int) -> list[dict[str, Any]]:
    from aiovsphere import Client
    from aiovsphere.soap._xml import parse_bytes
    from aiovsphere.soap.codec import Decoder
    from aiovsphere.soap.envelope import body_of
    from aiovsphere.vim import types as t
    from aiovsphere.vim._moref import ManagedObjectReference
    from aiovsphere.vim._schema import schema

    sch = schema()
    info = sch.method("PropertyCollector", "RetrievePropertiesEx")
    version = sch.versions[-1]
    rows = []

    async def via_client(label: str, in_thread_bytes: int) -> None:
        client = Client(url, version=version, max_in_flight=4,
                        decode_in_thread_bytes=in_thread_bytes)
        try:
            await client.open()
            spec = t.PropertyFilterSpec(
                objectSet=(t.ObjectSpec(obj=ManagedObjectReference("ContainerView", "v"),
                                        skip=True),),
                propSet=(t.PropertySpec(type="VirtualMachine", all=True),),
            )
            pc = client.content.propertyCollector
            # Warm-up (lazy classes, plan cache), not measured.
            await client.invoke(pc, "RetrievePropertiesEx", specSet=(spec,),
                                options=t.RetrieveOptions())
            gc.collect()
            walls = []
            # Results are kept until the ticker stops: freeing ~600k objects is the caller's
            # cost, not the decode's (it is measured separately below, for reference).
            kept = []
            with Ticker() as ticker:
                await asyncio.sleep(0.05)
                for _ in range(calls):
                    t0 = time.perf_counter()
                    result = await client.invoke(pc, "RetrievePropertiesEx", specSet=(spec,),
                                                 options=t.RetrieveOptions())
                    walls.append(time.perf_counter() - t0)
                    n = len(result.objects)
                    kept.append(result)
                    del result
                await asyncio.sleep(0.05)
            rows.append({"mode": label, "objects": n,
                         "call_s": statistics.median(walls), **ticker.summary()})
            if in_thread_bytes < len(body):
                with Ticker() as ticker:
                    await asyncio.sleep(0.02)
                    t0 = time.perf_counter()
                    kept.clear()  # the caller drops the decoded results on the loop
                    dropped = time.perf_counter() - t0
                    await asyncio.sleep(0.02)
                rows.append({"mode": "(reference) the caller dropping those results on the loop",
                             "objects": n, "call_s": dropped, **ticker.summary()})
            kept.clear()
        finally:
            await client.close()

    await via_client("aiovsphere (default: decode in a thread over 1 MiB)", 1 << 20)
    await via_client("aiovsphere (decode_in_thread_bytes above the body: decode on loop)",
                     1 << 40)

    plans: dict[str, Any] = {}

    async def sync_decode() -> int:
        d = Decoder(sch)
        d._plans = plans
        return len(d.returnval(body_of(parse_bytes(body, 1 << 30)), info).objects)

    await sync_decode()
    gc.collect()
    walls = []
    with Ticker() as ticker:
        await asyncio.sleep(0.05)
        for _ in range(calls):
            t0 = time.perf_counter()
            n = await sync_decode()
            walls.append(time.perf_counter() - t0)
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
    rows.append({"mode": "synchronous parse_bytes + returnval on the loop (no network)",
                 "objects": n, "call_s": statistics.median(walls), **ticker.summary()})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.loop_stall", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one measured call per mode")
    ap.add_argument("--mb", type=float, default=10.0, help="response size in MB")
    ap.add_argument("--calls", type=int, default=None, help="measured calls per mode")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--client", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        serve(args.serve)
        return 0
    calls = args.calls or (1 if args.quick else 3)
    if args.client:  # the measuring process (fresh, so nothing else runs on its loop)
        url, body_file = args.client
        rows = asyncio.run(_measure(url, Path(body_file).read_bytes(), calls))
        emit({"rows": rows})
        return 0

    body_file = response_file(args.mb)
    size = body_file.stat().st_size
    server = subprocess.Popen([sys.executable, "-m", "benchmarks.loop_stall", "--serve",
                               str(body_file)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=ROOT, env=child_env())
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("URL="):
            raise RuntimeError("the response server did not start")
        url = line.strip()[4:]
        proc = subprocess.run([sys.executable, "-m", "benchmarks.loop_stall", "--calls",
                               str(calls), "--client", url, str(body_file)],
                              capture_output=True, text=True, cwd=ROOT, env=child_env(),
                              timeout=600)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if not lines:
            print(proc.stderr, file=sys.stderr)
            return 1
        rows = json.loads(lines[-1])["rows"]
    finally:
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Event-loop stalls: {size / 1e6:.1f} MB RetrievePropertiesEx "
                        f"({rows[0]['objects']} VMs), 1 ms ticker, {calls} call(s) per mode; "
                        f"target < {TARGET_MS:.0f} ms")
    for col in ("mode", "longest stall ms", "p99 stall ms", "call s (median)", "target"):
        table.add_column(col, justify="left" if col == "mode" else "right")
    for r in rows:
        ok = "[green]met[/green]" if r["max_stall_ms"] < TARGET_MS else "[red]missed[/red]"
        table.add_row(r["mode"], f"{r['max_stall_ms']:.1f}", f"{r['p99_stall_ms']:.1f}",
                      f"{r['call_s']:.2f}", ok if r["mode"].startswith("aiovsphere (default")
                      else "")
    Console(width=160).print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / time.strftime("loop-stall-%Y%m%d-%H%M%S.json")
    out.write_text(json.dumps({"bytes": size, "calls": calls, "rows": rows}, indent=1))
    print(f"results: {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
