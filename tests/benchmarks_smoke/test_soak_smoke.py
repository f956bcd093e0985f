"""``benchmarks/soak.py`` end to end in a few seconds: a tiny soak (50 VMs, 20 in flight,
5 s, a sample a second) against its own simulator process.

It asserts what the soak reports, not its figures: samples written as they come, two
sessions on the server throughout, operations of every lane completed, injected
cancellations and deadlines seen as such, no untyped error, nothing left at exit, and a
PNG plotted. No wall-clock assertion (the whole run has a generous no-hang bound).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from benchmarks._common import ROOT, child_env
from benchmarks.soak import FIELDS, LANES


def test_soak_smoke(tmp_path: Path) -> None:
    out_csv, png, summary = tmp_path / "soak.csv", tmp_path / "soak.png", tmp_path / "s.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.soak", "--minutes", "0.08", "--interval", "1",
         "--warmup", "0", "--vms", "50", "--concurrency", "20", "--task-seconds", "0.05",
         "--cancel", "0.1", "--deadline", "0.1", "--quiet",
         "--csv", str(out_csv), "--png", str(png), "--json", str(summary)],
        capture_output=True, text=True, env=child_env(), cwd=ROOT, timeout=120, check=False)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]  # 1: "not flat" (too short to say)
    with out_csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 3
    assert list(rows[0]) == FIELDS
    assert {r["server_sessions"] for r in rows} == {"2"}
    assert all(int(r["client_fds"]) > 0 and float(r["client_rss_mb"]) > 0 for r in rows)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = json.loads(summary.read_text())
    totals = result["totals"]
    assert not [k for k in totals if k.startswith("untyped:")], result["untyped"]
    assert totals["cancelled"] > 0 and totals["deadline"] > 0
    for lane in LANES:
        assert result["by_lane"].get(f"{lane}/completed", 0) > 0, lane
    left = result["leftovers"]
    assert left["sessions"] == [] and left["client_sockets"] == 0 and left["tasks"] == 0
    assert left["views_before_close"] == 0 and left["lanes_stuck"] == 0
    assert left["cache_consistent"] and not left["cache_error"]
    assert left["unretrieved"] == 0 and left["resource_warnings"] == 0
    assert left["fds_after"] <= left["fds_before"]
