"""retrieve() and the views against vcsim: typed per-object records, moref lists and views,
missingSet modes, and views destroyed on every exit path."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import aiovsphere
from aiovsphere import ManagedObjectReference, ObjectRecord, faults
from aiovsphere.vim import types as t
from tools.vcsim.launcher import Vcsim

VM_NAMES = {f"DC0_H0_VM{i}" for i in range(4)} | {f"DC0_C0_RP0_VM{i}" for i in range(4)}
HOST_NAMES = {"DC0_H0", "DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"}


@pytest.fixture(scope="module")
async def client(vcsim_url: str) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(vcsim_url, user="retriever", password="pw") as c:
        yield c


@pytest.fixture(scope="module")
async def vms(client: aiovsphere.Client) -> list[ManagedObjectReference]:
    """The shared vcsim's 8 VMs, in moref order."""
    async with client.container_view(["VirtualMachine"]) as view:
        refs = await view.objects()
    assert len(refs) == 8
    return sorted(refs, key=lambda r: int(r.value.split("-")[1]))


async def _names(client: aiovsphere.Client, refs: list[ManagedObjectReference]) -> list[str]:
    return [(await client.get_properties(r, ["name"]))["name"] for r in refs]


async def _gone(client: aiovsphere.Client, view: ManagedObjectReference) -> bool:
    try:
        await client.get_properties(view, ["view"])
    except faults.ManagedObjectNotFound:
        return True
    return False


# ------------------------------------------------------------------ sources
async def test_moref_list_in_input_order_duplicates_once_proxies_accepted(
    client: aiovsphere.Client, vms: list[ManagedObjectReference]
) -> None:
    source = [vms[3], vms[0], client.mo(vms[5]), vms[0], client.mo(vms[3])]
    records = await client.retrieve(source, ["name", "runtime.powerState"])
    assert [r.obj for r in records] == [vms[3], vms[0], vms[5]]
    assert [r.name for r in records] == await _names(client, [vms[3], vms[0], vms[5]])
    assert all(r.runtime.powerState == "poweredOn" for r in records)
    assert all(isinstance(r, ObjectRecord) and set(r) == {"name", "runtime.powerState"}
               for r in records)
    # One moref, or one proxy, alone.
    (one,) = await client.retrieve(vms[2], ["name"])
    (same,) = await client.retrieve(client.mo(vms[2]), ["name"])
    assert one == same and one.obj == vms[2]
    assert one.name == (await _names(client, [vms[2]]))[0]


async def test_container_view_object_and_view_moref_with_type(
    client: aiovsphere.Client, vms: list[ManagedObjectReference]
) -> None:
    expected = dict(zip(vms, await _names(client, vms), strict=True))
    async with client.container_view(["VirtualMachine"]) as view:
        by_object = await client.retrieve(view, ["name"])  # the view's own types
        by_moref = await client.retrieve(view.ref, ["name"], type="VirtualMachine")
        hosts = await client.retrieve(view.ref, ["name"], type="HostSystem")
    assert {r.obj: r.name for r in by_object} == expected
    assert len(by_object) == 8 and set(expected.values()) == VM_NAMES
    assert by_moref == by_object
    assert hosts == []  # a VirtualMachine view holds no hosts


async def test_list_view(client: aiovsphere.Client, vms: list[ManagedObjectReference]) -> None:
    async with client.list_view([vms[1], client.mo(vms[6])]) as view:
        records = await client.retrieve(view, ["name"], type="VirtualMachine")
        mapped = await client.retrieve(view, {"VirtualMachine": ["runtime.powerState"]})
    assert {r.obj for r in records} == {vms[1], vms[6]}
    assert {r.obj: r.name for r in records} == dict(
        zip([vms[1], vms[6]], await _names(client, [vms[1], vms[6]]), strict=True))
    assert {r.obj: r.runtime.powerState for r in mapped} == {vms[1]: "poweredOn",
                                                            vms[6]: "poweredOn"}


async def test_all_properties(client: aiovsphere.Client,
                              vms: list[ManagedObjectReference]) -> None:
    (rec,) = await client.retrieve([vms[0]], None)
    assert {"name", "config", "runtime", "summary", "parent", "resourcePool"} <= set(rec)
    assert isinstance(rec.config, t.VirtualMachineConfigInfo)
    assert rec.config.name == rec.name == rec.summary.config.name
    assert rec.runtime.powerState == "poweredOn"
    assert rec.parent == ManagedObjectReference("Folder", rec.parent.value)
    assert isinstance(rec.runtime.host, ManagedObjectReference)
    assert len(repr(rec)) < 500  # no dump of the whole config
    async with client.container_view(["HostSystem"]) as view:
        hosts = await client.retrieve(view, None)
    assert {h.name for h in hosts} == HOST_NAMES
    assert all(isinstance(h.summary, t.HostListSummary) for h in hosts)


async def test_several_types_in_one_view(client: aiovsphere.Client,
                                         vms: list[ManagedObjectReference]) -> None:
    async with client.container_view(["VirtualMachine", "HostSystem"]) as view:
        records = await client.retrieve(view, {
            "VirtualMachine": ["name", "runtime.host"],
            "HostSystem": ["name", "summary.hardware.numCpuCores"],
        })
    by_type: dict[str, list[ObjectRecord]] = {}
    for r in records:
        by_type.setdefault(r.obj.type, []).append(r)
    assert set(by_type) == {"VirtualMachine", "HostSystem"}
    assert {r.obj for r in by_type["VirtualMachine"]} == set(vms)
    assert {r.name for r in by_type["VirtualMachine"]} == VM_NAMES
    assert {r.name for r in by_type["HostSystem"]} == HOST_NAMES
    assert all(set(r) == {"name", "runtime.host"} for r in by_type["VirtualMachine"])
    assert all(set(r) == {"name", "summary.hardware.numCpuCores"}
               for r in by_type["HostSystem"])
    hosts = {r.obj for r in by_type["HostSystem"]}
    assert all(r.runtime.host in hosts for r in by_type["VirtualMachine"])
    assert all(r.summary.hardware.numCpuCores >= 1 for r in by_type["HostSystem"])
    # The standalone host's VMs run on it.
    standalone = next(r.obj for r in by_type["HostSystem"] if r.name == "DC0_H0")
    assert {r.name for r in by_type["VirtualMachine"] if r.runtime.host == standalone} == {
        f"DC0_H0_VM{i}" for i in range(4)}


async def test_attribute_and_key_access(client: aiovsphere.Client,
                                        vms: list[ManagedObjectReference]) -> None:
    (leaf,) = await client.retrieve([vms[4]], ["runtime.powerState", "name"])
    (whole,) = await client.retrieve([vms[4]], ["runtime"])
    assert leaf.runtime.powerState == leaf["runtime.powerState"] == "poweredOn"
    assert whole.runtime.powerState == whole["runtime"].powerState == "poweredOn"
    assert isinstance(whole["runtime"], t.VirtualMachineRuntimeInfo)
    assert isinstance(whole.runtime.host, ManagedObjectReference)
    assert whole.runtime.host.type == "HostSystem"
    assert leaf.name == leaf["name"] == (await _names(client, [vms[4]]))[0]
    with pytest.raises(AttributeError):
        leaf.config  # noqa: B018 (not retrieved)
    with pytest.raises(KeyError):
        whole["runtime.powerState"]  # a key is a retrieved path, nothing else


async def test_unset_requested_path_reads_none(client: aiovsphere.Client,
                                               vms: list[ManagedObjectReference]) -> None:
    (rec,) = await client.retrieve([vms[0]], ["name", "parentVApp", "config.annotation"])
    assert rec.parentVApp is None and rec["parentVApp"] is None
    assert rec.config.annotation is None and rec["config.annotation"] is None
    assert set(rec) == {"name", "parentVApp", "config.annotation"}
    assert rec.missing == {}


async def test_bad_input_fails_before_anything_is_sent(
    client: aiovsphere.Client, vms: list[ManagedObjectReference]
) -> None:
    async with client.container_view(["VirtualMachine"]) as view, \
            client.list_view([vms[0]]) as list_view, \
            client.container_view() as every_entity:
        calls = client.stats.calls
        for source, paths, kwargs in [
            ([vms[0]], "name", {}),                    # a str as paths
            ([vms[0], "vm-57"], ["name"], {}),         # a non-moref in the list
            ([vms[0], object()], ["name"], {}),
            (view.ref, ["name"], {}),                  # a view moref without type
            (list_view, ["name"], {}),                 # a ListView without type
            (every_entity, ["name"], {}),              # a view of every type, no type
            (view, {"HostSystem": ["name"]}, {"type": "VirtualMachine"}),
        ]:
            with pytest.raises(aiovsphere.EncodeError):
                await client.retrieve(source, paths, **kwargs)  # type: ignore[arg-type]
        assert client.stats.calls == calls


# ------------------------------------------------------------------ missingSet, sessions
@pytest.fixture(scope="module")
async def private(private_vcsim: Vcsim) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(private_vcsim.url, user="destroyer", password="pw") as c:
        yield c


async def test_destroyed_vm_in_a_moref_list(private: aiovsphere.Client) -> None:
    async with private.container_view(["VirtualMachine"]) as view:
        refs = sorted(await view.objects(), key=lambda r: r.value)
    a, doomed, b = refs[0], refs[1], refs[2]
    vm = private.mo(doomed)
    await private.wait_for_task(await vm.PowerOffVM_Task())
    await private.wait_for_task(await vm.Destroy_Task())

    records = await private.retrieve([a, doomed, b], ["name", "runtime.powerState"],
                                     missing="record")
    assert [r.obj for r in records] == [a, doomed, b]
    intact = [records[0], records[2]]
    assert [r.name for r in intact] == await _names(private, [a, b])
    assert all(r.runtime.powerState == "poweredOn" and r.missing == {} for r in intact)
    gone = records[1]
    assert set(gone.missing) == {""} and len(gone) == 0
    assert isinstance(gone.missing[""], faults.ManagedObjectNotFound)
    assert gone.fault is gone.missing[""]
    with pytest.raises(faults.ManagedObjectNotFound):
        gone.name  # noqa: B018

    with pytest.raises(faults.ManagedObjectNotFound) as info:
        await private.retrieve([a, doomed, b], ["name"])
    assert info.value.fault.obj == doomed  # type: ignore[union-attr]
    (alone,) = await private.retrieve([doomed], ["name"], missing="record")
    assert alone.obj == doomed and isinstance(alone.fault, faults.ManagedObjectNotFound)


async def test_terminated_session_is_reestablished_and_read_retried(
    vcsim_url: str, observer: aiovsphere.Client, vms: list[ManagedObjectReference]
) -> None:
    async with aiovsphere.connect(vcsim_url, user="terminated", password="pw") as c:
        expected = await _names(c, vms[:3])
        for mode in ("raise", "record"):
            generation = c.session.generation
            assert c.session.user_session is not None
            key = c.session.user_session.key
            await observer.invoke(observer.content.sessionManager, "TerminateSession",
                                  sessionId=(key,))
            # vcsim answers a dead session's read with NotAuthenticated in missingSet.
            records = await c.retrieve(vms[:3], ["name"], missing=mode)  # type: ignore[arg-type]
            assert [r.name for r in records] == expected
            assert all(r.missing == {} for r in records)
            assert c.session.generation == generation + 1
            assert c.session.user_session is not None
            assert c.session.user_session.key != key
        assert c.stats.relogins == 2


async def test_a_container_view_object_is_reopened_after_a_relogin(
    vcsim_url: str, observer: aiovsphere.Client, vms: list[ManagedObjectReference]
) -> None:
    """Views live in the session: after a re-login our ContainerView object is made
    again and the read goes on; a bare view moref cannot be, and fails typed."""
    async with aiovsphere.connect(vcsim_url, user="view-relogin", password="pw") as c:
        async with c.container_view(["VirtualMachine"]) as view:
            before = {r.obj for r in await c.retrieve(view, ["name"])}
            old_ref = view.ref
            assert c.session.user_session is not None
            await observer.invoke(observer.content.sessionManager, "TerminateSession",
                                  sessionId=(c.session.user_session.key,))
            after = {r.obj for r in await c.retrieve(view, ["name"])}
            assert after == before == set(vms)
            assert view.ref != old_ref
            assert c.stats.relogins == 1
            with pytest.raises(faults.ManagedObjectNotFound):
                await c.retrieve(old_ref, ["name"], type="VirtualMachine")


# ------------------------------------------------------------------ views
async def test_views_destroyed_on_exit_error_and_cancellation(
    client: aiovsphere.Client
) -> None:
    made: list[ManagedObjectReference] = []
    async with client.container_view(["VirtualMachine"]) as view:
        made.append(view.ref)
        assert not await _gone(client, view.ref)
        assert len(await view.objects()) == 8
    with pytest.raises(LookupError):
        async with client.container_view(["HostSystem"]) as view:
            made.append(view.ref)
            raise LookupError
    inside = asyncio.Event()

    async def body() -> None:
        async with client.list_view([]) as list_view:
            made.append(list_view.ref)
            inside.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(body())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(set(made)) == 3
    assert [await _gone(client, ref) for ref in made] == [True] * 3
    with pytest.raises(RuntimeError):
        view.ref  # noqa: B018 (closed)


async def test_list_view_modify_reset_objects_reopen(
    client: aiovsphere.Client, vms: list[ManagedObjectReference]
) -> None:
    async with client.list_view([vms[0], vms[1]]) as view:
        assert await view.objects() == (vms[0], vms[1])
        assert await view.modify(add=[client.mo(vms[2])], remove=[vms[0]]) == ()
        assert set(await view.objects()) == {vms[1], vms[2]}
        old = view.ref
        await view.reopen()
        assert view.ref != old and await _gone(client, old)
        assert set(await view.objects()) == {vms[1], vms[2]}  # made again with its objects
        assert await view.reset([vms[7], vms[5]]) == ()
        assert set(await view.objects()) == {vms[5], vms[7]}
        records = await client.retrieve(view, ["name"], type="VirtualMachine")
        assert {r.obj for r in records} == {vms[5], vms[7]}
        last = view.ref
    assert await _gone(client, last)


async def test_container_view_container_recursive_and_reopen(
    client: aiovsphere.Client, vms: list[ManagedObjectReference]
) -> None:
    async with client.container_view(["ClusterComputeResource", "Datacenter"]) as view:
        found = {r.obj.type: r for r in await client.retrieve(view, {
            "ClusterComputeResource": ["resourcePool"], "Datacenter": ["vmFolder"]})}
    pool = found["ClusterComputeResource"].resourcePool
    async with client.container_view(["VirtualMachine"], container=client.mo(pool)) as view:
        assert {r.name for r in await client.retrieve(view, ["name"])} == {
            f"DC0_C0_RP0_VM{i}" for i in range(4)}
    async with client.container_view(["VirtualMachine"], recursive=False) as view:
        assert await view.objects() == ()  # VMs are not children of the root folder
    folder = found["Datacenter"].vmFolder
    async with client.container_view("VirtualMachine", container=folder,
                                      recursive=False) as view:
        assert view.types == ("VirtualMachine",)
        assert set(await view.objects()) == set(vms)
        old = view.ref
        await view.reopen()
        assert view.ref != old and await _gone(client, old)
        assert set(await view.objects()) == set(vms)
        last = view.ref
    assert await _gone(client, last)
