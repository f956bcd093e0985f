"""The simulator's ViewManager: ContainerView containment (recursive or not, subtype
matching), ListView editing, InventoryView, DestroyView, and views as session objects
(listed in ``viewList``, invisible to other sessions, gone with the session)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._model import SimObject
from aiovsphere.simulator._service import ROOT_FOLDER
from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as Ref

from .test_property_collector import TINY, Lab, build_lab, session_of


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(TINY) as sim:
        yield sim


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        yield client


@pytest.fixture
def lab(sim: Simulator) -> Lab:
    return build_lab(sim)


def vm(client: aiovsphere.Client) -> Ref:
    return client.service("viewManager")


async def container_view(client: aiovsphere.Client, container: Ref, types: tuple[str, ...],
                         recursive: bool) -> Ref:
    ref: Ref = await client.invoke(vm(client), "CreateContainerView", container=container,
                                   type=types, recursive=recursive)
    return ref


async def view_of(client: aiovsphere.Client, view: Ref) -> tuple[Ref, ...]:
    props = await client.get_properties(view, ["view"])
    return tuple(props.get("view") or ())


# ---------------------------------------------------------------------------- ContainerView
async def test_recursive_container_view_holds_each_object_once(
        client: aiovsphere.Client, lab: Lab) -> None:
    view = await container_view(client, lab.folder, ("VirtualMachine",), True)
    objects = await view_of(client, view)
    assert sorted(o.value for o in objects) == sorted(v.value for v in lab.vms)
    assert len(objects) == len(set(objects))  # VMs hang under folders, pools and hosts
    everything = await view_of(client, await container_view(client, lab.folder, (), True))
    assert set(everything) == set(lab.entities) - {lab.folder}


async def test_non_recursive_container_view_holds_direct_children(
        client: aiovsphere.Client, lab: Lab) -> None:
    children = await view_of(client, await container_view(client, lab.vm_folder, (), False))
    assert children == (*lab.vms[:2], lab.sub)
    of_dc = await view_of(client, await container_view(client, lab.dc, (), False))
    assert of_dc == (lab.vm_folder, lab.host_folder, lab.ds_folder, lab.net_folder)
    of_cluster = await view_of(client, await container_view(client, lab.cluster, (), False))
    assert of_cluster == (*lab.hosts, lab.pools[0])
    of_pool = await view_of(client, await container_view(client, lab.pools[0], (), False))
    assert of_pool == (lab.pools[1], *lab.vms[:2])
    of_host = await view_of(client, await container_view(client, lab.hosts[1], (), False))
    assert of_host == tuple(lab.vms[1::2])


async def test_container_view_types_match_subtypes(client: aiovsphere.Client,
                                                   sim: Simulator, lab: Lab) -> None:
    pg = Ref("DistributedVirtualPortgroup", "dvportgroup-9")
    sim.model.add(SimObject(pg, {"name": "pg"}))
    sim.model.set(lab.net_folder, "childEntity", (lab.net, pg))
    compute = await view_of(client, await container_view(
        client, lab.folder, ("ComputeResource",), True))
    assert compute == (lab.cluster,)
    networks = await view_of(client, await container_view(client, lab.folder,
                                                          ("Network",), True))
    assert networks == (lab.net, pg)
    several = await view_of(client, await container_view(
        client, lab.folder, ("HostSystem", "Datastore"), True))
    assert set(several) == {*lab.hosts, lab.ds}


async def test_container_view_arguments_are_checked(client: aiovsphere.Client,
                                                    lab: Lab) -> None:
    with pytest.raises(faults.InvalidArgument) as info:
        await container_view(client, lab.vms[0], (), True)
    assert info.value.fault.invalidProperty == "container"
    with pytest.raises(faults.InvalidArgument) as info:
        await container_view(client, lab.folder, ("NoSuchType",), True)
    assert info.value.fault.invalidProperty == "type"
    with pytest.raises(faults.InvalidArgument):
        await container_view(client, lab.folder, ("PropertyCollector",), True)
    with pytest.raises(faults.ManagedObjectNotFound):
        await container_view(client, Ref("Folder", "group-404"), (), True)


async def test_container_view_follows_the_inventory(client: aiovsphere.Client,
                                                    sim: Simulator, lab: Lab) -> None:
    view = await container_view(client, lab.folder, ("VirtualMachine",), True)
    props = await client.get_properties(view, ["container", "type", "recursive"])
    assert props == {"container": lab.folder, "type": ("VirtualMachine",), "recursive": True}
    fresh = Ref("VirtualMachine", "vm-fresh")
    sim.model.add(SimObject(fresh, {"name": "fresh"}))
    sim.model.set(lab.sub, "childEntity", (*lab.vms[2:], fresh))
    assert fresh in await view_of(client, view)
    sim.model.remove(lab.vms[0])
    sim.model.set(lab.vm_folder, "childEntity", (lab.vms[1], lab.sub))
    after = await view_of(client, view)
    assert lab.vms[0] not in after and len(after) == 4


async def test_watch_through_a_container_view(client: aiovsphere.Client, sim: Simulator,
                                              lab: Lab) -> None:
    seen = []
    fresh = Ref("VirtualMachine", "vm-fresh")
    async with asyncio.timeout(10), client.container_view(
            ["VirtualMachine"], container=lab.folder) as view, contextlib.aclosing(
            client.watch(view, ["name"])) as changes:
        async for change in changes:
            seen.append((change.kind, change.obj))
            if len(seen) == 4:
                sim.model.add(SimObject(fresh, {"name": "fresh"}))
                sim.model.set(lab.sub, "childEntity", (*lab.vms[2:], fresh))
            elif len(seen) == 5:
                sim.model.set(lab.sub, "childEntity", tuple(lab.vms[2:]))
            elif len(seen) == 6:
                break
    assert seen[:4] == [("enter", v) for v in lab.vms]
    assert seen[4:] == [("enter", fresh), ("leave", fresh)]


# ---------------------------------------------------------------------------- ListView
async def test_list_view_modify_and_reset(client: aiovsphere.Client, sim: Simulator,
                                          lab: Lab) -> None:
    gone = Ref("VirtualMachine", "vm-404")
    async with client.list_view(lab.vms[:2]) as view:
        assert await view.objects() == tuple(lab.vms[:2])
        not_added = await view.modify(add=[lab.vms[2], gone, lab.vms[1]], remove=[lab.vms[0]])
        assert not_added == (gone,)
        assert await view.objects() == (lab.vms[1], lab.vms[2])
        assert await view.reset([lab.vms[3], gone, lab.ds]) == (gone,)
        assert await view.objects() == (lab.vms[3], lab.ds)
        sim.model.remove(lab.ds)  # a destroyed object drops out of the view
        assert await view.objects() == (lab.vms[3],)
        ref = view.ref
    assert ref not in sim.model  # DestroyView on exit


async def test_list_view_of_a_missing_object_faults(client: aiovsphere.Client,
                                                    lab: Lab) -> None:
    with pytest.raises(faults.ManagedObjectNotFound) as info:
        await client.invoke(vm(client), "CreateListView",
                            obj=(lab.vms[0], Ref("VirtualMachine", "vm-404")))
    assert info.value.fault.obj == Ref("VirtualMachine", "vm-404")


async def test_list_view_from_view(client: aiovsphere.Client, lab: Lab) -> None:
    source = await container_view(client, lab.sub, ("VirtualMachine",), False)
    copy = await client.invoke(vm(client), "CreateListViewFromView", view=source)
    assert await view_of(client, copy) == tuple(lab.vms[2:])
    other = await container_view(client, lab.cluster, ("HostSystem",), False)
    await client.invoke(copy, "ResetListViewFromView", view=other)
    assert await view_of(client, copy) == tuple(lab.hosts)


async def test_watch_follows_a_list_view(client: aiovsphere.Client, lab: Lab) -> None:
    seen = []
    async with asyncio.timeout(10), client.list_view(lab.vms[:1]) as view, \
            contextlib.aclosing(client.watch(view, ["name"], type="VirtualMachine")) as changes:
        async for change in changes:
            seen.append((change.kind, change.obj))
            if len(seen) == 1:
                await view.modify(add=[lab.vms[1]])
            elif len(seen) == 2:
                await view.modify(remove=[lab.vms[0]])
            else:
                break
    assert seen == [("enter", lab.vms[0]), ("enter", lab.vms[1]), ("leave", lab.vms[0])]


# ---------------------------------------------------------------------------- InventoryView
async def test_inventory_view_opens_and_closes_folders(client: aiovsphere.Client,
                                                       lab: Lab) -> None:
    view = await client.invoke(vm(client), "CreateInventoryView")
    assert await view_of(client, view) == (ROOT_FOLDER,)
    failed = await client.invoke(view, "OpenInventoryViewFolder",
                                 entity=(lab.folder, lab.dc, lab.vms[0]))
    assert failed == (lab.vms[0],)  # a VM holds nothing
    assert await view_of(client, view) == (
        ROOT_FOLDER, lab.folder, lab.dc, lab.vm_folder, lab.host_folder, lab.ds_folder,
        lab.net_folder)
    assert await client.invoke(view, "CloseInventoryViewFolder",
                               entity=(lab.dc, lab.sub)) == (lab.sub,)
    assert await view_of(client, view) == (ROOT_FOLDER, lab.folder, lab.dc)


# ---------------------------------------------------------------------------- sessions
async def test_views_belong_to_their_session(client: aiovsphere.Client, sim: Simulator,
                                             lab: Lab) -> None:
    mine = await container_view(client, lab.folder, (), True)
    listed = await client.invoke(vm(client), "CreateListView", obj=(lab.vms[0],))
    assert mine.value.startswith(f"session[{session_of(sim, client).key}]")
    assert await client.get_properties(vm(client), ["viewList"]) == {"viewList": (mine, listed)}
    async with aiovsphere.connect(sim.url, user="other", password="pw") as other:
        theirs = await container_view(other, lab.folder, (), True)
        assert await other.get_properties(vm(other), ["viewList"]) == {"viewList": (theirs,)}
        with pytest.raises(faults.ManagedObjectNotFound):
            await other.get_properties(mine, ["view"])
        with pytest.raises(faults.ManagedObjectNotFound):
            await other.invoke(mine, "DestroyView")
        with pytest.raises(faults.ManagedObjectNotFound):
            await other.retrieve(mine, ["name"], type="VirtualMachine")
    await client.invoke(listed, "DestroyView")
    assert await client.get_properties(vm(client), ["viewList"]) == {"viewList": (mine,)}
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.get_properties(listed, ["view"])


async def test_views_go_when_the_session_ends(sim: Simulator, lab: Lab) -> None:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        key = session_of(sim, client).key
        refs: list[Any] = [
            await container_view(client, lab.folder, (), True),
            await client.invoke(vm(client), "CreateListView", obj=(lab.vms[0],)),
            await client.invoke(vm(client), "CreateInventoryView"),
        ]
        assert all(r in sim.model for r in refs)
    assert not any(r in sim.model for r in refs)  # logged out
    assert [o for o in sim.model if o.owner == key] == []


async def test_retrieve_through_views_with_typed_paths(client: aiovsphere.Client,
                                                       lab: Lab) -> None:
    async with client.container_view(["HostSystem", "VirtualMachine"],
                                     container=lab.folder) as view:
        records = await client.retrieve(view, {"HostSystem": ["name", "vm"],
                                               "VirtualMachine": ["name"]})
    names = {r.obj: r.name for r in records}
    assert names[lab.hosts[0]] == "H0" and names[lab.vms[3]] == "VM3"
    host = next(r for r in records if r.obj == lab.hosts[1])
    assert host.vm == tuple(lab.vms[1::2])
    assert isinstance(host.vm, tuple) and all(isinstance(v, t.ManagedObjectReference)
                                              for v in host.vm)
