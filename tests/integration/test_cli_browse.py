"""``ls``, ``info``, ``find`` and ``metrics`` in-process against the shared vcsim (reads
only): tables name the right objects, ``--json`` matches what the library reads."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiovsphere
from aiovsphere._finder import Finder, FoundObject
from aiovsphere._perf import query_perf
from tests.integration.test_cli import DEAD_URL, flags, invoke

H0_VMS = [f"DC0_H0_VM{i}" for i in range(4)]
C0_VMS = [f"DC0_C0_RP0_VM{i}" for i in range(4)]
HOSTS = ["/DC0/host/DC0_C0/DC0_C0_H0", "/DC0/host/DC0_C0/DC0_C0_H1",
         "/DC0/host/DC0_C0/DC0_C0_H2", "/DC0/host/DC0_H0/DC0_H0"]


def _rows(found: list[FoundObject]) -> list[dict[str, str]]:
    return [{"path": f.path, "name": f.name, "type": f.type, "moref": f.ref.value}
            for f in found]


async def _json(*args: str) -> Any:
    result = await invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


async def test_ls_lists_children_like_govc(vcsim_url: str, observer: aiovsphere.Client
                                           ) -> None:
    finder = Finder(observer)
    conn = flags(vcsim_url)
    # A folder: its children, as the finder sees them.
    assert await _json("ls", "/DC0/vm", *conn) == _rows(await finder.find("/DC0/vm/*"))
    # The root (the default path): the datacenters; a datacenter: its four folders.
    assert [r["path"] for r in await _json("ls", *conn)] == ["/DC0"]
    assert [(r["name"], r["type"]) for r in await _json("ls", "/DC0", *conn)] == [
        ("datastore", "Folder"), ("host", "Folder"), ("network", "Folder"), ("vm", "Folder")]
    # A cluster: its hosts and its root pool; relative to the datacenter.
    rows = await _json("ls", "host/DC0_C0", *conn)
    assert [r["path"] for r in rows] == [*HOSTS[:3], "/DC0/host/DC0_C0/Resources"]
    assert [r["type"] for r in rows] == [*["HostSystem"] * 3, "ResourcePool"]
    # A leaf lists itself; a pattern lists its matches.
    vm = await finder.virtual_machine("DC0_H0_VM0")
    assert await _json("ls", "/DC0/vm/DC0_H0_VM0", *conn) == _rows([vm])
    rows = await _json("ls", "/DC0/vm/DC0_H0_*", *conn)
    assert [r["name"] for r in rows] == H0_VMS
    # A pattern before the last component: the children of each match.
    assert await _json("ls", "/DC*/vm", *conn) == _rows(await finder.find("/DC0/vm/*"))
    # The table names them all.
    result = await invoke("ls", "/DC0/vm", *conn)
    assert result.exit_code == 0, result.output
    for row in _rows(await finder.find("/DC0/vm/*")):
        assert f"│ {row['name']} " in result.stdout and row["moref"] in result.stdout
    assert result.stderr == ""


async def test_ls_not_found_is_exit_1(vcsim_url: str) -> None:
    result = await invoke("ls", "/DC0/vm/nope*", *flags(vcsim_url))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "error: not found: no object matches '/DC0/vm/nope*'\n"


async def test_info_json_matches_the_library(vcsim_url: str, observer: aiovsphere.Client
                                             ) -> None:
    paths = ["/DC0/vm/DC0_H0_VM0", "DC0_C0_H1", "/DC0/datastore/LocalDS_0",
             "/DC0/host/DC0_C0", "/DC0"]
    rows = await _json("info", *paths, *flags(vcsim_url))
    assert [r["path"] for r in rows] == [
        "/DC0/vm/DC0_H0_VM0", HOSTS[1], "/DC0/datastore/LocalDS_0", "/DC0/host/DC0_C0",
        "/DC0"]
    vm, host, ds, cluster, dc = rows
    generic = {"path", "name", "type", "moref", "parent", "overall_status"}
    assert set(vm) == generic | {"power_state", "num_cpu", "memory_mb", "host",
                                 "ip_address", "guest_os", "uuid"}
    assert set(host) == generic | {"connection_state", "power_state", "maintenance_mode",
                                   "cpu_cores", "cpu_mhz", "memory_bytes", "cpu_usage_mhz",
                                   "memory_usage_mb", "product"}
    assert set(ds) == generic | {"capacity_bytes", "free_bytes", "fs_type", "url",
                                 "accessible"}
    assert set(cluster) == generic | {"num_hosts", "cpu_cores", "memory_bytes"}
    assert set(dc) == generic

    vm_ref = (await Finder(observer).virtual_machine("DC0_H0_VM0")).ref
    (rec,) = await observer.retrieve([vm_ref], ["runtime.powerState", "runtime.host",
                                                "config.hardware.numCPU",
                                                "config.hardware.memoryMB", "config.uuid"])
    host_name = (await observer.get_properties(rec["runtime.host"], ["name"]))["name"]
    assert vm == vm | {
        "name": "DC0_H0_VM0", "type": "VirtualMachine", "moref": vm_ref.value,
        "parent": "/DC0/vm", "power_state": rec["runtime.powerState"].value,
        "num_cpu": rec["config.hardware.numCPU"],
        "memory_mb": rec["config.hardware.memoryMB"], "host": host_name,
        "uuid": rec["config.uuid"], "overall_status": "green"}

    host_ref = (await Finder(observer).host("DC0_C0_H1")).ref
    (rec,) = await observer.retrieve([host_ref], ["runtime.connectionState",
                                                  "summary.hardware"])
    assert host["connection_state"] == rec["runtime.connectionState"].value == "connected"
    assert host["memory_bytes"] == rec["summary.hardware"].memorySize > 0
    assert host["cpu_cores"] == rec["summary.hardware"].numCpuCores
    assert host["parent"] == "/DC0/host/DC0_C0"

    ds_ref = (await Finder(observer).datastore("LocalDS_0")).ref
    summary = (await observer.get_properties(ds_ref, ["summary"]))["summary"]
    assert (ds["capacity_bytes"], ds["free_bytes"]) == (summary.capacity, summary.freeSpace)
    assert 0 < ds["free_bytes"] <= ds["capacity_bytes"]
    assert cluster["num_hosts"] == 3
    assert dc["parent"] == "/" and dc["type"] == "Datacenter"


async def test_info_table(vcsim_url: str) -> None:
    result = await invoke("info", "/DC0/vm/DC0_H0_VM1", "LocalDS_0", *flags(vcsim_url))
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert "Name: DC0_H0_VM1" in lines and "Host: DC0_H0" in lines
    assert "Power state: poweredOn" in lines and "CPUs: 1" in lines
    assert "Name: LocalDS_0" in lines
    assert any(line.startswith("Capacity (bytes): ") and line.endswith("GiB)")
               for line in lines)
    result = await invoke("info", "/DC0/vm/DC0_H0_VM1", "/DC0/vm/nothing", *flags(vcsim_url))
    assert result.exit_code == 1 and result.stdout == ""
    assert "not found" in result.stderr and "'/DC0/vm/nothing'" in result.stderr


async def test_find_by_type_and_name(vcsim_url: str, observer: aiovsphere.Client) -> None:
    conn = flags(vcsim_url)
    rows = await _json("find", "--type", "VirtualMachine", "--name", "DC0_H0_*", *conn)
    assert [r["name"] for r in rows] == H0_VMS
    assert rows == _rows(await Finder(observer).find("*", "VirtualMachine"))[4:]
    # govc's letters, a root, several types.
    rows = await _json("find", "/DC0/host", "-t", "h", *conn)
    assert [r["path"] for r in rows] == HOSTS
    rows = await _json("find", "-t", "h", "-t", "c", "--name", "DC0_C0*", *conn)
    assert [(r["name"], r["type"]) for r in rows] == [
        ("DC0_C0", "ClusterComputeResource"), ("DC0_C0_H0", "HostSystem"),
        ("DC0_C0_H1", "HostSystem"), ("DC0_C0_H2", "HostSystem")]
    # Everything (no filter) includes every VM and host.
    everything = {r["path"] for r in await _json("find", *conn)}
    assert {f"/DC0/vm/{n}" for n in H0_VMS + C0_VMS} | set(HOSTS) <= everything
    # ROOT itself when it matches, as govc does.
    assert [r["path"] for r in await _json("find", "/DC0/vm", "-t", "f", *conn)] == [
        "/DC0/vm"]
    assert [r["path"] for r in await _json("find", "/DC0/vm/DC0_H0_VM1", *conn)] == [
        "/DC0/vm/DC0_H0_VM1"]
    # Nothing found is an empty listing; a root that matches nothing is an error.
    assert await _json("find", "--name", "zzz*", *conn) == []
    result = await invoke("find", "/nowhere", *conn)
    assert result.exit_code == 1 and "not found" in result.stderr
    result = await invoke("find", "-t", "vm", "--name", "DC0_C0_RP0_VM2", *conn)
    assert result.exit_code == 0, result.output
    assert "DC0_C0_RP0_VM2" in result.stdout and "DC0_H0_VM2" not in result.stdout


async def test_metrics(vcsim_url: str, observer: aiovsphere.Client) -> None:
    conn = flags(vcsim_url)
    paths = ["/DC0/vm/DC0_H0_VM0", "/DC0/host/DC0_H0/DC0_H0"]
    counters = ["cpu.usage.average", "mem.usage.average"]
    rows = await _json("metrics", *paths, "-c", counters[0], "--counter", counters[1],
                       "--samples", "3", *conn)
    finder = Finder(observer)
    refs = [(await finder.one(p)).ref for p in paths]
    library = await query_perf(observer, refs, counters, max_sample=3, instance="")
    # vcsim adds noise to values and moves timestamps: compare the rest.
    assert [(r["moref"], r["type"], r["counter"], r["instance"], r["unit"], r["interval"])
            for r in rows] == [(s.entity.value, s.entity.type, s.counter, s.instance, s.unit,
                                s.interval) for s in library]
    assert len(rows) == 4
    for row in rows:
        assert row["unit"] == "percent" and row["interval"] == 20
        assert set(row) == {"path", "name", "type", "moref", "counter", "instance", "unit",
                            "interval", "samples"}
        times = [datetime.fromisoformat(s["time"]) for s in row["samples"]]
        assert len(times) == 3 and times == sorted(times)
        assert all(isinstance(s["value"], int) for s in row["samples"])
    result = await invoke("metrics", *paths, "-c", counters[0], "-n", "2", *conn)
    assert result.exit_code == 0, result.output
    assert "DC0_H0_VM0" in result.stdout and "cpu.usage.average" in result.stdout
    assert "%" in result.stdout


async def test_metrics_counter_errors(vcsim_url: str) -> None:
    # A malformed name is usage (exit 2, before connecting: the dead URL is not reached).
    result = await invoke("metrics", "x", "-c", "cpu-usage", *flags(DEAD_URL))
    assert result.exit_code == 2 and "group.name.rollup" in result.stderr
    # A well-formed name the server does not have is exit 1, with suggestions.
    result = await invoke("metrics", "/DC0/vm/DC0_H0_VM0", "-c", "cpu.usage.averag",
                          *flags(vcsim_url))
    assert result.exit_code == 1 and result.stdout == ""
    assert "no performance counter 'cpu.usage.averag'" in result.stderr
    assert "cpu.usage.average" in result.stderr
