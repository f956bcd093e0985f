"""Decode throughput of one large real response: aiovsphere vs pyvmomi vs govmomi vs lxml.

    python -m benchmarks.parse [--quick] [--recapture] [--vms 2000] [--repeat N]

1. Captures ``RetrievePropertiesEx`` (``all=True`` over a ContainerView of every VM) from
   a 2,000-VM vcsim, byte for byte as it came off the wire, to
   ``.cache/bench/full-2000.xml`` (~30 MB); also ``full-2000-warm.xml`` (the first 20 VMs,
   for warm-ups) and ``full-2000.json`` (API version pyvmomi negotiated).
2. Decodes it in a fresh subprocess per decoder (peak RSS is per decoder) and prints MB/s,
   CPU seconds per decode and peak RSS:

   * ``aiovsphere``: ``parse_bytes`` (hardened lxml feed parser, 64 KiB chunks) +
     ``body_of`` + ``Decoder.returnval`` -> typed ``RetrieveResult``; also each half alone.
   * ``pyvmomi``: ``SoapResponseDeserializer(stub).Deserialize(bytes, RetrieveResult)``,
     exactly what ``SoapStubAdapter.InvokeMethod`` runs on a response.
   * ``govmomi``: ``xml.Decoder`` with ``types.TypeFunc()`` into
     ``methods.RetrievePropertiesExBody`` (what ``soap.Client.RoundTrip`` runs).
   * ``lxml``: a bare ``etree.fromstring(bytes)``.
   * ``aiovsphere:nogc`` (an experiment, not how the SDK runs): the aiovsphere row with the
     cyclic garbage collector disabled, to show its share of the decode time.
"""

# pyvmomi has no type hints:
# mypy: disable-error-code="no-untyped-call"
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks._common import (
    CACHE,
    PASSWORD,
    RESULTS,
    ROOT,
    USER,
    child_env,
    emit,
    govmomi_peer,
    peak_rss_mb,
    sdk_url,
    vcsim,
)

MAX_BYTES = 512 * 1024 * 1024


def paths(vms: int) -> tuple[Path, Path, Path]:
    base = CACHE / f"full-{vms}"
    return base.with_suffix(".xml"), base.with_name(base.name + "-warm.xml"), \
        base.with_suffix(".json")


# ---------------------------------------------------------------------------- capture
class _Tee:
    """A body sink that keeps a copy of every chunk before passing it on."""

    def __init__(self, sink: Any, keep: list[bytes]) -> None:
        self._sink, self._keep = sink, keep

    def start(self, status: int, content_type: str) -> None:
        self._sink.start(status, content_type)

    def feed(self, chunk: bytes) -> None:
        self._keep.append(chunk)
        self._sink.feed(chunk)


class RecordingTransport:
    """Wraps the aiohttp transport; keeps the last body of each SOAP operation."""

    def __init__(self) -> None:
        from aiovsphere.transport.http import AiohttpTransport

        self._inner = AiohttpTransport(limit=4)
        self.bodies: dict[str, bytes] = {}

    async def request(self, request: Any, sink: Any) -> Any:
        keep: list[bytes] = []
        response = await self._inner.request(request, _Tee(sink, keep))
        self.bodies[request.operation] = b"".join(keep)
        return response

    async def close(self) -> None:
        await self._inner.close()


async def _capture_full(url: str) -> tuple[bytes, bytes]:
    """(RetrievePropertiesEx all=True body, RetrieveServiceContent body)."""
    import aiovsphere
    from aiovsphere._property import container_view, retrieve_pages, view_filter_spec

    rec = RecordingTransport()
    async with aiovsphere.connect(url, user=USER, password=PASSWORD, transport=rec) as client:
        async with container_view(client, ["VirtualMachine"]) as view:
            async for _page in retrieve_pages(
                    client, [view_filter_spec(view, "VirtualMachine", None)]):
                pass
        service_content = rec.bodies["RetrieveServiceContent"]
        return rec.bodies["RetrievePropertiesEx"], service_content


def truncate(body: bytes, keep: int) -> bytes:
    """The same response with only the first ``keep`` ObjectContents."""
    from lxml import etree

    root = etree.fromstring(body, etree.XMLParser(huge_tree=True))
    returnval = next(el for el in root.iter() if isinstance(el.tag, str)
                     and el.tag.endswith("}returnval"))
    objects = [c for c in returnval if isinstance(c.tag, str) and c.tag.endswith("}objects")]
    for extra in objects[keep:]:
        returnval.remove(extra)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def capture(vms: int, force: bool = False) -> Path:
    full, warm, meta = paths(vms)
    if full.exists() and warm.exists() and meta.exists() and not force:
        return full
    CACHE.mkdir(parents=True, exist_ok=True)
    with vcsim(vms) as sim:
        url = sdk_url(sim)
        body, service_content = asyncio.run(_capture_full(url))
        # The API version pyvmomi negotiates with this server (its deserializer needs it).
        version = subprocess.run(
            [sys.executable, "-c", "import sys; from benchmarks.pyvmomi_peer import _connect;"
             "si = _connect(sys.argv[1], 1); print(si._stub.version)", url],
            capture_output=True, text=True, check=True, cwd=ROOT, env=child_env(),
        ).stdout.strip()
    full.write_bytes(body)
    warm.write_bytes(truncate(body, 20))
    (CACHE / "service-content.xml").write_bytes(service_content)
    meta.write_text(json.dumps({"vms": vms, "bytes": len(body), "pyvmomi_version": version}))
    return full


# ---------------------------------------------------------------------------- decoders
def _aiovsphere(stage: str) -> Any:
    from aiovsphere.soap._xml import parse_bytes
    from aiovsphere.soap.codec import Decoder
    from aiovsphere.soap.envelope import body_of
    from aiovsphere.vim._schema import schema

    sch = schema()
    info = sch.method("PropertyCollector", "RetrievePropertiesEx")
    plans: dict[str, Any] = {}

    def decoder() -> Any:
        d = Decoder(sch)
        d._plans = plans  # a client shares one plan cache across calls
        return d

    from aiovsphere._gc import deferred_full_collections

    if stage == "returnval":  # decode only: the parse is done outside the timer
        def prepare(data: bytes) -> Any:
            return body_of(parse_bytes(data, MAX_BYTES))

        def run(el: Any) -> int:
            with deferred_full_collections():
                return len(decoder().returnval(el, info).objects)

        return prepare, run
    if stage == "parse_bytes":
        return None, lambda data: len(parse_bytes(data, MAX_BYTES))

    def full(data: bytes) -> int:
        # What Client does for a body over decode_in_thread_bytes (there in a worker
        # thread): parse, then decode with full GC collections deferred, freeing the tree
        # as it goes.
        with deferred_full_collections():
            el = body_of(parse_bytes(data, MAX_BYTES))
            return len(decoder().returnval(el, info, consume=True).objects)

    if stage == "nogc":  # an experiment, not how aiovsphere runs: the cyclic GC's share
        def without_gc(data: bytes) -> int:
            gc.disable()
            try:
                return full(data)
            finally:
                gc.enable()

        return None, without_gc
    return None, full


def _pyvmomi(version: str) -> Any:
    from pyVmomi import vmodl
    from pyVmomi.SoapAdapter import SoapResponseDeserializer, SoapStubAdapter

    stub = SoapStubAdapter(host="127.0.0.1", port=9, version=version)  # never connects
    result_type = vmodl.query.PropertyCollector._GetMethodInfo("RetrievePropertiesEx").result

    def run(data: bytes) -> int:
        return len(SoapResponseDeserializer(stub).Deserialize(data, result_type).objects)

    return None, run


def _lxml() -> Any:
    from lxml import etree

    return None, lambda data: len(etree.fromstring(data))


def one(name: str, file: Path, warm: Path, repeat: int, version: str) -> dict[str, Any]:
    """Time one decoder in this process (the subprocess side)."""
    if name.startswith("aiovsphere"):
        stage = name.partition(":")[2] or "all"
        prepare, run = _aiovsphere(stage)
    elif name == "pyvmomi":
        prepare, run = _pyvmomi(version)
    elif name == "lxml":
        prepare, run = _lxml()
    else:
        raise ValueError(name)
    data = file.read_bytes()
    warm_data = warm.read_bytes()
    run(prepare(warm_data) if prepare else warm_data)  # lazy classes, plan caches
    cpu = wall = 0.0
    n = 0
    for _ in range(repeat):
        arg = prepare(data) if prepare else data
        c0, w0 = time.process_time(), time.perf_counter()
        n = run(arg)
        wall += time.perf_counter() - w0
        cpu += time.process_time() - c0
        del arg
    return {"decoder": name, "bytes": len(data), "objects": n, "repeat": repeat,
            "wall_s_per_decode": wall / repeat, "cpu_s_per_decode": cpu / repeat,
            "mb_per_s": len(data) / 1e6 / (wall / repeat), "peak_rss_mb": peak_rss_mb()}


def _spawn(name: str, file: Path, warm: Path, repeat: int, version: str,
           timeout: float) -> dict[str, Any]:
    if name == "govmomi":
        cmd = [str(govmomi_peer()), "-workload", "parse", "-file", str(file), "-repeat",
               str(repeat)]
    else:
        cmd = [sys.executable, "-m", "benchmarks.parse", "--one", name, "--file", str(file),
               "--warm", str(warm), "--repeat", str(repeat), "--version", version]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                              env=child_env())
    except subprocess.TimeoutExpired:
        return {"decoder": name, "skipped": f"timed out after {timeout:.0f}s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"decoder": name, "skipped": f"failed: {tail[:100]}"}
    out: dict[str, Any] = json.loads(lines[-1])
    if name == "govmomi":
        out = {"decoder": "govmomi", "bytes": out["bytes"], "objects": out["objects"],
               "repeat": out["calls"], "wall_s_per_decode": out["wall_s_per_decode"],
               "cpu_s_per_decode": out["cpu_s_per_decode"], "mb_per_s": out["mb_per_s"],
               "peak_rss_mb": out["peak_rss_mb"]}
    return out


DECODERS = {
    "aiovsphere": "aiovsphere: parse + decode as Client does it (full GC deferred)",
    "aiovsphere:parse_bytes": "  of which parse_bytes (hardened lxml feed parse)",
    "aiovsphere:returnval": "  of which Decoder.returnval (tree -> typed objects)",
    "aiovsphere:nogc": "  experiment: the same with gc.disable() around it",
    "pyvmomi": "pyvmomi: SoapResponseDeserializer.Deserialize (expat)",
    "govmomi": "govmomi 0.24: vim25/xml Decoder -> types (Go)",
    "lxml": "bare lxml: etree.fromstring",
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.parse", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one decode each instead of three")
    ap.add_argument("--vms", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--recapture", action="store_true")
    ap.add_argument("--decoders", default=",".join(DECODERS))
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    ap.add_argument("--warm", help=argparse.SUPPRESS)
    ap.add_argument("--version", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        emit(one(args.one, Path(args.file), Path(args.warm), args.repeat, args.version))
        return 0

    repeat = args.repeat or (1 if args.quick else 3)
    file = capture(args.vms, args.recapture)
    _, warm, meta_path = paths(args.vms)
    meta = json.loads(meta_path.read_text())
    print(f"{file.relative_to(ROOT)}: {meta['bytes'] / 1e6:.1f} MB, {args.vms} VMs",
          file=sys.stderr)
    rows = []
    for name in [d for d in args.decoders.split(",") if d]:
        print(f"  {name} x{repeat}", file=sys.stderr, flush=True)
        rows.append(_spawn(name, file, warm, repeat, meta["pyvmomi_version"],
                           timeout=60 + 60 * repeat))

    from rich.console import Console
    from rich.table import Table

    by = {r["decoder"]: r for r in rows}
    ref = by.get("aiovsphere")
    table = Table(title=f"Decoding one {meta['bytes'] / 1e6:.1f} MB RetrievePropertiesEx "
                        f"response ({args.vms} VMs, all properties), {repeat} run(s) each")
    for col in ("decoder", "MB/s", "wall s", "CPU s", "peak RSS MB", "aiovsphere is"):
        table.add_column(col, justify="left" if col == "decoder" else "right")
    for r in rows:
        label = DECODERS.get(r["decoder"], r["decoder"])
        if "skipped" in r:
            table.add_row(label, f"skipped: {r['skipped']}", "", "", "", "")
            continue
        rel = ""
        if ref and "skipped" not in ref and r is not ref and not r["decoder"].startswith(
                "aiovsphere"):
            ratio = r["cpu_s_per_decode"] / ref["cpu_s_per_decode"]
            rel = f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower"
        table.add_row(label, f"{r['mb_per_s']:.1f}", f"{r['wall_s_per_decode']:.3f}",
                      f"{r['cpu_s_per_decode']:.3f}", f"{r['peak_rss_mb']:.0f}", rel)
    Console(width=160).print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / time.strftime("parse-%Y%m%d-%H%M%S.json")
    out.write_text(json.dumps({"meta": meta, "repeat": repeat, "results": rows}, indent=1))
    print(f"results: {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
