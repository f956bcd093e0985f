"""``python -m aiovsphere.simulator``: run the embedded vCenter simulator standalone.

    $ python -m aiovsphere.simulator --port 8989 --vms 100
    SIMULATOR_URL=http://127.0.0.1:8989/sdk

The first stdout line is ``SIMULATOR_URL=<url>``; with ``--https`` the second is
``SIMULATOR_THUMBPRINT=<sha-256 hex>`` (for ``aiovsphere.connect(url, thumbprint=...)``).
A process that starts the simulator reads these lines and connects. It runs until SIGINT
or SIGTERM (exit 0), or, with ``--exit-on-eof``, until its stdin closes (so it dies with
a parent that holds the pipe, even one killed by SIGKILL).

Inventory: ``--vms N`` alone gives about N VMs spread over one cluster and standalone
hosts (as ``Simulator(vms=N)``); with ``--datacenters``/``--clusters``/``--hosts``/
``--cluster-hosts`` the shape is yours and ``--vms`` is the total spread over its
clusters and standalone hosts (default: 2 per cluster and per host, as vcsim).
``--networks N`` gives each datacenter N standard networks ("VM Network", "VM Network 1"...)
and ``--portgroups N`` N distributed portgroups (``DC0_DVPG0``...) on its switch.
Accounts: any non-empty user name and password log in (user names starting with
``readonly`` as read-only) unless ``--user``/``--password`` fix the one administrator
account; ``--readonly-user`` adds a read-only account (``--readonly-password``, default
``--password``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from typing import Annotated

try:
    import typer
except ImportError:  # pragma: no cover - the cli extra is not installed
    sys.exit("python -m aiovsphere.simulator needs typer: pip install 'aiovsphere[cli]'")

from aiovsphere.simulator._limits import ensure_open_files
from aiovsphere.simulator._options import inventory_spec
from aiovsphere.simulator._server import Simulator, User

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,  # never locals in a traceback (the password is one)
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _users(user: str | None, password: str | None, readonly_user: str | None,
           readonly_password: str | None) -> dict[str, User] | None:
    if user is not None and password is None:
        raise typer.BadParameter("--user needs --password", param_hint="--user")
    if user is None and password is not None and readonly_user is None:
        raise typer.BadParameter("--password needs --user or --readonly-user",
                                 param_hint="--password")
    users: dict[str, User] = {}
    if user is not None and password is not None:
        users[user] = User(password, "Admin")
    if readonly_user is not None:
        secret = readonly_password if readonly_password is not None else password
        if not secret:
            raise typer.BadParameter("--readonly-user needs --readonly-password or "
                                     "--password", param_hint="--readonly-user")
        if readonly_user in users:
            raise typer.BadParameter("the read-only user must differ from --user",
                                     param_hint="--readonly-user")
        users[readonly_user] = User(secret, "ReadOnly")
    return users or None


@app.command()
def run(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port (0: any free port)", min=0,
                                      max=65535)] = 0,
    vms: Annotated[int | None, typer.Option(help="about this many VMs in all", min=0)] = None,
    datacenters: Annotated[int | None, typer.Option(help="datacenters", min=1)] = None,
    clusters: Annotated[int | None, typer.Option(help="clusters per datacenter",
                                                 min=0)] = None,
    hosts: Annotated[int | None, typer.Option(help="standalone hosts per datacenter",
                                              min=0)] = None,
    cluster_hosts: Annotated[int | None, typer.Option(help="hosts per cluster",
                                                      min=0)] = None,
    resource_pools: Annotated[int, typer.Option(help="child resource pools per cluster",
                                                min=0)] = 0,
    networks: Annotated[int, typer.Option(help="standard networks per datacenter",
                                          min=1)] = 1,
    portgroups: Annotated[int, typer.Option(help="distributed portgroups per datacenter",
                                            min=1)] = 1,
    esx: Annotated[bool, typer.Option("--esx", help="a standalone ESXi instead of "
                                      "vCenter")] = False,
    https: Annotated[bool, typer.Option("--https", help="serve TLS (self-signed; prints "
                                        "SIMULATOR_THUMBPRINT)")] = False,
    user: Annotated[str | None, typer.Option(help="the only administrator account "
                                             "(default: any user logs in)")] = None,
    password: Annotated[str | None, typer.Option(help="its password")] = None,
    readonly_user: Annotated[str | None, typer.Option(help="a read-only account")] = None,
    readonly_password: Annotated[str | None, typer.Option(
        help="its password (default: --password)")] = None,
    task_seconds: Annotated[float, typer.Option(help="how long a task runs",
                                                min=0.0)] = 0.05,
    session_idle_timeout: Annotated[float | None, typer.Option(
        help="end sessions idle this many seconds (default: never)", min=0.0)] = None,
    seed: Annotated[int, typer.Option(help="seed of the synthetic values")] = 0,
    exit_on_eof: Annotated[bool, typer.Option("--exit-on-eof", help="also exit when stdin "
                                              "closes (e.g. the parent died)")] = False,
) -> None:
    """Run the embedded vCenter simulator until SIGINT/SIGTERM.

    Prints SIMULATOR_URL=<url> (and SIMULATOR_THUMBPRINT=<hex> with --https) first.
    """
    try:
        spec = inventory_spec(vms, datacenters=datacenters, clusters=clusters, hosts=hosts,
                              cluster_hosts=cluster_hosts, resource_pools=resource_pools,
                              networks=networks, portgroups=portgroups)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--vms") from None
    users = _users(user, password, readonly_user, readonly_password)
    sim = Simulator(spec, esx=esx, users=users, https=https, host=host, port=port,
                    task_seconds=task_seconds, seed=seed,
                    session_idle_timeout=session_idle_timeout)
    try:
        asyncio.run(_serve(sim, exit_on_eof))
    except OSError as exc:  # the port is taken, the address not ours...
        typer.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None


# A connection is a file descriptor: as vcsim (Go raises its soft limit to the hard one),
# raise the soft RLIMIT_NOFILE from a typical 1,024 so 1,000+ connections fit.
OPEN_FILES = 65536


async def _serve(sim: Simulator, exit_on_eof: bool) -> None:
    ensure_open_files(OPEN_FILES)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with sim:
        lines = [f"SIMULATOR_URL={sim.url}"]
        if sim.thumbprint is not None:
            lines.append(f"SIMULATOR_THUMBPRINT={sim.thumbprint}")
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
        spec = sim.inventory
        sys.stderr.write(f"aiovsphere simulator: {spec.vm_count} VMs; "
                         "SIGINT or SIGTERM stops it\n")
        sys.stderr.flush()
        if exit_on_eof:
            _watch_stdin(loop, stop)
        await stop.wait()


def _watch_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Set ``stop`` once stdin reaches end of file (a daemon thread reads it: blocking
    reads work on any stdin, pipe, file or terminal, and never hold up the exit). No
    stdin at all (closed) counts as end of file."""

    def read() -> None:
        # os.read on the descriptor, not sys.stdin.buffer: a daemon thread blocked inside
        # a buffered read holds its lock, and the interpreter aborts at exit over it.
        try:
            fd = sys.stdin.fileno()
            while os.read(fd, 65536):
                pass
        except (OSError, ValueError, AttributeError):
            pass
        with contextlib.suppress(RuntimeError):  # the loop already closed: exiting anyway
            loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=read, name="stdin-eof", daemon=True).start()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
