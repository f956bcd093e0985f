"""``inventory`` (every VM with host, CPUs, memory) and ``bench`` (a load generator)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from aiovsphere._cli._common import (
    Conn,
    Insecure,
    Json,
    Password,
    Url,
    User,
    cell,
    emit_json,
    new_table,
    print_table,
    run,
    warn,
)

if TYPE_CHECKING:
    from aiovsphere._bench import Workload
    from aiovsphere._client import Client

__all__ = ["bench", "inventory"]

INVENTORY_KEYS = ("moref", "name", "power_state", "host", "num_cpu", "memory_mb")


def inventory(url: Url, user: User, password: Password, insecure: Insecure = False,
              json_: Json = False) -> None:
    """List every VM: moref, name, power state, host, numCPU, memoryMB."""
    from aiovsphere._inventory import list_vms

    async def job(client: Client) -> list[dict[str, Any]]:
        return [row.as_dict() for row in await list_vms(client)]

    rows = run(Conn(url, user, password, insecure), job)
    if json_:
        emit_json(rows)
        return
    table = new_table(f"{len(rows)} virtual machines", INVENTORY_KEYS,
                      right=("num_cpu", "memory_mb"))
    for row in rows:
        table.add_row(*(cell(row[k]) for k in INVENTORY_KEYS))
    print_table(table)


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
    from aiovsphere._bench import run_bench

    if workload not in ("small", "inventory", "full"):
        raise typer.BadParameter("workload must be small, inventory or full",
                                 param_hint="--workload")
    wl: Workload = workload  # type: ignore[assignment]

    async def job(client: Client) -> dict[str, Any]:
        return (await run_bench(client, wl, concurrency=concurrency, calls=calls)).as_dict()

    result = run(Conn(url, user, password, insecure), job, max_in_flight=max(concurrency, 1))
    if json_:
        emit_json(result)
        return
    columns = ("concurrency", "calls", "calls/s", "p50 ms", "p99 ms", "CPU ms/call", "errors")
    table = new_table(f"aiovsphere bench: {workload}", columns, right=columns)
    table.add_row(cell(result["concurrency"]), cell(result["calls"]),
                  cell(f"{result['calls_per_s']:.0f}"), cell(f"{result['p50_ms']:.2f}"),
                  cell(f"{result['p99_ms']:.2f}"), cell(f"{result['cpu_ms_per_call']:.3f}"),
                  cell(result["errors"]))
    print_table(table)
    if result["first_error"]:
        warn(f"first error: {result['first_error']}")
