"""InventoryCache against vcsim: snapshots, versions, wait_until, clean close, re-login,
and memory that stays proportional to a 2,000-VM inventory.

How a truncated update set is published only as a whole, and how an error in the middle
of the cache's life ends it, are shown on FakeVC (tests/client/test_collector_mock.py):
vcsim never truncates, and its batching of changes into update sets depends on timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import tracemalloc
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import aiovsphere
from aiovsphere import Client, ManagedObjectReference, faults
from aiovsphere.vim import types as t
from tests.conftest import running
from tools.vcsim.launcher import Vcsim

PATHS = ["name", "runtime.powerState", "summary.config.numCpu"]
BIG = 2000


@pytest.fixture
async def client(private_vcsim: Vcsim) -> AsyncIterator[Client]:
    async with aiovsphere.connect(private_vcsim.url, user="cache", password="pw") as c:
        yield c


@pytest.fixture
async def admin(private_vcsim: Vcsim) -> AsyncIterator[Client]:
    """Another session on the private vcsim: it makes the changes the cache sees."""
    async with aiovsphere.connect(private_vcsim.url, user="admin", password="pw") as c:
        yield c


@pytest.fixture(scope="module")
def big_vcsim() -> Iterator[Vcsim]:
    """A vcsim of this module's own with 2,000 VMs (40 hosts/cluster x 50)."""
    yield from running(Vcsim.for_vm_count(BIG))


async def vms(client: Client) -> list[ManagedObjectReference]:
    async with client.container_view(["VirtualMachine"]) as view:
        return sorted(await view.objects(), key=lambda r: int(r.value.split("-")[-1]))


async def power(client: Client, vm: ManagedObjectReference, on: bool) -> None:
    task = await client.invoke(vm, "PowerOnVM_Task" if on else "PowerOffVM_Task")
    await aiovsphere.wait_for_task(client, task)


def state(snapshot: aiovsphere.Snapshot, vm: ManagedObjectReference) -> str:
    return str(getattr(snapshot[vm].runtime.powerState, "value", snapshot[vm].runtime.powerState))


@contextlib.contextmanager
def created(client: Client) -> Iterator[dict[str, list[Any]]]:
    """Record the views and collectors ``client`` creates, and every method it calls."""
    made: dict[str, list[Any]] = {"views": [], "collectors": [], "methods": []}
    original = client.invoke

    async def invoke(ref, method, /, **kwargs):  # type: ignore[no-untyped-def]
        made["methods"].append(method)
        result = await original(ref, method, **kwargs)
        if method == "CreateContainerView":
            made["views"].append(result)
        elif method == "CreatePropertyCollector":
            made["collectors"].append(result)
        return result

    client.invoke = invoke  # type: ignore[method-assign]
    try:
        yield made
    finally:
        del client.invoke


async def assert_gone(client: Client, made: dict[str, list[Any]]) -> None:
    """No view or collector of the cache is left on the server (read from the session
    that made them: vcsim keeps them per session). vcsim 0.24 does not maintain
    ViewManager.viewList (always empty), so each object is looked up too."""
    assert made["views"] and made["collectors"]
    for view in made["views"]:
        with pytest.raises(faults.ManagedObjectNotFound):
            await client.get_properties(view, ["view"])
    for collector in made["collectors"]:
        with pytest.raises(faults.ManagedObjectNotFound):
            await client.get_properties(collector, ["filter"])
    views = await client.get_properties(client.content.viewManager, ["viewList"])
    assert tuple(views.get("viewList") or ()) == ()


# ---------------------------------------------------------------------------- snapshots
async def test_first_snapshot_has_every_vm_with_the_paths(client: Client) -> None:
    expected = {r.obj: dict(r) for r in await client.retrieve(await vms(client), PATHS)}
    async with client.inventory_cache("VirtualMachine", PATHS) as cache:
        snap = cache.snapshot()
        assert len(snap) == len(expected) == 8
        assert {vm: dict(record) for vm, record in snap.items()} == expected
        some = next(iter(snap.values()))
        assert isinstance(some, aiovsphere.ObjectRecord) and set(some) == set(PATHS)
        assert some.summary.config.numCpu == expected[some.obj]["summary.config.numCpu"]
        assert snap.version == 1 and snap.server_version == "-"  # vcsim's only version
        assert isinstance(snap.timestamp, dt.datetime)
        assert snap.timestamp.utcoffset() == dt.timedelta(0)
        assert cache.snapshot() is snap  # sync, and the same object while nothing changed


async def test_held_snapshots_never_change_and_versions_step_by_one(
        client: Client, admin: Client) -> None:
    refs = await vms(client)
    vm = refs[2]
    async with client.inventory_cache("VirtualMachine", PATHS) as cache:
        before = cache.snapshot()
        copy = {k: dict(v) for k, v in before.items()}
        assert state(before, vm) == "poweredOn"
        await power(admin, vm, on=False)
        after = await cache.wait_until(lambda s: state(s, vm) == "poweredOff", timeout=10)
        assert after.version == before.version + 1  # one update set, one version
        assert after is cache.snapshot() and after is not before
        # The held snapshot is exactly what it was.
        assert before.version == 1 and {k: dict(v) for k, v in before.items()} == copy
        assert state(before, vm) == "poweredOn"
        # Unchanged records are shared, the changed one is new.
        assert after[refs[0]] is before[refs[0]]
        assert after[vm] is not before[vm] and after[vm].name == before[vm].name
        with pytest.raises(TypeError):
            after[vm] = before[vm]  # type: ignore[index]
        with pytest.raises(AttributeError):
            after[vm].name = "x"
        await power(admin, vm, on=True)
        again = await cache.wait_until(lambda s: state(s, vm) == "poweredOn", timeout=10)
        assert again.version == after.version + 1
        assert state(after, vm) == "poweredOff"


async def test_wait_until_returns_the_satisfying_snapshot_or_times_out(
        client: Client, admin: Client) -> None:
    vm = (await vms(client))[5]
    async with client.inventory_cache("VirtualMachine", PATHS) as cache:
        now = await cache.wait_until(lambda s: len(s) == 8, timeout=1)
        assert now is cache.snapshot()  # already true: no wait
        with pytest.raises(TimeoutError):
            await cache.wait_until(lambda s: len(s) == 9, timeout=0.3)
        waiter = asyncio.create_task(cache.wait_until(
            lambda s: state(s, vm) == "poweredOff", timeout=10))
        await asyncio.sleep(0)
        assert not waiter.done()
        await power(admin, vm, on=False)
        snap = await waiter
        assert state(snap, vm) == "poweredOff" and snap.version == now.version + 1
        assert cache.error is None
    await power(admin, vm, on=True)


async def test_four_vms_powered_off_together(client: Client, admin: Client) -> None:
    """vcsim batches changes on a 250 ms tick, so how many update sets four concurrent
    power-offs make depends on timing: only monotonic progress is asserted here (the
    whole-set publishing is asserted on FakeVC)."""
    four = (await vms(client))[:4]
    seen: list[tuple[int, int]] = []

    def off_count(s: aiovsphere.Snapshot) -> int:
        return sum(state(s, vm) == "poweredOff" for vm in four)

    def record(s: aiovsphere.Snapshot) -> bool:
        if not seen or seen[-1][0] != s.version:
            seen.append((s.version, off_count(s)))
        return off_count(s) == 4

    async with client.inventory_cache("VirtualMachine", PATHS) as cache:
        start = cache.snapshot()
        waiter = asyncio.create_task(cache.wait_until(record, timeout=10))
        await asyncio.gather(*(power(admin, vm, on=False) for vm in four))
        final = await waiter
        assert off_count(final) == 4 and off_count(start) == 0
        versions = [v for v, _ in seen]
        assert versions == sorted(versions) and len(set(versions)) == len(versions)
        assert [c for _, c in seen] == sorted(c for _, c in seen)
        assert final.version - start.version <= 4  # at most one set per power-off
        await asyncio.gather(*(power(admin, vm, on=True) for vm in four))
        await cache.wait_until(lambda s: off_count(s) == 0, timeout=10)


# ---------------------------------------------------------------------------- lifecycle
async def test_close_cancels_its_task_and_leaves_nothing_on_the_server(client: Client) -> None:
    with created(client) as made:
        cache = aiovsphere.InventoryCache(client, "VirtualMachine", PATHS)
        async with cache:
            snap = cache.snapshot()
        # Destroyed before close() returned (the task was awaited): its cut wait, filter
        # and collector, then its view.
        assert made["methods"][-4:] == ["CancelWaitForUpdates", "DestroyPropertyFilter",
                                        "DestroyPropertyCollector", "DestroyView"]
        for method in ("CreateContainerView", "CreatePropertyCollector", "CreateFilter",
                       "CancelWaitForUpdates", "DestroyView", "DestroyPropertyCollector"):
            assert made["methods"].count(method) == 1, method
        assert cache.snapshot() is snap  # the last snapshot stays readable
        with pytest.raises(RuntimeError):
            await cache.wait_until(lambda s: False)
        await cache.close()  # idempotent
        await assert_gone(client, made)


async def test_a_failing_cache_has_its_error_and_leaves_nothing(client: Client) -> None:
    with created(client) as made:
        cache = aiovsphere.InventoryCache(client, "NoSuchType", ["name"])
        with pytest.raises(faults.InvalidArgument):
            async with cache:
                raise AssertionError("no snapshot expected")
        assert isinstance(cache.error, faults.InvalidArgument)
        with pytest.raises(faults.InvalidArgument):
            await cache.wait_until(lambda s: True)
        with pytest.raises(RuntimeError):
            cache.snapshot()  # there never was one
        assert made["methods"] == ["CreateContainerView"]  # refused: nothing made


async def test_the_cache_goes_on_after_a_relogin(client: Client, admin: Client) -> None:
    """The cache's session is terminated, then a VM is destroyed. vcsim still answers the
    wait pending on the old session's collector (with the leave); the next wait finds the
    session gone, re-logs in, rebuilds view, collector and filter, and publishes the
    full state, without that VM; deltas follow on the new collector."""
    refs = await vms(client)
    folder = (await client.get_properties(refs[0], ["parent"]))["parent"]
    task = await admin.invoke(refs[0], "CloneVM_Task", folder=folder, name="cache-doomed",
                              spec=t.VirtualMachineCloneSpec(
                                  location=t.VirtualMachineRelocateSpec(), powerOn=False,
                                  template=False))
    doomed = await aiovsphere.wait_for_task(admin, task)
    with created(client) as made:
        async with client.inventory_cache("VirtualMachine", PATHS) as cache:
            first = cache.snapshot()
            assert doomed in first and len(first) == 9
            key = client.session.user_session.key  # type: ignore[union-attr]
            await admin.invoke(admin.content.sessionManager, "TerminateSession",
                               sessionId=[key])
            await aiovsphere.wait_for_task(admin, await admin.invoke(doomed, "Destroy_Task"))
            rebuilt = await cache.wait_until(
                lambda s: doomed not in s and client.stats.relogins == 1, timeout=10)
            assert set(rebuilt) == set(refs) and rebuilt.version > first.version
            await power(admin, refs[1], on=False)
            delta = await cache.wait_until(lambda s: state(s, refs[1]) == "poweredOff",
                                           timeout=10)
            assert delta.version > rebuilt.version and set(delta) == set(refs)
            assert cache.error is None
        assert len(made["collectors"]) == 2 and len(made["views"]) == 2
    await power(admin, refs[1], on=True)


# ---------------------------------------------------------------------------- memory
async def test_memory_stays_proportional_to_the_inventory(big_vcsim: Vcsim) -> None:
    """2,000 VMs, 20 update sets: each old snapshot is freed once nobody holds it, and
    the memory traced after the rounds is within a small factor of that after the
    first snapshot (records of unchanged VMs are shared, not copied; holding the 20
    snapshots would add about 60%). After the first snapshot the cache holds its
    records, not the raw first answer as well (about 1.3 KB per VM here, 2.6 KB when the
    answer was kept while waiting for the next)."""
    async with aiovsphere.connect(big_vcsim.url, user="big", password="pw") as client:
        tracemalloc.start()
        try:
            async with client.inventory_cache("VirtualMachine",
                                              ["name", "runtime.powerState"]) as cache:
                first = cache.snapshot()
                assert len(first) == BIG
                assert all(state(first, vm) == "poweredOn" for vm in first)
                two = sorted(first, key=lambda r: int(r.value.split("-")[-1]))[:2]
                gc.collect()
                baseline = tracemalloc.get_traced_memory()[0]
                old = weakref.ref(first)
                del first
                versions = []
                for i in range(20):
                    vm = two[i % 2]
                    on = i % 4 >= 2
                    await client.invoke(vm, "PowerOnVM_Task" if on else "PowerOffVM_Task")
                    want = "poweredOn" if on else "poweredOff"
                    snap = await cache.wait_until(lambda s, vm=vm, want=want:
                                                  state(s, vm) == want, timeout=10)
                    versions.append(snap.version)
                    del snap
                gc.collect()
                after = tracemalloc.get_traced_memory()[0]
                assert old() is None  # the first snapshot was freed
                assert versions == sorted(versions) and versions[-1] >= 21
                assert len(cache.snapshot()) == BIG
                assert after < 1.3 * baseline, (baseline, after)
                assert baseline < 2000 * BIG, baseline
        finally:
            tracemalloc.stop()
