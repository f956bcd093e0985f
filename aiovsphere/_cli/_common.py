"""What every CLI command shares: connection options, running a job, errors, exit codes,
output (rich tables on stdout, ``--json``, progress and errors on stderr).

Exit codes (:data:`EXIT_OK`...): 0 ok; 1 a fault, a connection or login error, a path
that matches nothing, a task that failed; 2 usage (bad options, checked before
connecting: an unknown type name, a malformed counter name, a ``..`` path component);
130 interrupted (Ctrl-C, e.g. to stop ``--follow``), 143 terminated (SIGTERM); both
clean up first (server-side collectors destroyed, session logged out).

Errors are one line on stderr (``error: ...``) with the password replaced by ``***``;
nothing else than the listing (or JSON) goes to stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import click
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

import aiovsphere
from aiovsphere._errors import SoapFault, VSphereError, secret_pattern
from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere._finder import Finder, FoundObject

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "CliError",
    "Conn",
    "Datacenter",
    "Insecure",
    "Json",
    "Password",
    "Url",
    "User",
    "cell",
    "check_paths",
    "describe",
    "emit_json",
    "emit_json_line",
    "entity_types",
    "event_types",
    "fail",
    "fault_name",
    "iso",
    "new_table",
    "plain",
    "print_table",
    "resolve",
    "run",
    "scrub",
    "stderr_console",
    "stdout_console",
    "warn",
]

T = TypeVar("T")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT)
EXIT_TERMINATED = 143  # SIGTERM

# ---------------------------------------------------------------------------- options
Url = Annotated[str, typer.Option(
    "--url", envvar="AIOVSPHERE_URL", show_envvar=True,
    help="vCenter/ESXi: https://host or https://host/sdk")]
User = Annotated[str, typer.Option(
    "--user", "--username", envvar="AIOVSPHERE_USERNAME", show_envvar=True,
    help="login user name")]
Password = Annotated[str, typer.Option(
    "--password", envvar="AIOVSPHERE_PASSWORD", show_envvar=True,
    help="login password (prefer the environment variable: flags show in ps)")]
Insecure = Annotated[bool, typer.Option(
    "--insecure/--secure", envvar="AIOVSPHERE_INSECURE", show_envvar=True,
    help="do not verify the server's TLS certificate")]
Datacenter = Annotated[str | None, typer.Option(
    "--datacenter", "--dc", envvar="AIOVSPHERE_DATACENTER", show_envvar=True,
    help="datacenter for relative paths (default: the only one)")]
Json = Annotated[bool, typer.Option(
    "--json", help="print JSON to stdout (stable keys) instead of a table")]


class CliError(Exception):
    """A failure to report as one line and an exit code (1 unless said otherwise)."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------------------- secrets
_SECRETS: set[str] = set()


def _remember(secret: str) -> None:
    if secret:
        _SECRETS.add(secret)


def scrub(text: str) -> str:
    """``text`` with every password seen in this process replaced by ``***``, in any case
    (a short one only where it stands as a token of its own, so ``p`` leaves ``open``
    alone)."""
    # Any case: a host name in an error comes lower-cased.
    pattern = secret_pattern(_SECRETS, ignore_case=True)
    return text if pattern is None else pattern.sub("***", text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def warn(message: str) -> None:
    """One line on stderr, password scrubbed."""
    sys.stderr.write(_one_line(scrub(message)) + "\n")
    sys.stderr.flush()


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """``error: message`` on stderr, then exit with ``code``."""
    warn(f"error: {message}")
    raise typer.Exit(code)


def describe(exc: BaseException) -> str:
    """A one-line description of an error for the user."""
    from aiovsphere._finder import NotFoundError

    if isinstance(exc, NotFoundError):
        return f"not found: {exc}"
    if isinstance(exc, TimeoutError):
        return f"timed out{': ' + str(exc) if str(exc) else ''}"
    if isinstance(exc, (VSphereError, OSError)):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------------------- running
@dataclass(frozen=True)
class Conn:
    """Connection settings from the flags or the environment."""

    url: str
    user: str
    password: str = field(repr=False)
    insecure: bool = False
    # Pin the server certificate (SHA-256 or SHA-1 hex, e.g. the simulator's
    # SIMULATOR_THUMBPRINT): from the environment, for every command alike.
    thumbprint: str | None = field(
        default_factory=lambda: os.environ.get("AIOVSPHERE_THUMBPRINT") or None)

    def __post_init__(self) -> None:
        _remember(self.password)


def run(conn: Conn, job: Callable[[Client], Awaitable[T]], **options: Any) -> T:
    """Connect (``options`` go to :class:`aiovsphere.Client`), run ``job(client)``, log out.

    Exits 1 with one line on stderr for a fault, a connection error, a timeout, a
    :class:`CliError` (its own code) or any other error; 130 on Ctrl-C, 143 on SIGTERM
    (both after the job's cleanup and the logout). Usage errors
    (``typer.BadParameter``) pass through to typer (exit 2).
    """

    terminated = False

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def on_sigterm() -> None:
            nonlocal terminated
            terminated = True
            task.cancel()  # clean up as for Ctrl-C: collectors destroyed, logged out

        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        async with aiovsphere.connect(conn.url, user=conn.user, password=conn.password,
                                      insecure=conn.insecure, thumbprint=conn.thumbprint,
                                      **options) as client:
            return await job(client)

    try:
        return asyncio.run(main())
    except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise
    except KeyboardInterrupt:
        warn("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except asyncio.CancelledError:
        if not terminated:
            raise
        warn("terminated")
        raise typer.Exit(EXIT_TERMINATED) from None
    except CliError as exc:
        fail(str(exc), exc.code)
    except Exception as exc:  # one line, never a traceback with locals
        fail(describe(exc))


# ---------------------------------------------------------------------------- types, paths
# govc's one-letter type codes (``govc find -type m``) and short words, besides vim names.
_TYPE_CODES = {
    "a": "VirtualApp", "c": "ClusterComputeResource", "d": "Datacenter", "f": "Folder",
    "g": "DistributedVirtualPortgroup", "h": "HostSystem", "m": "VirtualMachine",
    "n": "Network", "o": "OpaqueNetwork", "p": "ResourcePool", "r": "ComputeResource",
    "s": "Datastore", "w": "DistributedVirtualSwitch",
    # and short words
    "vm": "VirtualMachine", "host": "HostSystem", "ds": "Datastore",
    "cluster": "ClusterComputeResource", "pool": "ResourcePool", "dc": "Datacenter",
    "vapp": "VirtualApp", "dvs": "DistributedVirtualSwitch",
    "portgroup": "DistributedVirtualPortgroup",
}


def _schema() -> Any:
    from aiovsphere.vim._schema import schema

    return schema()


def entity_types(names: Sequence[str] | None, option: str = "--type") -> tuple[str, ...]:
    """Managed entity type names (``VirtualMachine``, any case; govc's letters ``m``,
    ``h``...; ``vm``, ``host``, ``ds``, ``cluster``, ``pool``, ``dc``...) as vim names;
    ``typer.BadParameter`` (exit 2) for anything else."""
    if not names:
        return ()
    schema = _schema()
    known = {n.lower(): n for n in schema.managed_type_names()
             if schema.is_subtype(n, "ManagedEntity")}
    out: list[str] = []
    for name in names:
        vim = _TYPE_CODES.get(name.lower()) or known.get(name.lower())
        if vim is None:
            raise typer.BadParameter(
                f"{name!r} is not a managed entity type (VirtualMachine, HostSystem, "
                "Datastore, Network, ResourcePool, ClusterComputeResource, Folder, "
                "Datacenter...; vm, host, ds, cluster, pool, dc; govc's letters m, h, s, "
                "n, p, c, f, d)", param_hint=option)
        out.append(vim)
    return tuple(dict.fromkeys(out))


def event_types(names: Sequence[str] | None, option: str = "--type") -> tuple[str, ...]:
    """Event type names (``VmPoweredOnEvent``, a base like ``VmEvent``); any case;
    ``typer.BadParameter`` (exit 2) for a name that is no Event type."""
    if not names:
        return ()
    schema = _schema()
    known = {n.lower(): n for n in schema.data_type_names() if schema.is_subtype(n, "Event")}
    out = []
    for name in names:
        vim = known.get(name.lower())
        if vim is None:
            raise typer.BadParameter(f"{name!r} is not an event type (VmPoweredOnEvent, "
                                     "VmEvent, UserLoginSessionEvent...)", param_hint=option)
        out.append(vim)
    return tuple(dict.fromkeys(out))


def check_paths(paths: Iterable[str], hint: str = "PATH") -> None:
    """``typer.BadParameter`` for a path the finder refuses (a ``..`` component)."""
    for path in paths:
        if ".." in path.split("/"):
            raise typer.BadParameter(f"'..' is not supported in inventory paths: {path!r}",
                                     param_hint=hint)


async def resolve(finder: Finder, paths: Sequence[str],
                  type: str | Sequence[str] | None = None) -> list[FoundObject]:
    """Every object matching any of ``paths`` (patterns allowed), in path order,
    duplicates once; :class:`CliError` ("not found") naming each path that matches nothing
    (checked before anything is done with the others)."""
    found = await asyncio.gather(*(finder.find(path, type) for path in paths))
    missing = [path for path, objs in zip(paths, found, strict=True) if not objs]
    if missing:
        what = (" or ".join((type,) if isinstance(type, str) else type) if type else "object")
        raise CliError(f"not found: no {what} matches {', '.join(map(repr, missing))}")
    out: dict[ManagedObjectReference, FoundObject] = {}
    for objs in found:
        for obj in objs:
            out.setdefault(obj.ref, obj)
    return list(out.values())


# ---------------------------------------------------------------------------- values
def iso(value: datetime | None) -> str | None:
    """An ISO 8601 timestamp in UTC (``2024-05-01T12:00:00.123456+00:00``)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def plain(value: Any) -> Any:
    """A JSON-ready value: enums as their value, morefs as their value (``vm-42``),
    datetimes as ISO 8601 UTC, sequences and mappings recursively, others as text."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)  # the codec's xsd integer subclasses print as Int(1)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, ManagedObjectReference):
        return value.value
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return str(value)


def cell(value: Any) -> Text:
    """A table cell: the value as plain text (never rich markup: names may hold ``[``)."""
    value = plain(value)
    if value is None:
        return Text("")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if isinstance(value, list):
        return Text(", ".join(str(v) for v in value))
    return Text(str(value))


def fault_name(exc: BaseException) -> str:
    """``InvalidPowerState`` for a fault, else the exception's class name."""
    if isinstance(exc, SoapFault):
        return exc.fault_name or type(exc).__name__
    return type(exc).__name__


# ---------------------------------------------------------------------------- output
def stdout_console() -> Console:
    """The console for listings. Piped output (not a terminal, no ``COLUMNS``) is 200
    columns wide so that names and paths are not folded."""
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 200
    return console


def stderr_console() -> Console:
    """The console for progress bars and notes (stderr)."""
    return Console(stderr=True, highlight=False)


def new_table(title: str | None, columns: Sequence[str], *,
              right: Iterable[str] = ()) -> Table:
    """A table whose cells fold rather than being cut (nothing is ever elided)."""
    table = Table(title=title, title_justify="left")
    right = set(right)
    for column in columns:
        table.add_column(column, overflow="fold",
                         justify="right" if column in right else "left")
    return table


def print_table(table: Table) -> None:
    stdout_console().print(table)


def emit_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (the only thing there)."""
    sys.stdout.write(json.dumps(plain(data), indent=2) + "\n")
    sys.stdout.flush()


def emit_json_line(data: Any) -> None:
    """One compact JSON object per line (``--follow --json``: JSON Lines), flushed."""
    sys.stdout.write(json.dumps(plain(data)) + "\n")
    sys.stdout.flush()
