"""``python -m aiovsphere demo`` (the README's main-job command): in-process through
typer's CliRunner with small numbers, and once as a subprocess with the defaults (1,000
VMs, 1,000 calls, 100 tasks). Asserts the figures it reports, never its times."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import itertools
import json
import os
import resource
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aiovsphere._cli import app
from aiovsphere.simulator import InventorySpec

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMINGS = ("simulator_start_s", "inventory_s", "calls_per_s", "p50_ms", "p99_ms",
           "power_off_s", "power_on_s", "total_s")


def check_figures(figures: dict[str, Any], *, vms: int, calls: int) -> None:
    """What every demo run must report: the whole inventory, every call answered, every
    task done, the cache following each batch, and nothing left on the server."""
    assert figures["inventory_vms"] == InventorySpec.for_vm_count(vms).vm_count == vms
    assert figures["calls"] == calls
    assert figures["call_errors"] == 0
    assert figures["power_off_failed"] == 0
    assert figures["power_on_failed"] == 0
    versions = figures["cache_versions"]
    assert len(versions) == 3  # the first snapshot, after power off, after power on
    assert all(a < b for a, b in itertools.pairwise(versions))
    assert figures["sessions_left_before_logout"] == 1
    assert figures["sessions_left"] == 0
    assert figures["session_objects_left"] == 0
    for key in TIMINGS:  # present and numbers; their values are this machine's
        assert isinstance(figures[key], int | float) and figures[key] >= 0, key


async def invoke(*args: str) -> Any:
    """The CLI in-process, in a thread of its own that ends with the run (the demo runs
    its own event loop). Not the loop's default executor: lxml keeps a name dictionary
    per thread, and a thread that parsed XML itself must not later finish a parse the
    loop thread fed (the client's large-body decode does, on that executor)."""
    runner = CliRunner()
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="demo") as pool:
        return await asyncio.get_running_loop().run_in_executor(
            pool, functools.partial(runner.invoke, app, list(args), env={"COLUMNS": "200"}))


async def test_demo_json_small() -> None:
    result = await invoke("demo", "--vms", "50", "--calls", "50", "--tasks", "10", "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    figures = json.loads(result.stdout)
    check_figures(figures, vms=50, calls=50)
    # The human part went to stderr, so stdout is JSON only.
    assert "1. the inventory in one paged retrieval" in result.stderr
    assert "power off: 10 tasks" in result.stderr
    assert "power on: 10 tasks" in result.stderr
    assert "0 failed" in result.stderr


async def test_demo_rich_output() -> None:
    result = await invoke("demo", "--vms", "20", "--calls", "20", "--tasks", "5")
    assert result.exit_code == 0, (result.output, result.exception)
    out = result.stdout
    assert "simulator with 20 VMs at http://127.0.0.1:" in out
    assert "20 concurrent calls on one loop" in out
    assert "5 power tasks through one collector" in out
    assert "power on: 5 tasks" in out
    assert "sessions left on the server: 0, views/collectors left: 0" in out


async def test_demo_rejects_too_few_vms() -> None:
    result = await invoke("demo", "--vms", "5")
    assert result.exit_code == 2
    assert "--vms" in result.output


async def run_demo(*args: str, soft_nofile: int | None = None) -> tuple[dict[str, Any], str]:
    """``python -m aiovsphere demo ARGS --json`` as a subprocess: (figures, stderr text).
    ``soft_nofile``: start it with that soft RLIMIT_NOFILE, as many systems start every
    process (1,024). Fails at once, rather than after minutes, if the demo runs out of
    file descriptors (the server's accept() then fails and asyncio retries it once a
    second)."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLUMNS": "200"}
    command = ["-m", "aiovsphere", "demo", *args, "--json"]
    if soft_nofile is not None:
        command = ["-c", "import resource, runpy, sys; "
                   "_, hard = resource.getrlimit(resource.RLIMIT_NOFILE); "
                   f"resource.setrlimit(resource.RLIMIT_NOFILE, ({soft_nofile}, hard)); "
                   "sys.argv = ['aiovsphere', *sys.argv[1:]]; "
                   "runpy.run_module('aiovsphere', run_name='__main__')",
                   *command[2:]]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *command, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    errors: list[bytes] = []

    async def read_stderr(stream: asyncio.StreamReader) -> None:
        async for line in stream:
            errors.append(line)
            if b"Too many open files" in line:
                pytest.fail("the demo ran out of file descriptors (EMFILE): "
                            + line.decode(errors="replace").strip(), pytrace=False)

    try:
        async with asyncio.timeout(180):
            stdout, _ = await asyncio.gather(proc.stdout.read(), read_stderr(proc.stderr))
            await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text = b"".join(errors).decode(errors="replace")
    assert proc.returncode == 0, text[-3000:]
    return json.loads(stdout), text


async def test_demo_subprocess_defaults() -> None:
    """``python -m aiovsphere demo --json`` as a user runs it: 1,000 VMs, 1,000 calls,
    100 power tasks (the timeout is generous; the demo's time is not asserted)."""
    figures, text = await run_demo()
    check_figures(figures, vms=1000, calls=1000)
    assert "simulator with 1000 VMs" in text
    assert "power on: 100 tasks" in text
    assert "Traceback" not in text


async def test_demo_subprocess_with_1024_open_files() -> None:
    """The same with the soft open-file limit most Linux systems give a process (1,024):
    1,000 connections with both ends in one process need about 2,000 descriptors, so the
    demo must raise its soft limit (or hold fewer connections), not fail accepts."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft = 1024 if hard == resource.RLIM_INFINITY else min(1024, hard)
    figures, text = await run_demo(soft_nofile=soft)
    check_figures(figures, vms=1000, calls=1000)
    if hard == resource.RLIM_INFINITY or hard >= 2 * 1000 + 128:
        assert figures["in_flight"] == 1000  # the demo raised its own soft limit
    assert "Traceback" not in text
