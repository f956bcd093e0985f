"""The ``aiovsphere`` command line (typer + rich); ``aiovsphere.__main__`` is its entry point.

One module per command group: :mod:`._common` (connection options, running a job,
errors and exit codes, output), :mod:`._browse` (``ls``, ``info``, ``find``),
:mod:`._power`, :mod:`._tasks`, :mod:`._events`, :mod:`._metrics`, :mod:`._inventory`
(``inventory``, ``bench``). Every command takes the connection from flags or the
environment (``AIOVSPHERE_URL``, ``AIOVSPHERE_USERNAME``, ``AIOVSPHERE_PASSWORD``,
``AIOVSPHERE_INSECURE``; ``AIOVSPHERE_DATACENTER`` where paths are relative) and every
listing has ``--json``. Exit codes: 0 ok, 1 fault/connection/not found/task failed,
2 usage, 130 interrupted.
"""

from __future__ import annotations

from typing import Annotated

import typer

from aiovsphere._cli import _browse, _demo, _events, _inventory, _metrics, _power, _tasks

__all__ = ["app"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode="markdown",
    help="aiovsphere: asyncio vSphere client tools.",
    # Never a traceback with local variables (the password is one); errors are one line.
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        import aiovsphere

        typer.echo(f"aiovsphere {aiovsphere.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print the version and exit")] = False,
) -> None:
    """aiovsphere: asyncio vSphere client tools."""


app.command("ls")(_browse.ls)
app.command("info")(_browse.info)
app.command("find")(_browse.find)
app.command("power")(_power.power)
app.command("tasks")(_tasks.tasks)
app.command("events")(_events.events)
app.command("metrics")(_metrics.metrics)
app.command("inventory")(_inventory.inventory)
app.command("bench")(_inventory.bench)
app.command("demo")(_demo.demo)
