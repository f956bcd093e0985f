"""1,000 concurrent operations per scenario, against vcsim and the embedded simulator,
through the fault-injecting proxy (tests/chaos/proxy.py). Every scenario must end with
no leak, no hang, no untyped exception, and a long-lived InventoryCache that agrees with
the server once the faults are lifted. The figures are printed at the end of the run
(and written as JSON to $AIOVSPHERE_CHAOS_REPORT): docs/reliability.md quotes them.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from typing import Any

import pytest

import aiovsphere

from ._harness import Report, Target, run_scenario

DEADLINE = 10.0  # seconds per operation: 1,000 at once, client, proxy and server on 2 cores
STALL_DEADLINE = 3.0  # the stall scenario: operations that must end at their deadline


async def no_faults(target: Target, client: aiovsphere.Client, state: dict[str, Any]) -> None:
    return None


async def server_restart(target: Target, client: aiovsphere.Client,
                         state: dict[str, Any]) -> None:
    await asyncio.sleep(0.3)
    await target.kill()
    await asyncio.sleep(1.0)
    await target.revive()
    state["restarted_at"] = time.monotonic()
    state.setdefault("restarted", asyncio.Event()).set()


async def connection_resets(target: Target, client: aiovsphere.Client,
                            state: dict[str, Any]) -> None:
    target.proxy.faults.reset_after = 300  # bytes of the body, then RST
    target.proxy.faults.reset_probability = 0.15
    await asyncio.sleep(2.5)
    target.proxy.faults.reset_probability = 0.0


async def stall_past_deadline(target: Target, client: aiovsphere.Client,
                              state: dict[str, Any]) -> None:
    await asyncio.sleep(0.3)
    target.proxy.stall()
    await asyncio.sleep(STALL_DEADLINE + 1.0)
    target.proxy.unstall()


async def trickle(target: Target, client: aiovsphere.Client, state: dict[str, Any]) -> None:
    target.proxy.faults.bandwidth = 16_000  # bytes a second per connection
    await asyncio.sleep(3.0)
    target.proxy.faults.bandwidth = None


async def bursts_of_503(target: Target, client: aiovsphere.Client,
                        state: dict[str, Any]) -> None:
    for _ in range(3):
        await asyncio.sleep(0.4)
        target.proxy.faults.status = 503
        target.proxy.faults.status_count = 150


async def session_terminated(target: Target, client: aiovsphere.Client,
                             state: dict[str, Any]) -> None:
    key = (await client.get_properties(client.content.sessionManager,
                                       ["currentSession"]))["currentSession"].key
    stats = client.stats
    async with aiovsphere.timeout(10):
        while stats.in_flight + stats.queued + stats.waits_in_flight < 500:  # noqa: ASYNC110 - polls counters
            await asyncio.sleep(0.005)
    state["in_flight_at_terminate"] = stats.in_flight + stats.queued + stats.waits_in_flight
    async with target.admin() as admin:
        await admin.invoke(admin.content.sessionManager, "TerminateSession", sessionId=[key])


SCENARIOS = {
    "no faults": no_faults,
    "server killed and restarted": server_restart,
    "connections reset mid-response": connection_resets,
    "responses stalled past the deadline": stall_past_deadline,
    "slow trickle responses": trickle,
    "HTTP 503 bursts": bursts_of_503,
    "session terminated, 500 calls in flight": session_terminated,
}


def _check(report: Report) -> None:
    ended = report.completed + report.cancelled + sum(report.failed.values()) + len(
        report.untyped)
    assert ended == report.operations, report
    assert report.untyped == [], report.untyped[:5]
    assert report.hung == [], report.hung[:5]
    assert report.objects_left == [], report.objects_left[:10]
    assert report.sessions_left == 0, report
    assert report.sockets_open == 0, report
    assert report.unretrieved == [], report.unretrieved[:5]
    assert report.resource_warnings == [], report.resource_warnings[:5]
    assert report.cache_consistent is True, report
    assert report.cache_error == "", report.cache_error  # the cache outlived every fault
    if report.orphaned is not None:  # only an answer lost in transit may orphan an object
        assert report.orphaned <= report.lost_create_answers, report


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_chaos(target: Target, scenario: str, record_report: list[Report]) -> None:
    restart = scenario == "server killed and restarted"
    deadline = STALL_DEADLINE if scenario == "responses stalled past the deadline" else DEADLINE
    report = await run_scenario(target, scenario, SCENARIOS[scenario], deadline=deadline,
                                seed=zlib.crc32(scenario.encode()), restart_probe=restart)
    record_report.append(report)
    _check(report)
    counts = report.proxy
    if scenario == "no faults":
        # Without faults nothing fails but by its deadline (how many reach it depends on
        # the machine's load: client, proxy and the embedded server share one loop).
        assert set(report.failed) <= {"TimeoutError"}, report.failed
    elif restart:
        assert report.recovery_p99 is not None and report.relogins >= 1
    elif scenario == "connections reset mid-response":
        assert counts.get("resets", 0) > 0
    elif scenario == "responses stalled past the deadline":
        assert report.failed["TimeoutError"] > 0
    elif scenario == "HTTP 503 bursts":
        assert counts.get("status 503", 0) > 0
    elif scenario == "session terminated, 500 calls in flight":
        assert report.relogins == 1  # one re-login for all of them (single flight)
    if scenario != "responses stalled past the deadline":
        assert report.completed > 0
