"""The inventory-path finder and the SearchIndex lookups against vcsim.

Read-only tests use the shared vcsim (1 datacenter DC0: VMs DC0_H0_VM0-3 and
DC0_C0_RP0_VM0-3 in /DC0/vm; standalone host DC0_H0 and cluster DC0_C0 with hosts
DC0_C0_H0-2 in /DC0/host; datastore LocalDS_0; networks "VM Network", DVS0 and its
portgroups). Renames, new folders and datacenters happen on this module's own vcsim.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere._finder import (
    Finder,
    FoundObject,
    MultipleFoundError,
    NotFoundError,
    find_by_dns_name,
    find_by_inventory_path,
    find_by_ip,
    find_by_uuid,
    find_child,
    inventory_path,
)
from aiovsphere._names import escape_name, unescape_name
from aiovsphere._property import retrieve
from aiovsphere._task import wait_for_task
from aiovsphere._views import ContainerView
from aiovsphere.vim import types as t

Ref = aiovsphere.ManagedObjectReference

H0_VMS = [f"DC0_H0_VM{i}" for i in range(4)]
C0_VMS = [f"DC0_C0_RP0_VM{i}" for i in range(4)]
ALL_VMS = sorted(H0_VMS + C0_VMS)
HOSTS = ["/DC0/host/DC0_C0/DC0_C0_H0", "/DC0/host/DC0_C0/DC0_C0_H1",
         "/DC0/host/DC0_C0/DC0_C0_H2", "/DC0/host/DC0_H0/DC0_H0"]


@pytest.fixture
def finder(observer: aiovsphere.Client) -> Finder:
    return Finder(observer)


def _paths(found: list[FoundObject]) -> list[str]:
    return [f.path for f in found]


async def _names_by_ref(client: aiovsphere.Client, type_: str) -> dict[Ref, str]:
    """Every object of ``type_`` (subtypes included) with its stored name, through a
    ContainerView: an independent view of the inventory to check the finder against."""
    async with ContainerView(client, [type_]) as view:
        return {r.obj: r.name for r in await retrieve(client, view, ["name"])}


def _count_calls(client: aiovsphere.Client) -> tuple[dict[str, int], list[Ref]]:
    """Count the client's calls by method, and collect the objects every
    RetrievePropertiesEx names."""
    calls: dict[str, int] = {}
    read: list[Ref] = []
    original = client.invoke

    async def invoke(ref, method, /, **kwargs):  # type: ignore[no-untyped-def]
        calls[method] = calls.get(method, 0) + 1
        if method == "RetrievePropertiesEx":
            read.extend(o.obj for spec in kwargs["specSet"] for o in spec.objectSet)
        return await original(ref, method, **kwargs)

    client.invoke = invoke  # type: ignore[method-assign]
    return calls, read


# ---------------------------------------------------------------------------- patterns
async def test_vm_folder_pattern_gives_the_eight_vms(finder: Finder,
                                                     observer: aiovsphere.Client) -> None:
    found = await finder.find("/DC0/vm/*")
    assert _paths(found) == [f"/DC0/vm/{n}" for n in ALL_VMS]
    assert [f.name for f in found] == ALL_VMS
    assert {f.type for f in found} == {"VirtualMachine"}
    # The same objects a ContainerView sees, with the same names.
    assert {f.ref: f.name for f in found} == await _names_by_ref(observer, "VirtualMachine")
    assert all(f.ref.type == f.type for f in found)


async def test_a_pattern_in_the_middle_and_at_the_end(finder: Finder) -> None:
    assert _paths(await finder.find("*/DC0_H0_VM*")) == [f"/DC0/vm/{n}" for n in H0_VMS]
    assert _paths(await finder.find("/*/vm/DC0_C0_RP0_VM[13]")) == [
        "/DC0/vm/DC0_C0_RP0_VM1", "/DC0/vm/DC0_C0_RP0_VM3"]
    assert _paths(await finder.find("/DC?/vm/DC0_H0_VM?")) == [f"/DC0/vm/{n}" for n in H0_VMS]
    assert _paths(await finder.find("host/*")) == ["/DC0/host/DC0_C0", "/DC0/host/DC0_H0"]
    assert [f.type for f in await finder.find("host/*")] == ["ClusterComputeResource",
                                                             "ComputeResource"]
    assert _paths(await finder.find("host/*/*")) == [
        *HOSTS[:3], "/DC0/host/DC0_C0/Resources", "/DC0/host/DC0_H0/DC0_H0",
        "/DC0/host/DC0_H0/Resources"]
    # vcsim lists the datastore four times in the folder; the finder once.
    assert _paths(await finder.find("datastore/*")) == ["/DC0/datastore/LocalDS_0"]
    assert _paths(await finder.find("network/*")) == [
        "/DC0/network/DC0_DVPG0", "/DC0/network/DVS0", "/DC0/network/DVS0-DVUplinks-9",
        "/DC0/network/VM Network"]


async def test_relative_bare_and_absolute_paths_agree(finder: Finder) -> None:
    absolute = await finder.find("/DC0/vm/DC0_H0_VM2")
    assert len(absolute) == 1 and absolute[0].name == "DC0_H0_VM2"
    assert await finder.find("vm/DC0_H0_VM2") == absolute
    assert await finder.find("./vm/DC0_H0_VM2/") == absolute
    assert await finder.find("DC0_H0_VM2") == absolute  # a bare name: at any depth
    assert await finder.find("DC0_H0_VM2", type="VirtualMachine") == absolute
    assert await finder.find("//DC0///vm/DC0_H0_VM2") == absolute
    (dc,) = await finder.find("")
    assert (dc.path, dc.name, dc.type) == ("/DC0", "DC0", "Datacenter")
    (root,) = await finder.find("/")
    assert (root.ref, root.path) == (finder.client.content.rootFolder, "/")
    assert _paths(await finder.find("/DC0/host/DC0_C0/DC0_C0_H1")) == [HOSTS[1]]
    assert _paths(await finder.find("DC0_C0_H1")) == [HOSTS[1]]
    # A bare name matches every object of that name, whatever its type.
    assert [(f.path, f.type) for f in await finder.find("DC0_H0")] == [
        ("/DC0/host/DC0_H0", "ComputeResource"), ("/DC0/host/DC0_H0/DC0_H0", "HostSystem")]


async def test_recursion(finder: Finder) -> None:
    assert _paths(await finder.find("/DC0/**", type="VirtualMachine")) == [
        f"/DC0/vm/{n}" for n in ALL_VMS]
    assert _paths(await finder.find("/**/DC0_C0_H1")) == [HOSTS[1]]
    under_vm = await finder.find("/DC0/vm/**")  # ** matches zero levels: the folder too
    assert _paths(under_vm) == ["/DC0/vm", *(f"/DC0/vm/{n}" for n in ALL_VMS)]
    everything = await finder.find("/**")
    assert len(everything) == len({f.ref for f in everything})
    assert {"/", "/DC0", "/DC0/vm", HOSTS[3], "/DC0/network/DVS0"} <= set(_paths(everything))
    assert sum(f.type == "VirtualMachine" for f in everything) == 8


@pytest.mark.parametrize(("type_", "count"), [
    ("VirtualMachine", 8), ("HostSystem", 4), ("Datastore", 1), ("Network", 3),
    ("ResourcePool", 2), ("ClusterComputeResource", 1), ("ComputeResource", 2),
    ("Folder", 4), ("Datacenter", 1), ("DistributedVirtualSwitch", 1),
])
async def test_type_filters_find_what_a_container_view_sees(
    finder: Finder, observer: aiovsphere.Client, type_: str, count: int
) -> None:
    found = await finder.find("*", type=type_)  # everything of the type in the datacenter
    assert len(found) == count
    expected = await _names_by_ref(observer, type_)
    if type_ == "Folder":
        expected.pop(observer.content.rootFolder, None)  # above the datacenter
    assert {f.ref: f.name for f in found} == expected
    assert _paths(found) == sorted(_paths(found))
    assert await finder.find("/**", type=type_) == (
        [(await finder.find("/"))[0], *found] if type_ == "Folder" else found)


async def test_network_covers_portgroups(finder: Finder) -> None:
    found = await finder.find("network/*", type="Network")
    assert [(f.name, f.type) for f in found] == [
        ("DC0_DVPG0", "DistributedVirtualPortgroup"),
        ("DVS0-DVUplinks-9", "DistributedVirtualPortgroup"), ("VM Network", "Network")]
    assert await finder.find("network/*", type="DistributedVirtualPortgroup") == found[:2]
    assert await finder.find("vm/*", type="Network") == []
    both = await finder.find("*", type=["HostSystem", "Datastore"])
    assert [f.type for f in both] == ["Datastore", *["HostSystem"] * 4]


async def test_a_pattern_matching_nothing_gives_an_empty_list(finder: Finder) -> None:
    assert await finder.find("/DC0/vm/nothing*") == []
    assert await finder.find("/NoSuchDC/vm/*") == []
    assert await finder.find("nothing") == []
    assert await finder.find("/DC0/vm/*", type="HostSystem") == []
    assert await finder.find("/DC0/vm/DC0_H0_VM0/x") == []  # below a leaf
    assert await finder.find("/DC0/vm/dc0_h0_vm0") == []  # names are case-sensitive
    assert await finder.virtual_machine_list("nothing*") == []


async def test_bad_arguments(finder: Finder) -> None:
    with pytest.raises(aiovsphere.EncodeError, match="not a managed entity type"):
        await finder.find("*", type="VM")
    with pytest.raises(aiovsphere.EncodeError, match=r"'\.\.'"):
        await finder.find("/DC0/vm/../host")
    with pytest.raises(aiovsphere.EncodeError, match="Datacenter moref"):
        await Finder(finder.client, datacenter=Ref("Folder", "group-d1")).find("vm/*")


# ---------------------------------------------------------------------------- one match
async def test_one_match_helpers(finder: Finder) -> None:
    vm = await finder.virtual_machine("DC0_H0_VM1")
    assert (vm.path, vm.name, vm.type) == ("/DC0/vm/DC0_H0_VM1", "DC0_H0_VM1",
                                           "VirtualMachine")
    assert (await finder.host("DC0_C0_H2")).path == HOSTS[2]
    assert (await finder.host("host/DC0_H0/DC0_H0")).path == HOSTS[3]
    assert (await finder.datastore("LocalDS_0")).path == "/DC0/datastore/LocalDS_0"
    assert (await finder.network("VM Network")).type == "Network"
    assert (await finder.network("DC0_DVPG0")).type == "DistributedVirtualPortgroup"
    assert (await finder.resource_pool("host/DC0_C0/Resources")).path == (
        "/DC0/host/DC0_C0/Resources")
    assert (await finder.cluster("DC0_C0")).path == "/DC0/host/DC0_C0"
    assert (await finder.folder("vm")).path == "/DC0/vm"
    assert (await finder.folder("/")).path == "/"
    dc = await finder.datacenter("DC0")
    assert (dc.path, dc.type) == ("/DC0", "Datacenter")
    assert await finder.datacenter("/DC0") == dc
    assert await finder.one("vm/DC0_H0_VM1") == vm


async def test_one_match_helpers_raise_typed_errors(finder: Finder) -> None:
    with pytest.raises(NotFoundError) as missing:
        await finder.virtual_machine("DC0_H0_VM9")
    assert isinstance(missing.value, aiovsphere.VSphereError)
    assert isinstance(missing.value, LookupError)
    assert (missing.value.path, missing.value.types) == ("DC0_H0_VM9", ("VirtualMachine",))
    with pytest.raises(MultipleFoundError) as several:
        await finder.virtual_machine("DC0_H0_VM*")
    assert isinstance(several.value, aiovsphere.VSphereError)
    assert [f.name for f in several.value.found] == H0_VMS
    assert "4 VirtualMachines" in str(several.value)
    with pytest.raises(MultipleFoundError) as pools:
        await finder.resource_pool("Resources")  # every compute resource has one
    assert _paths(list(pools.value.found)) == ["/DC0/host/DC0_C0/Resources",
                                               "/DC0/host/DC0_H0/Resources"]
    with pytest.raises(NotFoundError):
        await finder.host("DC0_C0")  # a cluster, not a host
    with pytest.raises(NotFoundError):
        await finder.cluster("DC0_H0")  # a standalone ComputeResource, not a cluster
    with pytest.raises(MultipleFoundError):
        await finder.one("DC0_H0")  # the compute resource and its host


async def test_list_helpers(finder: Finder) -> None:
    assert [f.name for f in await finder.virtual_machine_list()] == ALL_VMS
    assert _paths(await finder.host_list()) == HOSTS
    assert _paths(await finder.host_list("host/DC0_C0/*")) == HOSTS[:3]
    assert _paths(await finder.datastore_list()) == ["/DC0/datastore/LocalDS_0"]
    assert len(await finder.network_list()) == 3
    assert len(await finder.resource_pool_list()) == 2
    assert _paths(await finder.cluster_list()) == ["/DC0/host/DC0_C0"]
    assert _paths(await finder.folder_list()) == [
        "/DC0/datastore", "/DC0/host", "/DC0/network", "/DC0/vm"]
    assert _paths(await finder.datacenter_list()) == ["/DC0"]


# ---------------------------------------------------------------------------- costs
async def test_one_retrieve_per_level_not_per_child(vcsim_url: str) -> None:
    async with aiovsphere.connect(vcsim_url, user="finder-calls", password="pw") as client:
        calls, read = _count_calls(client)
        assert len(await Finder(client).find("/DC0/vm/*")) == 8
        # root, DC0, its four folders, the eight VMs: one call each level.
        assert calls == {"RetrievePropertiesEx": 4}
        assert sum(r.type == "VirtualMachine" for r in read) == 8
        assert not any(r.type == "HostSystem" for r in read)  # /DC0/host is not entered
        calls.clear()
        read.clear()
        assert len(await Finder(client).find("/DC0/**", type="HostSystem")) == 4
        # DC0, folders, compute resources, then hosts and pools; the VM folder's
        # children are never read: its childType cannot hold hosts.
        assert calls == {"RetrievePropertiesEx": 5}
        assert not any(r.type == "VirtualMachine" for r in read)
        assert sum(r.type == "HostSystem" for r in read) == 4


# ---------------------------------------------------------------------------- SearchIndex
async def test_search_index_agrees_with_the_finder(finder: Finder,
                                                   observer: aiovsphere.Client) -> None:
    objects = [*await finder.virtual_machine_list(), *await finder.host_list(),
               *await finder.find("*", type=["Datastore", "Network", "Folder",
                                              "ResourcePool", "ComputeResource"])]
    assert len(objects) == 8 + 4 + 1 + 3 + 4 + 2 + 2
    for obj in objects:
        assert await find_by_inventory_path(observer, obj.path) == obj.ref, obj.path
        assert await inventory_path(observer, obj.ref) == obj.path
        parent_path, _, _ = obj.path.rpartition("/")
        parent = await find_by_inventory_path(observer, parent_path)
        assert parent is not None
        assert await find_child(observer, parent, obj.name) == obj.ref
        assert await find_child(observer, observer.mo(parent), obj.name) == obj.ref
    assert await inventory_path(observer, observer.content.rootFolder) == "/"
    assert await find_by_inventory_path(observer, "/DC0/vm/nothing") is None
    vm_folder = (await finder.folder("vm")).ref
    assert await find_child(observer, vm_folder, "nothing") is None
    assert await finder.find_by_inventory_path("vm/DC0_H0_VM3") == (
        await finder.virtual_machine("DC0_H0_VM3")).ref
    assert await finder.find_child(vm_folder, "DC0_H0_VM3") == (
        await finder.virtual_machine("DC0_H0_VM3")).ref
    assert await finder.inventory_path(vm_folder) == "/DC0/vm"


async def test_find_by_uuid(finder: Finder, observer: aiovsphere.Client) -> None:
    vms = await finder.virtual_machine_list()
    records = await retrieve(observer, [v.ref for v in vms],
                             ["config.uuid", "config.instanceUuid"])
    for vm, rec in zip(vms, records, strict=True):
        uuid, instance = rec["config.uuid"], rec["config.instanceUuid"]
        assert uuid != instance
        assert await find_by_uuid(observer, uuid) == vm.ref
        assert await find_by_uuid(observer, instance, instance_uuid=True) == vm.ref
        assert await find_by_uuid(observer, instance) is None
        assert await finder.find_by_uuid(uuid) == vm.ref
    dc = (await finder.datacenter("DC0")).ref
    assert await find_by_uuid(observer, records[0]["config.uuid"], datacenter=dc) == vms[0].ref
    assert await Finder(observer, datacenter="DC0").find_by_uuid(
        records[1]["config.uuid"]) == vms[1].ref
    hosts = await finder.host_list()
    for host in hosts:
        uuid = (await observer.get_properties(host.ref, ["summary.hardware.uuid"]))[
            "summary.hardware.uuid"]
        assert await find_by_uuid(observer, uuid, vm_search=False) == host.ref
        assert await find_by_uuid(observer, uuid) is None  # not a VM's
    assert await find_by_uuid(observer, "00000000-0000-0000-0000-000000000000") is None


async def test_find_hosts_by_ip_and_dns_name(finder: Finder,
                                             observer: aiovsphere.Client) -> None:
    hosts = {h.ref for h in await finder.host_list()}
    # Every vcsim host's vmk0 is 127.0.0.1; the API answers one of them.
    assert await find_by_ip(observer, "127.0.0.1", vm_search=False) in hosts
    assert await finder.find_by_ip("127.0.0.1", vm_search=False) in hosts
    assert await find_by_ip(observer, "127.0.0.1") is None  # no VM has it
    assert await find_by_ip(observer, "192.0.2.1", vm_search=False) is None
    assert await find_by_dns_name(observer, "no-such-host.example", vm_search=False) is None
    assert await finder.find_by_dns_name("no-such-vm.example") is None


async def test_the_datacenter_by_moref_name_or_path(observer: aiovsphere.Client) -> None:
    dc = await Finder(observer).datacenter("DC0")
    for arg in (dc.ref, observer.mo(dc.ref), "DC0", "/DC0", "DC*"):
        f = Finder(observer, datacenter=arg)
        assert await f.default_datacenter() == dc
        assert _paths(await f.find("vm/DC0_H0_VM0")) == ["/DC0/vm/DC0_H0_VM0"]
    with pytest.raises(NotFoundError, match="no datacenter matches 'DC9'"):
        await Finder(observer, datacenter="DC9").find("vm/*")
    # Absolute paths need no datacenter at all.
    assert len(await Finder(observer, datacenter="DC9").find("/DC0/vm/*")) == 8


# ---------------------------------------------------------------------------- private vcsim
@pytest.fixture(scope="module")
async def client(private_vcsim: Any) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(private_vcsim.url, user="finder", password="pw") as c:
        yield c


async def _rename(client: aiovsphere.Client, ref: Ref, name: str) -> None:
    """Rename as vCenter expects it: the client escapes (``%`` must be; vcsim escapes
    nothing, so ``/`` and ``\\`` must be too, and then it stores what vCenter stores)."""
    await wait_for_task(client, await client.mo(ref).Rename_Task(newName=escape_name(name)))


NEW_NAMES = ["a/b", "100%", "back\\slash", "R&D <test>", "Größe-虚拟机"]
PATTERNS = ["a?b", "100*", "back*slash", "R&D <*>", "Größe-*"]


async def test_vcsim_stores_names_verbatim(client: aiovsphere.Client) -> None:
    finder = Finder(client, datacenter="DC0")
    vm = await finder.virtual_machine("DC0_C0_RP0_VM3")
    await wait_for_task(client, await client.mo(vm.ref).Rename_Task(newName="x%y"))
    # vCenter would store "x%25y"; vcsim keeps what it was sent, so tests send it escaped.
    assert (await client.get_properties(vm.ref, ["name"]))["name"] == "x%y"
    (found,) = await finder.find("vm/x%y")
    assert (found.ref, found.name, found.path) == (vm.ref, "x%y", "/DC0/vm/x%y")
    await _rename(client, vm.ref, "DC0_C0_RP0_VM3")


async def test_names_with_special_characters_round_trip(client: aiovsphere.Client) -> None:
    finder = Finder(client, datacenter="DC0")
    vms = [(await finder.virtual_machine(n)).ref for n in H0_VMS + C0_VMS[:1]]
    vm_folder = (await finder.folder("vm")).ref
    for ref, name, pattern in zip(vms, NEW_NAMES, PATTERNS, strict=True):
        await _rename(client, ref, name)
        stored = (await client.get_properties(ref, ["name"]))["name"]
        assert stored == escape_name(name)  # what vCenter stores
        assert unescape_name(stored) == name
        # By its unescaped name: in a path (a "/" in it spans components), alone, or as
        # a bare name written escaped (a bare name has no "/").
        found = await finder.one(f"vm/{name}", type="VirtualMachine")
        assert (found.ref, found.name, found.type) == (ref, name, "VirtualMachine")
        assert found.path == f"/DC0/vm/{escape_name(name)}"
        assert await finder.find_by_name(name) == [found]
        assert await finder.find_by_name(name, type="HostSystem") == []
        assert await finder.virtual_machine(escape_name(name)) == found
        if "/" not in name:
            assert await finder.virtual_machine(name) == found
        assert await finder.find(f"vm/{pattern}") == [found]
        assert await finder.find(f"/DC0/vm/{pattern}", type="VirtualMachine") == [found]
        assert await finder.find(found.path) == [found]  # the path finds it again
        assert await finder.find(f"vm/{escape_name(name)}") == [found]  # escaped input
        assert await find_by_inventory_path(client, found.path) == ref
        assert await inventory_path(client, ref) == found.path
        assert await find_child(client, vm_folder, name) == ref
        assert await finder.find_child(vm_folder, name) == ref
    everything = {f.name for f in await finder.virtual_machine_list()}
    assert everything == {*NEW_NAMES, *C0_VMS[1:]}
    # A name's own "/" never splits a path: "a" and "b" are not objects.
    assert await finder.find("vm/a") == []
    assert await finder.find("vm/a/b/c") == []
    assert await finder.find_by_name("a") == []
    assert [f.name for f in await finder.find("vm/a*/b")] == ["a/b"]
    assert await finder.find("vm/a%2fb/*") == []  # a VM has no children
    assert await find_by_inventory_path(client, "/DC0/vm/a/b") is None
    # Components spanning a name's "/" are patterns too: vm/*/* is a VM named "x/y".
    assert [f.name for f in await finder.find("vm/*/*")] == ["a/b"]
    # "100%" typed as is, or escaped, finds the same VM; "%25" alone does not.
    assert (await finder.virtual_machine("100%25")).name == "100%"
    assert await finder.find("%25") == []
    # Glob characters taken literally.
    assert [f.name for f in await finder.find("vm/R&D <[t]est>")] == ["R&D <test>"]


async def test_nested_folders_and_several_datacenters(client: aiovsphere.Client) -> None:
    base = Finder(client, datacenter="DC0")
    vm_folder = (await base.folder("vm")).ref
    sub = await client.mo(vm_folder).CreateFolder(name=escape_name("Team/Ops"))
    deeper = await client.mo(sub).CreateFolder(name="Deep")
    vm = await base.virtual_machine("DC0_C0_RP0_VM1")
    await wait_for_task(client, await client.mo(deeper).MoveIntoFolder_Task(list=[vm.ref]))
    moved = await base.virtual_machine("DC0_C0_RP0_VM1")  # found at any depth
    assert moved.path == "/DC0/vm/Team%2fOps/Deep/DC0_C0_RP0_VM1"
    assert await inventory_path(client, vm.ref) == moved.path
    assert await find_by_inventory_path(client, moved.path) == vm.ref
    assert await base.find("vm/Team%2fOps/*/*") == [moved]
    assert await base.find("vm/Team*/Deep/DC0_C0_RP0_VM?") == [moved]
    assert await base.find("/DC0/vm/**/DC0_C0_RP0_VM1") == [moved]
    assert moved not in await base.find("vm/*")
    assert _paths(await base.folder_list("vm/**")) == [
        "/DC0/vm", "/DC0/vm/Team%2fOps", "/DC0/vm/Team%2fOps/Deep"]
    assert (await base.folder("Team%2fOps")).ref == sub
    assert [f.ref for f in await base.find_by_name("Team/Ops")] == [sub]

    # A second datacenter at the root, a third inside a folder.
    await client.mo(client.content.rootFolder).CreateDatacenter(name="DC1")
    group = await client.mo(client.content.rootFolder).CreateFolder(name="Group")
    dc2 = await client.mo(group).CreateDatacenter(name="DC2")
    assert _paths(await base.datacenter_list()) == ["/DC0", "/DC1", "/Group/DC2"]
    assert (await base.datacenter("DC2")).ref == dc2
    with pytest.raises(MultipleFoundError, match="3 datacenters") as several:
        await Finder(client).find("vm/*")
    assert len(several.value.found) == 3
    # Absolute paths need no datacenter.
    assert len(await Finder(client).find("/DC0/vm/*", type="VirtualMachine")) == 7
    in_group = Finder(client, datacenter=dc2)
    assert (await in_group.folder("vm")).path == "/Group/DC2/vm"
    assert await in_group.virtual_machine_list() == []
    assert _paths(await Finder(client, datacenter="Group/DC2").find("*", type="Folder")) == [
        "/Group/DC2/datastore", "/Group/DC2/host", "/Group/DC2/network", "/Group/DC2/vm"]
    assert await inventory_path(client, dc2) == "/Group/DC2"
    assert (await base.virtual_machine("DC0_C0_RP0_VM1")).ref == vm.ref  # DC0 still
    with pytest.raises(faults.ManagedObjectNotFound):
        await inventory_path(client, Ref("VirtualMachine", "vm-999999"))


async def test_vms_by_guest_ip_and_dns_name(client: aiovsphere.Client) -> None:
    finder = Finder(client, datacenter="DC0")
    vm = await finder.virtual_machine("DC0_C0_RP0_VM2")
    # vcsim's hook for guest info: extraConfig keys "SET.<property path>".
    spec = t.VirtualMachineConfigSpec(extraConfig=(
        t.OptionValue(key="SET.guest.ipAddress", value="192.0.2.42"),
        t.OptionValue(key="SET.guest.hostName", value="vm42.example.com"),
    ))
    await wait_for_task(client, await client.mo(vm.ref).ReconfigVM_Task(spec=spec))
    assert await find_by_ip(client, "192.0.2.42") == vm.ref
    assert await finder.find_by_ip("192.0.2.42") == vm.ref
    assert await find_by_ip(client, "192.0.2.42", vm_search=False) is None
    assert await find_by_dns_name(client, "vm42.example.com") == vm.ref
    assert await finder.find_by_dns_name("vm42.example.com") == vm.ref
    assert await find_by_dns_name(client, "vm43.example.com") is None
