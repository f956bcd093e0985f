"""The simulator's SearchIndex: inventory paths (escaped names, slashes ignored where
vCenter ignores them), FindChild's children, UUIDs, IPs, DNS names, datastore paths, the
datacenter limit; through the aiovsphere client's finder helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere._finder import (
    find_by_dns_name,
    find_by_inventory_path,
    find_by_ip,
    find_by_uuid,
    find_child,
)
from aiovsphere.objects import Folder
from aiovsphere.simulator import Simulator
from aiovsphere.vim._moref import ManagedObjectReference as Ref

SI = Ref("SearchIndex", "SearchIndex")


@pytest.fixture(scope="module")
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=5) as sim:
        yield sim


@pytest.fixture(scope="module")
async def client(sim: Simulator) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        yield client


async def path(client: aiovsphere.Client, p: str) -> Ref:
    ref = await find_by_inventory_path(client, p)
    assert ref is not None, p
    return ref


async def test_inventory_paths(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = await path(client, "/DC0/vm/DC0_H0_VM0")
    assert vm.type == "VirtualMachine"
    assert (await client.get_properties(vm, ["name"]))["name"] == "DC0_H0_VM0"
    # Leading, trailing and doubled slashes are ignored.
    for same in ("DC0/vm/DC0_H0_VM0", "/DC0/vm/DC0_H0_VM0/", "//DC0//vm/DC0_H0_VM0"):
        assert await find_by_inventory_path(client, same) == vm
    dc = await path(client, "/DC0")
    assert dc.type == "Datacenter"
    host = await path(client, "/DC0/host/DC0_C0/DC0_C0_H0")
    assert host.type == "HostSystem"
    standalone = await path(client, "/DC0/host/DC0_H0/DC0_H0")
    assert standalone.type == "HostSystem"
    pool = await path(client, "/DC0/host/DC0_C0/Resources")
    assert pool.type == "ResourcePool"
    assert (await path(client, "/DC0/network/VM Network")).type == "Network"
    assert (await path(client, "/DC0/datastore/LocalDS_0")).type == "Datastore"
    # A VM is reached through the VM folders, not through its pool.
    assert await find_by_inventory_path(client, "/DC0/host/DC0_C0/Resources/"
                                                "DC0_C0_RP0_VM0") is None
    for missing in ("/DC1", "/DC0/vm/nope", "/DC0/vm/DC0_H0_VM0/deeper", "", "/"):
        assert await find_by_inventory_path(client, missing) is None


async def test_escaped_names(sim: Simulator, client: aiovsphere.Client) -> None:
    vm_folder = Folder(client, await path(client, "/DC0/vm"))
    odd = await vm_folder.create_folder("a/b 100%")
    assert (await client.get_properties(odd.ref, ["name"]))["name"] == "a%2fb 100%25"
    assert await find_by_inventory_path(client, "/DC0/vm/a%2fb 100%25") == odd.ref
    assert await find_by_inventory_path(client, "/DC0/vm/a%2Fb 100%25") == odd.ref
    assert await find_by_inventory_path(client, "/DC0/vm/a/b 100%") is None  # "/" splits
    assert await find_child(client, vm_folder.ref, "a/b 100%") == odd.ref
    found = await client.finder().folder("vm/a%2fb 100%25")
    assert found.ref == odd.ref and found.name == "a/b 100%"
    assert found.path == "/DC0/vm/a%2fb 100%25"


async def test_find_child(sim: Simulator, client: aiovsphere.Client) -> None:
    dc = await path(client, "/DC0")
    folders = {name: await find_child(client, dc, name)
               for name in ("vm", "host", "datastore", "network")}
    props = await client.get_properties(dc, ["vmFolder", "hostFolder", "datastoreFolder",
                                             "networkFolder"])
    assert folders == {"vm": props["vmFolder"], "host": props["hostFolder"],
                       "datastore": props["datastoreFolder"],
                       "network": props["networkFolder"]}
    cluster = await path(client, "/DC0/host/DC0_C0")
    assert await find_child(client, cluster, "DC0_C0_H2") == await path(
        client, "/DC0/host/DC0_C0/DC0_C0_H2")
    pool = await find_child(client, cluster, "Resources")
    assert pool is not None and pool.type == "ResourcePool"
    vm = await find_child(client, pool, "DC0_C0_RP0_VM0")  # a pool's VMs are children
    assert vm == await path(client, "/DC0/vm/DC0_C0_RP0_VM0")
    assert await find_child(client, cluster, "nope") is None
    assert await find_child(client, vm, "anything") is None  # a VM has no children
    with pytest.raises(faults.ManagedObjectNotFound):
        await find_child(client, Ref("Folder", "group-v424242"), "x")


async def test_find_by_uuid(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = await path(client, "/DC0/vm/DC0_C0_RP0_VM1")
    props = await client.get_properties(vm, ["config.uuid", "config.instanceUuid"])
    uuid, instance = props["config.uuid"], props["config.instanceUuid"]
    assert uuid != instance
    assert await find_by_uuid(client, uuid) == vm
    assert await find_by_uuid(client, uuid.upper()) == vm
    assert await find_by_uuid(client, instance, instance_uuid=True) == vm
    assert await find_by_uuid(client, instance) is None  # not a BIOS UUID
    assert await client.invoke(SI, "FindAllByUuid", uuid=uuid, vmSearch=True) == (vm,)
    host = await path(client, "/DC0/host/DC0_C0/DC0_C0_H1")
    host_uuid = (await client.get_properties(host, ["hardware.systemInfo.uuid"]))[
        "hardware.systemInfo.uuid"]
    assert await find_by_uuid(client, host_uuid, vm_search=False) == host
    assert await find_by_uuid(client, host_uuid) is None
    dc = await path(client, "/DC0")
    assert await find_by_uuid(client, uuid, datacenter=dc) == vm
    other = await Folder(client, client.content.rootFolder).create_datacenter("Elsewhere")
    assert await find_by_uuid(client, uuid, datacenter=other.ref) is None
    with pytest.raises(faults.ManagedObjectNotFound):
        await find_by_uuid(client, uuid, datacenter=Ref("Datacenter", "datacenter-424242"))


async def test_find_by_ip_and_dns_name(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = await path(client, "/DC0/vm/DC0_H0_VM1")
    props = await client.get_properties(vm, ["guest.ipAddress", "guest.hostName"])
    ip, name = props["guest.ipAddress"], props["guest.hostName"]
    assert ip and name
    assert await find_by_ip(client, ip) == vm
    assert await client.invoke(SI, "FindAllByIp", ip=ip, vmSearch=True) == (vm,)
    assert await find_by_ip(client, "192.0.2.123") is None
    assert await find_by_dns_name(client, name) == vm
    assert await find_by_dns_name(client, name.upper()) == vm
    assert await client.invoke(SI, "FindAllByDnsName", dnsName=name, vmSearch=True) == (vm,)
    host = await path(client, "/DC0/host/DC0_H0/DC0_H0")
    network = (await client.get_properties(host, ["config.network"]))["config.network"]
    host_ip = network.vnic[0].spec.ip.ipAddress
    assert await find_by_ip(client, host_ip, vm_search=False) == host
    assert await find_by_ip(client, host_ip) is None
    dns = network.dnsConfig
    hosts = {o.ref for o in sim.model.of_type("HostSystem")}
    same_name = {o.ref for o in sim.model.of_type("HostSystem")
                 if o.props["config"].network.dnsConfig.hostName == dns.hostName}
    assert host in same_name
    assert set(await client.invoke(SI, "FindAllByDnsName", dnsName=dns.hostName,
                                   vmSearch=False)) == same_name
    fqdn = f"{dns.hostName}.{dns.domainName}"
    assert await find_by_dns_name(client, fqdn, vm_search=False) in same_name
    assert await client.invoke(SI, "FindAllByDnsName", dnsName="no.such.host",
                               vmSearch=False) == ()
    assert hosts >= same_name


async def test_find_by_datastore_path(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = await path(client, "/DC0/vm/DC0_C0_RP0_VM0")
    vmx = (await client.get_properties(vm, ["config.files.vmPathName"]))[
        "config.files.vmPathName"]
    assert vmx.startswith("[LocalDS_0] ")
    dc = await path(client, "/DC0")
    assert await client.invoke(SI, "FindByDatastorePath", datacenter=dc, path=vmx) == vm
    assert await client.invoke(SI, "FindByDatastorePath", datacenter=dc,
                               path="[LocalDS_0] nothing/here.vmx") is None
    with pytest.raises(faults.InvalidDatastore) as unknown:
        await client.invoke(SI, "FindByDatastorePath", datacenter=dc, path="[nope] a/a.vmx")
    assert not isinstance(unknown.value, faults.InvalidDatastorePath)
    with pytest.raises(faults.InvalidDatastorePath):
        await client.invoke(SI, "FindByDatastorePath", datacenter=dc, path="no brackets")
