"""Watch streams and per-waiter PropertyCollectors against vcsim.

vcsim 0.24 quirks these tests live with: its update-set version is always ``"-"``; it
collects changes on a 250 ms tick; it ignores ``partialUpdates`` (a device added by a
reconfigure comes as the whole ``config.hardware.device`` array); it never truncates and
never answers InvalidCollectorVersion. Those behaviours are tested against FakeVC in
tests/client/test_collector_mock.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import aiovsphere
from aiovsphere import Client, ManagedObjectReference, faults
from aiovsphere.vim import types as t

PATHS = ["name", "runtime.powerState"]


@pytest.fixture
async def client(private_vcsim: Any) -> AsyncIterator[Client]:
    async with aiovsphere.connect(private_vcsim.url, user="watcher", password="pw") as c:
        yield c


@pytest.fixture
async def admin(private_vcsim: Any) -> AsyncIterator[Client]:
    """A second session on the private vcsim: it makes the changes the watcher sees."""
    async with aiovsphere.connect(private_vcsim.url, user="admin", password="pw") as c:
        yield c


async def vms(client: Client) -> list[ManagedObjectReference]:
    async with client.container_view(["VirtualMachine"]) as view:
        return sorted(await view.objects(), key=lambda r: int(r.value.split("-")[-1]))


async def power(client: Client, vm: ManagedObjectReference, on: bool) -> None:
    task = await client.invoke(vm, "PowerOnVM_Task" if on else "PowerOffVM_Task")
    await aiovsphere.wait_for_task(client, task)


async def clone(client: Client, vm: ManagedObjectReference, name: str) -> ManagedObjectReference:
    folder = (await client.get_properties(vm, ["parent"]))["parent"]
    task = await client.invoke(vm, "CloneVM_Task", folder=folder, name=name,
                               spec=t.VirtualMachineCloneSpec(
                                   location=t.VirtualMachineRelocateSpec(), powerOn=False,
                                   template=False))
    made: ManagedObjectReference = await aiovsphere.wait_for_task(client, task)
    return made


async def destroy(client: Client, vm: ManagedObjectReference) -> None:
    await aiovsphere.wait_for_task(client, await client.invoke(vm, "Destroy_Task"))


def values(change: aiovsphere.ObjectChange) -> dict[str, Any]:
    """``{name: value}`` of a change's assigns (enums as their strings)."""
    assert all(c.op == "assign" for c in change.changes)
    return {c.name: getattr(c.val, "value", c.val) for c in change.changes}


class Recorder:
    """Wraps ``client.invoke``: records the collectors created and the methods called,
    and sets ``waiting`` when a WaitForUpdatesEx from a set version goes out."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.collectors: list[ManagedObjectReference] = []
        self.methods: list[str] = []
        self.waiting = asyncio.Event()
        original = client.invoke

        async def invoke(ref, method, /, **kwargs):  # type: ignore[no-untyped-def]
            self.methods.append(method)
            if method == "WaitForUpdatesEx" and kwargs.get("version"):
                self.waiting.set()
            result = await original(ref, method, **kwargs)
            if method == "CreatePropertyCollector":
                self.collectors.append(result)
            return result

        client.invoke = invoke  # type: ignore[method-assign]

    def restore(self) -> None:
        del self.client.invoke  # back to the class's method


@contextlib.contextmanager
def recording(client: Client) -> Any:
    recorder = Recorder(client)
    try:
        yield recorder
    finally:
        recorder.restore()


async def assert_gone(client: Client, collector: ManagedObjectReference) -> None:
    """On the server: the collector no longer exists (read from the session that made it,
    since vcsim's collectors are per session)."""
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.get_properties(collector, ["filter"])


async def next_change(changes: AsyncIterator[aiovsphere.ObjectChange],
                      want: Callable[[aiovsphere.ObjectChange], bool] = lambda c: True,
                      ) -> aiovsphere.ObjectChange:
    """The next change ``want`` accepts; the ones before it are modifies of the same
    object (vcsim re-sends ``name`` of a VM it destroys, before the leave)."""
    skipped: list[aiovsphere.ObjectChange] = []
    async with asyncio.timeout(10):
        async for change in changes:
            if want(change):
                assert all(s.kind == "modify" and s.obj == change.obj for s in skipped)
                return change
            skipped.append(change)
    raise AssertionError("stream ended")


# ---------------------------------------------------------------------------- watch
async def test_enter_for_every_vm_then_modify_on_power_changes(client: Client,
                                                               admin: Client) -> None:
    refs = await vms(client)
    names = {r.obj: r.name for r in await client.retrieve(refs, ["name"])}
    async with client.container_view(["VirtualMachine"]) as view, contextlib.aclosing(
            client.watch(view, PATHS)) as changes:
        first = [await next_change(changes) for _ in refs]
        assert [c.kind for c in first] == ["enter"] * len(refs)
        assert {c.obj for c in first} == set(refs)
        assert {c.obj: values(c) for c in first} == {
            ref: {"name": names[ref], "runtime.powerState": "poweredOn"} for ref in refs}
        await power(admin, refs[3], on=False)
        off = await next_change(changes)
        assert (off.kind, off.obj) == ("modify", refs[3])
        assert [(c.name, c.op, c.val) for c in off.changes] == [
            ("runtime.powerState", "assign", "poweredOff")]
        assert isinstance(off.changes[0].val, t.VirtualMachinePowerState)
        await power(admin, refs[3], on=True)
        on = await next_change(changes)
        assert (on.kind, on.obj, values(on)) == ("modify", refs[3],
                                                 {"runtime.powerState": "poweredOn"})


async def test_enter_on_clone_and_leave_on_destroy(client: Client, admin: Client) -> None:
    refs = await vms(client)
    async with client.container_view(["VirtualMachine"]) as view, contextlib.aclosing(
            client.watch(view, PATHS)) as changes:
        for _ in refs:
            assert (await next_change(changes)).kind == "enter"
        made = await clone(admin, refs[0], "watch-clone")
        entered = await next_change(changes)
        assert (entered.kind, entered.obj) == ("enter", made)
        assert values(entered) == {"name": "watch-clone", "runtime.powerState": "poweredOff"}
        await destroy(admin, made)
        left = await next_change(changes, lambda c: c.kind != "modify")
        assert (left.kind, left.obj, left.changes) == ("leave", made, ())
    assert set(await vms(client)) == set(refs)


async def test_a_moref_list_source(client: Client, admin: Client) -> None:
    refs = await vms(client)
    doomed = await clone(admin, refs[1], "watch-listed")
    listed = [refs[0], doomed]
    async with contextlib.aclosing(client.watch(listed, PATHS)) as changes:
        first = [await next_change(changes) for _ in listed]
        assert [(c.kind, c.obj) for c in first] == [("enter", refs[0]), ("enter", doomed)]
        assert values(first[1]) == {"name": "watch-listed", "runtime.powerState": "poweredOff"}
        await power(admin, refs[5], on=False)  # not listed: not reported
        await power(admin, refs[0], on=False)
        change = await next_change(changes)
        assert (change.kind, change.obj, values(change)) == (
            "modify", refs[0], {"runtime.powerState": "poweredOff"})
        # A listed VM destroyed leaves (vcsim would fail the wait with ManagedObjectNotFound
        # without reportMissingObjectsInResults, which the stream sets for moref lists).
        await destroy(admin, doomed)
        left = await next_change(changes, lambda c: c.kind != "modify")
        assert (left.kind, left.obj) == ("leave", doomed)
    await power(admin, refs[0], on=True)
    await power(admin, refs[5], on=True)


async def test_partial_updates_with_a_device_added(client: Client, admin: Client) -> None:
    """vcsim ignores partialUpdates: the reconfigure comes as the whole device array
    (assign), which apply_change applies to the record just as well. The inner-path form
    (``config.hardware.device[4001]``, add) is tested on FakeVC."""
    vm = (await vms(client))[2]
    path = "config.hardware.device"
    async with contextlib.aclosing(client.watch([vm], [path], partial_updates=True)) as changes:
        entered = await next_change(changes)
        assert entered.kind == "enter"
        props: dict[str, Any] = {}
        for c in entered.changes:
            aiovsphere.apply_change(props, c.name, c.op, c.val)
        before = {d.key for d in props[path]}
        nic = t.VirtualE1000(key=-1, deviceInfo=t.Description(label="watch-nic",
                                                             summary="VM Network"),
                             backing=t.VirtualEthernetCardNetworkBackingInfo(
                                 deviceName="VM Network"))
        spec = t.VirtualMachineConfigSpec(deviceChange=(
            t.VirtualDeviceConfigSpec(operation="add", device=nic),))
        await aiovsphere.wait_for_task(admin, await admin.invoke(vm, "ReconfigVM_Task",
                                                                 spec=spec))
        modified = await next_change(changes)
    assert (modified.kind, modified.obj) == ("modify", vm)
    assert [(c.name, c.op) for c in modified.changes] == [(path, "assign")]  # vcsim's form
    for c in modified.changes:
        aiovsphere.apply_change(props, c.name, c.op, c.val)
    record = aiovsphere.ObjectRecord(vm, props)
    (added,) = [d for d in record.config.hardware.device if d.key not in before]
    assert isinstance(added, t.VirtualE1000)
    assert added.deviceInfo.label == "watch-nic"
    assert {d.key for d in record.config.hardware.device} - {added.key} == before


# ---------------------------------------------------------------------------- collectors
async def test_two_watchers_have_their_own_collectors_and_both_see_a_change(
        client: Client, admin: Client) -> None:
    refs = await vms(client)
    with recording(client) as rec:
        async with contextlib.aclosing(client.watch(refs, PATHS)) as a, \
                contextlib.aclosing(client.watch(refs, PATHS)) as b:
            for _ in refs:
                await next_change(a)
                await next_change(b)
            assert len(rec.collectors) == 2 and rec.collectors[0] != rec.collectors[1]

            async def both() -> list[aiovsphere.ObjectChange]:
                return list(await asyncio.gather(next_change(a), next_change(b)))

            waiting = asyncio.create_task(both())
            await power(admin, refs[4], on=False)
            seen = await waiting
        for change in seen:  # no stealing: each stream got the change
            assert (change.kind, change.obj, values(change)) == (
                "modify", refs[4], {"runtime.powerState": "poweredOff"})
        for collector in rec.collectors:
            await assert_gone(client, collector)
    await power(admin, refs[4], on=True)


async def test_a_second_concurrent_wait_is_refused_and_the_first_gets_its_update(
        client: Client, admin: Client) -> None:
    vm = (await vms(client))[6]
    with recording(client) as rec:
        async with client.property_collector() as pc:
            await pc.create_filter(aiovsphere.filter_spec([vm], PATHS))
            initial = await pc.wait_for_updates()
            assert initial is not None and initial.reset
            first = asyncio.create_task(pc.wait_for_updates())
            await rec.waiting.wait()
            with pytest.raises(aiovsphere.CollectorInUseError):
                await pc.wait_for_updates()
            await power(admin, vm, on=False)
            updates = await asyncio.wait_for(first, 10)
            assert updates is not None and not updates.reset
            (filter_update,) = updates.update_set.filterSet
            (obj,) = filter_update.objectSet
            assert (obj.obj, obj.kind) == (vm, "modify")
            assert [(c.name, c.val) for c in obj.changeSet] == [
                ("runtime.powerState", "poweredOff")]
            collector = pc.ref
            assert collector is not None
        assert rec.methods.count("WaitForUpdatesEx") == 2  # the refused one sent nothing
        assert "CancelWaitForUpdates" not in rec.methods  # nothing was interrupted
        await assert_gone(client, collector)
    await power(admin, vm, on=True)


async def test_a_watch_goes_on_after_a_relogin(client: Client, admin: Client) -> None:
    """The watcher's session is terminated by another session while the stream is between
    batches; its next wait re-logs in, rebuilds collector, view and filter, and delivers
    the current state as one reset batch: survivors as modify, a VM destroyed while the
    session was gone as leave. Then deltas flow as before."""
    refs = await vms(client)
    doomed = await clone(admin, refs[0], "watch-doomed")
    with recording(client) as rec:
        async with client.container_view(["VirtualMachine"]) as view, contextlib.aclosing(
                client.watch_batches(view, PATHS)) as batches:
            first = await anext(batches)
            assert first.reset
            assert {c.obj for c in first.changes} == {*refs, doomed}
            assert {c.kind for c in first.changes} == {"enter"}
            session = (await client.get_properties(client.content.sessionManager,
                                                   ["currentSession"]))["currentSession"]
            assert session.key == client.session.user_session.key  # type: ignore[union-attr]
            generation = client.session.generation
            await admin.invoke(admin.content.sessionManager, "TerminateSession",
                               sessionId=[session.key])
            await power(admin, refs[7], on=False)
            await destroy(admin, doomed)
            async with asyncio.timeout(10):
                rebuilt = await anext(batches)
            assert client.session.generation == generation + 1  # one re-login
            assert client.stats.relogins == 1
            assert rebuilt.reset and not rebuilt.truncated
            kinds = {c.obj: c.kind for c in rebuilt.changes}
            assert kinds == {**dict.fromkeys(refs, "modify"), doomed: "leave"}
            state = {c.obj: values(c) for c in rebuilt.changes if c.kind == "modify"}
            assert state[refs[7]]["runtime.powerState"] == "poweredOff"
            assert state[refs[6]]["runtime.powerState"] == "poweredOn"
            # Deltas again, on the new collector.
            await power(admin, refs[7], on=True)
            async with asyncio.timeout(10):
                delta = await anext(batches)
            assert not delta.reset
            assert [(c.kind, c.obj, values(c)) for c in delta.changes] == [
                ("modify", refs[7], {"runtime.powerState": "poweredOn"})]
        assert len(rec.collectors) == 2  # the first one died with the old session
        assert rec.methods.count("CreateContainerView") == 2  # the view was re-made
        await assert_gone(client, rec.collectors[1])


@pytest.mark.parametrize("how", ["break", "exception", "cancel", "deadline"])
async def test_every_exit_leaves_no_collector_on_the_server(vcsim_url: str, how: str) -> None:
    """Read-only on the shared vcsim: the stream is left during its second wait (cancel,
    deadline) or between answers (break, exception)."""
    async with aiovsphere.connect(vcsim_url, user="exits", password="pw") as client:
        refs = await vms(client)
        with recording(client) as rec:

            async def consume() -> None:
                async with contextlib.aclosing(client.watch(refs, PATHS)) as changes:
                    async for change in changes:
                        assert change.kind == "enter"
                        if how == "break":
                            break
                        if how == "exception":
                            raise LookupError("consumer failed")

            if how in ("break", "exception"):
                with contextlib.suppress(LookupError):
                    await consume()
            elif how == "cancel":
                task = asyncio.create_task(consume())
                await asyncio.wait_for(rec.waiting.wait(), 10)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            else:
                with pytest.raises(TimeoutError):
                    async with aiovsphere.timeout(0.5):
                        await consume()
            interrupted = how in ("cancel", "deadline")
            assert rec.methods.count("CancelWaitForUpdates") == (1 if interrupted else 0)
            assert rec.methods.count("DestroyPropertyFilter") == 1
            assert rec.methods.count("DestroyPropertyCollector") == 1
            (collector,) = rec.collectors
            await assert_gone(client, collector)
