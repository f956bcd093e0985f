"""Hostile or odd server answers to the collector layer (FakeVC, scripted answers).

Each test says what a well-behaved client must do with an answer no sane vCenter sends
(or sends rarely): a typed error, or a documented tolerant behaviour, and never a hang
(every wait is bounded by ``asyncio.timeout``) nor a bare KeyError/AttributeError/
IndexError/TypeError from deep inside. Tests marked ``xfail(strict=True)`` are bugs.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import aiovsphere
from aiovsphere import Client, ManagedObjectReference, apply_change
from aiovsphere.transport.mock import MockResponse
from aiovsphere.vim import types as t
from tests.adversarial._support import Stretch
from tests.client._soap import (
    PASSWORD,
    USER,
    Call,
    FakeVC,
    object_content_xml,
    ok,
    service_content_xml,
)
from tests.client.test_collector_mock import (
    VIEW,
    Collectors,
    change,
    obj_update,
    power,
    task_info,
    task_update,
    update_set,
    vm,
)

ROOT = str(Path(__file__).resolve().parents[2])
TASK = ManagedObjectReference("Task", "task-1")
TYPED = (aiovsphere.VSphereError, ValueError, TimeoutError)


@pytest.fixture
def fake() -> FakeVC:
    fake = FakeVC()
    content = service_content_xml().replace(
        "<taskManager", '<perfManager type="PerformanceManager">PerfMgr</perfManager>'
        '<eventManager type="EventManager">EventManager</eventManager><taskManager')
    fake.on["RetrieveServiceContent"] = lambda call: ok("RetrieveServiceContent", content)
    return fake


@pytest.fixture
async def client(fake: FakeVC) -> AsyncIterator[Client]:
    c = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0")
    await c.open()
    await c.session.login(USER, PASSWORD)
    yield c
    await c.close()


@pytest.fixture
def pcs(fake: FakeVC) -> Collectors:
    fake.on["CreateContainerView"] = lambda call: ok(
        "CreateContainerView", f'<returnval type="ContainerView">{VIEW.value}</returnval>')
    return Collectors(fake)


async def _first_batches(client: Client, n: int, *paths: str) -> list[aiovsphere.WatchBatch]:
    out = []
    async with asyncio.timeout(5):
        async with contextlib.aclosing(aiovsphere.watch_batches(
                client, [vm(1)], list(paths) or ["name"])) as batches:
            async for batch in batches:
                out.append(batch)
                if len(out) == n:
                    break
    return out


# ---------------------------------------------------------------------------- records
@pytest.mark.parametrize("value", ["abc", t.VirtualMachineSummary()],
                         ids=["str", "data-object"])
def test_indexed_change_on_a_non_array_is_refused(value: object) -> None:
    props = {"name": value}
    with pytest.raises(ValueError):
        apply_change(props, "name[4]", "assign", "x")


def test_indexed_change_on_a_scalar_is_a_value_error() -> None:
    props = {"n": 5}
    with pytest.raises(ValueError):
        apply_change(props, "n[4]", "assign", "x")
    assert props == {"n": 5}


@pytest.mark.parametrize("name", ["config..x", "device[", "]", "a[1].x",
                                  "config.hardware"])
def test_unparsable_or_unfitting_paths_are_value_errors(name: str) -> None:
    props = {"config": None, "a": (1, 2)}
    with pytest.raises(ValueError):
        apply_change(props, name, "assign", "x")
    assert props == {"config": None, "a": (1, 2)}  # nothing half-applied


async def test_cache_fed_an_unparsable_change_name_ends_with_its_error(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    """A change name that is not a path ('config..x') ends the cache with ValueError
    (apply_change's documented error): wait_until raises it, nothing hangs or leaks."""
    pcs.push(update_set("1", power(vm(1), "poweredOn", "enter", "a")),
             update_set("2", obj_update("modify", vm(1), change("config..x", val="v"))))
    async with asyncio.timeout(5):
        async with aiovsphere.InventoryCache(client, "VirtualMachine",
                                             ["name", "runtime.powerState"]) as cache:
            with pytest.raises(ValueError, match=r"config\.\.x"):
                await cache.wait_until(lambda s: False)
            assert isinstance(cache.error, ValueError)
            assert cache.snapshot()[vm(1)].name == "a"  # the last good snapshot stays
    assert pcs.live == set() and pcs.filters == {}


# ---------------------------------------------------------------------------- watch/cache
async def test_odd_object_updates_are_tolerated_by_watch_and_cache(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    """modify before enter, a leave for an object never seen, an object of a type not
    asked for: the stream reports them as sent; the cache holds what the server says."""
    host = ManagedObjectReference("HostSystem", "host-9")
    pcs.push(update_set("1", power(vm(1), "poweredOn", "enter", "a")),
             update_set("2", power(vm(2), "poweredOff", "modify", "b"),  # never entered
                        obj_update("leave", vm(7)),                       # never seen
                        obj_update("enter", host, change("name", val="h"))))
    async with asyncio.timeout(5):
        async with aiovsphere.InventoryCache(client, "VirtualMachine",
                                             ["name", "runtime.powerState"]) as cache:
            snap = await cache.wait_until(lambda s: s.version == 2)
    assert snap[vm(2)].name == "b" and snap[vm(2)].runtime.powerState == "poweredOff"
    assert vm(7) not in snap
    assert snap[vm(1)].name == "a"
    assert cache.error is None
    assert pcs.live == set()


async def test_endless_truncated_answers_end_at_the_deadline(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    """Regression bound: a server that answers truncated=true forever with new versions
    keeps the cache without a first snapshot; ``async with`` under a deadline ends with
    TimeoutError and leaves nothing behind (the answers come at once: no server wait)."""
    n = 0

    def endless(call: Call) -> MockResponse:
        nonlocal n
        n += 1
        return ok("WaitForUpdatesEx", update_set(
            str(n), power(vm(n % 7), "poweredOn", "enter", f"v{n}"), truncated=True))

    fake.on["WaitForUpdatesEx"] = endless
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            async with aiovsphere.InventoryCache(client, "VirtualMachine", ["name"]):
                pass
    assert pcs.live == set() and pcs.filters == {}


async def test_truncated_forever_with_the_same_version_is_an_error(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    def stuck(call: Call) -> MockResponse:
        return ok("WaitForUpdatesEx", update_set(
            "7", power(vm(1), "poweredOn", "enter", "a"), truncated=True))

    fake.on["WaitForUpdatesEx"] = stuck
    start = fake.count("WaitForUpdatesEx")
    with pytest.raises(aiovsphere.VSphereError):
        async with asyncio.timeout(0.5):
            async with aiovsphere.InventoryCache(client, "VirtualMachine", ["name"]):
                pass
    # At most a few round trips before the repeat is noticed, not a busy loop.
    assert fake.count("WaitForUpdatesEx") - start < 10


async def test_a_huge_update_set_is_applied_whole(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    n = 5000
    pcs.push(update_set("1", *(power(vm(i), "poweredOn", "enter", f"vm{i}")
                               for i in range(n))))
    async with asyncio.timeout(20):
        async with aiovsphere.InventoryCache(client, "VirtualMachine",
                                             ["name", "runtime.powerState"]) as cache:
            snap = cache.snapshot()
    assert len(snap) == n and snap.version == 1
    assert snap[vm(n - 1)].name == f"vm{n - 1}"


async def test_updates_for_a_foreign_filter_and_a_stale_version_do_not_crash_watch(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    pcs.push(update_set("1", power(vm(1), "poweredOn", "enter", "a")),
             update_set("1", power(vm(1), "poweredOff"), filter_value="not-ours"),
             update_set("1", power(vm(1), "suspended")))
    batches = await _first_batches(client, 3, "name", "runtime.powerState")
    assert [b.version for b in batches] == ["1", "1", "1"]
    assert [[c.kind for c in b.changes] for b in batches] == [["enter"], ["modify"],
                                                              ["modify"]]
    assert pcs.live == set()


# ---------------------------------------------------------------------------- tasks
async def test_task_info_without_a_value_is_a_typed_error_or_skipped(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    pcs.push(update_set("1", task_update("task-1", "enter", "")),
             update_set("2", task_update("task-1", "modify", task_info(
                 "task-1", "success", result='<result xsi:type="xsd:string">ok</result>'))))
    async with asyncio.timeout(5):
        try:
            result = await aiovsphere.wait_for_task(client, TASK)
        except TYPED:
            result = "typed error"
    assert result in ("ok", "typed error")
    assert pcs.live == set()


@pytest.mark.parametrize("how", ["leave", "missingSet"])
async def test_a_task_that_vanishes_ends_the_wait(
        fake: FakeVC, client: Client, pcs: Collectors, how: str) -> None:
    gone = (obj_update("leave", TASK) if how == "leave" else "")
    missing = ("" if how == "leave" else
               '<missingSet><obj type="Task">task-1</obj><fault><fault '
               'xsi:type="ManagedObjectNotFound"><obj type="Task">task-1</obj></fault>'
               "<localizedMessage>gone</localizedMessage></fault></missingSet>")
    pcs.push(update_set("1", task_update("task-1", "enter", task_info("task-1", "running"))),
             update_set("2", gone, missing=missing))
    with pytest.raises(aiovsphere.SoapFault):
        async with asyncio.timeout(0.5):
            await aiovsphere.wait_for_task(client, TASK)
    assert pcs.live == set()


async def test_updates_for_tasks_not_asked_for_are_ignored(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    pcs.push(update_set("1", task_update("task-9", "enter", task_info(
        "task-9", "error", error='<error><fault xsi:type="SystemError"><reason>x</reason>'
        "</fault><localizedMessage>x</localizedMessage></error>")),
        task_update("task-1", "enter", task_info(
            "task-1", "success", result='<result xsi:type="xsd:string">mine</result>'))))
    async with asyncio.timeout(5):
        assert await aiovsphere.wait_for_task(client, TASK) == "mine"


# ---------------------------------------------------------------------------- retrieve
def _paged_forever(fake: FakeVC, token: str | None) -> list[int]:
    """Every RetrievePropertiesEx/Continue answers one object (the same one) and a
    token: ``token`` every time, or a new one each time when ``None``."""
    pages = [0]

    def answer(call: Call) -> MockResponse | None:
        if FakeVC.is_session_probe(call):
            return None
        pages[0] += 1
        tok = token if token is not None else f"t{pages[0]}"
        return ok(call.method, f"<returnval><token>{tok}</token>"
                  + object_content_xml("VirtualMachine", "vm-1", {"name": "a"})
                  + "</returnval>")

    fake.on["RetrievePropertiesEx"] = answer
    fake.on["ContinueRetrievePropertiesEx"] = answer
    return pages


async def test_a_token_that_repeats_forever_is_an_error(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    pages = _paged_forever(fake, "same")
    with pytest.raises(aiovsphere.VSphereError):
        async with asyncio.timeout(0.5):
            async with client.container_view(["VirtualMachine"]) as view:
                await aiovsphere.retrieve(client, view, ["name"])
    assert pages[0] < 10


async def test_endless_new_tokens_end_at_the_deadline_and_cancel_the_last(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    pages = _paged_forever(fake, None)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            async with client.container_view(["VirtualMachine"]) as view:
                await aiovsphere.retrieve(client, view, ["name"])
    assert pages[0] > 3
    assert fake.count("CancelRetrievePropertiesEx") == 1
    assert fake.count("DestroyView") == 1


async def test_a_token_in_transit_when_cancelled_is_released(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    fake.objects = [("VirtualMachine", f"vm-{i}", {"name": f"n{i}"}) for i in range(4)]
    stretch = Stretch(client, after={"ContinueRetrievePropertiesEx": 0.3})
    async with client.container_view(["VirtualMachine"]) as view:
        reader = asyncio.create_task(aiovsphere.retrieve(client, view, ["name"],
                                                         max_objects=1))
        await asyncio.wait_for(stretch.entered["ContinueRetrievePropertiesEx"].wait(), 5)
        assert len(fake.tokens) == 2  # the server opened the next token ("1" and size)
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader
    await asyncio.sleep(0.4)  # let the answer land
    assert fake.tokens == {}  # every token the server opened was released


async def test_duplicate_objects_across_pages_come_out_once(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    fake.objects = [("VirtualMachine", "vm-1", {"name": "a"}),
                    ("VirtualMachine", "vm-2", {"name": "b"}),
                    ("VirtualMachine", "vm-1", {"name": "a"})]
    async with asyncio.timeout(5):
        async with client.container_view(["VirtualMachine"]) as view:
            records = await aiovsphere.retrieve(client, view, ["name"], max_objects=2)
    assert [r.obj.value for r in records] == ["vm-1", "vm-2"]


# ---------------------------------------------------------------------------- events
COLLECTOR = "session[52f1]event-collector-1"


def _event(key: int, second: int | None = None) -> str:
    second = key if second is None else second
    return (f'<returnval xsi:type="GeneralUserEvent"><key>{key}</key><chainId>{key}'
            f"</chainId><createdTime>2024-05-01T10:00:{second:02d}Z</createdTime>"
            f"<userName>u</userName><message>m{key}</message></returnval>")


def _event_server(fake: FakeVC, pages: list[list[str]]) -> list[str]:
    destroyed: list[str] = []
    fake.on["CreateCollectorForEvents"] = lambda call: ok(
        "CreateCollectorForEvents",
        f'<returnval type="EventHistoryCollector">{COLLECTOR}</returnval>')
    fake.on["SetCollectorPageSize"] = lambda call: ok("SetCollectorPageSize")
    fake.on["ReadNextEvents"] = lambda call: ok(
        "ReadNextEvents", "".join(pages.pop(0)) if pages else "")
    fake.on["DestroyCollector"] = lambda call: (destroyed.append(COLLECTOR)
                                                or ok("DestroyCollector"))
    return destroyed


async def test_events_with_duplicate_and_decreasing_keys_come_out_once_in_order(
        fake: FakeVC, client: Client) -> None:
    destroyed = _event_server(fake, [[_event(3), _event(1), _event(3)],
                                     [_event(2), _event(5), _event(4)], [_event(5)]])
    async with asyncio.timeout(5):
        keys = [e.key async for e in aiovsphere.events(client)]
    # Documented: new events are those with a key above the last one yielded.
    assert keys == [1, 3, 4, 5]
    assert destroyed == [COLLECTOR]


async def test_an_event_without_a_key_is_a_typed_error_not_a_type_error(
        fake: FakeVC, client: Client) -> None:
    keyless = ('<returnval xsi:type="GeneralUserEvent"><chainId>1</chainId><createdTime>'
               "2024-05-01T10:00:01Z</createdTime><userName>u</userName>"
               "<message>m</message></returnval>")
    destroyed = _event_server(fake, [[_event(1), keyless]])
    async with asyncio.timeout(5):
        try:
            keys = [e.key async for e in aiovsphere.events(client)]
        except aiovsphere.VSphereError:
            keys = None
    assert keys in (None, [1])
    assert destroyed == [COLLECTOR]


# ---------------------------------------------------------------------------- perf
def _perf_server(fake: FakeVC, metric: str) -> None:
    counter = ('<returnval><objects><obj type="PerformanceManager">PerfMgr</obj><propSet>'
               '<name>perfCounter</name><val xsi:type="ArrayOfPerfCounterInfo">'
               '<PerfCounterInfo xsi:type="PerfCounterInfo"><key>2</key>'
               "<nameInfo><label>Usage</label><summary>s</summary><key>usage</key></nameInfo>"
               "<groupInfo><label>CPU</label><summary>c</summary><key>cpu</key></groupInfo>"
               "<unitInfo><label>%</label><summary>p</summary><key>percent</key></unitInfo>"
               "<rollupType>average</rollupType><statsType>rate</statsType><level>1</level>"
               "</PerfCounterInfo></val></propSet></objects></returnval>")

    def retrieve(call: Call) -> MockResponse | None:
        if call.all_text("v:specSet/v:propSet/v:pathSet") == ["perfCounter"]:
            return ok("RetrievePropertiesEx", counter)
        return None

    fake.on["RetrievePropertiesEx"] = retrieve
    fake.on["QueryOptions"] = lambda call: None  # the fake's MethodNotFound: no limit read
    fake.on["QueryPerf"] = lambda call: ok("QueryPerf", metric)


def _sample(second: int) -> str:
    return (f"<sampleInfo><timestamp>2024-05-01T10:00:{second:02d}Z</timestamp>"
            "<interval>20</interval></sampleInfo>")


async def test_query_perf_with_more_values_than_samples_keeps_pairs(
        fake: FakeVC, client: Client) -> None:
    _perf_server(fake, '<returnval xsi:type="PerfEntityMetric"><entity type="VirtualMachine">'
                 f"vm-1</entity>{_sample(40)}{_sample(20)}"
                 '<value xsi:type="PerfMetricIntSeries"><id><counterId>2</counterId>'
                 "<instance></instance></id><value>1</value><value>2</value>"
                 "<value>3</value></value></returnval>")
    async with asyncio.timeout(5):
        (series,) = await aiovsphere.query_perf(client, [vm(1)], ["cpu.usage.average"])
    assert len(series.timestamps) == len(series.values) == 2
    assert series.values == (2, 1)  # sorted by time: 10:00:20 -> 2, 10:00:40 -> 1
    assert series.counter == "cpu.usage.average" and series.unit == "percent"


@pytest.mark.parametrize("metric", [
    f"{_sample(20)}<value xsi:type=\"PerfMetricIntSeries\"><value>1</value></value>",
    "<sampleInfo><interval>20</interval></sampleInfo>"
    "<sampleInfo><interval>20</interval></sampleInfo>"
    "<value xsi:type=\"PerfMetricIntSeries\"><id><counterId>2</counterId><instance>"
    "</instance></id><value>1</value><value>2</value></value>",
], ids=["series-without-id", "samples-without-timestamp"])
async def test_query_perf_answer_missing_required_fields_is_a_typed_error(
        fake: FakeVC, client: Client, metric: str) -> None:
    _perf_server(fake, '<returnval xsi:type="PerfEntityMetric"><entity '
                 f'type="VirtualMachine">vm-1</entity>{metric}</returnval>')
    async with asyncio.timeout(5):
        try:
            await aiovsphere.query_perf(client, [vm(1)], ["cpu.usage.average"])
        except aiovsphere.VSphereError:
            pass


# ---------------------------------------------------------------------------- SearchIndex
@pytest.mark.parametrize("returnval", [
    '<returnval xsi:type="xsd:string">vm-1</returnval>',
    '<returnval xsi:type="VirtualMachineSummary"></returnval>',
])
async def test_search_index_answer_of_the_wrong_type_is_a_decode_error(
        fake: FakeVC, client: Client, returnval: str) -> None:
    fake.on["FindByInventoryPath"] = lambda call: ok("FindByInventoryPath", returnval)
    with pytest.raises(aiovsphere.DecodeError):
        async with asyncio.timeout(5):
            await aiovsphere.find_by_inventory_path(client, "/DC0/vm/x")


# ---------------------------------------------------------------------------- cache reuse
async def test_a_cache_entered_again_waits_for_its_own_first_snapshot(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    cache = aiovsphere.InventoryCache(client, "VirtualMachine", ["name"])
    pcs.push(update_set("1", obj_update("enter", vm(1), change("name", val="old"))))
    async with asyncio.timeout(5):
        async with cache:
            assert cache.snapshot()[vm(1)].name == "old"
    pcs.push(update_set("1", obj_update("enter", vm(1), change("name", val="new"))))
    async with asyncio.timeout(5):
        async with cache:
            assert cache.snapshot()[vm(1)].name == "new"


async def test_a_snapshot_cannot_be_changed_by_a_reader(
        fake: FakeVC, client: Client, pcs: Collectors) -> None:
    pcs.push(update_set("1", obj_update("enter", vm(1), change("name", val="a"))))
    async with asyncio.timeout(5):
        async with aiovsphere.InventoryCache(client, "VirtualMachine", ["name"]) as cache:
            snap = cache.snapshot()
    with pytest.raises(AttributeError):
        snap.version = 99  # type: ignore[misc]
    assert snap.version == 1


# ---------------------------------------------------------------------------- finder cycles
def _folders(fake: FakeVC, children: dict[str, tuple[str, ...]]) -> None:
    """Every Folder read answers its name and the ``children`` given for it."""

    def answer(call: Call) -> MockResponse | None:
        if FakeVC.is_session_probe(call):
            return None
        out = ""
        for ref in call.all_text("v:specSet/v:objectSet/v:obj"):
            kids = "".join(f'<ManagedObjectReference type="Folder">{k}'
                           "</ManagedObjectReference>" for k in children.get(ref, ()))
            out += (f'<objects><obj type="Folder">{ref}</obj><propSet><name>name</name>'
                    f'<val xsi:type="xsd:string">n-{ref}</val></propSet><propSet><name>'
                    'childEntity</name><val xsi:type="ArrayOfManagedObjectReference">'
                    f"{kids}</val></propSet></objects>")
        return ok("RetrievePropertiesEx", f"<returnval>{out}</returnval>")

    fake.on["RetrievePropertiesEx"] = answer


async def test_a_folder_cycle_is_a_typed_error(fake: FakeVC, client: Client) -> None:
    _folders(fake, {"group-d1": ("f1",), "f1": ("f1",)})
    with pytest.raises(aiovsphere.VSphereError, match="cycle"):
        async with asyncio.timeout(5):
            await client.finder().find("/**/nothing")


DIAMOND = """
import asyncio, sys
sys.path.insert(0, {root!r})
from aiovsphere import Client, VSphereError
from tests.adversarial.test_adv_layer_hostile import _folders
from tests.client._soap import PASSWORD, USER, FakeVC

async def main():
    fake = FakeVC()
    _folders(fake, {{"group-d1": ("f1", "f2"), "f1": ("f1", "f2"), "f2": ("f1", "f2")}})
    client = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0")
    await client.open()
    await client.session.login(USER, PASSWORD)
    try:
        await client.finder().find("/**/nothing")
    except VSphereError as exc:
        print("typed", type(exc).__name__)
    await client.close()

asyncio.run(main())
"""


async def test_a_diamond_shaped_cycle_ends_quickly() -> None:
    # In a subprocess: the walk blocks its event loop, so only a kill can bound it.
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DIAMOND.format(root=ROOT),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, _err = await asyncio.wait_for(proc.communicate(), 2)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        out = b"killed after 2 s"
    assert out.decode().strip() == "typed VSphereError"
