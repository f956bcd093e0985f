"""Performance counters and series against vcsim.

Reads only, on the shared vcsim, except the test that changes the query-limit setting (on
this module's own vcsim). vcsim (0.24) quirks these tests account for: QueryPerf returns
no samples without ``maxSample``, echoes ``instance="*"`` instead of expanding it, adds
random noise to values, and has no historical intervals in PerformanceManager but answers
any ``intervalId``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere._perf import (
    DEFAULT_MAX_QUERY_METRICS,
    MetricSeries,
    PerfCounter,
    available_metrics,
    historical_intervals,
    perf_counters,
    query_perf,
)
from aiovsphere._property import container_view
from aiovsphere.vim import types as t

Ref = aiovsphere.ManagedObjectReference
COUNTERS = ["cpu.usage.average", "mem.usage.average", "net.usage.average"]
UNITS = {"cpu.usage.average": "percent", "mem.usage.average": "percent",
         "net.usage.average": "kiloBytesPerSecond"}


@pytest.fixture
async def client(vcsim_url: str) -> AsyncIterator[aiovsphere.Client]:
    """A client of the shared vcsim of this test's own (its invoke gets wrapped)."""
    async with aiovsphere.connect(vcsim_url, user="perf", password="pw") as c:
        yield c


async def _vms(client: aiovsphere.Client) -> list[Ref]:
    async with container_view(client, ["VirtualMachine"]) as view:
        refs = (await client.get_properties(view, ["view"]))["view"]
    return sorted(refs, key=lambda r: int(r.value.split("-")[1]))


def _count_queries(client: aiovsphere.Client) -> list[int]:
    """Record the number of QuerySpecs of each QueryPerf call."""
    sizes: list[int] = []
    original = client.invoke

    async def invoke(ref, method, /, **kwargs):  # type: ignore[no-untyped-def]
        if method == "QueryPerf":
            sizes.append(len(kwargs["querySpec"]))
        return await original(ref, method, **kwargs)

    client.invoke = invoke  # type: ignore[method-assign]
    return sizes


def _shape(series: list[MetricSeries]) -> list[tuple[Any, ...]]:
    """Everything but the values (vcsim adds random noise to those)."""
    return [(s.entity, s.counter, s.instance, s.unit, s.interval, s.timestamps)
            for s in series]


async def test_counter_lookup_matches_the_server_list(client: aiovsphere.Client) -> None:
    raw = (await client.get_properties(client.service("perfManager"),
                                       ["perfCounter"]))["perfCounter"]
    usage = [c for c in raw if c.groupInfo.key == "cpu" and c.nameInfo.key == "usage"
             and c.rollupType == "average"]
    assert len(usage) == 1
    counters = await perf_counters(client)
    cpu = counters["cpu.usage.average"]
    assert isinstance(cpu, PerfCounter)
    assert cpu.id == usage[0].key
    assert (cpu.unit, cpu.stats_type, cpu.level, cpu.group, cpu.rollup) == (
        "percent", "rate", usage[0].level, "cpu", "average")
    assert counters.by_id[cpu.id] is cpu and counters.resolve(cpu.id) is cpu
    assert counters["mem.usage.average"].stats_type == "absolute"
    assert len(counters.by_id) == len(raw)
    assert len(counters) == len({f"{c.groupInfo.key}.{c.nameInfo.key}.{c.rollupType}"
                                 for c in raw})
    with pytest.raises(KeyError, match=r"cpu\.usage\.average"):  # a close match is named
        counters["cpu.usage.avg"]
    with pytest.raises(KeyError):
        counters.resolve(987654)
    # Cached per client: no second read.
    calls = client.stats.calls
    assert await perf_counters(client) is counters
    assert client.stats.calls == calls
    assert await perf_counters(client, refresh=True) is not counters
    assert client.stats.calls == calls + 1


async def test_available_metrics_are_resolved(client: aiovsphere.Client) -> None:
    vm = (await _vms(client))[0]
    raw = await client.invoke(client.service("perfManager"), "QueryAvailablePerfMetric",
                              entity=vm, intervalId=20)
    metrics = await available_metrics(client, client.mo(vm))
    assert [(m.counter.id, m.instance) for m in metrics] == [
        (r.counterId, r.instance) for r in raw]
    by_name = {(m.name, m.instance) for m in metrics}
    assert ("cpu.usage.average", "") in by_name
    assert ("cpu.usagemhz.average", "0") in by_name  # per CPU
    assert {m.counter.unit for m in metrics if m.name == "net.usage.average"} == {
        "kiloBytesPerSecond"}
    assert all(not m.name.startswith("#") for m in metrics)  # every id resolved


async def test_query_perf_for_all_vms(client: aiovsphere.Client) -> None:
    vms = await _vms(client)
    assert len(vms) == 8
    series = await query_perf(client, vms, COUNTERS, max_sample=6)
    assert [(s.entity, s.counter) for s in series] == [
        (vm, name) for vm in vms for name in COUNTERS]  # entity order, then counter order
    for s in series:
        assert s.unit == UNITS[s.counter]
        assert s.instance == "*"  # vcsim echoes the requested instance
        assert s.interval == 20
        assert len(s.timestamps) == len(s.values) == 6
        assert all(isinstance(v, int) and v >= 0 for v in s.values)
        steps = {b - a for a, b in zip(s.timestamps, s.timestamps[1:], strict=False)}
        assert steps == {timedelta(seconds=20)}  # ascending, 20 s apart
        assert s.timestamps[-1].tzinfo is not None
    # The aggregate only, by counter id as well as by name.
    cpu = (await perf_counters(client))["cpu.usage.average"]
    aggregate = await query_perf(client, vms[:2], [cpu.id], instance="", max_sample=2)
    assert [(s.entity, s.counter, s.instance) for s in aggregate] == [
        (vms[0], "cpu.usage.average", ""), (vms[1], "cpu.usage.average", "")]


async def test_batches_give_the_same_series(client: aiovsphere.Client) -> None:
    vms = await _vms(client)
    end = datetime.now(UTC).replace(microsecond=0)
    window = {"start": end - timedelta(minutes=5), "end": end, "max_sample": 10}
    sizes = _count_queries(client)
    one = await query_perf(client, vms, COUNTERS[:2], **window)
    # No maxQueryMetrics option on vcsim: the default limit, 64 metrics = 32 VMs x 2.
    assert sizes == [8]
    del sizes[:]
    three = await query_perf(client, vms, COUNTERS[:2], batch_size=3, **window)
    assert sorted(sizes) == [2, 3, 3]  # 3 QueryPerf calls (run concurrently)
    assert _shape(three) == _shape(one)
    assert len(one) == 16 and all(len(s.timestamps) == 10 for s in one)
    assert one[0].timestamps[-1] == end
    assert DEFAULT_MAX_QUERY_METRICS == 64


async def test_historical_interval(client: aiovsphere.Client) -> None:
    # vcsim lists no historical intervals (vCenter lists 300, 1800, 7200, 86400)...
    assert await historical_intervals(client) == ()
    # ...but answers a query at any interval, as vCenter does for its historical ones.
    vms = await _vms(client)
    end = datetime.now(UTC).replace(microsecond=0)
    series = await query_perf(client, vms[:3], ["cpu.usage.average"], interval=300,
                              start=end - timedelta(hours=2), end=end, max_sample=4)
    assert len(series) == 3
    for s in series:
        assert s.interval == 300 and len(s.values) == 4
        assert s.timestamps == tuple(end - timedelta(seconds=300 * i) for i in (3, 2, 1, 0))


async def test_bad_arguments(client: aiovsphere.Client) -> None:
    vms = await _vms(client)
    sizes = _count_queries(client)
    with pytest.raises(ValueError, match="counters"):
        await query_perf(client, vms, [])
    with pytest.raises(ValueError, match="batch_size"):
        await query_perf(client, vms, COUNTERS, batch_size=0)
    with pytest.raises(KeyError, match=r"no\.such\.counter"):
        await query_perf(client, vms, ["cpu.usage.average", "no.such.counter"])
    with pytest.raises(TypeError):
        await query_perf(client, ["vm-1"], COUNTERS)  # type: ignore[list-item]
    assert await query_perf(client, [], COUNTERS) == []
    assert sizes == []  # none of these sent a QueryPerf


async def test_the_server_limit_sets_the_batch_size(private_vcsim: Any) -> None:
    url = private_vcsim.url
    async with aiovsphere.connect(url, user="admin", password="pw") as admin:
        setting = admin.content.setting
        with pytest.raises(faults.InvalidName):  # vcsim, like ESXi, has no such option
            await admin.invoke(setting, "QueryOptions",
                               name="config.vpxd.stats.maxQueryMetrics")
        await admin.invoke(setting, "UpdateOptions", changedValue=(t.OptionValue(
            key="config.vpxd.stats.maxQueryMetrics", value="5"),))
        async with aiovsphere.connect(url, user="perf", password="pw") as client:
            vms = await _vms(client)
            sizes = _count_queries(client)
            series = await query_perf(client, vms, COUNTERS[:2], max_sample=1)
            assert len(series) == 16
            assert sizes == [2, 2, 2, 2]  # 5 metrics per query: 2 VMs x 2 counters
            del sizes[:]
            await query_perf(client, vms, COUNTERS[:2], max_sample=1)
            assert len(sizes) == 4  # the setting was read once: still 4 calls
        await admin.invoke(setting, "UpdateOptions", changedValue=(t.OptionValue(
            key="config.vpxd.stats.maxQueryMetrics", value="-1"),))
        async with aiovsphere.connect(url, user="perf", password="pw") as client:
            sizes = _count_queries(client)
            await query_perf(client, await _vms(client), COUNTERS, max_sample=1)
            assert sizes == [8]  # -1: no limit, one call
