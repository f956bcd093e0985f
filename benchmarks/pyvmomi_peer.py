"""The pyvmomi peer: one workload in this process, one JSON line on stdout.

``python -m benchmarks.pyvmomi_peer URL WORKLOAD THREADS CALLS [--warmup N] [--deadline S]``

One shared ServiceInstance (``SmartConnect(protocol="http", ...)``: vcsim is plain HTTP)
and a ``ThreadPoolExecutor`` of THREADS workers pulling calls from a shared counter. The
stub's connection pool is sized to THREADS (pyvmomi's default keeps 5 idle connections and
closes the rest after each call, which would make it open a TCP connection per call).

The workloads send the same requests as ``aiovsphere._bench``: ``small`` one
RetrievePropertiesEx of name + runtime.powerState of one VM; ``inventory`` ContainerView +
paged RetrievePropertiesEx of five VM paths, DestroyView, then the hosts' names the same
way, rows sorted by name; ``full`` ContainerView + RetrievePropertiesEx all=True of every
VM, DestroyView.
"""

# pyvmomi has no type hints:
# mypy: disable-error-code="no-untyped-call"
from __future__ import annotations

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from benchmarks._common import PASSWORD, USER, emit, pct, peak_rss_mb

VM_PATHS = ["name", "runtime.powerState", "runtime.host", "config.hardware.numCPU",
            "config.hardware.memoryMB"]


def _connect(url: str, pool: int) -> Any:
    from pyVim.connect import SmartConnect

    u = urlsplit(url)
    si = SmartConnect(protocol=u.scheme or "http", host=u.hostname, port=u.port or 80,
                      path=u.path or "/sdk", user=USER, pwd=PASSWORD,
                      disableSslCertValidation=True)
    si._stub.poolSize = max(pool, 1)
    return si


def _workload(si: Any, workload: str) -> Any:
    from pyVmomi import vim, vmodl

    PC = vmodl.query.PropertyCollector
    content = si.RetrieveContent()
    pc = content.propertyCollector
    vm_type = vim.VirtualMachine
    host_type = vim.HostSystem

    def view_spec(view: Any, kind: Any, paths: list[str] | None) -> Any:
        return PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[
                PC.TraversalSpec(name="traverseView", type=vim.view.ContainerView,
                                 path="view", skip=False)])],
            propSet=[PC.PropertySpec(type=kind, all=paths is None, pathSet=paths or [])],
        )

    def retrieve_all(spec: Any, max_objects: int | None = None) -> list[Any]:
        result = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=max_objects))
        out: list[Any] = []
        while result is not None:
            out.extend(result.objects)
            if not result.token:
                break
            result = pc.ContinueRetrievePropertiesEx(result.token)
        return out

    def with_view(kind: Any, fn: Any) -> Any:
        view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
        try:
            return fn(view)
        finally:
            view.DestroyView()

    if workload == "small":
        vm = with_view(vm_type, lambda v: retrieve_all(view_spec(v, vm_type, ["name"]))[0].obj)
        spec = PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=vm, skip=False)],
            propSet=[PC.PropertySpec(type=vm_type, all=False,
                                     pathSet=["name", "runtime.powerState"])],
        )

        def small() -> Any:
            result = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions())
            return {p.name: p.val for o in result.objects for p in o.propSet}

        return small

    if workload == "inventory":

        def inventory() -> Any:
            vms = {
                o.obj: {p.name: p.val for p in o.propSet}
                for o in with_view(vm_type, lambda v: retrieve_all(
                    view_spec(v, vm_type, VM_PATHS), 1000))
            }
            hosts: dict[Any, str] = {}
            if any(v.get("runtime.host") is not None for v in vms.values()):
                for o in with_view(host_type, lambda v: retrieve_all(
                        view_spec(v, host_type, ["name"]), 1000)):
                    hosts[o.obj] = next((p.val for p in o.propSet if p.name == "name"), "")
            rows = []
            for ref, props in vms.items():
                host = props.get("runtime.host")
                rows.append((props.get("name") or "", ref._moId, props.get("runtime.powerState"),
                             hosts.get(host) if host is not None else None,
                             props.get("config.hardware.numCPU"),
                             props.get("config.hardware.memoryMB")))
            rows.sort(key=lambda r: (r[0], r[1]))
            return rows

        return inventory

    if workload == "full":

        def full() -> Any:
            return len(with_view(vm_type, lambda v: retrieve_all(view_spec(v, vm_type, None))))

        return full
    raise ValueError(workload)


def run(url: str, workload: str, threads: int, calls: int, warmup: int,
        deadline: float | None) -> dict[str, Any]:
    si = _connect(url, threads)
    fn = _workload(si, workload)
    lock = threading.Lock()

    def phase(n: int, stop_at: float | None) -> tuple[list[float], int, str | None]:
        remaining = [n]
        lat: list[float] = []
        errors = [0]
        first: list[str | None] = [None]

        def worker() -> None:
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                if stop_at is not None and time.monotonic() > stop_at:
                    return
                t = time.perf_counter()
                try:
                    fn()
                except Exception as exc:
                    with lock:
                        errors[0] += 1
                        first[0] = first[0] or f"{type(exc).__name__}: {exc}"
                    continue
                d = (time.perf_counter() - t) * 1000
                with lock:
                    lat.append(d)

        workers = min(threads, n)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for f in [pool.submit(worker) for _ in range(workers)]:
                f.result()
        return lat, errors[0], first[0]

    if warmup:
        phase(warmup, None)
    stop_at = time.monotonic() + deadline if deadline else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    lat, errors, first = phase(calls, stop_at)
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    lat.sort()
    done = len(lat) + errors
    try:
        si.content.sessionManager.Logout()
    except Exception:
        pass
    return {
        "client": "pyvmomi", "workload": workload, "concurrency": threads, "calls": calls,
        "completed": len(lat), "errors": errors, "seconds": wall,
        "calls_per_s": len(lat) / wall if wall else 0.0,
        "p50_ms": pct(lat, 0.50), "p99_ms": pct(lat, 0.99),
        "cpu_ms_per_call": cpu * 1000 / max(done, 1), "truncated": done < calls,
        "first_error": first,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("workload", choices=["small", "inventory", "full"])
    p.add_argument("threads", type=int)
    p.add_argument("calls", type=int)
    p.add_argument("--warmup", type=int, default=0)
    p.add_argument("--deadline", type=float, default=None,
                   help="stop starting calls after this many seconds")
    args = p.parse_args()
    t0 = time.perf_counter()
    out = run(args.url, args.workload, args.threads, args.calls, args.warmup, args.deadline)
    out["peak_rss_mb"] = peak_rss_mb()
    out["process_s"] = time.perf_counter() - t0
    emit(out)


if __name__ == "__main__":
    main()
