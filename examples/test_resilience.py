"""Testing your own vSphere code against aiovsphere's embedded vCenter, faults included.

Run it with ``pytest examples/test_resilience.py`` (needs pytest and pytest-asyncio; the
fixtures come with aiovsphere). docs/testing.md walks through it; the aiovsphere suite
runs it as a user would (tests/simulator/test_plugin_pytester.py).
"""

import asyncio

import pytest

import aiovsphere
from aiovsphere import faults

# pytest-asyncio's default (strict) mode runs only marked coroutine tests; with
# asyncio_mode = "auto" this mark is harmless.
pytestmark = pytest.mark.asyncio


# --- the code under test: yours ------------------------------------------------------
async def server_time(client: aiovsphere.Client, attempts: int = 3) -> object:
    """The server's clock, retrying what a load balancer in front of vCenter may answer
    while it restarts (HTTP 503) or a connection that drops."""
    for attempt in range(attempts):
        try:
            return await client.invoke(client.service_instance, "CurrentTime")
        except (aiovsphere.HTTPStatusError, aiovsphere.ConnectError) as exc:
            status = getattr(exc, "status", None)
            if attempt == attempts - 1 or status not in (None, 502, 503):
                raise
            await asyncio.sleep(0.01 * 2**attempt)
    raise AssertionError("unreachable")


# --- its tests ----------------------------------------------------------------------
async def test_retries_a_restarting_vcenter(vsphere_client, vsphere_faults):
    vsphere_faults.http_status(503, times=2)  # the next two calls get a 503 page
    assert await server_time(vsphere_client) is not None
    assert vsphere_faults.count("http_status") == 2


async def test_gives_up_after_three_attempts(vsphere_client, vsphere_faults):
    vsphere_faults.drop(method="CurrentTime")  # every CurrentTime: connection closed
    with pytest.raises(aiovsphere.ConnectError):
        await server_time(vsphere_client)
    # Each of your 3 attempts is up to 4 sends: aiovsphere's own RetryPolicy resends an
    # idempotent read after a dropped connection (Client(retry=None) turns that off).
    assert vsphere_faults.calls["CurrentTime"] == 3 * 4


async def test_does_not_retry_a_vim_fault(vsphere_client, vsphere_faults):
    vsphere_faults.fail("CurrentTime", "HostCommunication", times=1)
    with pytest.raises(faults.HostCommunication):
        await server_time(vsphere_client)
    assert vsphere_faults.calls["CurrentTime"] == 1


async def test_a_lost_session_is_transparent(vsphere_simulator, vsphere_client,
                                             vsphere_faults):
    assert vsphere_faults.expire_sessions() == 1  # as if vCenter restarted
    ticket = await vsphere_client.invoke(vsphere_client.service("sessionManager"),
                                         "AcquireCloneTicket")
    assert ticket  # the client logged in again by itself, then retried
    assert vsphere_client.stats.relogins == 1
    assert len(vsphere_simulator.sessions) == 1


async def test_a_hung_server_times_out(vsphere_client, vsphere_faults):
    async with vsphere_faults.paused(method="CurrentTime") as pause:
        call = asyncio.create_task(
            vsphere_client.invoke(vsphere_client.service_instance, "CurrentTime",
                                  timeout=0.1))
        await pause.wait_held()  # the call reached the server, which holds it
        with pytest.raises(TimeoutError):
            await call


@pytest.mark.vsphere_simulator(https=True, esx=True)
async def test_against_an_esxi_host_over_https(vsphere_client):
    assert vsphere_client.content.about.apiType == "HostAgent"
    assert await server_time(vsphere_client) is not None
