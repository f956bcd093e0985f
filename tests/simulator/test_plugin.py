"""The pytest plugin's fixtures, used by this suite as any project would use them (the
``pytest11`` entry point loads the plugin): ``vsphere_simulator`` and its marker,
``vsphere_client``, ``vsphere_faults`` and ``vsphere_simulator_session``."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere.simulator import Simulator, User
from aiovsphere.simulator._injection import FaultInjector
from aiovsphere.simulator._inventory import InventorySpec

pytestmark = pytest.mark.vsphere_simulator(vms=2, task_seconds=0.01, seed=5)

HOUR = 3600.0


def test_the_plugin_is_registered_by_its_entry_point(pytestconfig: pytest.Config) -> None:
    from importlib.metadata import entry_points

    [entry] = [e for e in entry_points(group="pytest11") if e.name == "aiovsphere"]
    assert entry.value == "aiovsphere.simulator.pytest_plugin"
    plugin = pytestconfig.pluginmanager.get_plugin("aiovsphere")
    assert plugin is not None and plugin.__name__ == "aiovsphere.simulator.pytest_plugin"
    markers = pytestconfig.getini("markers")
    assert any(m.startswith("vsphere_simulator(**options)") for m in markers)


async def test_module_marker_configures_the_simulator(vsphere_simulator: Simulator) -> None:
    assert vsphere_simulator.inventory == InventorySpec.for_vm_count(2)
    assert (vsphere_simulator.task_seconds, vsphere_simulator.seed) == (0.01, 5)
    assert vsphere_simulator.url.startswith("http://127.0.0.1:")
    assert vsphere_simulator.thumbprint is None


@pytest.mark.vsphere_simulator(clusters=2, hosts=0, vms=4, https=True, seed=9,
                               session_idle_timeout=HOUR)
async def test_closest_marker_wins_per_option(vsphere_simulator: Simulator,
                                              vsphere_client: aiovsphere.Client) -> None:
    spec = vsphere_simulator.inventory
    assert (spec.clusters, spec.hosts, spec.vms, spec.vm_count) == (2, 0, 2, 4)
    assert vsphere_simulator.seed == 9  # the test's own marker
    assert vsphere_simulator.task_seconds == 0.01  # the module's marker
    assert vsphere_simulator.session_idle_timeout == HOUR
    assert vsphere_client.sdk_url == vsphere_simulator.url
    assert vsphere_client.sdk_url.startswith("https://")  # pinned to the thumbprint
    now = await vsphere_client.invoke(vsphere_client.service_instance, "CurrentTime")
    assert isinstance(now, dt.datetime)


async def test_client_is_logged_in(vsphere_simulator: Simulator,
                                   vsphere_client: aiovsphere.Client) -> None:
    user_session = vsphere_client.session.user_session
    assert user_session is not None and user_session.userName == "admin"
    assert [s.key for s in vsphere_simulator.sessions.values()] == [user_session.key]


@pytest.mark.vsphere_simulator(users={"auditor": User("a", "ReadOnly"),
                                      "ops": User("o", "Admin")})
async def test_client_uses_the_first_administrator(vsphere_simulator: Simulator,
                                                   vsphere_client: aiovsphere.Client) -> None:
    assert [(s.user, s.role) for s in vsphere_simulator.sessions.values()] == [
        ("ops", "Admin")]


@pytest.mark.vsphere_simulator(users={"auditor": User("a", "ReadOnly")},
                               login=("auditor", "a"))
async def test_login_marker_option(vsphere_client: aiovsphere.Client) -> None:
    user_session = vsphere_client.session.user_session
    assert user_session is not None
    with pytest.raises(faults.NoPermission):
        await vsphere_client.invoke(vsphere_client.service("sessionManager"),
                                    "TerminateSession", sessionId=[user_session.key])


@pytest.mark.vsphere_simulator(esx=True, vms=1)
async def test_esx_model(vsphere_client: aiovsphere.Client) -> None:
    assert vsphere_client.content.about.apiType == "HostAgent"


async def test_faults_fixture_is_the_simulators(vsphere_simulator: Simulator,
                                                vsphere_faults: FaultInjector,
                                                vsphere_client: aiovsphere.Client) -> None:
    assert vsphere_faults is vsphere_simulator.faults
    vsphere_faults.http_status(503, times=1)
    calls = vsphere_faults.calls["CurrentTime"]
    # The client's retry policy sends the read again after the 503.
    await vsphere_client.invoke(vsphere_client.service_instance, "CurrentTime")
    assert vsphere_faults.count("http_status") == 1
    assert vsphere_faults.calls["CurrentTime"] == calls + 2
    assert vsphere_client.stats.retries == 1


async def test_each_test_gets_a_fresh_simulator(vsphere_simulator: Simulator) -> None:
    assert vsphere_simulator.sessions == {}  # nothing from the tests before


def test_session_simulator_from_a_sync_test(vsphere_simulator_session: Simulator) -> None:
    assert vsphere_simulator_session.url.startswith("http://127.0.0.1:")
    assert vsphere_simulator_session.inventory == InventorySpec()


async def test_session_simulator_from_an_async_test(
    vsphere_simulator_session: Simulator
) -> None:
    async with aiovsphere.connect(vsphere_simulator_session.url, user="reader",
                                  password="pw") as client:
        now = await client.invoke(client.service_instance, "CurrentTime")
        assert now.tzinfo is not None
        assert client.content.about.apiType == "VirtualCenter"


@pytest.mark.vsphere_simulator(racks=3)
def test_an_unknown_marker_option_fails_the_test(request: pytest.FixtureRequest) -> None:
    with pytest.raises(pytest.fail.Exception, match="unexpected keyword argument 'racks'"):
        request.getfixturevalue("vsphere_simulator")


@pytest.mark.vsphere_simulator(inventory=InventorySpec(clusters=0, hosts=1, vms=1))
async def test_inventory_option_replaces_the_modules_vms(
    vsphere_simulator: Simulator
) -> None:
    assert vsphere_simulator.inventory == InventorySpec(clusters=0, hosts=1, vms=1)
    assert vsphere_simulator.task_seconds == 0.01  # the module's other options stay


@pytest.mark.vsphere_simulator(datastores=3)
async def test_an_inventory_option_adds_to_the_modules_vms(
    vsphere_simulator: Simulator
) -> None:
    assert vsphere_simulator.inventory == dataclasses.replace(
        InventorySpec.for_vm_count(2), datastores=3)
