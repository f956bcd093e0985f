"""The password never shows in the CLI's output, in FastAPI error bodies, or in the reprs
of the layer's objects, even when a hostile server echoes it (raw, URL-encoded,
HTML-escaped) and the session cookie back in faults and error pages."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote, quote_plus

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI
from typer.testing import CliRunner

import aiovsphere
from aiovsphere._cli import app as cli_app
from aiovsphere._cli._common import Conn
from aiovsphere.fastapi import ClientDep, VSphere

from ._support import SERVICE_CONTENT, HostileServer, envelope, response

PASSWORD = "Adv&L4yer<S3cret>%2f/pw"  # distinctive, with characters that get escaped
COOKIE = "52adv1a7-c00k-1e00-0000-5ecre7c00k1e"
FORMS = (PASSWORD, quote(PASSWORD, safe=""), quote_plus(PASSWORD), html.escape(PASSWORD),
         html.escape(PASSWORD, quote=False), COOKIE)
_CLEAN_ENV = ("AIOVSPHERE_URL", "AIOVSPHERE_USERNAME", "AIOVSPHERE_PASSWORD",
              "AIOVSPHERE_INSECURE", "AIOVSPHERE_DATACENTER", "COLUMNS")


def assert_clean(*texts: str) -> None:
    for text in texts:
        for form in FORMS:
            assert form not in text, f"{form!r} leaked in {text[:300]!r}"
            assert form.lower() not in text.lower(), f"{form!r} leaked (case) in {text[:300]!r}"


def _echo() -> str:
    # Every form the password could be echoed in, and the cookie.
    return (f"password {html.escape(PASSWORD)} url {quote(PASSWORD, safe='')} "
            f"form {quote_plus(PASSWORD)} cookie {COOKIE}")


CONTENT = response("RetrieveServiceContent", SERVICE_CONTENT.replace(
    "<sessionManager", '<viewManager type="ViewManager">ViewManager</viewManager>'
    '<eventManager type="EventManager">EventManager</eventManager>'
    '<taskManager type="TaskManager">TaskManager</taskManager>'
    '<perfManager type="PerformanceManager">PerfMgr</perfManager><sessionManager'))


async def _handler(request: web.Request, method: str) -> web.StreamResponse | None:
    if method == "RetrieveServiceContent":
        return web.Response(body=CONTENT, content_type="text/xml")
    if method == "Login":
        return web.Response(
            body=response("Login", "<returnval><key>k</key><userName>u</userName>"
                          "<fullName>f</fullName><loginTime>2024-05-01T10:00:00Z</loginTime>"
                          "<lastActiveTime>2024-05-01T10:00:00Z</lastActiveTime>"
                          "</returnval>"),
            content_type="text/xml",
            headers={"Set-Cookie": f'vmware_soap_session="{COOKIE}"; Path=/; HttpOnly'})
    if method == "Logout":
        return web.Response(body=response("Logout"), content_type="text/xml")
    body = (await request.read()).decode()
    if method in ("CreateContainerView", "CreateCollectorForEvents"):
        # An error page quoting the request, the cookie and the password.
        return web.Response(text=f"<html>{_echo()} bad gateway {body} {request.headers}"
                            "</html>", status=502, content_type="text/html")
    return web.Response(body=envelope(
        "<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
        f"<faultstring>{html.escape(_echo())}</faultstring><detail>"
        '<SystemErrorFault xmlns="urn:vim25" xsi:type="SystemError">'
        f"<reason>{html.escape(_echo())}</reason></SystemErrorFault></detail>"
        "</soapenv:Fault>"), status=500, content_type="text/xml")


@asynccontextmanager
async def _server() -> AsyncIterator[HostileServer]:
    async with HostileServer(_handler) as server:
        yield server


@pytest.mark.parametrize("args", [
    ["ls", "/DC0/vm"], ["info", "/DC0/vm/x"], ["find", "/", "--type", "vm"],
    ["power", "on", "/DC0/vm/x"], ["tasks"], ["events"],
    ["metrics", "/DC0/vm/x", "-c", "cpu.usage.average"], ["inventory"], ["ls", "/", "--json"],
], ids=lambda a: " ".join(a))
async def test_cli_output_never_holds_the_password(args: list[str]) -> None:
    async with _server() as server:
        env: dict[str, str | None] = dict.fromkeys(_CLEAN_ENV)
        env.update({"AIOVSPHERE_URL": server.url, "AIOVSPHERE_USERNAME": "u",
                    "AIOVSPHERE_PASSWORD": PASSWORD})
        runner = CliRunner()
        result = await asyncio.wait_for(asyncio.to_thread(
            runner.invoke, cli_app, [*args, "--datacenter", "DC0"]
            if args[0] in ("ls", "info", "power", "metrics") else args, env=env), 60)
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert result.stderr.startswith("error: ")
    assert "***" in result.stderr  # the server's echo reached the message, scrubbed
    assert_clean(result.stdout, result.stderr, repr(result.exception))


async def test_cli_password_in_the_url_is_refused_without_echo() -> None:
    runner = CliRunner()
    env: dict[str, str | None] = dict.fromkeys(_CLEAN_ENV)
    result = await asyncio.to_thread(runner.invoke, cli_app, [
        "inventory", "--url", f"http://u:{quote(PASSWORD, safe='')}@127.0.0.1:9/sdk",
        "--user", "u", "--password", "other-one"], env=env)
    assert result.exit_code == 1
    assert_clean(result.stdout, result.stderr)


async def test_fastapi_error_bodies_never_hold_the_password() -> None:
    async with _server() as server:
        vsphere = VSphere(server.url, user="u", password=PASSWORD, version="8.0.3.0")
        app = FastAPI(lifespan=vsphere.lifespan)
        vsphere.install_error_handlers(app)

        @app.get("/retrieve")
        async def retrieve(client: ClientDep) -> object:
            return [dict(r) for r in await client.retrieve([client.content.rootFolder],
                                                           ["name"])]

        @app.get("/view")
        async def view(client: ClientDep) -> object:
            async with client.container_view(["VirtualMachine"]) as v:
                return len(await client.retrieve(v, ["name"]))

        @app.get("/find")
        async def find(client: ClientDep) -> object:
            return [o.path for o in await client.finder().find("/DC0/vm/*")]

        @app.get("/events")
        async def events(client: ClientDep) -> object:
            return [e.key async for e in client.events()]

        @app.get("/cache")
        async def cache(client: ClientDep) -> object:
            async with client.inventory_cache("VirtualMachine", ["name"]) as c:
                return len(c.snapshot())

        assert_clean(repr(vsphere))
        async with vsphere.lifespan(app):
            assert_clean(repr(vsphere), repr(vsphere.client), repr(vsphere.client.session))
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                for route, status in (("/retrieve", 502), ("/view", 502), ("/find", 502),
                                      ("/events", 502), ("/cache", 502)):
                    async with asyncio.timeout(10):
                        answer = await http.get(route)
                    assert answer.status_code == status, (route, answer.text)
                    assert set(answer.json()) == {"fault", "message"}
                    assert "***" in answer.json()["message"]  # echoed, and scrubbed
                    assert_clean(answer.text, str(answer.headers))
        assert_clean(repr(vsphere))


async def test_reprs_of_the_layer_objects_never_hold_the_password(vcsim_url: str) -> None:
    conn = Conn(vcsim_url, "u", PASSWORD)
    texts = [repr(conn), str(conn)]
    async with aiovsphere.connect(vcsim_url, user="adv-repr", password=PASSWORD) as client:
        async with client.container_view(["VirtualMachine"]) as view:
            texts.append(repr(view))
            records = await client.retrieve(view, None)  # every property
            texts += [repr(r) for r in records]
            texts += [repr(records[0].config), repr(records[0].runtime)]
        async with client.inventory_cache("VirtualMachine", ["name"]) as cache:
            snap = cache.snapshot()
            texts += [repr(cache), repr(snap), repr(dict(snap))]
        async with client.property_collector() as pc:
            await pc.create_filter(aiovsphere.filter_spec([records[0].obj], ["name"]))
            texts.append(repr(pc))
            texts.append(repr(await pc.wait_for_updates(max_wait_seconds=0)))
        session = await client.get_properties(client.content.sessionManager,
                                              ["currentSession"])
        finder = client.finder()
        texts += [repr(client), repr(client.session), repr(session), repr(finder),
                  repr(await finder.find("/DC0/vm/*"))]
    assert_clean(*texts)
