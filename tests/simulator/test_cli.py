"""``python -m aiovsphere.simulator``: started as a subprocess, its first lines read, an
aiovsphere client connected, then stopped by SIGTERM, SIGINT or the end of its stdin."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere.simulator._inventory import InventorySpec
from aiovsphere.simulator._options import inventory_spec

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


class Proc:
    def __init__(self, process: asyncio.subprocess.Process, lines: dict[str, str]) -> None:
        self.process = process
        self.lines = lines

    @property
    def url(self) -> str:
        return self.lines["SIMULATOR_URL"]


@asynccontextmanager
async def simulator(*args: str) -> AsyncIterator[Proc]:
    """Run the simulator command with ``args``; read its ``KEY=value`` lines (two with
    --https, else one); kill it at the end if the test did not stop it."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiovsphere.simulator", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env)
    try:
        assert process.stdout is not None
        lines: dict[str, str] = {}
        async with asyncio.timeout(START_TIMEOUT):
            for _ in range(2 if "--https" in args else 1):
                line = (await process.stdout.readline()).decode()
                key, sep, value = line.strip().partition("=")
                assert sep, f"unexpected output {line!r}"
                lines[key] = value
        yield Proc(process, lines)
    finally:
        if process.returncode is None:
            process.kill()
        await process.communicate()


async def stopped(proc: Proc) -> int:
    async with asyncio.timeout(START_TIMEOUT):
        return await proc.process.wait()


async def test_runs_until_sigterm_and_serves_vcenter() -> None:
    async with simulator("--vms", "4", "--exit-on-eof") as proc:
        assert list(proc.lines) == ["SIMULATOR_URL"]
        assert proc.url.startswith("http://127.0.0.1:") and proc.url.endswith("/sdk")
        async with aiovsphere.connect(proc.url, user="admin", password="pw") as client:
            about = client.content.about
            assert about.apiType == "VirtualCenter"
            now = await client.invoke(client.service_instance, "CurrentTime")
            assert now.tzinfo is not None
        proc.process.send_signal(signal.SIGTERM)
        assert await stopped(proc) == 0


async def test_https_esx_prints_the_thumbprint_and_stops_on_sigint() -> None:
    async with simulator("--https", "--esx", "--vms", "1") as proc:
        assert list(proc.lines) == ["SIMULATOR_URL", "SIMULATOR_THUMBPRINT"]
        assert proc.url.startswith("https://127.0.0.1:")
        thumbprint = proc.lines["SIMULATOR_THUMBPRINT"]
        assert len(bytes.fromhex(thumbprint)) == 32  # SHA-256
        async with aiovsphere.connect(proc.url, user="root", password="pw",
                                      thumbprint=thumbprint) as client:
            assert client.content.about.apiType == "HostAgent"
        with pytest.raises(aiovsphere.ConnectError):  # pinned to another certificate
            async with aiovsphere.connect(proc.url, user="root", password="pw",
                                          thumbprint="00" * 32):
                pass
        proc.process.send_signal(signal.SIGINT)
        assert await stopped(proc) == 0


async def test_fixed_accounts_and_exit_on_eof() -> None:
    async with simulator("--user", "ops", "--password", "s3cret", "--readonly-user",
                         "auditor", "--readonly-password", "look", "--exit-on-eof",
                         "--port", "0") as proc:
        with pytest.raises(faults.InvalidLogin):
            async with aiovsphere.connect(proc.url, user="ops", password="wrong"):
                pass
        with pytest.raises(faults.InvalidLogin):  # only the fixed accounts now
            async with aiovsphere.connect(proc.url, user="admin", password="pw"):
                pass
        async with aiovsphere.connect(proc.url, user="auditor", password="look") as reader:
            assert reader.session.user_session is not None
            with pytest.raises(faults.NoPermission):  # read-only
                await reader.invoke(reader.service("sessionManager"), "TerminateSession",
                                    sessionId=[reader.session.user_session.key])
        async with aiovsphere.connect(proc.url, user="ops", password="s3cret") as admin:
            assert await admin.invoke(admin.service("sessionManager"), "AcquireCloneTicket")
        assert proc.process.stdin is not None
        proc.process.stdin.close()  # the parent went away
        assert await stopped(proc) == 0


async def test_a_port_in_use_is_an_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "aiovsphere.simulator", "--port", str(port),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
        async with asyncio.timeout(START_TIMEOUT):
            out, err = await process.communicate()
    assert process.returncode == 1
    assert out == b""  # no URL line: a parent waiting for one sees the end instead
    assert f"cannot listen on 127.0.0.1:{port}" in err.decode()


def test_vm_count_alone_is_spread_like_simulator_vms() -> None:
    assert inventory_spec(100) == InventorySpec.for_vm_count(100)
    assert inventory_spec(None, resource_pools=2, clusters=None) == InventorySpec(
        resource_pools=2)


def test_shape_options_spread_the_vm_count() -> None:
    spec = inventory_spec(10, datacenters=2, clusters=2, hosts=0, cluster_hosts=1)
    assert (spec.datacenters, spec.clusters, spec.hosts, spec.cluster_hosts) == (2, 2, 0, 1)
    assert spec.vms == 3 and spec.vm_count == 12  # 10 over 4 clusters, rounded up
    assert inventory_spec(None, datacenters=3).vm_count == 3 * (1 + 1) * 2
    assert inventory_spec(0, hosts=2).vm_count == 0
    with pytest.raises(ValueError, match="cluster or a standalone host"):
        inventory_spec(5, clusters=0, hosts=0)
    with pytest.raises(ValueError, match="unknown inventory option"):
        inventory_spec(5, racks=2)


def test_usage_errors() -> None:
    from typer.testing import CliRunner

    from aiovsphere.simulator.__main__ import app

    runner = CliRunner()
    result = runner.invoke(app, ["--user", "ops"])
    assert result.exit_code == 2 and "--user needs --password" in result.output
    result = runner.invoke(app, ["--password", "x"])
    assert result.exit_code == 2 and "--password needs --user" in result.output
    result = runner.invoke(app, ["--readonly-user", "auditor"])
    assert result.exit_code == 2 and "--readonly-password" in result.output
    result = runner.invoke(app, ["--port", "70000"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["--vms", "3", "--clusters", "0", "--hosts", "0"])
    assert result.exit_code == 2 and "cluster or a standalone host" in result.output
