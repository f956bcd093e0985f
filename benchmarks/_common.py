"""Shared helpers of the benchmarks: paths, vcsim, the govmomi peer binary, JSON lines.

Nothing here is imported by aiovsphere itself; the peers (``aio_peer``, ``pyvmomi_peer``,
the Go ``govmomi`` peer) each run in their own subprocess so peak RSS and CPU time are
per client.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench"
RESULTS = ROOT / "benchmarks" / "results"
GO_PEER_SRC = ROOT / "benchmarks" / "govmomi"
GOPATH = "/usr/share/gocode"

USER = "user"
PASSWORD = "pass"


def peak_rss_mb() -> float:
    """Peak resident set size of this process, in MiB.

    ``VmHWM`` from /proc/self/status where it exists: on Linux ``ru_maxrss`` of a child
    carries the parent's high-water mark over fork/exec (the kernel keeps the larger of the
    old and new mm's), so a small peer spawned by a big runner would report the runner's
    peak. ``ru_maxrss`` (KiB on Linux) elsewhere.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(result: dict[str, Any]) -> None:
    """Print one JSON line on stdout (the runner reads the last line)."""
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def pct(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


def child_env() -> dict[str, str]:
    """Environment for Python peers: the repo root importable (aiovsphere is not installed)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                     else "")
    return env


# ---------------------------------------------------------------------------- Go builds
def _go_build(src: Path, out: Path) -> Path:
    """Build ``src`` (a main package dir) into ``out`` unless a build of the same sources
    exists (the binary's name carries a hash of the .go files)."""
    digest = hashlib.sha256()
    for f in sorted(src.glob("*.go")):
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    target = out.with_name(f"{out.name}-{digest.hexdigest()[:12]}")
    if target.exists():
        return target
    if shutil.which("go") is None:
        raise RuntimeError("go is not installed: cannot build " + str(src))
    CACHE.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, GOPATH=GOPATH, GO111MODULE="off", GOFLAGS="")
    env.setdefault("GOCACHE", str(CACHE / "gocache"))
    tmp = target.with_suffix(".tmp")
    subprocess.run(["go", "build", "-o", str(tmp), "."], cwd=src, env=env, check=True,
                   timeout=600)
    tmp.replace(target)
    return target


def govmomi_peer() -> Path:
    """Path of the built govmomi peer (built on first use, cached under .cache/bench/)."""
    return _go_build(GO_PEER_SRC, CACHE / "govmomi-peer")


# ---------------------------------------------------------------------------- vcsim
@contextlib.contextmanager
def vcsim(vm_count: int) -> Iterator[Any]:
    """A running vcsim (``tools.vcsim.launcher.Vcsim.for_vm_count``); yields it (``.url``)."""
    from tools.vcsim.launcher import Vcsim

    with Vcsim.for_vm_count(vm_count) as sim:
        yield sim


def sdk_url(sim: Any) -> str:
    url = str(sim.url)
    return url if url.rstrip("/").endswith("/sdk") else url.rstrip("/") + "/sdk"
