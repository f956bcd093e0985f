"""The aiovsphere peer: one workload in this process, one JSON line on stdout.

``python -m benchmarks.aio_peer URL WORKLOAD CONCURRENCY CALLS [--warmup N]``

One client (``aiovsphere.connect(..., max_in_flight=CONCURRENCY)``) and
``aiovsphere._bench.run_bench``; peak RSS is this process's ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from benchmarks._common import PASSWORD, USER, emit, peak_rss_mb


async def _main(args: argparse.Namespace) -> dict[str, object]:
    import aiovsphere
    from aiovsphere._bench import run_bench

    async with aiovsphere.connect(args.url, user=USER, password=PASSWORD,
                                  max_in_flight=args.concurrency) as client:
        if args.warmup:
            await run_bench(client, args.workload, concurrency=min(args.concurrency,
                                                                   args.warmup),
                            calls=args.warmup)
        r = await run_bench(client, args.workload, concurrency=args.concurrency,
                            calls=args.calls)
    out = r.as_dict()
    out.update(client="aiovsphere", completed=r.calls - r.errors, truncated=False)
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("workload", choices=["small", "inventory", "full"])
    p.add_argument("concurrency", type=int)
    p.add_argument("calls", type=int)
    p.add_argument("--warmup", type=int, default=0)
    args = p.parse_args()
    t0 = time.perf_counter()
    out = asyncio.run(_main(args))
    out["peak_rss_mb"] = peak_rss_mb()
    out["process_s"] = time.perf_counter() - t0
    emit(out)


if __name__ == "__main__":
    main()
