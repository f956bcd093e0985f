"""Record real SOAP responses for the decoder fuzzers (``tests/security/corpus/*.xml``).

    .venv/bin/python tests/security/make_corpus.py          # embedded simulator and vcsim

Each file is one response body exactly as the server sent it, named
``<server>-<Method>-<what>.xml``: the fuzzers decode a mutated body as the result of
``<Method>`` (its declared return type), as ``Client._call`` does. A handful of calls
covers the shapes that matter: ServiceContent, UserSession, dateTime, deep data objects
(VirtualMachine config, host hardware), anyType property values, morefs, a task, events,
a clone ticket and faults. Bodies over ``MAX_BYTES`` are not kept (the fuzzers stay fast).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiovsphere  # noqa: E402
from aiovsphere.transport.base import BodySink, HttpRequest, HttpResponse, Transport  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "corpus"
MAX_BYTES = 96 * 1024


class _Tee:
    def __init__(self, sink: BodySink) -> None:
        self.sink = sink
        self.data = bytearray()

    def start(self, status: int, content_type: str) -> None:
        self.sink.start(status, content_type)

    def feed(self, chunk: bytes) -> None:
        self.data += chunk
        self.sink.feed(chunk)


class Recorder:
    """A transport wrapper that keeps every SOAP response body (by method, in order)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.bodies: list[tuple[str, bytes]] = []

    async def request(self, request: HttpRequest, sink: BodySink) -> HttpResponse:
        tee = _Tee(sink)
        try:
            return await self.inner.request(request, tee)
        finally:
            if request.method == "POST":
                self.bodies.append((request.operation, bytes(tee.data)))

    async def close(self) -> None:
        await self.inner.close()


async def _session(url: str) -> list[tuple[str, bytes]]:
    client = aiovsphere.Client(url)
    recorder = Recorder(client.transport)
    client.transport = recorder
    try:
        await client.open()
        await client.session.login("corpus-user", "corpus-pw")
        si, content = client.service_instance, client.content
        await client.invoke(si, "CurrentTime")
        view = await client.invoke(content.viewManager, "CreateContainerView",
                                   container=content.rootFolder, type=["VirtualMachine"],
                                   recursive=True)
        vms = (await client.get_properties(view, ["view"]))["view"]
        vm = vms[0]
        await client.get_properties(vm, ["config"])
        await client.get_properties(vm, ["runtime", "summary", "guest", "name"])
        hosts = await client.invoke(content.viewManager, "CreateContainerView",
                                    container=content.rootFolder, type=["HostSystem"],
                                    recursive=True)
        host = (await client.get_properties(hosts, ["view"]))["view"][0]
        await client.get_properties(host, ["summary", "hardware.systemInfo", "runtime"])
        task = await client.invoke(vms[-1], "PowerOffVM_Task")
        await client.wait_for_task(task)
        await client.get_properties(task, ["info"])
        from aiovsphere.vim import types as t

        await client.invoke(content.eventManager, "QueryEvents",
                            filter=t.EventFilterSpec(maxCount=20))
        await client.session.acquire_clone_ticket()
        for call in (
            lambda: client.invoke(aiovsphere.ManagedObjectReference(
                "VirtualMachine", "vm-does-not-exist"), "PowerOnVM_Task"),
            lambda: client.invoke(vm, "PowerOnVM_Task"),  # already on: InvalidPowerState
        ):
            try:
                await call()
            except aiovsphere.VSphereError:
                pass
        await client.invoke(view, "DestroyView")
        await client.invoke(hosts, "DestroyView")
    finally:
        await client.close()
    return recorder.bodies


def _save(server: str, bodies: list[tuple[str, bytes]]) -> list[Path]:
    seen: dict[str, int] = {}
    written = []
    for method, body in bodies:
        if not body or len(body) > MAX_BYTES or method == "Logout" or method.startswith("Destroy"):
            continue
        what = "fault" if b"Fault>" in body[:4096] or b":Fault>" in body else "ok"
        n = seen.get(f"{method}-{what}", 0)
        seen[f"{method}-{what}"] = n + 1
        path = CORPUS / f"{server}-{method}-{what}{n or ''}.xml"
        path.write_bytes(body)
        written.append(path)
    return written


async def _simulator() -> list[tuple[str, bytes]]:
    from aiovsphere.simulator import Simulator

    async with Simulator(vms=4, task_seconds=0) as sim:
        return await _session(sim.url)


def _vcsim() -> list[tuple[str, bytes]]:
    from tools.vcsim.launcher import Vcsim

    sim = Vcsim.for_vm_count(4)
    sim.start()
    try:
        return asyncio.run(_session(sim.url))
    finally:
        sim.stop()


def main(argv: list[str]) -> int:
    CORPUS.mkdir(exist_ok=True)
    written: list[Any] = []
    if "--no-simulator" not in argv:
        written += _save("sim", asyncio.run(_simulator()))
    if "--no-vcsim" not in argv:
        written += _save("vcsim", _vcsim())
    for path in sorted(written):
        print(f"{path.stat().st_size:7d}  {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
