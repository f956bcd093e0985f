"""The simulator's PerformanceManager: vCenter's counter catalogue and intervals, provider
summaries, available metrics per entity and interval, deterministic synthetic samples,
time windows, formats, and the ``config.vpxd.stats.maxQueryMetrics`` limit; through the
aiovsphere client's ``perf_counters``/``query_perf`` where it has them."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._context import Context
from aiovsphere.simulator._handlers import events, folders, perf
from aiovsphere.simulator._handlers.search import resolve_path
from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as Ref

PM = Ref("PerformanceManager", "PerfMgr")


@pytest.fixture(scope="module")
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=11) as sim:
        events.install(sim)
        perf.install(sim)
        folders.install_settings(sim)
        yield sim


@pytest.fixture(scope="module")
async def client(sim: Simulator) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        yield client


def hour_ago() -> dt.datetime:
    """A whole hour a little in the past: inside every interval's retention."""
    return (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).replace(
        minute=0, second=0, microsecond=0)


def ref(sim: Simulator, path: str) -> Ref:
    found = resolve_path(Context(sim, None), path)
    assert found is not None, path
    return found.ref


async def test_counter_catalogue_is_vcenters(client: aiovsphere.Client) -> None:
    counters = await client.perf_counters()
    usage = counters["cpu.usage.average"]
    assert (usage.id, usage.unit, usage.rollup, usage.stats_type, usage.level,
            usage.per_device_level) == (2, "percent", "average", "rate", 1, 3)
    assert counters["cpu.usagemhz.average"].id == 6
    assert counters["cpu.usagemhz.average"].unit == "megaHertz"
    assert (counters["mem.usage.average"].id, counters["mem.usage.average"].stats_type) == (
        24, "absolute")
    assert (counters["mem.active.average"].id, counters["mem.active.average"].unit,
            counters["mem.active.average"].level) == (33, "kiloBytes", 2)
    assert counters["disk.usage.average"].id == 125
    assert counters["net.usage.average"].unit == "kiloBytesPerSecond"
    assert counters["datastore.totalReadLatency.average"].unit == "millisecond"
    assert counters["disk.used.latest"].rollup == "latest"
    assert counters.by_id[12].name == "cpu.ready.summation"
    assert counters.by_id[12].stats_type == "delta"
    assert counters["cpu.usage.average"].info is not None
    assert counters["cpu.usage.average"].info.groupInfo.label == "CPU"
    assert len(counters) == len(perf.COUNTERS)


async def test_historical_intervals_and_query_perf_counter(client: aiovsphere.Client) -> None:
    props = await client.get_properties(PM, ["historicalInterval", "description"])
    intervals = props["historicalInterval"]
    assert [(i.key, i.samplingPeriod, i.length, i.level, i.enabled) for i in intervals] == [
        (1, 300, 86400, 1, True), (2, 1800, 604800, 1, True), (3, 7200, 2592000, 1, True),
        (4, 86400, 31536000, 1, True)]
    assert [i.name for i in intervals] == ["Past day", "Past week", "Past month", "Past year"]
    assert {d.key for d in props["description"].statsType} == {"absolute", "delta", "rate"}
    infos = await client.invoke(PM, "QueryPerfCounter", counterId=(6, 2))
    assert [i.key for i in infos] == [6, 2]
    assert infos[1].nameInfo.key == "usage" and infos[1].groupInfo.key == "cpu"
    with pytest.raises(faults.InvalidArgument):
        await client.invoke(PM, "QueryPerfCounter", counterId=(99999,))
    level1 = await client.invoke(PM, "QueryPerfCounterByLevel", level=1)
    level2 = await client.invoke(PM, "QueryPerfCounterByLevel", level=2)
    assert {i.level for i in level1} == {1}
    assert 33 not in {i.key for i in level1} and 33 in {i.key for i in level2}
    assert {i.key for i in level1} < {i.key for i in level2}
    with pytest.raises(faults.InvalidArgument):
        await client.invoke(PM, "QueryPerfCounterByLevel", level=5)


async def test_provider_summary(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = ref(sim, "/DC0/vm/DC0_H0_VM0")
    summary = await client.invoke(PM, "QueryPerfProviderSummary", entity=vm)
    assert (summary.entity, summary.currentSupported, summary.summarySupported,
            summary.refreshRate) == (vm, True, True, 20)
    host = await client.invoke(PM, "QueryPerfProviderSummary",
                               entity=ref(sim, "/DC0/host/DC0_H0/DC0_H0"))
    assert host.refreshRate == 20
    cluster = await client.invoke(PM, "QueryPerfProviderSummary",
                                  entity=ref(sim, "/DC0/host/DC0_C0"))
    assert (cluster.currentSupported, cluster.summarySupported, cluster.refreshRate) == (
        False, True, -1)
    with pytest.raises(faults.InvalidArgument):
        await client.invoke(PM, "QueryPerfProviderSummary", entity=ref(sim, "/DC0/vm"))
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.invoke(PM, "QueryPerfProviderSummary",
                            entity=Ref("VirtualMachine", "vm-424242"))


async def test_available_metrics_per_entity_and_interval(sim: Simulator,
                                                         client: aiovsphere.Client) -> None:
    from aiovsphere._perf import available_metrics

    vm = ref(sim, "/DC0/vm/DC0_H0_VM0")
    realtime = await available_metrics(client, vm)
    pairs = {(m.name, m.instance) for m in realtime}
    cpus = (await client.get_properties(vm, ["config.hardware.numCPU"]))[
        "config.hardware.numCPU"]
    assert ("cpu.usage.average", "") in pairs
    assert {i for n, i in pairs if n == "cpu.usagemhz.average"} == {
        "", *(str(i) for i in range(cpus))}
    assert ("mem.active.average", "") in pairs  # level 2: there in real time
    nics = {i for n, i in pairs if n == "net.usage.average"} - {""}
    assert nics and all(i.isdigit() for i in nics)  # device keys such as "4000"
    assert any(n.startswith("virtualDisk.") and i.startswith("scsi") for n, i in pairs)
    daily = await available_metrics(client, vm, interval=300)
    names = {(m.name, m.instance) for m in daily}
    assert ("cpu.usage.average", "") in names
    assert ("mem.active.average", "") not in names  # above the interval's level 1
    assert all(m.instance == "" for m in daily)  # per-device data needs level 3
    cluster = ref(sim, "/DC0/host/DC0_C0")
    assert await available_metrics(client, cluster) == ()  # no real time for a cluster
    assert "clusterServices.effectivecpu.average" in {
        m.name for m in await available_metrics(client, cluster, interval=1800)}
    ds = ref(sim, "/DC0/datastore/LocalDS_0")
    assert {m.name for m in await available_metrics(client, ds, interval=300)} >= {
        "disk.used.latest", "disk.capacity.latest"}


async def test_query_perf_realtime_series(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = ref(sim, "/DC0/vm/DC0_H0_VM1")
    now = dt.datetime.now(dt.UTC)
    end = now.replace(second=now.second // 20 * 20, microsecond=0) - dt.timedelta(minutes=1)
    window = {"start": end - dt.timedelta(minutes=5), "end": end}
    series = await client.query_perf([vm], ["cpu.usage.average", "cpu.usagemhz.average",
                                            "mem.usage.average"], max_sample=6, **window)
    by = {(s.counter, s.instance): s for s in series}
    cpus = (await client.get_properties(vm, ["config.hardware.numCPU"]))[
        "config.hardware.numCPU"]
    assert set(by) == {("cpu.usage.average", ""), ("cpu.usagemhz.average", ""),
                       ("mem.usage.average", ""),
                       *{("cpu.usage.average", str(i)) for i in range(cpus)},
                       *{("cpu.usagemhz.average", str(i)) for i in range(cpus)}}
    usage = by[("cpu.usage.average", "")]
    assert usage.unit == "percent" and usage.interval == 20
    assert len(usage.timestamps) == len(usage.values) == 6
    stamps = [s.timestamp() for s in usage.timestamps]
    assert all(s % 20 == 0 for s in stamps) and usage.timestamps[-1] == end
    assert [b - a for a, b in itertools.pairwise(stamps)] == [20.0] * 5
    assert all(0 <= v <= 10000 for v in usage.values)
    # The aggregate of per-CPU MHz is their sum; of per-CPU percent, their mean.
    mhz = [by[("cpu.usagemhz.average", str(i))].values for i in range(cpus)]
    assert list(by[("cpu.usagemhz.average", "")].values) == [sum(c) for c in zip(*mhz,
                                                                                   strict=True)]
    # Deterministic: the same query answers the same samples.
    again = await client.query_perf([vm], ["cpu.usage.average"], instance="",
                                    max_sample=6, **window)
    assert again[0].values == usage.values and again[0].timestamps == usage.timestamps
    # No maxSample and no window: the last hour.
    hour = await client.query_perf([vm], ["mem.usage.average"], instance="")
    assert len(hour[0].values) == 180


async def test_samples_depend_on_seed_and_entity() -> None:
    async def values(seed: int, path: str) -> tuple[Any, ...]:
        async with Simulator(seed=seed) as s, aiovsphere.connect(
                s.url, user="u", password="p") as c:
            perf.install(s)
            end = hour_ago()
            answer = await c.query_perf([ref(s, path)], ["cpu.usage.average"],
                                        interval=300, start=end - dt.timedelta(hours=1),
                                        end=end, instance="")
            return answer[0].values

    first = await values(1, "/DC0/vm/DC0_H0_VM0")
    assert len(first) == 12
    assert first == await values(1, "/DC0/vm/DC0_H0_VM0")
    assert first != await values(2, "/DC0/vm/DC0_H0_VM0")
    assert first != await values(1, "/DC0/vm/DC0_H0_VM1")


async def test_query_perf_windows_formats_and_power(sim: Simulator,
                                                    client: aiovsphere.Client) -> None:
    vm = ref(sim, "/DC0/vm/DC0_H0_VM0")
    end = hour_ago()
    start = end - dt.timedelta(hours=2)
    spec = t.PerfQuerySpec(entity=vm, startTime=start, endTime=end, intervalId=1800,
                           metricId=(t.PerfMetricId(counterId=2, instance=""),),
                           maxSample=1)  # ignored for historical intervals
    (metric,) = await client.invoke(PM, "QueryPerf", querySpec=(spec,))
    got = [s.timestamp for s in metric.sampleInfo]
    # startTime exclusive, endTime inclusive, oldest first.
    assert got == [start + dt.timedelta(minutes=30 * i) for i in range(1, 5)]
    assert {s.interval for s in metric.sampleInfo} == {1800}
    (csv,) = await client.invoke(PM, "QueryPerf", querySpec=(
        spec.model_copy(update={"format": "csv"}),))
    assert isinstance(csv, t.PerfEntityMetricCSV)
    fields = csv.sampleInfoCSV.split(",")
    first = (start + dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert fields[0] == "1800" and fields[1] == first and len(fields) == 8
    assert csv.value[0].value == ",".join(map(str, metric.value[0].value))
    with pytest.raises(faults.InvalidArgument):
        await client.invoke(PM, "QueryPerf", querySpec=(
            spec.model_copy(update={"format": "xml"}),))
    # An interval the entity lacks is answered from the next longer one.
    (odd,) = await client.invoke(PM, "QueryPerf", querySpec=(
        spec.model_copy(update={"intervalId": 600}),))
    assert odd.sampleInfo[0].interval == 1800
    # A powered-off VM has no real-time data.
    task = await client.invoke(vm, "PowerOffVM_Task")
    await client.wait_for_task(task)
    assert await client.query_perf([vm], ["cpu.usage.average"], max_sample=1) == []
    assert await client.invoke(PM, "QueryAvailablePerfMetric", entity=vm,
                               intervalId=20) == ()
    assert await client.query_perf([vm], ["cpu.usage.average"], interval=300,
                                   start=start, end=end)  # history stays


async def test_max_query_metrics_limit(sim: Simulator, client: aiovsphere.Client) -> None:
    setting = client.content.setting
    (option,) = await client.invoke(setting, "QueryOptions",
                                    name="config.vpxd.stats.maxQueryMetrics")
    assert option.value == 256
    vms = [ref(sim, p) for p in ("/DC0/vm/DC0_H0_VM1", "/DC0/vm/DC0_C0_RP0_VM0",
                                 "/DC0/vm/DC0_C0_RP0_VM1")]
    end = hour_ago()

    def specs(interval: int) -> tuple[Any, ...]:
        window = {} if interval == 20 else {"endTime": end,
                                             "startTime": end - dt.timedelta(hours=1)}
        return tuple(t.PerfQuerySpec(entity=vm, intervalId=interval, maxSample=1, **window,
                                     metricId=(t.PerfMetricId(counterId=2, instance=""),))
                     for vm in vms)

    await client.invoke(setting, "UpdateOptions", changedValue=(
        t.OptionValue(key="config.vpxd.stats.maxQueryMetrics", value="2"),))
    try:
        with pytest.raises(faults.RestrictedByAdministrator) as caught:
            await client.invoke(PM, "QueryPerf", querySpec=specs(300))
        assert "vpxd.stats.maxQueryMetrics" in str(caught.value)
        assert len(await client.invoke(PM, "QueryPerf", querySpec=specs(300)[:2])) == 2
        assert len(await client.invoke(PM, "QueryPerf", querySpec=specs(20))) == 3  # real time
        # The client reads the limit and batches: 3 entities, 2 per call.
        fresh = aiovsphere.connect(sim.url, user="admin", password="pw")
        async with fresh as other:
            series = await other.query_perf(vms, ["cpu.usage.average"], interval=300,
                                            start=end - dt.timedelta(hours=1), end=end,
                                            instance="")
        assert [s.entity for s in series] == vms
        await client.invoke(setting, "UpdateOptions", changedValue=(
            t.OptionValue(key="config.vpxd.stats.maxQueryMetrics", value=-1),))
        assert len(await client.invoke(PM, "QueryPerf", querySpec=specs(300))) == 3
    finally:
        await client.invoke(setting, "UpdateOptions", changedValue=(
            t.OptionValue(key="config.vpxd.stats.maxQueryMetrics", value=256),))


async def test_cluster_and_datastore_history(sim: Simulator, client: aiovsphere.Client) -> None:
    end = hour_ago().replace(hour=0) - dt.timedelta(days=1)
    start = end - dt.timedelta(days=1)
    cluster = ref(sim, "/DC0/host/DC0_C0")
    series = await client.query_perf([cluster], ["cpu.totalmhz.average",
                                                 "cpu.usagemhz.average"],
                                     interval=7200, start=start, end=end)
    by = {s.counter: s for s in series}
    assert len(by["cpu.usagemhz.average"].values) == 12
    total = set(by["cpu.totalmhz.average"].values)
    assert len(total) == 1 and all(0 <= u <= next(iter(total))
                                   for u in by["cpu.usagemhz.average"].values)
    ds = ref(sim, "/DC0/datastore/LocalDS_0")
    capacity = (await client.get_properties(ds, ["summary.capacity"]))["summary.capacity"]
    (cap,) = await client.query_perf([ds], ["disk.capacity.latest"], interval=86400,
                                     start=start - dt.timedelta(days=3), end=end)
    assert set(cap.values) == {capacity // 1024} and len(cap.values) == 4  # 4 days
    assert await client.query_perf([cluster], ["cpu.usagemhz.average"]) == []  # no 20 s
