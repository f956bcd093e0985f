"""API version negotiation, and refusing calls the negotiated version cannot carry."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import aiovsphere
from aiovsphere import Client, ManagedObjectReference
from aiovsphere.transport.mock import MockResponse
from aiovsphere.vim import types as t

from ._soap import PASSWORD, USER, FakeVC, ok


def versions_xml(current: str, prior: list[str]) -> MockResponse:
    priors = "".join(f"\n   <version>{v}</version>" for v in prior)
    body = f"""<?xml version="1.0" encoding="UTF-8" ?>
<!--
   Copyright 2008-2024 VMware, Inc.  All rights reserved.
-->
<namespaces version="1.0">
 <namespace>
  <name>urn:vim25</name>
  <version>{current}</version>
  <priorVersions>{priors}
  </priorVersions>
 </namespace>
 <namespace>
  <name>urn:vim2</name>
  <version>2.0</version>
 </namespace>
</namespaces>
"""
    return MockResponse(body.encode(), content_type="text/xml")


def service_wsdl(versions: list[str]) -> MockResponse:
    ops = "".join(
        f'<operation name="Op{i}"><soap:operation soapAction="urn:vim25/{v}" '
        'style="document"/></operation>'
        for i, v in enumerate(versions)
    )
    body = f"""<?xml version="1.0" encoding="UTF-8" ?>
<definitions targetNamespace="urn:vim25Service"
   xmlns="http://schemas.xmlsoap.org/wsdl/"
   xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
   xmlns:interface="urn:vim25">
   <binding name="VimBinding" type="interface:VimPortType">{ops}</binding>
   <service name="VimService">
      <port binding="interface:VimBinding" name="VimPort">
         <soap:address location="https://localhost/sdk/vimService" />
      </port>
   </service>
</definitions>
"""
    return MockResponse(body.encode(), content_type="text/xml")


PRIOR_8 = ["8.0.2.0", "8.0.1.0", "8.0.0.2", "8.0.0.1", "8.0.0.0", "7.0.3.0", "7.0.2.0",
           "7.0.1.0", "7.0.0.0", "6.7.3", "6.7", "6.5", "6.0", "5.5"]


async def _negotiated(fake: FakeVC) -> Client:
    client = Client("https://vc.example.com/sdk/", transport=fake.transport)
    await client.open()
    return client


def _soap_actions(fake: FakeVC) -> list[str]:
    return [c.request.headers["SOAPAction"] for c in fake.calls]


async def test_versions_xml(fake: FakeVC) -> None:
    fake.get_documents["vimServiceVersions.xml"] = versions_xml("8.0.3.0", PRIOR_8)
    client = await _negotiated(fake)
    try:
        assert client.version == "8.0.3.0"
        assert fake.gets == ["https://vc.example.com/sdk/vimServiceVersions.xml"]
        assert fake.methods == ["RetrieveServiceContent"]
        assert _soap_actions(fake) == ['"urn:vim25/8.0.3.0"']
        assert client.content.about.apiVersion == "8.0.3.0"
        await client.session.login(USER, PASSWORD)
        assert _soap_actions(fake)[-1] == '"urn:vim25/8.0.3.0"'
    finally:
        await client.close()


async def test_versions_xml_missing_falls_back_to_wsdl(fake: FakeVC) -> None:
    fake.get_documents["vimService.wsdl"] = service_wsdl(["7.0.3.0", "8.0.1.0", "6.7"])
    client = await _negotiated(fake)
    try:
        assert fake.gets == ["https://vc.example.com/sdk/vimServiceVersions.xml",
                             "https://vc.example.com/sdk/vimService.wsdl"]
        assert client.version == "8.0.1.0"
        assert _soap_actions(fake) == ['"urn:vim25/8.0.1.0"']
    finally:
        await client.close()


async def test_unusable_versions_xml_falls_back_to_wsdl(fake: FakeVC) -> None:
    fake.get_documents["vimServiceVersions.xml"] = MockResponse(
        b"<html><body>Welcome</body></html>", content_type="text/html")
    fake.get_documents["vimService.wsdl"] = service_wsdl(["8.0.2.0"])
    client = await _negotiated(fake)
    try:
        assert client.version == "8.0.2.0"
        assert len(fake.gets) == 2
    finally:
        await client.close()


async def test_server_newer_than_schema(fake: FakeVC) -> None:
    fake.api_version = "9.9.9.9"
    fake.get_documents["vimServiceVersions.xml"] = versions_xml(
        "9.9.9.9", ["9.0.0.0", "8.0.3.0", "8.0.2.0", "7.0.3.0"])
    client = await _negotiated(fake)
    try:
        assert client.version == "9.0.0.0"
        assert _soap_actions(fake) == ['"urn:vim25/9.0.0.0"']
    finally:
        await client.close()


@pytest.mark.parametrize(("api", "expected"), [("8.0.2.0", "8.0.2.0"),
                                                ("10.0.0.0", "9.1.1.0")])
async def test_no_documents_falls_back_to_service_content(
    fake: FakeVC, api: str, expected: str
) -> None:
    fake.api_version = api
    client = await _negotiated(fake)
    try:
        assert len(fake.gets) == 2
        assert client.version == expected
        # Asked in the oldest dialect first, then read again in the chosen one.
        assert fake.methods == ["RetrieveServiceContent", "RetrieveServiceContent"]
        assert _soap_actions(fake) == ['"urn:vim25/5.5"', f'"urn:vim25/{expected}"']
        await client.session.login(USER, PASSWORD)
        assert _soap_actions(fake)[-1] == f'"urn:vim25/{expected}"'
    finally:
        await client.close()


# ---------------------------------------------------------------------- refused before sending
@pytest.fixture
async def old_client(fake: FakeVC) -> AsyncIterator[Client]:
    client = Client("https://vc.example.com", transport=fake.transport, version="6.0")
    await client.open()
    await client.session.login(USER, PASSWORD)
    yield client
    await client.close()


async def test_method_newer_than_pinned_version(fake: FakeVC, old_client: Client) -> None:
    sent = len(fake.calls)
    with pytest.raises(aiovsphere.VersionError) as info:
        await old_client.invoke(
            old_client.content.authorizationManager, "HasUserPrivilegeOnEntities",
            entities=(ManagedObjectReference("VirtualMachine", "vm-1"),),
            userName="alice", privId=("VirtualMachine.Interact.PowerOn",),
        )
    assert isinstance(info.value, aiovsphere.EncodeError)
    assert info.value.method == "HasUserPrivilegeOnEntities"
    assert "6.5" in str(info.value)
    assert len(fake.calls) == sent


async def test_property_newer_than_pinned_version(fake: FakeVC, old_client: Client) -> None:
    vm = ManagedObjectReference("VirtualMachine", "vm-1")
    sent = len(fake.calls)
    with pytest.raises(aiovsphere.VersionError) as info:
        await old_client.invoke(vm, "ReconfigVM_Task",
                                spec=t.VirtualMachineConfigSpec(numCPUs=2, sevEnabled=True))
    assert info.value.path == "spec.sevEnabled"
    assert "7.0.1.0" in str(info.value)
    assert len(fake.calls) == sent
    # The same spec without the newer property is sent.
    fake.on["ReconfigVM_Task"] = lambda call: ok(
        "ReconfigVM_Task", '<returnval type="Task">task-101</returnval>')
    task = await old_client.invoke(vm, "ReconfigVM_Task",
                                   spec=t.VirtualMachineConfigSpec(numCPUs=2))
    assert task == ManagedObjectReference("Task", "task-101")
    assert fake.calls[-1].all_text("v:spec/v:numCPUs") == ["2"]


@pytest.mark.parametrize(
    ("method", "params", "path"),
    [
        ("CurrentTime", {"bogus": 1}, ""),
        ("Login", {"userName": USER}, "password"),
        ("Login", {"userName": USER, "password": 42}, "password"),
        ("Login", {"userName": USER, "password": "bad\x00char"}, "password"),
    ],
)
async def test_bad_arguments_raise_encode_error_and_send_nothing(
    fake: FakeVC, client: Client, method: str, params: dict[str, object], path: str
) -> None:
    sent = len(fake.calls)
    ref = client.service_instance.ref if method == "CurrentTime" else client.content.sessionManager
    with pytest.raises(aiovsphere.EncodeError) as info:
        await client.invoke(ref, method, **params)
    assert not isinstance(info.value, aiovsphere.VersionError)
    assert info.value.method == method
    assert info.value.path == path
    assert len(fake.calls) == sent
    assert client.stats.in_flight == 0


async def test_unknown_method_raises_attribute_error(fake: FakeVC, client: Client) -> None:
    sent = len(fake.calls)
    with pytest.raises(AttributeError):
        await client.invoke(client.service_instance, "NoSuchMethod")
    assert len(fake.calls) == sent
