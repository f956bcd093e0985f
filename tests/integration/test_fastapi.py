"""The FastAPI integration and the example app, through httpx's ASGI transport, on vcsim."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

import aiovsphere
from aiovsphere.fastapi import VSphere
from tools.vcsim.launcher import Vcsim

from .conftest import session_users

example = importlib.import_module("examples.fastapi_app")  # examples/ is not a package

USER = "fastapi-app"


@pytest.fixture(scope="module")
async def observer_private(private_vcsim: Vcsim) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(private_vcsim.url, user="observer", password="pw") as c:
        yield c


@pytest.fixture
async def app(private_vcsim: Vcsim) -> AsyncIterator[FastAPI]:
    vsphere = VSphere(private_vcsim.url, user=USER, password="pw", max_in_flight=16,
                      caches={"vms": ("VirtualMachine", example.VM_PATHS)})
    application = example.create_app(vsphere)
    async with vsphere.lifespan(application):
        yield application


def _http(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app")


async def test_list_cached_and_one_vm(app: FastAPI, observer_private: aiovsphere.Client
                                      ) -> None:
    async with _http(app) as http:
        live = (await http.get("/vms")).json()
        cached = (await http.get("/vms/cached")).json()
        one = (await http.get(f"/vms/{live[0]['moref']}")).json()
    assert len(live) == 8
    assert {v["name"] for v in live} == {v["name"] for v in cached["vms"]}
    assert cached["version"] >= 1
    assert one == live[0]
    async with observer_private.container_view(["VirtualMachine"]) as view:
        names = {r.name for r in await observer_private.retrieve(view, ["name"])}
    assert names == {v["name"] for v in live}


async def test_power_waits_for_the_task_and_the_cache_follows(app: FastAPI) -> None:
    async with _http(app) as http:
        vm = (await http.get("/vms")).json()[0]
        assert vm["power_state"] == "poweredOn"
        off = await http.post(f"/vms/{vm['moref']}/power/off")
        assert off.status_code == 200
        assert off.json()["power_state"] == "poweredOff"
        assert off.json()["task"].startswith("task-")
        again = await http.post(f"/vms/{vm['moref']}/power/off")
        assert again.status_code == 409
        assert again.json()["fault"] == "InvalidPowerState"
        cache = app.state.aiovsphere.cache("vms")
        await cache.wait_until(
            lambda s: any(r.obj.value == vm["moref"] and r.runtime.powerState == "poweredOff"
                          for r in s.values()), timeout=10)
        cached = {v["moref"]: v for v in (await http.get("/vms/cached")).json()["vms"]}
        assert cached[vm["moref"]]["power_state"] == "poweredOff"
        on = await http.post(f"/vms/{vm['moref']}/power/on")
        assert on.json()["power_state"] == "poweredOn"


async def test_errors_map_to_http_statuses(app: FastAPI) -> None:
    async with _http(app) as http:
        missing = await http.get("/vms/vm-does-not-exist")
        bad_state = await http.post("/vms/vm-1/power/sideways")
    assert missing.status_code == 404
    assert missing.json()["fault"] == "ManagedObjectNotFound"
    assert bad_state.status_code == 422  # FastAPI's own validation of the path


async def test_200_concurrent_requests_share_one_session(
        app: FastAPI, observer_private: aiovsphere.Client) -> None:
    client = app.state.aiovsphere.client
    calls_before = client.stats.calls
    async with _http(app) as http:
        paths = ["/vms", "/vms/cached"] * 100
        answers = await asyncio.gather(*(http.get(p) for p in paths))
    assert [a.status_code for a in answers] == [200] * 200
    live = [a.json() for a in answers[0::2]]
    assert all(len(vms) == 8 for vms in live)
    assert all(len(a.json()["vms"]) == 8 for a in answers[1::2])
    # Live reads made vCenter calls (3 each: view, retrieve, destroy); cached reads none.
    assert client.stats.calls - calls_before == 300
    assert (await session_users(observer_private)).count(USER) == 1


async def test_shutdown_logs_out(private_vcsim: Vcsim,
                                 observer_private: aiovsphere.Client) -> None:
    vsphere = VSphere(private_vcsim.url, user="short-lived", password="pw")
    application = example.create_app(vsphere)
    async with vsphere.lifespan(application):
        assert "short-lived" in await session_users(observer_private)
        assert vsphere.client.session.logged_in
    assert "short-lived" not in await session_users(observer_private)
    with pytest.raises(Exception) as outside:
        _ = vsphere.client
    assert getattr(outside.value, "status_code", None) == 503


async def test_startup_fails_loudly_without_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIOVSPHERE_URL", raising=False)
    vsphere = VSphere()
    with pytest.raises(ValueError, match="AIOVSPHERE_URL"):
        async with vsphere.lifespan(FastAPI()):
            pass
