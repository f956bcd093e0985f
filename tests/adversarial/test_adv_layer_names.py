"""Inventory names that are hard on a path finder, on a vcsim of this module's own: pattern
metacharacters in literal names, ``%`` sequences that are not escapes, ``.``/``..``,
empty components, very long paths, non-ASCII names.

The finder promises (aiovsphere/_finder.py): "The ``path`` of every result is escaped, so
``find(obj.path)`` finds ``obj`` again", and ``find_by_name`` takes a name as it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import aiovsphere
from aiovsphere import ManagedObjectReference, escape_name
from tools.vcsim.launcher import Vcsim

# Names given to VMs 1..7 for the whole module (VM 0 is renamed test by test).
NAMES = ["x*y", "%zz", "%2", "100%", "caf\u00e9", "%2f", "q?"]


@pytest.fixture(scope="module")
async def named(private_vcsim: Vcsim
                ) -> AsyncIterator[tuple[aiovsphere.Client, list[ManagedObjectReference]]]:
    async with aiovsphere.connect(private_vcsim.url, user="adv-names", password="pw") as c:
        async with c.container_view(["VirtualMachine"]) as view:
            vms = sorted(await view.objects(), key=lambda r: r.value)
        await c.wait_for_tasks([await c.mo(vm).Rename_Task(newName=escape_name(name))
                                for vm, name in zip(vms[1:], NAMES, strict=True)])
        yield c, vms


async def _rename(client: aiovsphere.Client, vm: ManagedObjectReference, name: str) -> None:
    await client.wait_for_task(await client.mo(vm).Rename_Task(newName=escape_name(name)))


@pytest.mark.parametrize("index", range(len(NAMES)), ids=NAMES)
async def test_odd_names_round_trip_through_every_lookup(
        named: tuple[aiovsphere.Client, list[ManagedObjectReference]], index: int) -> None:
    client, vms = named
    vm, name = vms[index + 1], NAMES[index]
    finder = client.finder()
    async with asyncio.timeout(10):
        (by_name,) = await finder.find_by_name(name, "VirtualMachine")
        assert (by_name.ref, by_name.name) == (vm, name)
        assert by_name.path == "/DC0/vm/" + escape_name(name)
        assert await finder.inventory_path(vm) == by_name.path
        assert await aiovsphere.find_by_inventory_path(client, by_name.path) == vm
        folder = await finder.folder("/DC0/vm")
        assert await finder.find_child(folder.ref, name) == vm
        # The result's path finds it again (these names match nothing else here).
        assert [o.ref for o in await finder.find(by_name.path)] == [vm]
        assert [o.ref for o in await finder.find(by_name.path, "VirtualMachine")] == [vm]


async def test_glob_escapes_match_metacharacters_literally(
        named: tuple[aiovsphere.Client, list[ManagedObjectReference]]) -> None:
    client, _ = named
    finder = client.finder()
    async with asyncio.timeout(10):
        assert [o.name for o in await finder.find("/DC0/vm/x[*]y")] == ["x*y"]
        assert [o.name for o in await finder.find("/DC0/vm/q[?]")] == ["q?"]
        assert [o.name for o in await finder.find("vm/%*", "VirtualMachine")] == [
            "%2", "%2f", "%zz"]


async def test_empty_components_and_dots_are_ignored(
        named: tuple[aiovsphere.Client, list[ManagedObjectReference]]) -> None:
    client, vms = named
    finder = client.finder()
    async with asyncio.timeout(10):
        for path in ("//DC0///vm//%25zz/", "/DC0/./vm/%zz", "vm//%zz", "./vm/./%zz"):
            assert [o.ref for o in await finder.find(path)] == [vms[2]], path


async def test_very_long_paths_and_names_end_quickly_with_nothing(
        named: tuple[aiovsphere.Client, list[ManagedObjectReference]]) -> None:
    client, _ = named
    finder = client.finder()
    async with asyncio.timeout(10):
        assert await finder.find("/DC0/vm/" + "/".join(["x"] * 5000)) == []
        assert await finder.find("/DC0/vm/" + "y" * 100_000) == []
        assert await finder.find("/" + "/".join(["**"] * 1000) + "/nothing-like-it") == []
        assert await finder.find_by_name("[" * 5000) == []


async def test_unicode_names_match_by_code_points(
        named: tuple[aiovsphere.Client, list[ManagedObjectReference]]) -> None:
    """Documented here, not in the finder: names compare by code points, as the server
    stores them (no Unicode normalization): the NFC name is found by its NFC spelling."""
    client, vms = named
    finder = client.finder()
    async with asyncio.timeout(10):
        assert [o.ref for o in await finder.find("caf\u00e9")] == [vms[5]]
        assert [o.ref for o in await finder.find("caf?")] == [vms[5]]


@pytest.mark.parametrize("name", ["a[1]", ".", ".."])
async def test_a_found_path_finds_the_object_again(
        named: tuple[aiovsphere.Client, list[ManagedObjectReference]], name: str) -> None:
    client, vms = named
    vm = vms[0]
    old = (await client.get_properties(vm, ["name"]))["name"]
    await _rename(client, vm, name)
    try:
        finder = client.finder()
        async with asyncio.timeout(10):
            (found,) = await finder.find_by_name(name, "VirtualMachine")
            assert found.ref == vm
            assert await aiovsphere.find_by_inventory_path(client, found.path) == vm
            assert [o.ref for o in await finder.find(found.path, "VirtualMachine")] == [vm]
    finally:
        await _rename(client, vm, old)
