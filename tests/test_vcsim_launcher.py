"""The vcsim launcher, checked with nothing but the standard library (no aiovsphere)."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from tools.vcsim.launcher import Vcsim, VcsimError

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
VIM = "{urn:vim25}"


def soap(url: str, body: str, cookie: str | None = None) -> tuple[int, ET.Element, str | None]:
    """POST one vim25 call; return the HTTP status, the Body's child and the session cookie."""
    envelope = (
        f'<soapenv:Envelope xmlns:soapenv="{SOAPENV}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<soapenv:Body xmlns="urn:vim25">{body}</soapenv:Body></soapenv:Envelope>'
    )
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"urn:vim25/7.0"'}
    if cookie:
        headers["Cookie"] = cookie
    request = urllib.request.Request(url, envelope.encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, data, reply = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:  # SOAP faults come with status 500
        with error:
            status, data, reply = error.code, error.read(), error.headers
    session = reply.get("Set-Cookie", "").split(";")[0] or cookie
    result = ET.fromstring(data).find(f"{{{SOAPENV}}}Body")
    assert result is not None
    return status, result[0], session


def login(url: str, user: str, password: str) -> tuple[int, ET.Element, str | None]:
    return soap(
        url,
        '<Login><_this type="SessionManager">SessionManager</_this>'
        f"<userName>{user}</userName><password>{password}</password></Login>",
    )


def fault_type(fault: ET.Element) -> str | None:
    """The vim25 fault type named by a soapenv:Fault's detail."""
    detail = fault.find("detail")
    assert detail is not None
    return detail[0].get("{http://www.w3.org/2001/XMLSchema-instance}type")


def test_service_content_and_service_versions_agree(vcsim_url: str) -> None:
    status, content, _ = soap(
        vcsim_url,
        '<RetrieveServiceContent><_this type="ServiceInstance">ServiceInstance</_this>'
        "</RetrieveServiceContent>",
    )
    assert status == 200
    api_version = content.findtext(f"{VIM}returnval/{VIM}about/{VIM}apiVersion")
    assert content.findtext(f"{VIM}returnval/{VIM}about/{VIM}apiType") == "VirtualCenter"

    base = vcsim_url.removesuffix("/sdk")
    with urllib.request.urlopen(f"{base}/sdk/vimServiceVersions.xml", timeout=30) as response:
        versions = ET.fromstring(response.read())
    namespace = versions.find("namespace")
    assert namespace is not None
    assert namespace.findtext("name") == "urn:vim25"
    assert api_version and namespace.findtext("version") == api_version


def test_inventory_has_the_promised_vm_count(vcsim: Vcsim) -> None:
    status, _, cookie = login(vcsim.url, "counter", "pw")
    assert status == 200 and cookie
    _, created, _ = soap(
        vcsim.url,
        '<CreateContainerView><_this type="ViewManager">ViewManager</_this>'
        '<container type="Folder">group-d1</container>'
        "<type>VirtualMachine</type><recursive>true</recursive></CreateContainerView>",
        cookie,
    )
    view = created.findtext(f"{VIM}returnval")
    status, result, _ = soap(
        vcsim.url,
        '<RetrievePropertiesEx><_this type="PropertyCollector">propertyCollector</_this>'
        "<specSet><propSet><type>VirtualMachine</type><all>false</all></propSet>"
        f'<objectSet><obj type="ContainerView">{view}</obj><skip>true</skip>'
        '<selectSet xsi:type="TraversalSpec"><type>ContainerView</type><path>view</path>'
        "</selectSet></objectSet></specSet><options/></RetrievePropertiesEx>",
        cookie,
    )
    assert status == 200
    assert len(result.findall(f"{VIM}returnval/{VIM}objects")) == vcsim.vm_count == 8


def test_any_credentials_log_in_by_default_but_not_an_empty_password(vcsim_url: str) -> None:
    assert login(vcsim_url, "anyone", "anything")[0] == 200
    status, fault, _ = login(vcsim_url, "anyone", "")
    assert status == 500
    assert fault_type(fault) == "InvalidLogin"


def test_username_and_password_make_only_that_pair_valid() -> None:
    with Vcsim(vms=0, username="admin", password="s3cret") as sim:
        assert login(sim.url, "admin", "s3cret")[0] == 200
        for user, password in [("admin", "wrong"), ("other", "s3cret"), ("user", "pass")]:
            status, fault, _ = login(sim.url, user, password)
            assert status == 500
            assert fault_type(fault) == "InvalidLogin"


def test_stop_ends_the_process() -> None:
    sim = Vcsim(vms=0).start()
    pid = sim.pid
    sim.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(RuntimeError):
        _ = sim.url


def test_startup_failure_quotes_vcsim_stderr(vcsim_url: str) -> None:
    taken = urlsplit(vcsim_url).netloc
    with pytest.raises(VcsimError, match="address already in use"):
        Vcsim(vms=0, listen=taken).start()


@pytest.mark.parametrize(
    ("wanted", "hosts", "vms", "total"),
    [
        (8, 1, 4, 8),
        (2000, 39, 50, 2000),
        (7, 1, 4, 8),
    ],
)
def test_for_vm_count(wanted: int, hosts: int, vms: int, total: int) -> None:
    sim = Vcsim.for_vm_count(wanted)
    assert (sim.dc, sim.clusters, sim.hosts, sim.vms) == (1, 1, hosts, vms)
    assert sim.vm_count == total
