"""A small fake vCenter for client tests: parses requests with lxml, answers with vim25 XML.

``FakeVC().transport`` is a :class:`MockTransport`; ``FakeVC.handle`` can also back a real
aiohttp server (see ``tests/transport/_server.py``). Every SOAP request is recorded in
``calls`` (method name, parsed element, cookie it carried). Behaviour is overridden per
method with ``fake.on["Method"] = fn`` where ``fn(call)`` returns a ``MockResponse`` (or
an awaitable of one), or ``None`` to fall through to the default.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from lxml import etree

from aiovsphere.transport.base import HttpRequest
from aiovsphere.transport.mock import MockResponse, MockTransport

NS_SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
NS_VIM = "urn:vim25"
V = "{%s}" % NS_VIM

USER = "administrator@vsphere.local"
PASSWORD = "S3cr3t-P4ssw0rd!"  # distinctive, so a leak is easy to spot

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/"\n'
    ' xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"\n'
    ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"\n'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<soapenv:Body>\n'
)
TAIL = "\n</soapenv:Body>\n</soapenv:Envelope>"


def envelope(inner: str) -> bytes:
    return (HEAD + inner + TAIL).encode("utf-8")


def response_xml(method: str, returnval: str = "") -> bytes:
    return envelope(f'<{method}Response xmlns="urn:vim25">{returnval}</{method}Response>')


def ok(method: str, returnval: str = "", **kw: Any) -> MockResponse:
    return MockResponse(response_xml(method, returnval), **kw)


def fault_xml(name: str, faultstring: str, detail: str = "") -> bytes:
    return envelope(
        "<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
        f"<faultstring>{faultstring}</faultstring>"
        f'<detail><{name}Fault xmlns="urn:vim25" xsi:type="{name}">{detail}</{name}Fault>'
        "</detail></soapenv:Fault>"
    )


def fault(name: str, faultstring: str, detail: str = "", *, status: int = 500) -> MockResponse:
    return MockResponse(fault_xml(name, faultstring, detail), status=status)


def not_authenticated() -> MockResponse:
    return fault(
        "NotAuthenticated",
        "The session is not authenticated.",
        '<object type="Folder">group-d1</object><privilegeId>System.View</privilegeId>',
    )


def service_content_xml(api_version: str = "8.0.3.0") -> str:
    return (
        "<returnval>"
        '<rootFolder type="Folder">group-d1</rootFolder>'
        '<propertyCollector type="PropertyCollector">propertyCollector</propertyCollector>'
        '<viewManager type="ViewManager">ViewManager</viewManager>'
        "<about><name>VMware vCenter Server</name>"
        "<fullName>VMware vCenter Server 8.0.3 build-24022515</fullName>"
        "<vendor>VMware, Inc.</vendor><version>8.0.3</version><patchLevel></patchLevel>"
        "<build>24022515</build><localeVersion>INTL</localeVersion>"
        "<localeBuild>000</localeBuild><osType>linux-x64</osType>"
        "<productLineId>vpx</productLineId><apiType>VirtualCenter</apiType>"
        f"<apiVersion>{api_version}</apiVersion>"
        "<instanceUuid>3f2e1b7c-8a4d-4e4b-9c1a-0d2e5f6a7b8c</instanceUuid>"
        "<licenseProductName>VMware VirtualCenter Server</licenseProductName>"
        "<licenseProductVersion>8.0</licenseProductVersion></about>"
        '<setting type="OptionManager">VpxSettings</setting>'
        '<userDirectory type="UserDirectory">UserDirectory</userDirectory>'
        '<sessionManager type="SessionManager">SessionManager</sessionManager>'
        '<authorizationManager type="AuthorizationManager">AuthorizationManager'
        "</authorizationManager>"
        '<searchIndex type="SearchIndex">SearchIndex</searchIndex>'
        '<taskManager type="TaskManager">TaskManager</taskManager>'
        "</returnval>"
    )


def user_session_xml(key: str, user: str = USER) -> str:
    return (
        f"<returnval><key>{key}</key><userName>{user}</userName>"
        "<fullName>Administrator vsphere.local</fullName>"
        "<loginTime>2024-05-01T10:00:00.123456Z</loginTime>"
        "<lastActiveTime>2024-05-01T10:00:00.123456Z</lastActiveTime>"
        "<locale>en</locale><messageLocale>en</messageLocale>"
        "<extensionSession>false</extensionSession><ipAddress>10.0.0.5</ipAddress>"
        "<userAgent>aiovsphere/0.1</userAgent><callCount>0</callCount></returnval>"
    )


def object_content_xml(type_: str, value: str, props: dict[str, str]) -> str:
    sets = "".join(
        f'<propSet><name>{k}</name><val xsi:type="xsd:string">{v}</val></propSet>'
        for k, v in props.items()
    )
    return f'<objects><obj type="{type_}">{value}</obj>{sets}</objects>'


def session_cookie_of(request: HttpRequest) -> str | None:
    header = request.headers.get("Cookie")
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    morsel = jar.get("vmware_soap_session")
    return morsel.value if morsel is not None else None


@dataclass
class Call:
    method: str
    element: etree._Element  # the <Method> element of the request body
    request: HttpRequest
    cookie: str | None

    def text(self, name: str) -> str | None:
        el = self.element.find(V + name)
        return None if el is None else (el.text or "")

    def all_text(self, path: str) -> list[str]:
        return [el.text or "" for el in self.element.iterfind(path, {"v": NS_VIM})]


Override = Callable[[Call], "MockResponse | Awaitable[MockResponse | None] | None"]


@dataclass
class FakeVC:
    """A fake vCenter. ``objects`` are what a ContainerView holds: RetrievePropertiesEx on a
    view serves them in pages of ``maxObjects``; on plain objects it answers each requested
    path with ``"<path>:<moref value>"``."""

    api_version: str = "8.0.3.0"
    user: str = USER
    password: str = PASSWORD
    objects: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    get_documents: dict[str, MockResponse] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    gets: list[str] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)
    tokens: dict[str, int] = field(default_factory=dict)  # open token -> next offset
    on: dict[str, Override] = field(default_factory=dict)
    extra_set_cookies: tuple[str, ...] = ()
    current_time_needs_session: bool = False
    denied: list[Call] = field(default_factory=list)  # calls refused as not authenticated
    _new_call: asyncio.Event = field(default_factory=asyncio.Event)
    _keys: Any = field(default_factory=lambda: itertools.count(1))
    _tokens: Any = field(default_factory=lambda: itertools.count(0))

    def __post_init__(self) -> None:
        self.transport = MockTransport(self.handle)

    # ------------------------------------------------------------------ inspection
    @property
    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def count(self, method: str) -> int:
        return sum(1 for c in self.calls if c.method == method)

    async def wait_for(self, method: str, count: int = 1, timeout: float = 2.0) -> None:
        """Wait until ``method`` was called ``count`` times in all."""
        async with asyncio.timeout(timeout):
            while self.count(method) < count:
                self._new_call.clear()
                await self._new_call.wait()

    def terminate_sessions(self) -> None:
        self.sessions.clear()

    def new_session_key(self) -> str:
        return "52%030x" % (0xA5A5A5A5A5A5A5A5 * 1000 + next(self._keys))

    # ------------------------------------------------------------------ dispatch
    async def handle(self, request: HttpRequest) -> MockResponse:
        if request.method == "GET":
            self.gets.append(request.url)
            name = request.url.rsplit("/", 1)[-1]
            doc = self.get_documents.get(name)
            if doc is None:
                return MockResponse(b"<html><body>404 Not Found</body></html>", status=404,
                                    content_type="text/html")
            return doc
        root = etree.fromstring(request.body)
        body = root.find("{%s}Body" % NS_SOAPENV)
        assert body is not None
        element = body[0]
        method = etree.QName(element).localname
        call = Call(method, element, request, session_cookie_of(request))
        self.calls.append(call)
        self._new_call.set()
        override = self.on.get(method)
        if override is not None:
            result = override(call)
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                result = await result
            if result is not None:
                assert isinstance(result, MockResponse)
                return result
        handler = getattr(self, "do_" + method, None)
        if handler is None:
            return fault("MethodNotFound", f"Method {method} not implemented by the fake")
        response: MockResponse = handler(call)
        return response

    def authenticated(self, call: Call) -> bool:
        return call.cookie is not None and call.cookie in self.sessions

    def deny(self, call: Call) -> MockResponse:
        self.denied.append(call)
        return not_authenticated()

    @staticmethod
    def is_session_probe(call: Call) -> bool:
        """A read of SessionManager.currentSession (the client's "is my session gone?")."""
        return call.method == "RetrievePropertiesEx" and call.all_text(
            "v:specSet/v:propSet/v:pathSet") == ["currentSession"]

    # ------------------------------------------------------------------ methods
    def do_RetrieveServiceContent(self, call: Call) -> MockResponse:
        return ok("RetrieveServiceContent", service_content_xml(self.api_version))

    def do_CurrentTime(self, call: Call) -> MockResponse:
        if self.current_time_needs_session and not self.authenticated(call):
            return self.deny(call)
        return ok("CurrentTime", "<returnval>2024-05-01T10:00:00.5Z</returnval>")

    def do_Login(self, call: Call) -> MockResponse:
        if call.text("userName") != self.user or call.text("password") != self.password:
            return fault("InvalidLogin",
                         "Cannot complete login due to an incorrect user name or password.")
        key = self.new_session_key()
        self.sessions.add(key)
        return ok(
            "Login", user_session_xml(key, self.user),
            set_cookies=(*self.extra_set_cookies,
                         f'vmware_soap_session="{key}"; Path=/; HttpOnly; Secure;'),
        )

    def do_CloneSession(self, call: Call) -> MockResponse:
        if call.text("cloneTicket") != "cst-VCT-52d4-ticket":
            return fault("InvalidLogin", "Cannot complete login due to an invalid ticket.")
        key = self.new_session_key()
        self.sessions.add(key)
        return ok("CloneSession", user_session_xml(key),
                  set_cookies=(f'vmware_soap_session="{key}"; Path=/; HttpOnly; Secure;',))

    def do_AcquireCloneTicket(self, call: Call) -> MockResponse:
        if not self.authenticated(call):
            return self.deny(call)
        return ok("AcquireCloneTicket", "<returnval>cst-VCT-52d4-ticket</returnval>")

    def do_CreateContainerView(self, call: Call) -> MockResponse:
        if not self.authenticated(call):
            return self.deny(call)
        return ok("CreateContainerView",
                  '<returnval type="ContainerView">session[52f1]52a0-view-1</returnval>')

    def do_DestroyView(self, call: Call) -> MockResponse:
        if not self.authenticated(call):
            return self.deny(call)
        return ok("DestroyView")

    def do_Logout(self, call: Call) -> MockResponse:
        if not self.authenticated(call):
            return self.deny(call)
        self.sessions.discard(call.cookie or "")
        return ok("Logout")

    def do_RetrievePropertiesEx(self, call: Call) -> MockResponse:
        if not self.authenticated(call):
            return self.deny(call)
        objs = call.all_text("v:specSet/v:objectSet/v:obj")
        paths = call.all_text("v:specSet/v:propSet/v:pathSet")
        if objs == ["SessionManager"] and paths == ["currentSession"]:
            return ok(
                "RetrievePropertiesEx",
                '<returnval><objects><obj type="SessionManager">SessionManager</obj>'
                '<propSet><name>currentSession</name><val xsi:type="UserSession">'
                + user_session_xml(call.cookie or "")[len("<returnval>") : -len("</returnval>")]
                + "</val></propSet></objects></returnval>",
            )
        types = [el.get("type") for el in call.element.iterfind("v:specSet/v:objectSet/v:obj",
                                                                 {"v": NS_VIM})]
        if self.objects and types == ["ContainerView"]:
            max_text = call.text("options/" + V + "maxObjects")
            size = int(max_text) if max_text else len(self.objects)
            return ok("RetrievePropertiesEx", self._page(0, size))
        # Default: each object's requested paths, valued "<path>:<moref value>".
        out = "".join(
            object_content_xml(el.get("type") or "", el.text or "",
                               {p: f"{p}:{el.text}" for p in paths})
            for el in call.element.iterfind("v:specSet/v:objectSet/v:obj", {"v": NS_VIM})
        )
        return ok("RetrievePropertiesEx", f"<returnval>{out}</returnval>")

    def _page(self, start: int, size: int) -> str:
        chunk = self.objects[start : start + size]
        body = "".join(object_content_xml(*o) for o in chunk)
        end = start + len(chunk)
        token = ""
        if end < len(self.objects):
            tok = str(next(self._tokens))
            self.tokens[tok] = end
            self.tokens[tok + ":size"] = size
            token = f"<token>{tok}</token>"
        return f"<returnval>{token}{body}</returnval>"

    def do_ContinueRetrievePropertiesEx(self, call: Call) -> MockResponse:
        if not self.authenticated(call):
            return self.deny(call)
        tok = call.text("token") or ""
        if tok not in self.tokens:
            return fault("InvalidArgument", "A specified parameter was not correct: token",
                         "<invalidProperty>token</invalidProperty>")
        start = self.tokens.pop(tok)
        size = self.tokens.pop(tok + ":size")
        return ok("ContinueRetrievePropertiesEx", self._page(start, size))

    def do_CancelRetrievePropertiesEx(self, call: Call) -> MockResponse:
        tok = call.text("token") or ""
        self.tokens.pop(tok, None)
        self.tokens.pop(tok + ":size", None)
        return ok("CancelRetrievePropertiesEx")
