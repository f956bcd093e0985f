"""The ``aiovsphere`` console entry point as a subprocess (``python -m aiovsphere``):
``inventory`` and ``bench``, connection from the environment, exit codes, and the password
kept out of every output. Also the helpers the other ``test_cli_*`` modules share
(in-process runs through typer's CliRunner).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping

from click.testing import Result
from typer.testing import CliRunner

import aiovsphere
from aiovsphere._cli import app
from aiovsphere._finder import Finder
from aiovsphere._property import container_view
from tests.integration.conftest import session_users

KEYS = {"moref", "name", "power_state", "host", "num_cpu", "memory_mb"}
PASSWORD = "cli-Secret-9f3b"  # never in any output, errors included
DEAD_URL = "http://127.0.0.1:9/sdk"  # nothing listens on the discard port
_CLEAN_ENV = ("AIOVSPHERE_URL", "AIOVSPHERE_USERNAME", "AIOVSPHERE_PASSWORD",
              "AIOVSPHERE_INSECURE", "AIOVSPHERE_DATACENTER", "COLUMNS")


def flags(url: str, user: str = "cli-user") -> list[str]:
    """The connection flags."""
    return ["--url", url, "--user", user, "--password", PASSWORD]


def _no_secret(*outputs: str) -> None:
    for text in outputs:
        assert PASSWORD not in text and PASSWORD.lower() not in text.lower()


async def invoke(*args: str, env: Mapping[str, str | None] | None = None) -> Result:
    """Run the CLI in-process (CliRunner, in a thread: the command runs its own event
    loop); the password must not be in stdout or stderr."""
    runner = CliRunner()
    environment: dict[str, str | None] = dict.fromkeys(_CLEAN_ENV)
    environment.update(env or {})
    result = await asyncio.to_thread(runner.invoke, app, list(args), env=environment)
    _no_secret(result.stdout, result.stderr)
    return result


async def run_cli(*args: str, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """``python -m aiovsphere ARGS`` as a subprocess: (exit code, stdout, stderr)."""
    environment = {k: v for k, v in os.environ.items() if k not in _CLEAN_ENV}
    environment.update(env or {})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiovsphere", *args, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    _no_secret(out.decode(), err.decode())
    return proc.returncode, out.decode(), err.decode()


async def test_inventory_json_lists_every_vm_and_logs_out(
    vcsim_url: str, observer: aiovsphere.Client
) -> None:
    code, out, err = await run_cli("inventory", *flags(vcsim_url, "inventory-user"), "--json")
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
    result = await invoke("inventory", *flags(vcsim_url, "table-user"))
    assert result.exit_code == 0, result.output
    assert "8 virtual machines" in result.stdout
    for name in ("DC0_H0_VM0", "DC0_C0_RP0_VM3", "poweredOn", "DC0_C0_H"):
        assert name in result.stdout


async def test_bench_json_reports_and_logs_out(vcsim_url: str, observer: aiovsphere.Client
                                               ) -> None:
    code, out, err = await run_cli("bench", *flags(vcsim_url, "bench-user"),
                                   "--workload", "small", "--concurrency", "20",
                                   "--calls", "200", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["calls"] == 200 and result["errors"] == 0
    assert result["calls_per_s"] > 0
    assert 0 < result["p50_ms"] <= result["p99_ms"]
    assert result["cpu_ms_per_call"] > 0
    assert "bench-user" not in await session_users(observer)


async def test_connection_from_the_environment_alone(
    vcsim_url: str, observer: aiovsphere.Client
) -> None:
    env = {"AIOVSPHERE_URL": vcsim_url, "AIOVSPHERE_USERNAME": "env-user",
           "AIOVSPHERE_PASSWORD": PASSWORD, "AIOVSPHERE_INSECURE": "1"}
    code, out, err = await run_cli("ls", "/DC0/vm", "--json", env=env)
    assert code == 0, err
    expected = await Finder(observer).find("/DC0/vm/*")
    assert [(r["path"], r["moref"]) for r in json.loads(out)] == [
        (f.path, f.ref.value) for f in expected]
    assert err == ""  # nothing but the listing, on stdout
    assert "env-user" not in await session_users(observer)
    # In-process too, and a flag wins over the environment.
    result = await invoke("ls", "/", "--json", "--url", vcsim_url,
                          env={**env, "AIOVSPHERE_URL": DEAD_URL})
    assert result.exit_code == 0, result.output
    assert [r["path"] for r in json.loads(result.stdout)] == ["/DC0"]
    # A value the environment gives wrong is a usage error.
    result = await invoke("ls", "/", env={**env, "AIOVSPHERE_INSECURE": "maybe"})
    assert result.exit_code == 2


async def test_exit_codes_and_one_line_errors(vcsim_url: str) -> None:
    """0 ok; 2 usage (typer's own, and ours, decided before connecting: the dead URL is
    never reached); 1 for a failed login, a dead server, a path matching nothing."""
    cases = [
        (["ls", "/DC0", *flags(vcsim_url)], 0, None),
        (["ls", "--bogus", *flags(vcsim_url)], 2, "No such option"),
        (["find", "--type", "NoSuchType", *flags(DEAD_URL)], 2, "NoSuchType"),
        (["ls", "/DC0/../x", *flags(DEAD_URL)], 2, ".."),
        (["power", "sideways", "x", *flags(DEAD_URL)], 2, "sideways"),
        (["bench", "--workload", "nope", *flags(vcsim_url)], 2, "workload"),
        (["ls", "/DC0/vm/no-such-vm", *flags(vcsim_url)], 1,
         "error: not found: no object matches '/DC0/vm/no-such-vm'"),
        (["inventory", "--url", vcsim_url, "--user", "", "--password", ""], 1,
         "InvalidLogin"),
        (["ls", "/", *flags(DEAD_URL)], 1, "error: GET: ClientConnectorError"),
        (["ls", "/"], 2, "Missing option"),
    ]
    results = await asyncio.gather(*(run_cli(*args) for args, _code, _text in cases))
    for (args, code, text), (got, out, err) in zip(cases, results, strict=True):
        assert got == code, (args, out, err)
        if text is not None:
            assert text in err, (args, err)
        if code == 1:
            assert out == "" and err.count("\n") == 1 and err.startswith("error: "), err


async def test_the_password_never_shows(vcsim_url: str) -> None:
    """Not in help (even when the environment holds it), not in an error that quotes
    what the user typed, not in an error about the server."""
    env = {"AIOVSPHERE_PASSWORD": PASSWORD}
    result = await invoke("ls", "--help", env=env)
    assert result.exit_code == 0 and "AIOVSPHERE_PASSWORD" in result.stdout
    result = await invoke("ls", f"/DC0/vm/{PASSWORD}", *flags(vcsim_url))
    assert result.exit_code == 1
    assert "error: not found: no object matches '/DC0/vm/***'" in result.stderr
    result = await invoke("ls", "/", *flags(f"http://127.0.0.1:9/{PASSWORD}"))
    assert result.exit_code == 1 and result.stderr.startswith("error: ")
    # invoke() and run_cli() check every output for the password, in any case.
