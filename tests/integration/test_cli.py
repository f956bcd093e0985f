"""The main job: ``python -m aiovsphere inventory`` and ``bench`` against vcsim."""

from __future__ import annotations

import asyncio
import json
import sys

import aiovsphere
from aiovsphere._property import container_view
from tests.integration.conftest import session_users

KEYS = {"moref", "name", "power_state", "host", "num_cpu", "memory_mb"}


async def _run(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiovsphere", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_inventory_json_lists_every_vm_and_logs_out(
    vcsim_url: str, observer: aiovsphere.Client
) -> None:
    code, out, err = await _run("inventory", "--url", vcsim_url, "--user", "inventory-user",
                                "--password", "pw", "--json")
    assert code == 0, err
    rows = json.loads(out)
    async with container_view(observer, ["VirtualMachine"]) as view:
        refs = (await observer.get_properties(view, ["view"]))["view"]
    assert sorted(r["moref"] for r in rows) == sorted(r.value for r in refs)
    hosts = set()
    for row in rows:
        assert set(row) == KEYS
        assert row["power_state"] in {"poweredOn", "poweredOff", "suspended"}
        assert isinstance(row["num_cpu"], int) and row["num_cpu"] >= 1
        assert isinstance(row["memory_mb"], int) and row["memory_mb"] > 0
        assert row["host"].startswith("DC0_")
        hosts.add(row["host"])
    first = refs[0]
    name = (await observer.get_properties(first, ["name"]))["name"]
    assert {"moref": first.value, "name": name}.items() <= next(
        r for r in rows if r["moref"] == first.value).items()
    assert "inventory-user" not in await session_users(observer)


async def test_inventory_table_output(vcsim_url: str) -> None:
    code, out, err = await _run("inventory", "--url", vcsim_url, "--user", "table-user",
                                "--password", "pw")
    assert code == 0, err
    assert "virtual machines" in out and "DC0_" in out


async def test_bench_json_reports_and_logs_out(vcsim_url: str, observer: aiovsphere.Client
                                               ) -> None:
    code, out, err = await _run("bench", "--url", vcsim_url, "--user", "bench-user",
                                "--password", "pw", "--workload", "small",
                                "--concurrency", "20", "--calls", "200", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["calls"] == 200 and result["errors"] == 0
    assert result["calls_per_s"] > 0
    assert 0 < result["p50_ms"] <= result["p99_ms"]
    assert result["cpu_ms_per_call"] > 0
    assert "bench-user" not in await session_users(observer)


async def test_cli_exit_codes(vcsim_url: str) -> None:
    code, _out, err = await _run("inventory", "--url", vcsim_url, "--user", "",
                                 "--password", "")
    assert code == 1 and "InvalidLogin" in err
    code, _out, _err = await _run("bench", "--url", vcsim_url, "--user", "u",
                                  "--password", "p", "--workload", "nope")
    assert code == 2
    code, _out, err = await _run("inventory", "--url", "http://127.0.0.1:9/sdk",
                                 "--user", "u", "--password", "p")
    assert code == 1 and "error" in err
