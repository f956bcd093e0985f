"""``metrics PATH... --counter cpu.usage.average``: performance series (aiovsphere._perf).

One QueryPerf batch per the server's limit for every entity and counter; values are the
server's raw integers with the counter's unit (``percent`` is hundredths of a percent:
the table shows it as a percentage, ``--json`` keeps the raw value).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aiovsphere._cli._common import (
    CliError,
    Conn,
    Datacenter,
    Insecure,
    Json,
    Password,
    Url,
    User,
    cell,
    check_paths,
    emit_json,
    iso,
    new_table,
    print_table,
    resolve,
    run,
)

if TYPE_CHECKING:
    from aiovsphere._client import Client

__all__ = ["metrics"]

ROW_KEYS = ("path", "name", "type", "moref", "counter", "instance", "unit", "interval",
            "samples")
_COUNTER = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def _check_counters(counters: list[str]) -> None:
    for name in counters:
        if not _COUNTER.match(name):
            raise typer.BadParameter(
                f"{name!r} is not a counter name: group.name.rollup, e.g. cpu.usage.average",
                param_hint="--counter")


def _show(value: Any, unit: str) -> str:
    if unit == "percent" and isinstance(value, int) and value >= 0:
        return f"{value / 100:.2f}%"
    return str(value)


def metrics(
    url: Url,
    user: User,
    password: Password,
    paths: Annotated[list[str], typer.Argument(help="inventory paths or patterns")],
    counter: Annotated[list[str], typer.Option(
        "--counter", "-c", help="counter name group.name.rollup (cpu.usage.average); "
        "repeat for several")],
    interval: Annotated[int, typer.Option(
        min=1, help="sampling interval in seconds: 20 (real time) or a historical interval "
        "(300, 1800, 7200, 86400)")] = 20,
    samples: Annotated[int, typer.Option(
        "--samples", "-n", min=1, help="the N most recent samples per series")] = 6,
    instance: Annotated[str, typer.Option(
        help="instance: '' for the aggregate, '*' for every instance too, or one name "
        "(a CPU number, a NIC...)")] = "",
    insecure: Insecure = False,
    datacenter: Datacenter = None,
    json_: Json = False,
) -> None:
    """Performance samples: entity, counter, instance, unit, values (oldest first).

    Exit 2 for a malformed counter name, 1 for a counter the server does not have or a
    path that matches nothing.
    """
    _check_counters(counter)
    check_paths(paths)
    conn = Conn(url, user, password, insecure)

    async def job(client: Client) -> list[dict[str, Any]]:
        from aiovsphere._finder import Finder
        from aiovsphere._perf import perf_counters, query_perf

        objs = await resolve(Finder(client, datacenter), paths)
        catalogue = await perf_counters(client)
        for name in counter:
            try:
                catalogue[name]
            except KeyError as exc:
                raise CliError(str(exc.args[0]) if exc.args else str(exc)) from None
        by_ref = {obj.ref: obj for obj in objs}
        series = await query_perf(client, [o.ref for o in objs], counter, interval=interval,
                                  max_sample=samples, instance=instance)
        rows = []
        for s in series:
            obj = by_ref.get(s.entity)
            rows.append({
                "path": obj.path if obj else None,
                "name": obj.name if obj else None,
                "type": s.entity.type,
                "moref": s.entity.value,
                "counter": s.counter,
                "instance": s.instance,
                "unit": s.unit,
                "interval": s.interval,
                "samples": [{"time": iso(ts), "value": v}
                            for ts, v in zip(s.timestamps, s.values, strict=True)],
            })
        return rows

    rows = run(conn, job)
    if json_:
        emit_json(rows)
        return
    columns = ("name", "counter", "instance", "unit", "values", "last sample")
    table = new_table(f"{len(rows)} series ({interval} s)", columns)
    for row in rows:
        values = ", ".join(_show(s["value"], row["unit"]) for s in row["samples"])
        last = row["samples"][-1]["time"] if row["samples"] else None
        table.add_row(cell(row["name"]), cell(row["counter"]), cell(row["instance"]),
                      cell(row["unit"]), cell(values), cell(last))
    print_table(table)
