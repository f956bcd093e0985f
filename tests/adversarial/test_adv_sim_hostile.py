"""Hostile requests to the embedded simulator's ``/sdk``, posted raw (aiohttp): each is
answered with a SOAP fault (HTTP 500, text/xml) or a plain HTTP refusal, never a text
traceback page, never with an entity expanded or a file read, and the server goes on
serving everyone else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

import aiovsphere
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._model import SimObject

from .test_adv_sim_support import Answer, call, login_raw, post, soap_fault

LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">'
                    for i in range(1, 10)) + "]>")
XXE = '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.fixture(scope="module")
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(task_seconds=0) as sim:
        yield sim


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def vm_named(sim: Simulator, name: str) -> SimObject:
    return next(o for o in sim.model.of_type("VirtualMachine") if o.props["name"] == name)


async def still_serving(sim: Simulator, http: aiohttp.ClientSession) -> None:
    cookie = await login_raw(http, sim.url)
    answer = await post(http, sim.url, call("CurrentTime", "ServiceInstance",
                                            "ServiceInstance"), cookie)
    assert answer.status == 200 and "<CurrentTimeResponse" in answer.text


@pytest.mark.parametrize("body", [
    b"", b"hello", b"<not-closed>", b"\xff\xfe\x00<", b'{"json": true}',
    b'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv='
    b'"http://schemas.xmlsoap.org/soap/envelope/"/>',
    b"<a>" * 5000 + b"</a>" * 5000,  # nesting past the parser's limit
    call("CurrentTime", "ServiceInstance", "ServiceInstance", "<a>" * 400 + "</a>" * 400),
    call("Frobnicate", "ServiceInstance", "ServiceInstance"),
    b'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv='
    b'"http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><CurrentTime '
    b'xmlns="urn:vim25"/></soapenv:Body></soapenv:Envelope>',  # no _this
], ids=["empty", "text", "unclosed", "binary", "json", "no-body", "deep", "deep-param",
        "unknown-method", "no-this"])
async def test_garbage_is_an_invalid_request_fault(sim: Simulator,
                                                   http: aiohttp.ClientSession,
                                                   body: bytes) -> None:
    cookie = await login_raw(http, sim.url)
    answer = await post(http, sim.url, body, cookie)
    assert soap_fault(answer) == "InvalidRequest", answer
    await still_serving(sim, http)


async def test_entities_are_never_expanded_nor_files_read(sim: Simulator,
                                                          http: aiohttp.ClientSession) -> None:
    cookie = await login_raw(http, sim.url)
    vm = vm_named(sim, "DC0_H0_VM0")
    for prolog, ref in ((LAUGHS, "&lol9;"), (XXE, "&xxe;")):
        answer = await post(http, sim.url, call(
            "Rename_Task", "VirtualMachine", vm.ref.value, f"<newName>{ref}</newName>",
            prolog), cookie)
        assert "root:" not in answer.text and "lollollol" not in answer.text
        await asyncio.sleep(0.05)
        name = vm.props["name"]
        assert "root:" not in name and "lollol" not in name
        assert answer.status in (200, 500) and answer.content_type.startswith("text/xml")
    await still_serving(sim, http)


async def test_a_request_with_a_doctype_is_refused(sim: Simulator,
                                                   http: aiohttp.ClientSession) -> None:
    cookie = await login_raw(http, sim.url)
    vm = vm_named(sim, "DC0_H0_VM1")
    try:
        answer = await post(http, sim.url, call(
            "Rename_Task", "VirtualMachine", vm.ref.value, "<newName>abc&xxe;def</newName>",
            XXE), cookie)
        await asyncio.sleep(0.05)
        assert vm.props["name"] == "DC0_H0_VM1"
        assert soap_fault(answer) == "InvalidRequest", answer
    finally:
        from aiovsphere.simulator._inv_api import rename_entity

        rename_entity(sim, vm.ref, "DC0_H0_VM1")  # the module's simulator is shared


async def test_a_body_over_the_limit_is_refused_and_the_server_goes_on(
        sim: Simulator, http: aiohttp.ClientSession) -> None:
    from aiovsphere.simulator._server import MAX_REQUEST_BYTES

    cookie = await login_raw(http, sim.url)
    big = call("CurrentTime", "ServiceInstance", "ServiceInstance",
               "<!--" + "x" * (MAX_REQUEST_BYTES + 1024) + "-->")
    answer = await post(http, sim.url, big, cookie)
    assert answer.status == 413 or soap_fault(answer) == "InvalidRequest", answer.status
    assert "Traceback" not in answer.text
    await still_serving(sim, http)


@pytest.mark.parametrize(("method", "this_type", "inner"), [
    ("Login", "SessionManager", "<userName>admin</userName>"),
    ("ReconfigVM_Task", "VirtualMachine", ""),
    ("CreateFilter", "PropertyCollector", ""),
    ("TerminateSession", "SessionManager", ""),
    ("Fetch", "VirtualMachine", ""),
    ("QueryEvents", "EventManager", ""),
    ("CreateSnapshot_Task", "VirtualMachine", "<name>s</name>"),
])
async def test_a_missing_required_parameter_is_a_soap_fault(
        sim: Simulator, http: aiohttp.ClientSession, method: str, this_type: str,
        inner: str) -> None:
    cookie = await login_raw(http, sim.url)
    this = {"SessionManager": "SessionManager", "PropertyCollector": "propertyCollector",
            "EventManager": "EventManager"}.get(this_type)
    if this is None:
        this = vm_named(sim, "DC0_C0_RP0_VM0").ref.value
    answer = await post(http, sim.url, call(method, this_type, this, inner), cookie)
    assert soap_fault(answer) in ("InvalidRequest", "InvalidArgument"), answer
    await still_serving(sim, http)


async def test_an_array_where_a_scalar_is_expected_is_refused(
        sim: Simulator, http: aiohttp.ClientSession) -> None:
    answer = await post(http, sim.url, call(
        "Login", "SessionManager", "SessionManager",
        "<userName>alice</userName><userName>bob</userName><password>pw</password>"))
    assert soap_fault(answer) == "InvalidRequest", answer


@pytest.mark.parametrize(("this_type", "this", "method", "inner", "expected"), [
    ("Folder", "group-d1", "PowerOnVM_Task", "", "MethodNotFound"),
    ("VirtualMachine", "group-d1", "PowerOnVM_Task", "", "ManagedObjectNotFound"),
    ("Bogus", "group-d1", "CurrentTime", "", "ManagedObjectNotFound"),
    ("ServiceInstance", "", "CurrentTime", "", "ManagedObjectNotFound"),
    ("ServiceInstance", "ServiceInstance", "CurrentTime", "<bogus>1</bogus>", "InvalidRequest"),
    ("PropertyCollector", "propertyCollector", "RetrievePropertiesEx",
     "<specSet/><options><maxObjects>abc</maxObjects></options>", "InvalidRequest"),
    ("ViewManager", "ViewManager", "CreateContainerView",
     '<container type="Folder">group-d1</container><recursive>maybe</recursive>',
     "InvalidRequest"),
    ("ViewManager", "ViewManager", "CreateListView", "<obj>no-type</obj>", "InvalidRequest"),
    ("VirtualMachine", "@VM", "ReconfigVM_Task", '<spec xsi:type="HostConfigSpec"/>',
     "InvalidRequest"),
    ("EventManager", "EventManager", "QueryEvents",
     "<filter><time><beginTime>yesterday</beginTime></time></filter>", "InvalidRequest"),
])
async def test_wrong_this_and_wrong_parameter_types_are_faults(
        sim: Simulator, http: aiohttp.ClientSession, this_type: str, this: str, method: str,
        inner: str, expected: str) -> None:
    cookie = await login_raw(http, sim.url)
    if this == "@VM":
        this = vm_named(sim, "DC0_C0_RP0_VM0").ref.value
    answer = await post(http, sim.url, call(method, this_type, this, inner), cookie)
    assert soap_fault(answer) == expected, answer
    await still_serving(sim, http)


async def test_forged_stale_and_foreign_cookies_are_not_authenticated(
        sim: Simulator, http: aiohttp.ClientSession) -> None:
    ct = call("CurrentTime", "ServiceInstance", "ServiceInstance")
    props = call("RetrievePropertiesEx", "PropertyCollector", "propertyCollector",
                 "<specSet><propSet><type>Folder</type><pathSet>name</pathSet></propSet>"
                 '<objectSet><obj type="Folder">group-d1</obj></objectSet></specSet>'
                 "<options/>")
    cookie = await login_raw(http, sim.url)
    for forged in ("0" * 40, "", '"', cookie + "x", cookie.upper(), "../" + cookie,
                   next(iter(sim.sessions.values())).key):  # a session *key* is no cookie
        answer = await post(http, sim.url, props, forged)
        assert soap_fault(answer) == "NotAuthenticated", (forged, answer)
    assert (await post(http, sim.url, ct, "0" * 40)).status == 200  # needs no session
    await post(http, sim.url, call("Logout", "SessionManager", "SessionManager"), cookie)
    assert soap_fault(await post(http, sim.url, props, cookie)) == "NotAuthenticated"


async def test_another_sessions_objects_are_not_found(sim: Simulator,
                                                      http: aiohttp.ClientSession) -> None:
    async with aiovsphere.connect(sim.url, user="owner", password="pw") as owner:
        view = await owner.invoke(owner.service("viewManager"), "CreateContainerView",
                                  container=owner.content.rootFolder,
                                  type=["VirtualMachine"], recursive=True)
        collector = await owner.invoke(owner.service("propertyCollector"),
                                       "CreatePropertyCollector")
        other = await login_raw(http, sim.url, user="intruder")
        probes = [
            call("DestroyView", view.type, view.value),
            call("DestroyPropertyCollector", collector.type, collector.value),
            call("WaitForUpdatesEx", collector.type, collector.value, "<version></version>"),
            call("CancelWaitForUpdates", "ManagedObject", collector.value),
            call("RetrievePropertiesEx", "PropertyCollector", "propertyCollector",
                 "<specSet><propSet><type>ContainerView</type><pathSet>view</pathSet>"
                 f'</propSet><objectSet><obj type="ContainerView">{view.value}</obj>'
                 "</objectSet></specSet><options/>"),
            call("CreateListViewFromView", "ViewManager", "ViewManager",
                 f'<view type="ContainerView">{view.value}</view>'),
        ]
        for body in probes:
            answer = await post(http, sim.url, body, other)
            assert soap_fault(answer) == "ManagedObjectNotFound", answer
        # Both objects survived the attempts.
        assert view in sim.model and collector in sim.model


async def test_logout_while_calls_are_in_flight(sim: Simulator,
                                                http: aiohttp.ClientSession) -> None:
    cookie = await login_raw(http, sim.url)
    spec = ("<spec><propSet><type>Folder</type><pathSet>name</pathSet></propSet>"
            '<objectSet><obj type="Folder">group-d1</obj></objectSet></spec>'
            "<partialUpdates>false</partialUpdates>")
    pc = ("PropertyCollector", "propertyCollector")
    assert (await post(http, sim.url, call("CreateFilter", *pc, spec), cookie)).status == 200
    first = await post(http, sim.url, call("WaitForUpdatesEx", *pc, "<version></version>"),
                       cookie)
    assert "<version>1</version>" in first.text
    waits = [asyncio.ensure_future(post(http, sim.url, call(
        "WaitForUpdatesEx", *pc, "<version>1</version>"), cookie)) for _ in range(3)]
    reads = [asyncio.ensure_future(post(http, sim.url, call(
        "CurrentTime", "ServiceInstance", "ServiceInstance"), cookie)) for _ in range(20)]
    await asyncio.sleep(0.05)
    logout = await post(http, sim.url, call("Logout", "SessionManager", "SessionManager"),
                        cookie)
    assert logout.status == 200
    async with asyncio.timeout(5):
        ended: list[Answer] = await asyncio.gather(*waits)
        done: list[Answer] = await asyncio.gather(*reads)
    assert [soap_fault(a) for a in ended] == ["NotAuthenticated"] * 3
    assert all(a.status == 200 for a in done)
    await still_serving(sim, http)


@pytest.mark.parametrize("inner", [
    "<spec><cpuAllocation><shares><shares>5</shares><level>bogus</level></shares>"
    "</cpuAllocation></spec>",
    "<spec><latencySensitivity><level>bogus</level></latencySensitivity></spec>",
    "<spec><maxMksConnections>99999999999</maxMksConnections></spec>",
    '<spec><deviceChange><operation>add</operation><device xsi:type="VirtualE1000">'
    "<key>-1</key><unitNumber>99999999999</unitNumber>"
    '<backing xsi:type="VirtualEthernetCardNetworkBackingInfo"><deviceName>VM Network'
    "</deviceName></backing></device></deviceChange></spec>",
], ids=["enum-shares", "enum-latency", "int-range", "int-range-device"])
async def test_a_value_outside_its_xsd_type_is_refused_not_stored(
        sim: Simulator, http: aiohttp.ClientSession, inner: str) -> None:
    cookie = await login_raw(http, sim.url)
    vm = vm_named(sim, "DC0_C0_RP0_VM1")
    before = vm.props["config"]
    try:
        answer = await post(http, sim.url, call("ReconfigVM_Task", "VirtualMachine",
                                                vm.ref.value, inner), cookie)
        await asyncio.sleep(0.05)
        read = await post(http, sim.url, call(
            "RetrievePropertiesEx", "PropertyCollector", "propertyCollector",
            "<specSet><propSet><type>VirtualMachine</type><pathSet>config</pathSet>"
            f'</propSet><objectSet><obj type="VirtualMachine">{vm.ref.value}</obj>'
            "</objectSet></specSet><options/>"), cookie)
        assert soap_fault(read) is None and read.status == 200, read.text[:300]
        assert soap_fault(answer) == "InvalidRequest", answer
    finally:
        vm.props["config"] = before  # the module's simulator is shared


async def test_set_task_state_refuses_a_state_that_is_no_task_info_state(
        sim: Simulator, http: aiohttp.ClientSession) -> None:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        vm = vm_named(sim, "DC0_H0_VM0").ref
        info = await client.invoke(client.service("taskManager"), "CreateTask", obj=vm,
                                   taskTypeId="adv.task", cancelable=False)
        cookie = await login_raw(http, sim.url)
        answer = await post(http, sim.url, call("SetTaskState", "Task", info.task.value,
                                                "<state>bogus</state>"), cookie)
        try:
            async with client.property_collector() as collector:
                await collector.create_filter(t_filter(info.task))
                await collector.wait_for_updates()  # the whole info, encoded
            assert soap_fault(answer) in ("InvalidRequest", "InvalidArgument"), answer
        finally:
            task = sim.model.get(info.task)
            assert task is not None
            task.props["info"] = task.props["info"].model_copy(update={"state": "error"})


def t_filter(task: Any) -> Any:
    from aiovsphere.vim import types as t

    return t.PropertyFilterSpec(propSet=(t.PropertySpec(type="Task", pathSet=("info",)),),
                                objectSet=(t.ObjectSpec(obj=task),))
