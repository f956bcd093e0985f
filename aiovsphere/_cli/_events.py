"""``events [PATH]``: event history (aiovsphere._events.events), optionally followed.

Rows: key, time (createdTime, UTC), type (``VmPoweredOnEvent``...), user, message
(fullFormattedMessage), and the names of the objects the event is about (vm, host,
datacenter, compute_resource, datastore, network; ``None`` when not set).
"""

from __future__ import annotations

import collections
import contextlib
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aiovsphere._cli._common import (
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
    emit_json_line,
    event_types,
    iso,
    new_table,
    print_table,
    run,
    stdout_console,
)

if TYPE_CHECKING:
    from aiovsphere._client import Client

__all__ = ["events", "parse_since"]

ROW_KEYS = ("key", "time", "type", "user", "message", "vm", "host", "datacenter",
            "compute_resource", "datastore", "network")
_ARGS = (("vm", "vm"), ("host", "host"), ("datacenter", "datacenter"),
         ("compute_resource", "computeResource"), ("datastore", "ds"), ("network", "net"))
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``--since``: a duration back from now (``30s``, ``15m``, ``2h``, ``1d``, ``1w``) or
    an ISO 8601 time (``2024-05-01T12:00``; without an offset it is UTC).
    ``typer.BadParameter`` (exit 2) otherwise."""
    match = _DURATION.match(text.strip())
    if match:
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
        return (now or datetime.now(UTC)) - timedelta(seconds=seconds)
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is neither a duration (30s, 15m, 2h, 1d, 1w) nor an ISO 8601 time",
            param_hint="--since") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def event_row(event: Any) -> dict[str, Any]:
    """The row of one event (stable keys, :data:`ROW_KEYS`)."""
    row: dict[str, Any] = {
        "key": event.key,
        "time": iso(event.createdTime),
        "type": type(event).__name__,
        "user": event.userName or None,
        "message": event.fullFormattedMessage,
    }
    for key, attr in _ARGS:
        arg = getattr(event, attr, None)
        row[key] = getattr(arg, "name", None) if arg is not None else None
    return row


def _entity(row: dict[str, Any]) -> str:
    for key in ("vm", "host", "datastore", "network", "compute_resource", "datacenter"):
        if row[key]:
            return str(row[key])
    return ""


def _line(row: dict[str, Any]) -> str:
    parts = [row["time"] or "", row["type"], _entity(row), row["user"] or "",
             row["message"] or ""]
    return "  ".join(str(p) for p in parts if p)


def _print_line(row: dict[str, Any], console: Any) -> None:
    if console is None:
        emit_json_line(row)
    else:
        console.print(_line(row), markup=False, soft_wrap=True)


def events(
    url: Url,
    user: User,
    password: Password,
    path: Annotated[str | None, typer.Argument(
        help="events about this object and everything below it (default: all)")] = None,
    type_: Annotated[list[str] | None, typer.Option(
        "--type", "-t", help="event type (VmPoweredOnEvent) or base type (VmEvent); "
        "repeat for several")] = None,
    since: Annotated[str | None, typer.Option(
        help="only events after this: a duration back from now (15m, 2h, 1d) or an ISO "
        "8601 time (UTC unless an offset is given)")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", "-n", min=0, help="the N most recent events of the history (0: all)")] = 25,
    follow: Annotated[bool, typer.Option(
        "--follow", "-f", help="after the history, print new events as they happen until "
        "Ctrl-C (with --json: one JSON object per line)")] = False,
    insecure: Insecure = False,
    datacenter: Datacenter = None,
    json_: Json = False,
) -> None:
    """Events, oldest first: time, type, entity, user, message.

    PATH must match exactly one object (exit 1 if it matches none or several).
    """
    types = event_types(type_)
    begin = parse_since(since) if since is not None else None
    if path is not None:
        check_paths([path])
    conn = Conn(url, user, password, insecure)

    async def job(client: Client) -> list[dict[str, Any]]:
        from aiovsphere._events import events as event_stream
        from aiovsphere._finder import Finder

        entity = None
        if path is not None:
            entity = (await Finder(client, datacenter).one(path)).ref
        history: collections.deque[Any] = collections.deque(maxlen=limit or None)
        stream = event_stream(client, entity=entity, types=types, since=begin,
                              page_size=1000)
        async with contextlib.aclosing(stream) as items:
            async for event in items:
                history.append(event)
        if not follow:
            return [event_row(event) for event in history]
        # Following: print the history, then a second stream (history again, then new
        # events) from the last event shown on; keys tell what was printed already.
        console = None if json_ else stdout_console()
        last_key = max((event.key for event in history), default=None)
        start = begin
        if history:
            newest = max(event.createdTime for event in history) - timedelta(seconds=1)
            start = newest if begin is None else max(begin, newest)
        for event in history:
            _print_line(event_row(event), console)
        stream = event_stream(client, entity=entity, types=types, since=start, follow=True)
        async with contextlib.aclosing(stream) as items:
            async for event in items:
                if last_key is not None and event.key <= last_key:
                    continue
                _print_line(event_row(event), console)
        return []

    rows = run(conn, job)
    if follow:
        return
    if json_:
        emit_json(rows)
        return
    columns = ("time", "type", "entity", "user", "message")
    table = new_table(f"{len(rows)} events", columns)
    for row in rows:
        table.add_row(cell(row["time"]), cell(row["type"]), cell(_entity(row)),
                      cell(row["user"]), cell(row["message"]))
    print_table(table)
