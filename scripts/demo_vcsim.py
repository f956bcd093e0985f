"""The main job, end to end, against a vcsim this script starts (see README).

Builds and starts vcsim (8 VMs by default), then runs exactly what a user would:
``python -m aiovsphere inventory`` (table, then JSON) and ``python -m aiovsphere bench``,
and finally checks from another session that the server holds no session of ours.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiovsphere  # noqa: E402
from tools.vcsim.launcher import Vcsim  # noqa: E402


def cli(*args: str) -> None:
    cmd = [sys.executable, "-m", "aiovsphere", *args]
    shown = " ".join("***" if a == "demo-pass" else a for a in cmd[1:])
    print(f"\n$ python {shown}", flush=True)
    subprocess.run(cmd, check=True)


async def sessions_left(url: str) -> list[str]:
    async with aiovsphere.connect(url, user="observer", password="x") as client:
        props = await client.get_properties(client.service("sessionManager"), ["sessionList"])
        return [s.userName for s in props.get("sessionList", ()) if s.userName != "observer"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=8, help="inventory size (VMs)")
    parser.add_argument("--calls", type=int, default=2000, help="bench calls")
    args = parser.parse_args()
    with Vcsim.for_vm_count(args.vms) as sim:
        url = sim.url
        login = ["--url", url, "--user", "demo", "--password", "demo-pass"]
        cli("inventory", *login)
        cli("inventory", *login, "--json")
        cli("bench", *login, "--workload", "small", "--concurrency", "100",
            "--calls", str(args.calls))
        left = asyncio.run(sessions_left(url))
        print(f"\nsessions left on the server after the commands: {left or 'none'}")
        return 1 if left else 0


if __name__ == "__main__":
    raise SystemExit(main())
