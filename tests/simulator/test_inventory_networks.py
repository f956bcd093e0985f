"""Configurable networks (``InventorySpec.networks``, ``.portgroups``; issue 4): standard
networks "VM Network", "VM Network 1"... and distributed portgroups ``DC0_DVPG0``... read
through aiovsphere, their links, and the defaults left as vcsim's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import aiovsphere
from aiovsphere.simulator import InventorySpec, Simulator
from aiovsphere.simulator._inventory import build
from aiovsphere.simulator._options import inventory_spec, make_simulator
from aiovsphere.vim._moref import ManagedObjectReference as Ref

SPEC = InventorySpec(networks=3, portgroups=2, cluster_hosts=2, vms=1)
STANDARD = ["VM Network", "VM Network 1", "VM Network 2"]
PORTGROUPS = ["DC0_DVPG0", "DC0_DVPG1"]


def built(spec: InventorySpec, *, esx: bool = False) -> Simulator:
    sim = Simulator(spec, esx=esx)
    build(sim)
    return sim


def names(sim: Simulator, refs: object) -> list[str]:
    assert isinstance(refs, tuple)
    return [str(sim.model.get(r).props["name"]) for r in refs]  # type: ignore[union-attr]


async def of_type(client: aiovsphere.Client, type_name: str,
                  paths: list[str]) -> list[aiovsphere.ObjectRecord]:
    async with client.container_view([type_name]) as view:
        return await client.retrieve(view, paths)


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[aiovsphere.Client]:
    async with Simulator(SPEC, task_seconds=0) as sim, aiovsphere.connect(
            sim.url, user="u", password="p") as client:
        yield client


async def test_container_view_of_network_finds_every_network(
        client: aiovsphere.Client) -> None:
    async with client.container_view(["Network"]) as view:
        records = await client.retrieve(view, ["name", "parent", "host", "vm"])
    by_name = {r.name: r for r in records}
    assert sorted(by_name) == sorted([*STANDARD, *PORTGROUPS, "DVS0-DVUplinks-9"])
    assert [by_name[n].obj.type for n in STANDARD] == ["Network"] * 3
    assert {by_name[n].obj.type for n in PORTGROUPS} == {"DistributedVirtualPortgroup"}
    # The default inventory's morefs stay: extra portgroups and networks come after.
    assert by_name["VM Network"].obj.value == "network-7"
    assert by_name["DC0_DVPG0"].obj.value == "dvportgroup-13"
    (dc,) = await client.retrieve(client.content.rootFolder, ["childEntity"])
    (dc_rec,) = await client.retrieve(dc.childEntity[0], ["networkFolder", "network"])
    folder = dc_rec.networkFolder
    (folder_rec,) = await client.retrieve(folder, ["childEntity"])
    children = list(folder_rec.childEntity)
    hosts = [r.obj for r in await of_type(client, "HostSystem", ["name"])]
    assert len(hosts) == 3  # DC0_H0 and the cluster's two
    for name, record in by_name.items():
        assert record.parent == folder, name
        assert record.obj in children, name
        assert record.obj in dc_rec.network, name
        assert sorted(h.value for h in record.host) == sorted(h.value for h in hosts), name
    # The VMs (one per standalone host and per cluster) stay on DC0_DVPG0.
    vms = await of_type(client, "VirtualMachine", ["network"])
    assert len(vms) == 2
    assert sorted(v.value for v in by_name["DC0_DVPG0"].vm) == sorted(v.obj.value for v in vms)
    assert all(tuple(v.network) == (by_name["DC0_DVPG0"].obj,) for v in vms)
    for name in [*STANDARD, "DC0_DVPG1", "DVS0-DVUplinks-9"]:
        assert tuple(by_name[name].vm) == (), name


async def test_hosts_list_every_network(client: aiovsphere.Client) -> None:
    async with client.container_view(["Network"]) as view:
        nets = {r.name: r.obj for r in await client.retrieve(view, ["name"])}
    hosts = await of_type(client, "HostSystem", ["name", "network", "config.network.portgroup"])
    expected = [nets[n] for n in [*STANDARD, "DVS0-DVUplinks-9", *PORTGROUPS]]
    for host in hosts:
        assert list(host.network) == expected, host.name
        assert [pg.spec.name for pg in host["config.network.portgroup"]] == [
            *STANDARD, "Management Network"], host.name
    computes = await of_type(client, "ComputeResource", ["network"])
    assert len(computes) == 2 and all(list(c.network) == expected for c in computes)


async def test_switch_lists_both_portgroups(client: aiovsphere.Client) -> None:
    (switch,) = await of_type(client, "VmwareDistributedVirtualSwitch", [
        "name", "portgroup", "summary.portgroupName", "config.numPorts"])
    assert switch.name == "DVS0"
    pgs = await client.retrieve(list(switch.portgroup), [
        "name", "config.distributedVirtualSwitch", "config.uplink", "portKeys", "key"])
    assert [p.name for p in pgs] == ["DVS0-DVUplinks-9", *PORTGROUPS]
    assert list(switch["summary.portgroupName"]) == [p.name for p in pgs]
    assert all(p["config.distributedVirtualSwitch"] == switch.obj for p in pgs)
    assert [p["config.uplink"] for p in pgs] == [True, False, False]
    assert all(p.key == p.obj.value for p in pgs)
    keys = [k for p in pgs for k in p.portKeys]
    assert len(keys) == len(set(keys)) == switch["config.numPorts"] == 12 + 8 * 2


def test_defaults_are_unchanged() -> None:
    sim = built(InventorySpec())
    nets = sorted((o.ref.value, str(o.props["name"])) for o in [
        *sim.model.of_type("Network"), *sim.model.of_type("DistributedVirtualPortgroup")])
    assert nets == [("dvportgroup-11", "DVS0-DVUplinks-9"), ("dvportgroup-13", "DC0_DVPG0"),
                    ("network-7", "VM Network")]
    spec = InventorySpec()
    assert (spec.networks, spec.portgroups) == (1, 1)


def test_first_morefs_do_not_move() -> None:
    default, more = built(InventorySpec()), built(SPEC)
    for type_name in ("Datacenter", "VmwareDistributedVirtualSwitch"):
        assert [o.ref for o in default.model.of_type(type_name)] == [
            o.ref for o in more.model.of_type(type_name)]
    pgs = {str(o.props["name"]): o.ref.value
           for o in more.model.of_type("DistributedVirtualPortgroup")}
    assert pgs == {"DVS0-DVUplinks-9": "dvportgroup-11", "DC0_DVPG0": "dvportgroup-13",
                   "DC0_DVPG1": "dvportgroup-15"}  # vcsim spends a task id on each


def test_without_a_switch_vms_are_on_vm_network() -> None:
    sim = built(InventorySpec(dvs=False, portgroups=0, networks=2))
    nets = {str(o.props["name"]): o for o in sim.model.of_type("Network")}
    assert sorted(nets) == ["VM Network", "VM Network 1"]
    vms = [o.ref for o in sim.model.of_type("VirtualMachine")]
    assert set(nets["VM Network"].props["vm"]) == set(vms) and len(vms) == 4
    assert nets["VM Network 1"].props["vm"] == ()
    assert not sim.model.of_type("DistributedVirtualPortgroup")
    for host in sim.model.of_type("HostSystem"):
        assert names(sim, host.props["network"]) == ["VM Network", "VM Network 1"]


def test_esx_networks_are_ha_networks() -> None:
    sim = built(InventorySpec(networks=2, portgroups=5), esx=True)
    host = sim.model.get(Ref("HostSystem", "ha-host"))
    assert host is not None
    assert [r.value for r in host.props["network"]] == [
        "HaNetwork-VM Network", "HaNetwork-VM Network 1"]
    assert names(sim, host.props["network"]) == ["VM Network", "VM Network 1"]


@pytest.mark.parametrize("options", [
    {"networks": -1}, {"portgroups": -1}, {"networks": 0}, {"portgroups": 0},
    {"hosts": -2}, {"dvs": False, "portgroups": -1},
])
def test_bad_counts_are_refused(options: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=r"InventorySpec\.\w+ (cannot be negative|must be)"):
        InventorySpec(**options)  # type: ignore[arg-type]


def test_portgroups_may_be_zero_without_a_switch() -> None:
    assert InventorySpec(dvs=False, portgroups=0).portgroups == 0


def test_options_reach_the_inventory() -> None:
    spec = inventory_spec(10, networks=2, portgroups=3)
    assert (spec.networks, spec.portgroups, spec.vm_count) == (2, 3, 10)
    spec = inventory_spec(None, hosts=2, networks=4)
    assert (spec.networks, spec.portgroups, spec.hosts) == (4, 1, 2)
    sim = make_simulator({"networks": 2, "portgroups": 2})
    assert (sim.inventory.networks, sim.inventory.portgroups) == (2, 2)
    with pytest.raises(ValueError, match="networks"):
        inventory_spec(None, networks=-1)


def test_cli_flags() -> None:
    from typer.testing import CliRunner

    from aiovsphere.simulator.__main__ import app

    runner = CliRunner()
    result = runner.invoke(app, ["--help"])
    assert "--networks" in result.output and "--portgroups" in result.output
    for flag in ("--networks", "--portgroups"):
        result = runner.invoke(app, [flag, "0"])
        assert result.exit_code == 2, (flag, result.output)
