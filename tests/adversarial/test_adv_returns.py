"""A well-formed response whose ``returnval`` is not what the method returns (or is missing)
must end in a typed ``DecodeError`` naming the method, not in a str/None posing as the
result and an ``AttributeError`` / ``LookupError`` / ``RuntimeError`` later."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from lxml import etree

import aiovsphere
from aiovsphere.transport.mock import MockResponse, MockTransport
from aiovsphere.vim import types as t

from ._support import SERVICE_CONTENT, HostileServer, response

RSC = "RetrieveServiceContent"
WRONG_SERVICE_CONTENT = {
    "no-returnval": "",
    "xsd-string": '<returnval xsi:type="xsd:string">x</returnval>',
    "other-data-type": '<returnval xsi:type="AboutInfo"><name>x</name></returnval>',
    "array": '<returnval xsi:type="ArrayOfString"><string>a</string></returnval>',
    "moref": '<returnval xsi:type="ManagedObjectReference" type="Folder">f</returnval>',
    "text-only": "<returnval>hello</returnval>",
    "no-property-collector": SERVICE_CONTENT.replace(
        '<propertyCollector type="PropertyCollector">propertyCollector</propertyCollector>', ""),
}


def answering(bodies: dict[str, bytes]
              ) -> Callable[[web.Request, str], Awaitable[web.StreamResponse | None]]:
    async def handler(request: web.Request, method: str) -> web.StreamResponse | None:
        body = bodies.get(method)
        if body is None:
            return None
        return web.Response(body=body, content_type="text/xml")
    return handler


@pytest.mark.parametrize("name", list(WRONG_SERVICE_CONTENT))
@pytest.mark.parametrize("negotiate", [False, True], ids=["pinned", "negotiated"])
async def test_open_refuses_a_service_content_that_is_not_one(name: str, negotiate: bool
                                                              ) -> None:
    bodies = {RSC: response(RSC, WRONG_SERVICE_CONTENT[name])}
    async with HostileServer(answering(bodies)) as server:
        options = {} if negotiate else {"version": "8.0.3.0"}
        with pytest.raises(aiovsphere.DecodeError) as info:
            async with asyncio.timeout(10):
                async with aiovsphere.connect(server.url, user="u", password="p", **options):
                    pytest.fail("connect must not succeed")
        assert info.value.method == RSC


async def test_unreadable_version_documents_fall_back_to_asking_the_server() -> None:
    """vimServiceVersions.xml and vimService.wsdl are hints: a hostile one (a version with
    5,000 digits makes ``int()`` raise ValueError) must not fail the connect."""
    async with HostileServer(answering({})) as server:
        huge = b"1" + b"0" * 5000
        # No vimServiceVersions.xml (404), so the WSDL is read.
        server.documents["vimService.wsdl"] = (
            200, b'<definitions><operation soapAction="urn:vim25/' + huge + b'"/>'
            b'<operation soapAction="urn:vim25/8.0.3.0"/></definitions>')
        async with asyncio.timeout(10):
            client = aiovsphere.Client(server.url)
            try:
                await client.open()
                assert client.version == "8.0.3.0"  # from the fallback: about.apiVersion
            finally:
                await client.close()


async def test_get_properties_refuses_a_result_of_the_wrong_type() -> None:
    bodies = {"RetrievePropertiesEx": response(
        "RetrievePropertiesEx", '<returnval xsi:type="xsd:string">x</returnval>')}
    async with HostileServer(answering(bodies)) as server:
        client = aiovsphere.Client(server.url, version="8.0.3.0")
        try:
            await client.open()
            with pytest.raises(aiovsphere.DecodeError) as info:
                await client.get_properties(client.content.rootFolder, ["name"])
            assert info.value.method == "RetrievePropertiesEx"
        finally:
            await client.close()


async def test_get_properties_refuses_nested_values_of_the_wrong_type() -> None:
    bodies = {"RetrievePropertiesEx": response(
        "RetrievePropertiesEx", '<returnval><objects xsi:type="xsd:string">x</objects>'
        "</returnval>")}
    async with HostileServer(answering(bodies)) as server:
        client = aiovsphere.Client(server.url, version="8.0.3.0")
        try:
            await client.open()
            with pytest.raises(aiovsphere.DecodeError):
                await client.get_properties(client.content.rootFolder, ["name"])
        finally:
            await client.close()


# ---------------------------------------------------------------------- mutation fuzz
XSI = "{http://www.w3.org/2001/XMLSchema-instance}type"
TEXTS = ["", "abc", "-1", "1e999", "NaN", "9" * 40, "true", "2024-13-45T99:99:99Z",
         "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00", "!!!", "===", "\u00e9", " 12 "]
XSIS = ["xsd:int", "xsd:string", "xsd:boolean", "xsd:dateTime", "xsd:base64Binary",
        "xsd:double", "xsd:anyType", "xsd:QName", "ManagedObjectReference", "ArrayOfString",
        "ArrayOfManagedObjectReference", "ArrayOfAnyType", "ArrayOfNope", "Nope", "q:Nope",
        ":", "", "xsd:", "VirtualMachinePowerState", "AboutInfo", "UserSession",
        "ServiceContent", "ObjectContent", "RetrieveResult", "InvalidLogin", "DynamicProperty"]
PROPS = (
    '<returnval><objects><obj type="VirtualMachine">vm-1</obj>'
    '<propSet><name>config</name><val xsi:type="VirtualMachineConfigInfo"><name>x</name>'
    "<hardware><numCPU>2</numCPU><memoryMB>4</memoryMB><device xsi:type=\"VirtualDisk\">"
    "<key>1</key><capacityInKB>5</capacityInKB></device></hardware>"
    "<modified>2024-01-01T00:00:00Z</modified></val></propSet>"
    '<propSet><name>p</name><val xsi:type="VirtualMachinePowerState">poweredOn</val></propSet>'
    '<propSet><name>s</name><val xsi:type="ArrayOfString"><string>a</string></val></propSet>'
    "</objects><token>t</token></returnval>"
)
USER_SESSION = (
    "<returnval><key>k</key><userName>u</userName><fullName>f</fullName>"
    "<loginTime>2024-05-01T10:00:00Z</loginTime><lastActiveTime>2024-05-01T10:00:00Z"
    "</lastActiveTime><locale>en</locale><messageLocale>en</messageLocale>"
    "<extensionSession>false</extensionSession></returnval>"
)
FAULT = (
    '<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>bad</faultstring>'
    '<detail><InvalidArgumentFault xmlns="urn:vim25" xsi:type="InvalidArgument">'
    "<invalidProperty>x</invalidProperty><faultCause xsi:type=\"NotFound\"/><faultMessage>"
    "<key>k</key><arg><key>a</key><value xsi:type=\"xsd:string\">v</value></arg>"
    "<message>m</message></faultMessage></InvalidArgumentFault></detail></soapenv:Fault>"
)
SEEDS = {
    RSC: response(RSC, SERVICE_CONTENT),
    "RetrievePropertiesEx": response("RetrievePropertiesEx", PROPS),
    "CurrentTime": response("CurrentTime", "<returnval>2024-05-01T10:00:00.5Z</returnval>"),
    "Login": response("Login", USER_SESSION),
}
EXPECTED = {RSC: t.ServiceContent, "RetrievePropertiesEx": t.RetrieveResult,
            "Login": t.UserSession}


def mutate(root: etree._Element, rng: random.Random) -> None:
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    for _ in range(rng.randint(1, 4)):
        el = rng.choice(elements)
        op = rng.randrange(7)
        if op == 0:
            el.text = rng.choice(TEXTS)
        elif op == 1:
            el.set(XSI, rng.choice(XSIS))
        elif op == 2 and el.getparent() is not None:
            el.getparent().append(etree.fromstring(etree.tostring(el)))  # type: ignore[union-attr]
        elif op == 3:
            el.attrib.pop("type", None)
        elif op == 4:
            el.set("type", rng.choice(["", "Nope", "VirtualMachine"]))
        elif op == 5:
            for child in list(el):
                el.remove(child)
        else:
            el.set(XSI, rng.choice(XSIS))
            el.text = rng.choice(TEXTS)


async def test_mutated_responses_give_typed_errors_or_typed_results() -> None:
    rng = random.Random(20240501)
    current: dict[str, bytes | int] = {}

    def handler(request: object) -> MockResponse:
        return MockResponse(current["body"], status=current["status"])  # type: ignore[arg-type]

    client = aiovsphere.Client("https://vc.example.com", transport=MockTransport(handler),
                               version="8.0.3.0", decode_in_thread_bytes=1 << 30)
    current.update(body=SEEDS[RSC], status=200)
    await client.open()
    sm = client.content.sessionManager
    assert sm is not None
    pc = client.content.propertyCollector
    spec = t.PropertyFilterSpec(objectSet=(t.ObjectSpec(obj=sm),),
                                propSet=(t.PropertySpec(type="VirtualMachine"),))
    calls = {
        RSC: lambda: client.invoke(client.service_instance, RSC),
        "RetrievePropertiesEx": lambda: client.invoke(pc, "RetrievePropertiesEx",
                                                      specSet=(spec,),
                                                      options=t.RetrieveOptions()),
        "CurrentTime": lambda: client.invoke(client.service_instance, "CurrentTime"),
        "Login": lambda: client.invoke(sm, "Login", userName="u", password="p"),
    }
    outcomes: dict[str, int] = {}
    try:
        for _ in range(600):
            method = rng.choice([*SEEDS, "fault"])
            if method == "fault":
                root = etree.fromstring(SEEDS["CurrentTime"].replace(
                    b'<CurrentTimeResponse xmlns="urn:vim25"><returnval>2024-05-01T10:00:00.5Z'
                    b"</returnval></CurrentTimeResponse>", FAULT.encode()))
                method, status = "CurrentTime", 500
            else:
                root, status = etree.fromstring(SEEDS[method]), 200
            mutate(root, rng)
            current.update(body=etree.tostring(root), status=status)
            try:
                value = await calls[method]()
            except aiovsphere.VSphereError as exc:
                assert getattr(exc, "method", None) == method, repr(exc)
                str(exc)
                outcomes[type(exc).__name__] = outcomes.get(type(exc).__name__, 0) + 1
                continue
            expected = EXPECTED.get(method)
            if expected is not None and value is not None:
                assert isinstance(value, expected), (method, current["body"])
            outcomes["ok"] = outcomes.get("ok", 0) + 1
    finally:
        await client.close()
    assert outcomes.get("ok", 0) > 50 and outcomes.get("DecodeError", 0) > 20, outcomes
