"""The simulator at scale (issue 4, "Scale"): 5,000 VMs served through the client, and
1,000 connections held open at once.

Behaviour only: counts, names and values, and how many calls the server holds at the same
moment (``sim.faults`` pauses). No wall-clock assertion; ``benchmarks/simulator.py``
measures the times.
"""

from __future__ import annotations

import asyncio
import os
import re
import resource
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import aiovsphere
from aiovsphere.simulator import InventorySpec, Simulator
from aiovsphere.simulator._limits import ensure_open_files, open_files_limit
from aiovsphere.simulator._service import ROOT_FOLDER
from aiovsphere.vim._moref import ManagedObjectReference as Ref

REPO_ROOT = Path(__file__).resolve().parents[2]
VMS = 5000
CONNECTIONS = 1000
PATHS = ["name", "runtime.powerState", "runtime.host", "config.hardware.numCPU",
         "config.hardware.memoryMB", "config.instanceUuid"]
SMALL = InventorySpec(clusters=0, hosts=1, vms=1, dvs=False)
# Both ends of every connection live in this process, plus the loop's and pytest's own.
FDS_NEEDED = 2 * CONNECTIONS + 512


@pytest.fixture(scope="module")
def enough_fds() -> Iterator[int]:
    """Raise the soft RLIMIT_NOFILE to FDS_NEEDED if it is lower (restored afterwards);
    fails, never skips, if the hard limit does not allow it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < FDS_NEEDED:
        if hard != resource.RLIM_INFINITY and hard < FDS_NEEDED:
            pytest.fail(f"RLIMIT_NOFILE hard limit {hard} < {FDS_NEEDED}: cannot hold "
                        f"{CONNECTIONS} connections with both ends in this process")
        resource.setrlimit(resource.RLIMIT_NOFILE, (FDS_NEEDED, hard))
    try:
        yield resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_ensure_open_files_raises_never_lowers() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = 512 if hard == resource.RLIM_INFINITY else min(512, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
        assert open_files_limit() == low
        assert ensure_open_files(100) == low  # enough already: unchanged, not lowered
        wanted = 700 if hard == resource.RLIM_INFINITY else min(700, hard)
        assert ensure_open_files(700) == wanted
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (wanted, hard)
        if hard != resource.RLIM_INFINITY:  # never past the hard limit
            assert ensure_open_files(hard + 1000) == hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# ---------------------------------------------------------------------------- 5,000 VMs
@pytest.fixture(scope="module")
async def big() -> AsyncIterator[Simulator]:
    async with Simulator(vms=VMS) as sim:
        yield sim


@pytest.fixture(scope="module")
async def big_client(big: Simulator) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(big.url, user="admin", password="pw") as client:
        yield client


def expected_names(spec: InventorySpec) -> set[str]:
    """vcsim's VM names for a one-datacenter spec: ``DC0_H{h}_VM{i}`` on standalone hosts,
    ``DC0_C{c}_RP0_VM{i}`` in clusters."""
    return ({f"DC0_H{h}_VM{i}" for h in range(spec.hosts) for i in range(spec.vms)}
            | {f"DC0_C{c}_RP0_VM{i}" for c in range(spec.clusters) for i in range(spec.vms)})


def test_spec_is_5000_vms(big: Simulator) -> None:
    assert big.inventory.vm_count == VMS
    assert len(big.model.of_type("VirtualMachine")) == VMS
    assert (big.inventory.hosts, big.inventory.clusters, big.inventory.vms) == (99, 1, 50)


async def test_full_retrieval_of_5000_vms(big: Simulator,
                                          big_client: aiovsphere.Client) -> None:
    """One paged retrieval (ContainerView, RetrievePropertiesEx with maxObjects 1000, then
    ContinueRetrievePropertiesEx) returns every VM once, with the model's values."""
    before = big.faults.calls["ContinueRetrievePropertiesEx"]
    async with big_client.container_view(["VirtualMachine"]) as view:
        records = await big_client.retrieve(view, PATHS, max_objects=1000)
    assert big.faults.calls["ContinueRetrievePropertiesEx"] - before == VMS // 1000 - 1

    assert len(records) == VMS
    names = [str(r.name) for r in records]
    assert len(set(names)) == VMS
    assert set(names) == expected_names(big.inventory)
    assert len({r.obj for r in records}) == VMS
    assert len({r.config.instanceUuid for r in records}) == VMS

    # Every record is what the model holds (the server's own values, not a default).
    model = {o.ref: o for o in big.model.of_type("VirtualMachine")}
    assert set(model) == {r.obj for r in records}
    for rec in records:
        props = model[rec.obj].props
        assert rec.name == props["name"]
        assert rec.runtime.powerState == props["runtime"].powerState
        assert rec.runtime.host == props["runtime"].host
        assert rec.config.hardware.numCPU == props["config"].hardware.numCPU
        assert rec.config.hardware.memoryMB == props["config"].hardware.memoryMB

    # A sample against the inventory's shape: standalone VMs run on their own host,
    # cluster VMs on one of the cluster's hosts; all powered on, as vcsim's are.
    by_name = {r.name: r for r in records}
    host_names = {rec.obj: rec.name for rec in await big_client.retrieve(
        [r.runtime.host for r in records], ["name"])}
    for name in ("DC0_H0_VM0", "DC0_H42_VM17", "DC0_H98_VM49"):
        host = re.fullmatch(r"(DC0_H\d+)_VM\d+", name)
        assert host is not None
        assert host_names[by_name[name].runtime.host] == host.group(1)
    for name in ("DC0_C0_RP0_VM0", "DC0_C0_RP0_VM49"):
        assert re.fullmatch(r"DC0_C0_H[0-2]", host_names[by_name[name].runtime.host])
    assert {str(r.runtime.powerState) for r in records} == {"poweredOn"}
    assert all(r.config.hardware.numCPU >= 1 and r.config.hardware.memoryMB >= 32
               for r in records)


async def test_cache_of_5000_vms_follows_a_change(big: Simulator,
                                                  big_client: aiovsphere.Client) -> None:
    """WaitForUpdatesEx's initial set covers all 5,000 VMs, and a power-off of the last
    one reaches the cache (then the VM is powered on again: the module's VMs stay on)."""
    last = next(o.ref for o in big.model.of_type("VirtualMachine")
                if o.props["name"] == "DC0_H98_VM49")
    async with big_client.inventory_cache("VirtualMachine",
                                          ["name", "runtime.powerState"]) as cache:
        snapshot = cache.snapshot()
        assert len(snapshot) == VMS
        assert snapshot[last].name == "DC0_H98_VM49"
        assert snapshot[last].runtime.powerState == "poweredOn"
        try:
            task = await big_client.invoke(last, "PowerOffVM_Task")
            await big_client.wait_for_task(task)
            after = await cache.wait_until(
                lambda s: s[last].runtime.powerState == "poweredOff", timeout=30)
            assert after.version > snapshot.version
            assert len(after) == VMS
            assert sum(1 for ref in after if after[ref].runtime.powerState == "poweredOn") \
                == VMS - 1
        finally:
            task = await big_client.invoke(last, "PowerOnVM_Task")
            await big_client.wait_for_task(task)


async def test_find_by_inventory_path_among_5000(big_client: aiovsphere.Client) -> None:
    search = big_client.service("searchIndex")
    found = await big_client.invoke(search, "FindByInventoryPath",
                                    inventoryPath="DC0/vm/DC0_H98_VM49")
    assert isinstance(found, Ref) and found.type == "VirtualMachine"
    assert (await big_client.get_properties(found, ["name"]))["name"] == "DC0_H98_VM49"


# ---------------------------------------------------------------------------- 1,000 connections
def _request(port: int) -> bytes:
    """A raw HTTP/1.1 POST of RetrieveServiceContent (no session needed)."""
    body = (b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            b'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
            b'<RetrieveServiceContent xmlns="urn:vim25">'
            b'<_this type="ServiceInstance">ServiceInstance</_this>'
            b'</RetrieveServiceContent></soapenv:Body></soapenv:Envelope>')
    head = (f"POST /sdk HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            'Content-Type: text/xml; charset=utf-8\r\nSOAPAction: "urn:vim25/8.0.3.0"\r\n'
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(int(line.split(":", 1)[1]) for line in lines
                  if line.lower().startswith("content-length:"))
    return status, await reader.readexactly(length)


@pytest.fixture
async def small_sim() -> AsyncIterator[Simulator]:
    async with Simulator(SMALL) as sim:
        yield sim


async def test_1000_raw_connections_held_at_once(enough_fds: int,
                                                 small_sim: Simulator) -> None:
    """1,000 TCP connections, each with one request that the server holds (a pause):
    all 1,000 are held at the same moment, then all are answered."""
    assert enough_fds == resource.RLIM_INFINITY or enough_fds >= FDS_NEEDED
    port = int(small_sim.url.split(":")[2].split("/")[0])
    request = _request(port)
    streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        async with small_sim.faults.paused(method="RetrieveServiceContent") as pause:
            opened = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port)
                                            for _ in range(CONNECTIONS)))
            streams.extend(opened)
            assert len({w.get_extra_info("sockname")[1] for _, w in streams}) == CONNECTIONS
            for _, writer in streams:
                writer.write(request)
            await asyncio.gather(*(w.drain() for _, w in streams))
            async with asyncio.timeout(60):
                await pause.wait_held(CONNECTIONS)
            assert pause.held == CONNECTIONS
            assert small_sim.faults.count("pause", "RetrieveServiceContent") == CONNECTIONS
        async with asyncio.timeout(60):
            answers = await asyncio.gather(*(_read_response(r) for r, _ in streams))
        assert pause.held == 0
        assert [status for status, _ in answers] == [200] * CONNECTIONS
        root = f'<rootFolder type="Folder">{ROOT_FOLDER.value}</rootFolder>'.encode()
        assert all(root in body for _, body in answers)
        assert small_sim.faults.calls["RetrieveServiceContent"] >= CONNECTIONS
    finally:
        for _, writer in streams:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for _, w in streams), return_exceptions=True)


async def test_1000_client_calls_in_flight_at_once(enough_fds: int,
                                                   small_sim: Simulator) -> None:
    """One aiovsphere client with ``max_in_flight=1000`` (1,000 pooled connections):
    1,000 property reads are all on the server at once, then all succeed."""
    assert enough_fds == resource.RLIM_INFINITY or enough_fds >= FDS_NEEDED
    (vm,) = [o.ref for o in small_sim.model.of_type("VirtualMachine")]
    async with aiovsphere.connect(small_sim.url, user="admin", password="pw",
                                  max_in_flight=CONNECTIONS) as client:
        async with small_sim.faults.paused(method="RetrievePropertiesEx") as pause:
            calls = [asyncio.ensure_future(
                client.get_properties(vm, ["name", "runtime.powerState"]))
                for _ in range(CONNECTIONS)]
            try:
                async with asyncio.timeout(60):
                    await pause.wait_held(CONNECTIONS)
                assert pause.held == CONNECTIONS
                assert not any(c.done() for c in calls)
            except BaseException:
                for c in calls:
                    c.cancel()
                raise
        async with asyncio.timeout(60):
            results = await asyncio.gather(*calls)
    assert results == [{"name": "DC0_H0_VM0", "runtime.powerState": "poweredOn"}] * CONNECTIONS


async def test_standalone_simulator_raises_a_low_open_file_limit(enough_fds: int) -> None:
    """``python -m aiovsphere.simulator`` started with a soft limit of 256 open files (as
    macOS starts processes; Linux: 1,024) still serves 1,000 connections open at once: it
    raises its soft limit as vcsim (Go) does, instead of failing accept() with EMFILE."""
    assert enough_fds == resource.RLIM_INFINITY or enough_fds >= FDS_NEEDED
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    wrapper = ("import resource, runpy, sys; "
               "_, hard = resource.getrlimit(resource.RLIMIT_NOFILE); "
               "resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard)); "
               "sys.argv = ['aiovsphere.simulator', *sys.argv[1:]]; "
               "runpy.run_module('aiovsphere.simulator', run_name='__main__')")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", wrapper, "--vms", "2", "--exit-on-eof", env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    emfile = asyncio.Event()

    async def watch_stderr(stream: asyncio.StreamReader) -> None:
        async for line in stream:
            if b"Too many open files" in line:
                emfile.set()

    watcher = asyncio.ensure_future(watch_stderr(proc.stderr))
    try:
        async with asyncio.timeout(60):
            line = (await proc.stdout.readline()).decode()
        assert line.startswith("SIMULATOR_URL=http://127.0.0.1:"), line
        port = int(line.strip().rsplit(":", 1)[1].split("/")[0])
        request = _request(port)
        streams.extend(await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port)
                                              for _ in range(CONNECTIONS))))
        for _, writer in streams:
            writer.write(request)
        answers: asyncio.Future[list[Any]] = asyncio.gather(
            *(_read_response(r) for r, _ in streams), return_exceptions=True)
        failed: asyncio.Future[Any] = asyncio.ensure_future(emfile.wait())
        try:
            async with asyncio.timeout(60):
                await asyncio.wait([answers, failed], return_when=asyncio.FIRST_COMPLETED)
        finally:
            failed.cancel()
            answers.cancel()
        assert not emfile.is_set(), "the simulator ran out of file descriptors (EMFILE)"
        statuses = [a[0] if isinstance(a, tuple) else repr(a) for a in answers.result()]
        assert statuses == [200] * CONNECTIONS
    finally:
        for _, writer in streams:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for _, w in streams), return_exceptions=True)
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        if proc.returncode is None:
            proc.terminate()
        await proc.communicate()
    assert proc.returncode == 0
