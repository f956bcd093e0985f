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
async def ensure_powered_off(client: aiovsphere.Client, vm: aiovsphere.ManagedObjectReference,
                             attempts: int = 3) -> None:
    """Power ``vm`` off, through what a load balancer in front of vCenter may answer while
    vCenter restarts (HTTP 503) or a connection that drops.

    aiovsphere resends reads after such errors by itself, never a task: whether a
    PowerOffVM_Task whose answer was lost reached vCenter is unknown. So look at the power
    state before sending it again.
    """
    for attempt in range(attempts):
        state = (await client.get_properties(vm, ["runtime.powerState"]))["runtime.powerState"]
        if state == "poweredOff":
            return
        try:
            await client.wait_for_task(await client.invoke(vm, "PowerOffVM_Task"))
            return
        except aiovsphere.TransportError:  # 503 page, dropped or reset connection
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.01 * 2**attempt)


async def first_vm(client: aiovsphere.Client) -> aiovsphere.ManagedObjectReference:
    async with client.container_view(["VirtualMachine"]) as view:
        return sorted(await view.objects(), key=lambda ref: ref.value)[0]


# --- its tests ----------------------------------------------------------------------
async def test_reads_are_resent_by_aiovsphere(vsphere_client, vsphere_faults):
    vsphere_faults.http_status(503, times=2)  # the next two calls get a 503 page
    assert await vsphere_client.invoke(vsphere_client.service_instance, "CurrentTime")
    assert vsphere_faults.calls["CurrentTime"] == 3
    assert vsphere_client.stats.retries == 2


async def test_a_lost_task_call_is_looked_at_then_sent_again(vsphere_client, vsphere_faults):
    vm = await first_vm(vsphere_client)
    vsphere_faults.http_status(503, times=1, method="PowerOffVM_Task")
    await ensure_powered_off(vsphere_client, vm)
    assert vsphere_faults.calls["PowerOffVM_Task"] == 2  # aiovsphere sent it once a time
    state = await vsphere_client.get_properties(vm, ["runtime.powerState"])
    assert state["runtime.powerState"] == "poweredOff"


async def test_gives_up_after_three_attempts(vsphere_client, vsphere_faults):
    vm = await first_vm(vsphere_client)
    vsphere_faults.drop(method="PowerOffVM_Task")  # every one: connection closed
    with pytest.raises(aiovsphere.ConnectError):
        await ensure_powered_off(vsphere_client, vm)
    assert vsphere_faults.calls["PowerOffVM_Task"] == 3


async def test_does_not_retry_a_vim_fault(vsphere_client, vsphere_faults):
    vm = await first_vm(vsphere_client)
    vsphere_faults.fail("PowerOffVM_Task", "HostCommunication", times=1)
    with pytest.raises(faults.HostCommunication):
        await ensure_powered_off(vsphere_client, vm)
    assert vsphere_faults.calls["PowerOffVM_Task"] == 1


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
    vm = await first_vm(vsphere_client)
    await ensure_powered_off(vsphere_client, vm)
