"""Performance metrics (vim.PerformanceManager): counters by name, available metrics, series.

    counters = await perf_counters(client)
    counters["cpu.usage.average"].id              # 2 on vCenter; ids differ per server
    for s in await query_perf(client, vms, ["cpu.usage.average", "mem.usage.average"],
                              max_sample=15):
        print(s.entity, s.counter, s.instance, s.unit, s.timestamps[-1], s.values[-1])

Counters are named ``group.name.rollup`` as govc and the vSphere client name them
(``cpu.usage.average``, ``net.bytesRx.average``, ``disk.used.latest``); counter ids are
per server, so names are the portable handle. The catalogue (PerformanceManager.perfCounter,
hundreds of entries) is read once per client and cached in a ``WeakKeyDictionary`` keyed by
the client (it goes with the client); ``perf_counters(client, refresh=True)`` reads it
again. The server's query limit (below) is read once per client too.

Intervals: ``interval=20`` is real time (vim.PerformanceManager.QuerySpec.intervalId 20 s,
kept about an hour, hosts and VMs only); historical intervals are the ``key`` (= sampling
period in seconds: 300, 1800, 7200, 86400 by default) of an entry of
PerformanceManager.historicalInterval (:func:`historical_intervals`). vcsim (0.24) has no
historical intervals in that list but answers QueryPerf for any interval.

Batching (vim.PerformanceManager.QueryPerf): one QuerySpec per entity, ``format="normal"``.
vCenter refuses a query of more metrics (entities x counters) than its advanced setting
``config.vpxd.stats.maxQueryMetrics`` (vim.option.OptionManager.QueryOptions on
ServiceContent.setting; -1 = no limit; enforced for historical queries), with "This
operation is restricted by the administrator". By default a call therefore carries
``limit // len(counters)`` entities (at least 1); when the setting is missing (ESXi,
vcsim) or cannot be read, ``limit`` is :data:`DEFAULT_MAX_QUERY_METRICS` (64, vCenter
6.0's default). ``batch_size=`` overrides it (entities per call). Batches run concurrently,
at most ``concurrency`` (default 4) calls at once; results keep the order of ``entities``.

Values are the server's raw integers (vim.PerformanceManager.IntSeries) with the counter's
``unit`` key beside them: ``percent`` is in hundredths of a percent (10000 = 100 %),
``kiloBytes``/``kiloBytesPerSecond`` in KiB, ``megaHertz``, ``millisecond``, ``number``...;
vCenter reports a missing sample as -1. Scaling is left to the caller.
"""

from __future__ import annotations

import asyncio
import difflib
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from aiovsphere._errors import DecodeError, SoapFault
from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere._objects import ManagedObject
    from aiovsphere.vim.types import PerfCounterInfo, PerfInterval, PerfQuerySpec

__all__ = [
    "AvailableMetric",
    "MetricSeries",
    "PerfCounter",
    "PerfCounters",
    "available_metrics",
    "historical_intervals",
    "perf_counters",
    "query_perf",
]

DEFAULT_MAX_QUERY_METRICS = 64
MAX_QUERY_METRICS_OPTION = "config.vpxd.stats.maxQueryMetrics"
REALTIME_INTERVAL = 20


@dataclass(frozen=True, slots=True)
class PerfCounter:
    """One performance counter (vim.PerformanceManager.CounterInfo).

    ``name`` is ``group.name.rollup`` (``cpu.usage.average``); ``unit`` the unit key
    (``percent``, ``kiloBytes``, ``megaHertz``...); ``stats_type`` ``absolute``, ``delta``
    or ``rate``; ``level`` the statistics level (1-4) that collects it. ``info`` is the
    server's record (``None`` for a counter id the server does not describe).
    """

    id: int
    name: str
    group: str
    rollup: str
    unit: str
    stats_type: str
    level: int | None
    per_device_level: int | None
    description: str
    info: PerfCounterInfo | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_info(cls, info: PerfCounterInfo) -> PerfCounter:
        rollup = _text(info.rollupType)
        return cls(
            id=info.key,
            name=f"{info.groupInfo.key}.{info.nameInfo.key}.{rollup}",
            group=info.groupInfo.key,
            rollup=rollup,
            unit=info.unitInfo.key,
            stats_type=_text(info.statsType),
            level=info.level,
            per_device_level=info.perDeviceLevel,
            description=info.nameInfo.summary,
            info=info,
        )

    @classmethod
    def unknown(cls, counter_id: int) -> PerfCounter:
        """A stand-in for an id missing from the server's catalogue."""
        return cls(id=counter_id, name=f"#{counter_id}", group="", rollup="", unit="",
                   stats_type="", level=None, per_device_level=None, description="")


class PerfCounters(Mapping[str, PerfCounter]):
    """The counter catalogue: a read-only mapping ``"group.name.rollup"`` -> PerfCounter,
    plus ``by_id`` (id -> PerfCounter). Should a name occur twice, the first counter in the
    server's list keeps it (the other stays reachable by id)."""

    def __init__(self, infos: Sequence[PerfCounterInfo]) -> None:
        by_name: dict[str, PerfCounter] = {}
        by_id: dict[int, PerfCounter] = {}
        for info in infos:
            counter = PerfCounter.from_info(info)
            by_id.setdefault(counter.id, counter)
            by_name.setdefault(counter.name, counter)
        self._by_name = by_name
        self.by_id: Mapping[int, PerfCounter] = MappingProxyType(by_id)

    def __getitem__(self, name: str) -> PerfCounter:
        try:
            return self._by_name[name]
        except KeyError:
            close = difflib.get_close_matches(name, self._by_name, n=3) if isinstance(
                name, str) else []
            hint = f" (close: {', '.join(close)})" if close else ""
            raise KeyError(f"no performance counter {name!r} on this server{hint}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def resolve(self, counter: str | int) -> PerfCounter:
        """A counter by name or by id; ``KeyError`` if the server has no such counter."""
        if isinstance(counter, str):
            return self[counter]
        if isinstance(counter, int) and not isinstance(counter, bool):
            try:
                return self.by_id[counter]
            except KeyError:
                raise KeyError(f"no performance counter with id {counter}") from None
        raise TypeError(f"a counter is a name or an id, not {counter!r}")

    def __repr__(self) -> str:
        return f"<PerfCounters {len(self.by_id)} counters>"


@dataclass(frozen=True, slots=True)
class AvailableMetric:
    """A metric an entity offers (vim.PerformanceManager.MetricId with its counter):
    ``instance`` is ``""`` for the aggregate, else a CPU number, NIC, disk, datastore..."""

    counter: PerfCounter
    instance: str

    @property
    def name(self) -> str:
        return self.counter.name


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One series of samples: ``counter`` (name) of ``entity`` for ``instance``.

    ``timestamps`` (UTC, ascending: the end of each sample's interval) and ``values`` have
    equal length; values are the server's raw integers in ``unit`` (see the module notes:
    ``percent`` is hundredths of a percent). ``interval`` is the sampling period in
    seconds (20 for real time).
    """

    entity: ManagedObjectReference
    counter: str
    instance: str
    unit: str
    interval: int
    timestamps: tuple[datetime, ...]
    values: tuple[int | float, ...]


@dataclass(slots=True)
class _PerfState:
    counters: PerfCounters | None = None
    max_query_metrics: int | None = None
    limit_read: bool = False


_STATE: weakref.WeakKeyDictionary[Client, _PerfState] = weakref.WeakKeyDictionary()


def _state(client: Client) -> _PerfState:
    state = _STATE.get(client)
    if state is None:
        state = _STATE[client] = _PerfState()
    return state


async def perf_counters(client: Client, *, refresh: bool = False) -> PerfCounters:
    """The server's counter catalogue (PerformanceManager.perfCounter), cached per client."""
    state = _state(client)
    if state.counters is None or refresh:
        props = await client.get_properties(client.service("perfManager"), ["perfCounter"])
        state.counters = PerfCounters(tuple(props.get("perfCounter", ())))
    return state.counters


async def historical_intervals(client: Client) -> tuple[PerfInterval, ...]:
    """PerformanceManager.historicalInterval: ``key`` (the ``interval`` to pass to
    :func:`query_perf`, in seconds), ``name``, ``length`` (seconds kept), ``level``,
    ``enabled``. Empty on vcsim."""
    props = await client.get_properties(client.service("perfManager"), ["historicalInterval"])
    return tuple(props.get("historicalInterval", ()))


async def available_metrics(
    client: Client,
    entity: ManagedObjectReference | ManagedObject,
    *,
    interval: int = REALTIME_INTERVAL,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[AvailableMetric, ...]:
    """vim.PerformanceManager.QueryAvailablePerfMetric for ``entity`` at ``interval``
    (seconds), counter ids resolved to :class:`PerfCounter` (name, unit...)."""
    counters = await perf_counters(client)
    ids = await client.invoke(client.service("perfManager"), "QueryAvailablePerfMetric",
                              entity=_ref(entity), beginTime=start, endTime=end,
                              intervalId=interval)
    if any(i.counterId not in counters.by_id for i in ids or ()):
        counters = await perf_counters(client, refresh=True)  # a counter added since
    return tuple(
        AvailableMetric(counters.by_id.get(i.counterId) or PerfCounter.unknown(i.counterId),
                        i.instance)
        for i in ids or ()
    )


async def query_perf(
    client: Client,
    entities: Sequence[ManagedObjectReference | ManagedObject],
    counters: Sequence[str | int],
    *,
    interval: int = REALTIME_INTERVAL,
    start: datetime | None = None,
    end: datetime | None = None,
    max_sample: int | None = None,
    instance: str = "*",
    batch_size: int | None = None,
    concurrency: int = 4,
) -> list[MetricSeries]:
    """vim.PerformanceManager.QueryPerf for ``counters`` (names or ids) of ``entities``.

    ``interval``: 20 (real time) or a historical interval key (300...). ``start``/``end``:
    the time range (exclusive start, inclusive end; ``None``: what the server keeps, up
    to now). ``max_sample``: at most this many most recent samples per series (vcsim
    returns none without it). ``instance``: ``"*"`` for every instance plus the
    aggregate, ``""`` for the aggregate only, or one instance name. ``batch_size``:
    entities per QueryPerf call (default from the server's limit, see the module notes);
    ``concurrency``: calls in flight at once.

    Returns the series in entity order (within an entity, the server's order);
    an entity without data has none. Raises ``KeyError`` for a counter the server does not
    have and ``ValueError`` for bad arguments (both before any QueryPerf), faults as
    ``aiovsphere.faults.<Name>`` (a failed batch fails the call), and
    :class:`~aiovsphere.DecodeError` for an answer lacking a required field a series
    needs (entity, sample timestamp, series id): no series can be built from it.
    """
    from aiovsphere.vim import types as t

    if isinstance(counters, str):
        counters = (counters,)
    if not counters:
        raise ValueError("counters is empty: name at least one, e.g. 'cpu.usage.average'")
    if batch_size is not None and not batch_size >= 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size!r}")
    if not concurrency >= 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency!r}")
    refs = [_ref(e) for e in entities]
    catalogue = await perf_counters(client)
    wanted = [catalogue.resolve(c) for c in counters]
    if not refs:
        return []
    if batch_size is None:
        limit = await _max_query_metrics(client)
        batch_size = len(refs) if limit is None else max(1, limit // len(wanted))
    metric_ids = tuple(t.PerfMetricId(counterId=c.id, instance=instance) for c in wanted)
    specs = [
        t.PerfQuerySpec(entity=ref, startTime=start, endTime=end, maxSample=max_sample,
                        metricId=metric_ids, intervalId=interval, format="normal")
        for ref in refs
    ]
    batches = [specs[i:i + batch_size] for i in range(0, len(specs), batch_size)]
    gate = asyncio.Semaphore(concurrency)
    manager = client.service("perfManager")

    async def run(batch: list[PerfQuerySpec]) -> Any:
        async with gate:
            return await client.invoke(manager, "QueryPerf", querySpec=tuple(batch))

    if len(batches) == 1:
        answers = [await run(batches[0])]
    else:
        tasks = [asyncio.ensure_future(run(batch)) for batch in batches]
        try:
            answers = await asyncio.gather(*tasks)
        except BaseException:
            # The first failure is the caller's: stop the other batches, then re-raise it.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
    out: list[MetricSeries] = []
    for answer in answers:
        for metric in answer or ():
            out.extend(_series(metric, catalogue, interval))
    return out


def _series(metric: Any, counters: PerfCounters, interval: int) -> list[MetricSeries]:
    """The series of one PerfEntityMetric, samples sorted by time (vcsim sends them newest
    first, vCenter oldest first). DecodeError (method QueryPerf) when a field the
    series needs and the API requires is missing: the ``entity``, a sample's
    ``timestamp``, a series' ``id.counterId``."""
    infos = getattr(metric, "sampleInfo", None) or ()
    series_list = getattr(metric, "value", None) or ()
    if series_list and not isinstance(getattr(metric, "entity", None),
                                      ManagedObjectReference):
        raise DecodeError("a PerfEntityMetric without its entity", method="QueryPerf",
                          path="entity")
    stamps = [s.timestamp for s in infos]
    if series_list and not all(isinstance(stamp, datetime) for stamp in stamps):
        raise DecodeError(f"a PerfSampleInfo without a timestamp (entity {metric.entity})",
                          method="QueryPerf", path="sampleInfo.timestamp")
    out = []
    for series in series_list:
        values = getattr(series, "value", None) or ()
        metric_id = getattr(series, "id", None)
        if metric_id is None or not isinstance(metric_id.counterId, int):
            raise DecodeError(f"a PerfMetricSeries without its id.counterId (entity "
                              f"{metric.entity})", method="QueryPerf", path="value.id")
        pairs = sorted(zip(stamps, values, strict=False), key=lambda p: p[0])
        counter = counters.by_id.get(metric_id.counterId) or PerfCounter.unknown(
            metric_id.counterId)
        out.append(MetricSeries(
            entity=metric.entity,
            counter=counter.name,
            instance=metric_id.instance or "",
            unit=counter.unit,
            interval=(infos[0].interval if infos and infos[0].interval is not None
                      else interval),
            timestamps=tuple(p[0] for p in pairs),
            values=tuple(p[1] for p in pairs),
        ))
    return out


async def _max_query_metrics(client: Client) -> int | None:
    """``config.vpxd.stats.maxQueryMetrics`` (``None``: no limit), read once per client;
    :data:`DEFAULT_MAX_QUERY_METRICS` when the server has no such setting or hides it."""
    state = _state(client)
    if not state.limit_read:
        state.max_query_metrics = _parse_limit(await _read_limit(client))
        state.limit_read = True
    return state.max_query_metrics


async def _read_limit(client: Client) -> Any:
    setting = getattr(client.content, "setting", None)
    if setting is None:
        return None
    try:
        options = await client.invoke(setting, "QueryOptions", name=MAX_QUERY_METRICS_OPTION)
    except SoapFault:  # InvalidName (no such option: ESXi, vcsim), NoPermission
        return None
    for option in options or ():
        if option.key == MAX_QUERY_METRICS_OPTION:
            return option.value
    return None


def _parse_limit(value: Any) -> int | None:
    """The option's value (an int, or a string as vpxd.cfg keeps it) as a limit: ``None``
    for "no limit" (negative), the default when absent or unreadable."""
    if isinstance(value, bool) or value is None:
        return DEFAULT_MAX_QUERY_METRICS
    try:  # an int (xsd:int/long arrive as int subclasses) or a string
        limit = int(value) if isinstance(value, int) else int(str(value).strip())
    except ValueError:
        return DEFAULT_MAX_QUERY_METRICS
    if limit < 0:
        return None
    return limit or DEFAULT_MAX_QUERY_METRICS


def _ref(entity: ManagedObjectReference | ManagedObject) -> ManagedObjectReference:
    ref = getattr(entity, "ref", entity)
    if not isinstance(ref, ManagedObjectReference):
        raise TypeError(f"expected a ManagedObjectReference, got {type(ref).__name__}")
    return ref


def _text(value: Any) -> str:
    """An enum member's value, or the string as sent."""
    return str(getattr(value, "value", value))
