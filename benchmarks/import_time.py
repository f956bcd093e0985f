"""Cold import time: ``import aiovsphere`` vs ``import pyVmomi`` in fresh interpreters.

    python -m benchmarks.import_time [--runs 9] [--importtime]

Each run is a new ``python -c "import X"`` subprocess timed from inside (``perf_counter``
around the import, so interpreter start-up is excluded; the page cache is warm after the
first run, as for any real start). The median of ``--runs`` is reported, along with the
whole-process wall time (start-up included) and the peak RSS after import.
``--importtime`` also prints the ten slowest modules by ``python -X importtime``
(cumulative microseconds).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from typing import Any

from benchmarks._common import RESULTS, ROOT, child_env

TARGET_MS = 150.0
MODULES = {
    "aiovsphere": "import aiovsphere",
    "aiovsphere + first typed call ready": (
        "import aiovsphere; from aiovsphere.vim._schema import schema; schema(); "
        "from aiovsphere.vim import types as t; t.PropertyFilterSpec; "
        "import aiovsphere.transport.http"),
    "pyVmomi": "import pyVmomi",
    "pyVim.connect + pyVmomi": "from pyVim.connect import SmartConnect",
}

_PROBE = """
import time, json, sys
t0 = time.perf_counter()
{stmt}
dt = time.perf_counter() - t0
hwm = 0.0
with open("/proc/self/status") as f:
    for line in f:
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) / 1024
print(json.dumps({{"import_ms": dt * 1000, "rss_mb": hwm}}))
"""


def measure(stmt: str, runs: int) -> dict[str, Any]:
    imports, walls, rss = [], [], []
    for _ in range(runs):
        w0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _PROBE.format(stmt=stmt)],
                              capture_output=True, text=True, check=True, cwd="/",
                              env=child_env(), timeout=120)
        walls.append((time.perf_counter() - w0) * 1000)
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        imports.append(out["import_ms"])
        rss.append(out["rss_mb"])
    return {"import_ms": statistics.median(imports), "min_ms": min(imports),
            "process_ms": statistics.median(walls), "rss_mb": statistics.median(rss)}


def importtime_top(stmt: str, n: int = 10) -> list[tuple[int, str]]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", stmt],
                          capture_output=True, text=True, check=True, cwd="/",
                          env=child_env(), timeout=120)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            rows.append((int(m.group(2)), m.group(3)[1:] + m.group(4)))
    return sorted(rows, reverse=True)[:n]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.import_time", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--quick", action="store_true", help="5 runs")
    ap.add_argument("--importtime", action="store_true", help="also -X importtime top 10")
    args = ap.parse_args(argv)
    runs = 5 if args.quick else args.runs

    rows = {name: measure(stmt, runs) for name, stmt in MODULES.items()}

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Cold import, fresh interpreter, median of {runs} "
                        f"(target: import aiovsphere < {TARGET_MS:.0f} ms)")
    for col in ("import", "import ms (median)", "min ms", "process ms (incl. start-up)",
                "peak RSS MB"):
        table.add_column(col, justify="left" if col == "import" else "right")
    for name, r in rows.items():
        table.add_row(name, f"{r['import_ms']:.1f}", f"{r['min_ms']:.1f}",
                      f"{r['process_ms']:.0f}", f"{r['rss_mb']:.0f}")
    console = Console(width=140)
    console.print(table)
    if args.importtime:
        for name in ("aiovsphere", "aiovsphere + first typed call ready", "pyVmomi"):
            console.print(f"-X importtime, slowest (cumulative us) for {MODULES[name]!r}:")
            for us, mod in importtime_top(MODULES[name]):
                console.print(f"  {us:>9,} {mod}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / time.strftime("import-%Y%m%d-%H%M%S.json")
    out.write_text(json.dumps({"runs": runs, "results": rows}, indent=1))
    print(f"results: {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
