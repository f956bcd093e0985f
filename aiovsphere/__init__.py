"""aiovsphere: an asyncio-native SDK for the VMware vSphere Web Services API (vim25).

    import aiovsphere

    async with aiovsphere.connect(url, user=..., password=...) as client:
        about = client.content.about
        props = await client.get_properties(vm_ref, ["name", "runtime.powerState"])
        task = await client.mo(vm_ref).PowerOnVM_Task()

Types: :mod:`aiovsphere.vim.types`; faults: :mod:`aiovsphere.faults`; managed-object
proxies: :mod:`aiovsphere.vim.managed`. All are built lazily.

``import aiovsphere`` loads only the error classes: the public names below resolve to
their modules (and those to aiohttp, lxml and pydantic) on first use, so a CLI or a web
app that imports the package pays for what it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from aiovsphere._errors import (
    CollectorInUseError,
    ConnectError,
    DecodeError,
    EncodeError,
    HTTPStatusError,
    InvalidResponseError,
    MultipleFoundError,
    NotFoundError,
    ResponseTooLargeError,
    SoapFault,
    TransportError,
    VersionError,
    VSphereError,
)

if TYPE_CHECKING:
    from aiovsphere import faults as faults
    from aiovsphere import objects as objects
    from aiovsphere._cache import InventoryCache, Snapshot
    from aiovsphere._client import CallStats, Client
    from aiovsphere._collector import PropertyCollector, Updates
    from aiovsphere._connect import connect
    from aiovsphere._deadline import remaining, timeout
    from aiovsphere._events import event_filter, events
    from aiovsphere._finder import (
        Finder,
        FoundObject,
        find_by_dns_name,
        find_by_inventory_path,
        find_by_ip,
        find_by_uuid,
        find_child,
        inventory_path,
    )
    from aiovsphere._names import escape_name, join_path, split_path, unescape_name
    from aiovsphere._objects import ManagedObject
    from aiovsphere._perf import (
        AvailableMetric,
        MetricSeries,
        PerfCounter,
        PerfCounters,
        available_metrics,
        historical_intervals,
        perf_counters,
        query_perf,
    )
    from aiovsphere._property import filter_spec, iter_retrieve, retrieve
    from aiovsphere._records import ObjectRecord, apply_change
    from aiovsphere._retry import RetryPolicy, is_idempotent
    from aiovsphere._task import wait_for_task, wait_for_tasks
    from aiovsphere._views import ContainerView, ListView
    from aiovsphere._watch import ObjectChange, WatchBatch, watch, watch_batches
    from aiovsphere.vim._base import DataObject
    from aiovsphere.vim._moref import ManagedObjectReference

__version__ = "0.1.0"

__all__ = [
    "AvailableMetric",
    "CallStats",
    "Client",
    "CollectorInUseError",
    "ConnectError",
    "ContainerView",
    "DataObject",
    "DecodeError",
    "EncodeError",
    "Finder",
    "FoundObject",
    "HTTPStatusError",
    "InvalidResponseError",
    "InventoryCache",
    "ListView",
    "ManagedObject",
    "ManagedObjectReference",
    "MetricSeries",
    "MultipleFoundError",
    "NotFoundError",
    "ObjectChange",
    "ObjectRecord",
    "PerfCounter",
    "PerfCounters",
    "PropertyCollector",
    "ResponseTooLargeError",
    "RetryPolicy",
    "Snapshot",
    "SoapFault",
    "TransportError",
    "Updates",
    "VSphereError",
    "VersionError",
    "WatchBatch",
    "__version__",
    "apply_change",
    "available_metrics",
    "connect",
    "escape_name",
    "event_filter",
    "events",
    "faults",
    "filter_spec",
    "find_by_dns_name",
    "find_by_inventory_path",
    "find_by_ip",
    "find_by_uuid",
    "find_child",
    "historical_intervals",
    "inventory_path",
    "is_idempotent",
    "iter_retrieve",
    "join_path",
    "objects",
    "perf_counters",
    "query_perf",
    "remaining",
    "retrieve",
    "split_path",
    "timeout",
    "unescape_name",
    "wait_for_task",
    "wait_for_tasks",
    "watch",
    "watch_batches",
]

_LAZY = {
    "CallStats": "aiovsphere._client",
    "Client": "aiovsphere._client",
    "connect": "aiovsphere._connect",
    "remaining": "aiovsphere._deadline",
    "timeout": "aiovsphere._deadline",
    "ManagedObject": "aiovsphere._objects",
    "wait_for_task": "aiovsphere._task",
    "wait_for_tasks": "aiovsphere._task",
    "DataObject": "aiovsphere.vim._base",
    "ManagedObjectReference": "aiovsphere.vim._moref",
    "InventoryCache": "aiovsphere._cache",
    "Snapshot": "aiovsphere._cache",
    "PropertyCollector": "aiovsphere._collector",
    "Updates": "aiovsphere._collector",
    "filter_spec": "aiovsphere._property",
    "iter_retrieve": "aiovsphere._property",
    "retrieve": "aiovsphere._property",
    "ObjectRecord": "aiovsphere._records",
    "apply_change": "aiovsphere._records",
    "RetryPolicy": "aiovsphere._retry",
    "is_idempotent": "aiovsphere._retry",
    "ContainerView": "aiovsphere._views",
    "ListView": "aiovsphere._views",
    "ObjectChange": "aiovsphere._watch",
    "WatchBatch": "aiovsphere._watch",
    "watch": "aiovsphere._watch",
    "watch_batches": "aiovsphere._watch",
    "Finder": "aiovsphere._finder",
    "FoundObject": "aiovsphere._finder",
    "find_by_dns_name": "aiovsphere._finder",
    "find_by_inventory_path": "aiovsphere._finder",
    "find_by_ip": "aiovsphere._finder",
    "find_by_uuid": "aiovsphere._finder",
    "find_child": "aiovsphere._finder",
    "inventory_path": "aiovsphere._finder",
    "escape_name": "aiovsphere._names",
    "join_path": "aiovsphere._names",
    "split_path": "aiovsphere._names",
    "unescape_name": "aiovsphere._names",
    "event_filter": "aiovsphere._events",
    "events": "aiovsphere._events",
    "AvailableMetric": "aiovsphere._perf",
    "MetricSeries": "aiovsphere._perf",
    "PerfCounter": "aiovsphere._perf",
    "PerfCounters": "aiovsphere._perf",
    "available_metrics": "aiovsphere._perf",
    "historical_intervals": "aiovsphere._perf",
    "perf_counters": "aiovsphere._perf",
    "query_perf": "aiovsphere._perf",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
    elif name in ("faults", "objects"):
        value = importlib.import_module(f"aiovsphere.{name}")
    else:
        raise AttributeError(f"module 'aiovsphere' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
