"""``python -m aiovsphere`` (also the ``aiovsphere`` console script).

Commands: ``inventory`` (every VM with moref, name, power state, host, CPUs, memory MB) and
``bench`` (concurrent-call load generator). Connection options come from flags or the
environment (``AIOVSPHERE_URL``, ``AIOVSPHERE_USERNAME``, ``AIOVSPHERE_PASSWORD``,
``AIOVSPHERE_INSECURE``). Exit codes: 0 ok, 1 fault or connection error, 2 usage.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated, Any

try:
    import typer
    from rich.console import Console
    from rich.table import Table
except ImportError:  # pragma: no cover - the cli extra is not installed
    sys.exit("the aiovsphere CLI needs its extra: pip install 'aiovsphere[cli]'")

import aiovsphere
from aiovsphere._bench import Workload, run_bench
from aiovsphere._inventory import list_vms

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="aiovsphere: asyncio vSphere client tools.")

Url = Annotated[str, typer.Option(envvar="AIOVSPHERE_URL", help="https://vcenter or .../sdk")]
User = Annotated[str, typer.Option("--user", "--username", envvar="AIOVSPHERE_USERNAME")]
Password = Annotated[str, typer.Option(envvar="AIOVSPHERE_PASSWORD", help="login password")]
Insecure = Annotated[bool, typer.Option(envvar="AIOVSPHERE_INSECURE",
                                        help="do not verify the TLS certificate")]
Json = Annotated[bool, typer.Option("--json", help="print JSON")]


def _fail(exc: BaseException) -> None:
    Console(stderr=True).print(f"[red]error:[/red] {exc}")
    raise typer.Exit(1)


def _run(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except (aiovsphere.VSphereError, OSError, TimeoutError) as exc:
        _fail(exc)


@app.command()
def inventory(url: Url, user: User, password: Password, insecure: Insecure = False,
              json_: Json = False) -> None:
    """List every VM: moref, name, power state, host, numCPU, memoryMB."""

    async def job() -> list[dict[str, Any]]:
        async with aiovsphere.connect(url, user=user, password=password,
                                      insecure=insecure) as client:
            return [row.as_dict() for row in await list_vms(client)]

    rows = _run(job())
    if json_:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} virtual machines")
    for col in ("moref", "name", "power_state", "host", "num_cpu", "memory_mb"):
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    Console().print(table)


@app.command()
def bench(
    url: Url,
    user: User,
    password: Password,
    insecure: Insecure = False,
    workload: Annotated[str, typer.Option(help="small | inventory | full")] = "small",
    concurrency: Annotated[int, typer.Option(min=1, help="calls in flight")] = 10,
    calls: Annotated[int, typer.Option(min=1, help="total calls")] = 1000,
    json_: Json = False,
) -> None:
    """Run CALLS calls of a workload with CONCURRENCY in flight on one session."""
    if workload not in ("small", "inventory", "full"):
        raise typer.BadParameter("workload must be small, inventory or full",
                                 param_hint="--workload")
    wl: Workload = workload  # type: ignore[assignment]

    async def job() -> dict[str, Any]:
        async with aiovsphere.connect(url, user=user, password=password, insecure=insecure,
                                      max_in_flight=max(concurrency, 1)) as client:
            return (await run_bench(client, wl, concurrency=concurrency, calls=calls)).as_dict()

    result = _run(job())
    if json_:
        print(json.dumps(result, indent=2))
        return
    table = Table(title=f"aiovsphere bench: {workload}")
    for col in ("concurrency", "calls", "calls/s", "p50 ms", "p99 ms", "CPU ms/call", "errors"):
        table.add_column(col, justify="right")
    table.add_row(str(result["concurrency"]), str(result["calls"]),
                  f"{result['calls_per_s']:.0f}", f"{result['p50_ms']:.2f}",
                  f"{result['p99_ms']:.2f}", f"{result['cpu_ms_per_call']:.3f}",
                  str(result["errors"]))
    Console().print(table)
    if result["first_error"]:
        Console(stderr=True).print(f"first error: {result['first_error']}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
