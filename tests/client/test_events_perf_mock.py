"""Events and metrics against the fake vCenter, for what vcsim (0.24) cannot show.

vcsim's collector holds one page and never returns new events from ReadNextEvents; vCenter
pages through the whole history oldest first and returns new events from ReadNextEvents as
they come. vcsim echoes ``instance="*"`` and sends samples newest first; vCenter expands
``"*"`` into the instances plus the aggregate and sends samples oldest first, with -1 for
a missing sample. vcsim has no ``config.vpxd.stats.maxQueryMetrics``; vCenter may send it
typed (xsd:int) and may refuse to show it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from aiovsphere import Client, ManagedObjectReference, faults
from aiovsphere._events import events
from aiovsphere._perf import query_perf
from aiovsphere.transport.mock import MockResponse

from ._soap import PASSWORD, USER, Call, FakeVC, fault, ok, service_content_xml

COLLECTOR = "session[52f1]event-collector-1"


@pytest.fixture
async def client(fake: FakeVC) -> AsyncIterator[Client]:
    """A logged-in client whose ServiceContent has an EventManager and a
    PerformanceManager."""
    content = service_content_xml().replace(
        "<taskManager", '<perfManager type="PerformanceManager">PerfMgr</perfManager>'
        '<eventManager type="EventManager">EventManager</eventManager><taskManager')
    fake.on["RetrieveServiceContent"] = lambda call: ok("RetrieveServiceContent", content)
    c = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0")
    await c.open()
    await c.session.login(USER, PASSWORD)
    yield c
    await c.close()


# ---------------------------------------------------------------------------- events
def _event_xml(key: int, message: str) -> str:
    return (f'<returnval xsi:type="GeneralUserEvent"><key>{key}</key><chainId>{key}</chainId>'
            f"<createdTime>2024-05-01T10:00:{key:02d}Z</createdTime>"
            f"<userName>VSPHERE.LOCAL\\admin</userName><message>{message}</message>"
            "</returnval>")


class _EventServer:
    """vCenter's collector: ReadNextEvents pages from a read position through every event
    that exists, oldest first, including events posted later; latestPage never changes
    here (WaitForUpdatesEx always times out)."""

    def __init__(self, fake: FakeVC) -> None:
        self.events: list[int] = []
        self.position = 0
        self.reads: list[int] = []
        self.destroyed: list[str] = []
        fake.on["CreateCollectorForEvents"] = lambda call: ok(
            "CreateCollectorForEvents",
            f'<returnval type="EventHistoryCollector">{COLLECTOR}</returnval>')
        fake.on["SetCollectorPageSize"] = self.set_page_size
        fake.on["ReadNextEvents"] = self.read_next
        fake.on["DestroyCollector"] = lambda call: self.destroy(call, "DestroyCollector")
        fake.on["CreatePropertyCollector"] = lambda call: ok(
            "CreatePropertyCollector", '<returnval type="PropertyCollector">pc-1</returnval>')
        fake.on["CreateFilter"] = lambda call: ok(
            "CreateFilter", '<returnval type="PropertyFilter">filter-1</returnval>')
        fake.on["WaitForUpdatesEx"] = lambda call: ok("WaitForUpdatesEx")
        fake.on["DestroyPropertyCollector"] = lambda call: self.destroy(
            call, "DestroyPropertyCollector")
        self.page_size: int | None = None

    def set_page_size(self, call: Call) -> MockResponse:
        self.page_size = int(call.text("maxCount") or 0)
        return ok("SetCollectorPageSize")

    def read_next(self, call: Call) -> MockResponse:
        count = int(call.text("maxCount") or 0)
        page = self.events[self.position:self.position + count]
        self.position += len(page)
        self.reads.append(len(page))
        return ok("ReadNextEvents", "".join(_event_xml(k, f"event-{k}") for k in page))

    def destroy(self, call: Call, method: str) -> MockResponse:
        self.destroyed.append(method)
        return ok(method)


async def test_history_pages_oldest_first(fake: FakeVC, client: Client) -> None:
    server = _EventServer(fake)
    server.events = [1, 2, 3, 4, 5]
    seen = [e async for e in events(client, page_size=2)]
    assert [(e.key, e.message) for e in seen] == [(k, f"event-{k}") for k in range(1, 6)]
    assert seen[0].createdTime == datetime(2024, 5, 1, 10, 0, 1, tzinfo=UTC)
    assert server.page_size == 2
    assert server.reads == [2, 2, 1, 0]
    assert server.destroyed == ["DestroyCollector"]


async def test_follow_through_read_next_events(fake: FakeVC, client: Client) -> None:
    server = _EventServer(fake)
    server.events = [1, 2]
    got: list[int] = []

    async def consume() -> None:
        async with contextlib.aclosing(events(client, follow=True, page_size=10,
                                              poll_interval=1)) as stream:
            async for event in stream:
                got.append(event.key)
                if event.key == 6:
                    return

    consumer = asyncio.create_task(consume())
    await fake.wait_for("WaitForUpdatesEx")
    assert got == [1, 2]
    server.events += [3, 4]
    await fake.wait_for("WaitForUpdatesEx", 2)
    server.events += [5, 6]
    async with asyncio.timeout(5):
        await consumer
    assert got == [1, 2, 3, 4, 5, 6]  # each once, in order, none lost
    assert server.destroyed == ["DestroyPropertyCollector", "DestroyCollector"]


async def test_follow_merges_latest_page_and_reads(fake: FakeVC, client: Client) -> None:
    # latestPage reports events (newest first, unordered, some already seen) that
    # ReadNextEvents also returns: each is yielded once, in key order.
    server = _EventServer(fake)
    server.events = [1, 2]
    waits = 0

    def wait(call: Call) -> MockResponse:
        nonlocal waits
        waits += 1
        if waits != 2:
            return ok("WaitForUpdatesEx")
        server.events += [3, 4]
        page = "".join(_event_xml(k, f"event-{k}").replace("returnval", "Event")
                       for k in (4, 2, 3))
        return ok("WaitForUpdatesEx", (
            "<returnval><version>2</version><filterSet>"
            '<filter type="PropertyFilter">filter-1</filter><objectSet><kind>modify</kind>'
            f'<obj type="EventHistoryCollector">{COLLECTOR}</obj><changeSet>'
            "<name>latestPage</name><op>assign</op>"
            f'<val xsi:type="ArrayOfEvent">{page}</val></changeSet></objectSet>'
            "</filterSet></returnval>"))

    fake.on["WaitForUpdatesEx"] = wait
    got: list[int] = []
    async with contextlib.aclosing(events(client, follow=True)) as stream:
        async for event in stream:
            got.append(event.key)
            if event.key == 4:
                break
    assert got == [1, 2, 3, 4]
    assert server.destroyed == ["DestroyPropertyCollector", "DestroyCollector"]


# ---------------------------------------------------------------------------- metrics
_COUNTERS = (
    '<returnval><objects><obj type="PerformanceManager">PerfMgr</obj><propSet>'
    '<name>perfCounter</name><val xsi:type="ArrayOfPerfCounterInfo">'
    + "".join(
        f'<PerfCounterInfo xsi:type="PerfCounterInfo"><key>{key}</key>'
        f"<nameInfo><label>{name}</label><summary>{name}</summary><key>{name}</key></nameInfo>"
        f"<groupInfo><label>{group}</label><summary>{group}</summary><key>{group}</key>"
        f"</groupInfo><unitInfo><label>{unit}</label><summary>{unit}</summary>"
        f"<key>{unit}</key></unitInfo><rollupType>average</rollupType>"
        f"<statsType>rate</statsType><level>1</level><perDeviceLevel>3</perDeviceLevel>"
        "</PerfCounterInfo>"
        for key, group, name, unit in ((2, "cpu", "usage", "percent"),
                                       (143, "net", "usage", "kiloBytesPerSecond"))
    )
    + "</val></propSet></objects></returnval>"
)


def _entity_metric(vm: str) -> str:
    """vCenter's answer for cpu.usage.average with instance "*": the aggregate and two
    CPUs, samples oldest first, -1 for a missing sample."""
    samples = "".join(f"<sampleInfo><timestamp>2024-05-01T10:00:{s:02d}Z</timestamp>"
                      "<interval>20</interval></sampleInfo>" for s in (0, 20, 40))
    series = "".join(
        f'<value xsi:type="PerfMetricIntSeries"><id><counterId>2</counterId>'
        f"<instance>{instance}</instance></id>"
        + "".join(f"<value>{v}</value>" for v in values) + "</value>"
        for instance, values in (("", (1250, 1300, -1)), ("0", (2500, 2600, -1)),
                                 ("1", (0, 0, -1)))
    )
    return (f'<returnval xsi:type="PerfEntityMetric"><entity type="VirtualMachine">{vm}'
            f"</entity>{samples}{series}</returnval>")


def _perf_server(fake: FakeVC, option: str | None) -> list[list[str]]:
    """Serve the catalogue, QueryOptions (``option``: the option's XML, or ``None`` for
    NoPermission) and QueryPerf; returns the entities of each QueryPerf call."""
    queries: list[list[str]] = []

    def retrieve(call: Call) -> MockResponse | None:
        if call.all_text("v:specSet/v:propSet/v:pathSet") == ["perfCounter"]:
            return ok("RetrievePropertiesEx", _COUNTERS)
        return None

    def options(call: Call) -> MockResponse:
        assert call.text("name") == "config.vpxd.stats.maxQueryMetrics"
        if option is None:
            return fault("NoPermission", "Permission to perform this operation was denied.",
                         '<object type="OptionManager">VpxSettings</object>'
                         "<privilegeId>System.Read</privilegeId>")
        return ok("QueryOptions", option)

    def perf(call: Call) -> MockResponse:
        vms = call.all_text("v:querySpec/v:entity")
        queries.append(vms)
        return ok("QueryPerf", "".join(_entity_metric(vm) for vm in vms))

    fake.on["RetrievePropertiesEx"] = retrieve
    fake.on["QueryOptions"] = options
    fake.on["QueryPerf"] = perf
    return queries


def _option(value: str) -> str:
    return ("<returnval><key>config.vpxd.stats.maxQueryMetrics</key>"
            f"<value xsi:type=\"xsd:int\">{value}</value></returnval>")


async def test_vcenter_shaped_series(fake: FakeVC, client: Client) -> None:
    queries = _perf_server(fake, _option("-1"))
    vms = [ManagedObjectReference("VirtualMachine", f"vm-{i}") for i in range(3)]
    series = await query_perf(client, vms, ["cpu.usage.average"])
    assert queries == [["vm-0", "vm-1", "vm-2"]]  # -1: no limit, one call
    assert [(s.entity.value, s.instance) for s in series] == [
        (vm.value, instance) for vm in vms for instance in ("", "0", "1")]
    first = series[0]
    assert (first.counter, first.unit, first.interval) == ("cpu.usage.average", "percent", 20)
    assert first.values == (1250, 1300, -1)  # raw: hundredths of a percent, -1 missing
    assert [ts.second for ts in first.timestamps] == [0, 20, 40]
    assert series[1].values == (2500, 2600, -1)


async def test_a_typed_limit_splits_the_query(fake: FakeVC, client: Client) -> None:
    queries = _perf_server(fake, _option("4"))
    vms = [ManagedObjectReference("VirtualMachine", f"vm-{i}") for i in range(5)]
    await query_perf(client, vms, ["cpu.usage.average", "net.usage.average"])
    # 4 metrics per query with 2 counters: 2 entities per call, in order.
    assert sorted(queries) == [["vm-0", "vm-1"], ["vm-2", "vm-3"], ["vm-4"]]


async def test_a_hidden_limit_falls_back_to_the_default(fake: FakeVC, client: Client) -> None:
    queries = _perf_server(fake, None)  # NoPermission on the option
    vms = [ManagedObjectReference("VirtualMachine", f"vm-{i}") for i in range(70)]
    series = await query_perf(client, vms, ["cpu.usage.average"], concurrency=1)
    assert [len(q) for q in queries] == [64, 6]  # 64 metrics per query, 1 counter each
    assert [s.entity.value for s in series[::3]] == [f"vm-{i}" for i in range(70)]


async def test_a_failed_batch_fails_the_call_and_stops_the_others(fake: FakeVC,
                                                                   client: Client) -> None:
    _perf_server(fake, _option("1"))
    started: list[str] = []
    release = asyncio.Event()

    async def perf(call: Call) -> MockResponse:
        vm = call.all_text("v:querySpec/v:entity")[0]
        started.append(vm)
        if vm == "vm-1":
            return fault("RestrictedByAdministrator",
                         "This operation is restricted by the administrator - "
                         "'vpxd.stats.maxQueryMetrics'. Contact your system administrator.",
                         "<details>vpxd.stats.maxQueryMetrics</details>")
        await release.wait()  # the other batches hang until cancelled
        return ok("QueryPerf", _entity_metric(vm))

    fake.on["QueryPerf"] = perf
    vms = [ManagedObjectReference("VirtualMachine", f"vm-{i}") for i in range(3)]
    with pytest.raises(faults.RestrictedByAdministrator):
        async with asyncio.timeout(5):
            await query_perf(client, vms, ["cpu.usage.average"])
    assert sorted(started) == ["vm-0", "vm-1", "vm-2"]  # concurrent batches
