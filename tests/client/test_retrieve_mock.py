"""retrieve() / iter_retrieve() and the views against the fake vCenter: what vcsim cannot
show (missingSet faults other than a lost session, paging with ContinueRetrievePropertiesEx,
a view creation still in flight when the caller gives up)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

import aiovsphere
from aiovsphere import Client, ManagedObjectReference, faults

from ._soap import Call, FakeVC, V, fault, ok

VIEW = ManagedObjectReference("ContainerView", "session[52f1]52a0-view-1")
LIST_VIEW = ManagedObjectReference("ListView", "session[52f1]52a0-list-1")


def _vm(i: int) -> ManagedObjectReference:
    return ManagedObjectReference("VirtualMachine", f"vm-{i}")


def _inventory(n: int) -> list[tuple[str, str, dict[str, str]]]:
    return [("VirtualMachine", f"vm-{i}", {"name": f"db-{i:02d}"}) for i in range(n)]


def _missing(path: str, fault_type: str, obj: str, privilege: str = "System.Read") -> str:
    return (f"<missingSet><path>{path}</path><fault>"
            f'<fault xsi:type="{fault_type}"><object type="VirtualMachine">{obj}</object>'
            f"<privilegeId>{privilege}</privilegeId></fault>"
            f"<localizedMessage>{fault_type} on {path}</localizedMessage></fault></missingSet>")


def _content(obj: str, props: dict[str, str], missing: str = "") -> str:
    sets = "".join(f'<propSet><name>{k}</name><val xsi:type="xsd:string">{v}</val></propSet>'
                   for k, v in props.items())
    return f'<objects><obj type="VirtualMachine">{obj}</obj>{sets}{missing}</objects>'


def _answer(*contents: str) -> Any:
    return ok("RetrievePropertiesEx", f"<returnval>{''.join(contents)}</returnval>")


def _not_probe(handler: Any) -> Any:
    """Override RetrievePropertiesEx except for the session probe (currentSession)."""
    def on(call: Call) -> Any:
        if FakeVC.is_session_probe(call):
            return None  # the fake's default answers it (or refuses a dead session)
        return handler(call)
    return on


# ------------------------------------------------------------------ missingSet
def _no_permission_on_vm1(call: Call) -> Any:
    return _answer(
        _content("vm-1", {"name": "web-1"},
                 _missing("config.annotation", "NoPermission", "vm-1")),
        _content("vm-2", {"name": "web-2", "config.annotation": "hello"}),
    )


async def test_no_permission_raise_mode_raises_the_typed_fault(
    fake: FakeVC, client: Client
) -> None:
    fake.on["RetrievePropertiesEx"] = _not_probe(_no_permission_on_vm1)
    with pytest.raises(faults.NoPermission) as info:
        await client.retrieve([_vm(1), _vm(2)], ["name", "config.annotation"])
    assert isinstance(info.value, faults.SecurityError)
    assert info.value.fault.privilegeId == "System.Read"  # type: ignore[union-attr]
    assert info.value.fault.object == _vm(1)  # type: ignore[union-attr]
    assert "config.annotation" in str(info.value) and "vm-1" in str(info.value)


async def test_no_permission_record_mode_keeps_it_per_object(
    fake: FakeVC, client: Client
) -> None:
    fake.on["RetrievePropertiesEx"] = _not_probe(_no_permission_on_vm1)
    vm1, vm2 = await client.retrieve([_vm(1), _vm(2)], ["name", "config.annotation"],
                                     missing="record")
    assert vm1.obj == _vm(1) and vm2.obj == _vm(2)
    assert vm1.name == "web-1"
    assert set(vm1.missing) == {"config.annotation"}
    assert isinstance(vm1.missing["config.annotation"], faults.NoPermission)
    assert vm1.fault is vm1.missing["config.annotation"]
    assert "config.annotation" not in vm1
    # Reading the missing path, by key or by attribute, raises its fault.
    with pytest.raises(faults.NoPermission):
        vm1["config.annotation"]
    with pytest.raises(faults.NoPermission):
        vm1.config.annotation  # noqa: B018
    # The other object is intact.
    assert dict(vm2) == {"name": "web-2", "config.annotation": "hello"}
    assert vm2.missing == {} and vm2.fault is None
    assert fake.count("Login") == 1  # no re-login for a permission matter


async def test_not_authenticated_in_missing_set_with_live_session(
    fake: FakeVC, client: Client
) -> None:
    """A NotAuthenticated about a property while the session lives (checked with one
    currentSession read): no re-login; raised, or with missing="record" recorded."""
    fake.on["RetrievePropertiesEx"] = _not_probe(lambda call: _answer(
        _content("vm-1", {"name": "web-1"}, _missing("name", "NotAuthenticated", "vm-1")),
        _content("vm-2", {"name": "web-2"}),
    ))
    start = len(fake.calls)
    with pytest.raises(faults.NotAuthenticated) as info:
        await client.retrieve([_vm(1), _vm(2)], ["name"])
    assert info.value.fault.object == _vm(1)  # type: ignore[union-attr]
    calls = fake.calls[start:]
    assert [c.method for c in calls] == ["RetrievePropertiesEx", "RetrievePropertiesEx"]
    assert fake.is_session_probe(calls[1]) and not fake.is_session_probe(calls[0])

    start = len(fake.calls)
    vm1, vm2 = await client.retrieve([_vm(1), _vm(2)], ["name"], missing="record")
    assert isinstance(vm1.missing["name"], faults.NotAuthenticated)
    with pytest.raises(faults.NotAuthenticated):
        vm1.name  # noqa: B018
    assert vm2.name == "web-2"
    assert fake.count("Login") == 1 and client.stats.relogins == 0
    assert client.session.generation == 1
    probes = [c for c in fake.calls[start:] if fake.is_session_probe(c)]
    assert len(probes) == 1


async def test_lost_session_reported_in_missing_set_relogs_in_and_retries(
    fake: FakeVC, client: Client
) -> None:
    """vcsim's way: a dead session's read answers with NotAuthenticated per property."""
    def per_property(call: Call) -> Any:
        if not fake.authenticated(call):
            return _answer(_content("vm-1", {}, _missing("name", "NotAuthenticated", "vm-1")))
        return None  # the default: "name:vm-1"

    fake.on["RetrievePropertiesEx"] = _not_probe(per_property)
    generation = client.session.generation
    fake.terminate_sessions()
    for mode in ("raise", "record"):
        (record,) = await client.retrieve([_vm(1)], ["name"], missing=mode)  # type: ignore[arg-type]
        assert record.name == "name:vm-1"
        assert record.missing == {}
        fake.terminate_sessions()
    assert fake.count("Login") == 3  # the first login, then one per lost session
    assert client.session.generation == generation + 2


async def test_a_vanished_object_is_dropped_from_the_retry(fake: FakeVC, client: Client
                                                           ) -> None:
    """The server refuses the whole call for one missing object: with missing="record"
    the read is repeated without it, and the object gets a record of its fault."""
    def refuse_vm2(call: Call) -> Any:
        if "vm-2" in call.all_text("v:specSet/v:objectSet/v:obj"):
            return fault("ManagedObjectNotFound", "The object has already been deleted",
                         '<obj type="VirtualMachine">vm-2</obj>')
        return None

    fake.on["RetrievePropertiesEx"] = _not_probe(refuse_vm2)
    start = len(fake.calls)
    records = await client.retrieve([_vm(3), _vm(2), _vm(1)], ["name"], missing="record")
    assert [r.obj for r in records] == [_vm(3), _vm(2), _vm(1)]
    assert records[0].name == "name:vm-3" and records[2].name == "name:vm-1"
    gone = records[1]
    assert dict(gone) == {} and set(gone.missing) == {""}
    assert isinstance(gone.missing[""], faults.ManagedObjectNotFound)
    with pytest.raises(faults.ManagedObjectNotFound):
        gone.name  # noqa: B018
    calls = fake.calls[start:]
    assert [c.all_text("v:specSet/v:objectSet/v:obj") for c in calls] == [
        ["vm-3", "vm-2", "vm-1"], ["vm-3", "vm-1"]]
    with pytest.raises(faults.ManagedObjectNotFound) as info:
        await client.retrieve([_vm(3), _vm(2)], ["name"])
    assert info.value.fault.obj == _vm(2)  # type: ignore[union-attr]


# ------------------------------------------------------------------ paging
async def test_max_objects_pages_yield_every_record_in_order(fake: FakeVC, client: Client
                                                             ) -> None:
    fake.objects = _inventory(10)
    start = len(fake.calls)
    records = await client.retrieve(VIEW, ["name"], type="VirtualMachine", max_objects=4)
    assert [r.obj for r in records] == [_vm(i) for i in range(10)]
    assert [r.name for r in records] == [f"db-{i:02d}" for i in range(10)]
    calls = fake.calls[start:]
    assert [c.method for c in calls] == [
        "RetrievePropertiesEx", "ContinueRetrievePropertiesEx", "ContinueRetrievePropertiesEx"]
    assert calls[0].text("options/" + V + "maxObjects") == "4"
    assert calls[0].all_text("v:specSet/v:propSet/v:type") == ["VirtualMachine"]
    assert calls[0].all_text("v:specSet/v:propSet/v:pathSet") == ["name"]
    assert [c.text("token") for c in calls[1:]] == ["0", "1"]
    assert fake.tokens == {}


async def test_iter_retrieve_yields_as_pages_arrive(fake: FakeVC, client: Client) -> None:
    fake.objects = _inventory(6)
    seen: list[tuple[str, int]] = []
    async with contextlib.aclosing(client.iter_retrieve(
            VIEW, ["name"], type="VirtualMachine", max_objects=4)) as records:
        async for record in records:
            seen.append((record.name, fake.count("ContinueRetrievePropertiesEx")))
    # The first page's records came out before the second page was asked for.
    assert seen == [(f"db-{i:02d}", 0 if i < 4 else 1) for i in range(6)]


async def test_stopping_early_cancels_the_open_token(fake: FakeVC, client: Client) -> None:
    fake.objects = _inventory(10)
    start = len(fake.calls)
    names: list[str] = []
    async with contextlib.aclosing(client.iter_retrieve(
            VIEW, ["name"], type="VirtualMachine", max_objects=4)) as records:
        async for record in records:
            names.append(record.name)
            if len(names) == 6:
                break
    # Deterministic: released by the end of the block.
    assert names == [f"db-{i:02d}" for i in range(6)]
    assert fake.methods[start:] == [
        "RetrievePropertiesEx", "ContinueRetrievePropertiesEx", "CancelRetrievePropertiesEx"]
    assert fake.calls[-1].text("token") == "1"
    assert fake.tokens == {}


async def test_cancelled_retrieve_cancels_the_open_token(fake: FakeVC, client: Client) -> None:
    fake.objects = _inventory(10)
    entered = asyncio.Event()

    async def stuck(call: Call) -> None:
        entered.set()
        await asyncio.sleep(3600)

    fake.on["ContinueRetrievePropertiesEx"] = stuck
    start = len(fake.calls)
    task = asyncio.create_task(client.retrieve(VIEW, ["name"], type="VirtualMachine",
                                               max_objects=4))
    await asyncio.wait_for(entered.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await fake.wait_for("CancelRetrievePropertiesEx")
    assert fake.methods[start:] == [
        "RetrievePropertiesEx", "ContinueRetrievePropertiesEx", "CancelRetrievePropertiesEx"]
    assert fake.calls[-1].text("token") == "0"
    assert client.stats.in_flight == 0


async def test_deadline_during_paging_cancels_the_open_token(fake: FakeVC, client: Client
                                                             ) -> None:
    fake.objects = _inventory(10)

    async def slow(call: Call) -> None:
        await asyncio.sleep(3600)

    fake.on["ContinueRetrievePropertiesEx"] = slow
    start = len(fake.calls)
    with pytest.raises(TimeoutError):
        async with aiovsphere.timeout(0.1):
            await client.retrieve(VIEW, ["name"], type="VirtualMachine", max_objects=4)
    await fake.wait_for("CancelRetrievePropertiesEx")
    assert fake.methods[start:] == [
        "RetrievePropertiesEx", "ContinueRetrievePropertiesEx", "CancelRetrievePropertiesEx"]
    assert fake.calls[-1].text("token") == "0"


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(("source", "paths", "kwargs"), [
    ([_vm(1)], "name", {}),                                   # a str as paths
    ([_vm(1)], ["name", 3], {}),                              # a non-str path
    ([_vm(1), "vm-2"], ["name"], {}),                         # a non-moref in the list
    ("vm-1", ["name"], {}),                                   # a str as source
    ([], ["name"], {}),                                       # nothing to read
    (VIEW, ["name"], {}),                                     # a view moref without type
    ([_vm(1), ManagedObjectReference("HostSystem", "host-1")],
     {"VirtualMachine": ["name"]}, {}),                       # no paths for HostSystem
])
async def test_bad_input_fails_before_anything_is_sent(
    fake: FakeVC, client: Client, source: Any, paths: Any, kwargs: Any
) -> None:
    start = len(fake.calls)
    with pytest.raises(aiovsphere.EncodeError):
        await client.retrieve(source, paths, **kwargs)
    with pytest.raises(aiovsphere.EncodeError):
        async for _record in client.iter_retrieve(source, paths, **kwargs):
            pass
    assert len(fake.calls) == start


# ------------------------------------------------------------------ views
async def test_view_destroyed_on_exit_error_and_cancellation(fake: FakeVC, client: Client
                                                             ) -> None:
    start = len(fake.calls)
    async with client.container_view(["VirtualMachine"]) as view:
        assert view.ref == VIEW
    with pytest.raises(LookupError):
        async with client.container_view(["VirtualMachine"]):
            raise LookupError
    inside = asyncio.Event()

    async def body() -> None:
        async with client.container_view(["VirtualMachine"]):
            inside.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(body())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fake.methods[start:] == ["CreateContainerView", "DestroyView"] * 3
    destroyed = [c.text("_this") for c in fake.calls[start:] if c.method == "DestroyView"]
    assert destroyed == [VIEW.value] * 3


@pytest.mark.parametrize("how", ["cancel", "deadline"])
async def test_view_made_while_the_caller_gave_up_is_destroyed(
    fake: FakeVC, client: Client, how: str
) -> None:
    """CreateContainerView still in flight when the caller is cancelled or its deadline
    passes: the server makes the view anyway, so it is destroyed once the answer lands."""
    created = asyncio.Event()

    async def slow_create(call: Call) -> None:
        await asyncio.sleep(0.2)
        created.set()
        return None  # then the default answer: the view's moref

    fake.on["CreateContainerView"] = slow_create
    start = len(fake.calls)

    async def enter() -> None:
        async with client.container_view(["VirtualMachine"]):
            raise AssertionError("never entered")

    if how == "cancel":
        task = asyncio.create_task(enter())
        await fake.wait_for("CreateContainerView", fake.count("CreateContainerView"))
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        with pytest.raises(TimeoutError):
            async with aiovsphere.timeout(0.05):
                await enter()
    # The caller's exception comes once the view the server made is destroyed.
    assert created.is_set()
    await fake.wait_for("DestroyView")
    assert fake.methods[start:] == ["CreateContainerView", "DestroyView"]
    assert fake.calls[-1].text("_this") == VIEW.value


def _list_view_methods(fake: FakeVC, unknown: set[str]) -> list[list[str]]:
    """CreateListView/ModifyListView/ResetListView on the fake; ``unknown`` values cannot
    be added (returned, as vCenter does). Returns the log of (method, objs) calls."""
    log: list[list[str]] = []

    def unresolved(objs: list[str]) -> str:
        return "".join(f'<returnval type="VirtualMachine">{o}</returnval>'
                       for o in objs if o in unknown)

    def create(call: Call) -> Any:
        log.append(["CreateListView", *call.all_text("v:obj")])
        return ok("CreateListView", f'<returnval type="ListView">{LIST_VIEW.value}</returnval>')

    def modify(call: Call) -> Any:
        log.append(["ModifyListView", *call.all_text("v:add"), "-", *call.all_text("v:remove")])
        return ok("ModifyListView", unresolved(call.all_text("v:add")))

    def reset(call: Call) -> Any:
        log.append(["ResetListView", *call.all_text("v:obj")])
        return ok("ResetListView", unresolved(call.all_text("v:obj")))

    fake.on.update(CreateListView=create, ModifyListView=modify, ResetListView=reset)
    return log


async def test_list_view_modify_reset_and_reopen(fake: FakeVC, client: Client) -> None:
    log = _list_view_methods(fake, unknown={"vm-9"})
    start = len(fake.calls)
    async with client.list_view([_vm(1), client.mo(_vm(2))]) as view:
        assert view.ref == LIST_VIEW
        assert await view.modify(add=[_vm(3), _vm(9)], remove=[_vm(1)]) == (_vm(9),)
        assert view.initial == (_vm(2), _vm(3))  # what reopen() makes again
        await view.reopen()
        assert await view.reset([_vm(5), _vm(9), client.mo(_vm(6))]) == (_vm(9),)
        assert view.initial == (_vm(5), _vm(6))
        await view.reopen()
    assert log == [
        ["CreateListView", "vm-1", "vm-2"],
        ["ModifyListView", "vm-3", "vm-9", "-", "vm-1"],
        ["CreateListView", "vm-2", "vm-3"],
        ["ResetListView", "vm-5", "vm-9", "vm-6"],
        ["CreateListView", "vm-5", "vm-6"],
    ]
    assert [m for m in fake.methods[start:] if m in ("CreateListView", "DestroyView")] == [
        "CreateListView", "DestroyView", "CreateListView", "DestroyView", "CreateListView",
        "DestroyView"]
    with pytest.raises(RuntimeError):
        view.ref  # noqa: B018 (closed)
