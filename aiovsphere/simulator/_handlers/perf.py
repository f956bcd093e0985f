"""PerformanceManager (vim.PerformanceManager): counters and synthetic samples.

The counter catalogue (``perfCounter``) is a realistic subset of vCenter's, with vCenter's
keys (``cpu.usage.average`` is 2, ``cpu.usagemhz.average`` 6, ``mem.usage.average`` 24...),
groups, units, rollup and stats types and collection levels. ``historicalInterval`` is
vCenter's default four: 300 s kept a day, 1,800 s a week, 7,200 s a month, 86,400 s a year,
all at statistics level 1.

Samples are synthetic and deterministic: a function of ``sim.seed``, the entity, the
counter, the instance and the sample's timestamp (timestamps are multiples of the
interval, so two queries agree). Values move smoothly around a per-entity level with a
little noise, in the counter's unit: ``percent`` in hundredths (0-10000), ``megaHertz`` of
the entity's CPU capacity, ``kiloBytes`` of its memory, and so on; an aggregate (instance
``""``) is the mean (percent, latencies) or the sum of its instances.

What is available (QueryAvailablePerfMetric, and what QueryPerf answers):

- Real time (``intervalId`` 20, the provider's ``refreshRate``): VirtualMachine and
  HostSystem only, every counter of the entity's set at any level, the last hour (180
  samples); a powered-off VM has none. CPU counters also per vCPU / host thread (``"0"``,
  ``"1"``...), network counters per NIC (a VM's device key ``"4000"``, a host's
  ``vmnic0``), ``virtualDisk`` per disk (``scsi0:0``), ``datastore`` per datastore.
- Historical (300, 1800, 7200, 86400): every entity type's set, but only counters whose
  ``level`` is at most the interval's level (1 by default), and per-instance series only
  when the counter's ``perDeviceLevel`` is too (at level 1, none): as vCenter collects.
  Clusters, standalone compute resources, resource pools, datastores and datacenters have
  historical statistics only.

QueryPerf follows PerfQuerySpec: ``startTime`` exclusive, ``endTime`` inclusive (both
optional), ``maxSample`` (the newest so many; real time only, ignored for historical
intervals), ``metricId`` (empty: every available metric; instance ``"*"``: every instance
and the aggregate; ``""``: the aggregate; a name: that instance), ``format`` ``normal``
(PerfEntityMetric with PerfMetricIntSeries, samples oldest first) or ``csv``. An entity
with nothing to answer is left out. An ``intervalId`` that is not one of the entity's
intervals is answered from the nearest longer one (the longest if none); 20 for an
entity without real-time statistics answers nothing. Historical
queries asking for more than ``config.vpxd.stats.maxQueryMetrics`` metrics (the
OptionManager setting: 256 as on vCenter 6.5 and later, ``-1`` for no limit; entities x
metric ids, an empty metricId counting every available metric) fail with
``RestrictedByAdministrator`` ("This operation is restricted by the administrator -
'vpxd.stats.maxQueryMetrics'...").
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from aiovsphere.simulator._context import Context, fault, now
from aiovsphere.simulator._dispatch import handles
from aiovsphere.simulator._model import SimObject
from aiovsphere.vim._moref import ManagedObjectReference as Ref

if TYPE_CHECKING:
    from aiovsphere.simulator._model import Model
    from aiovsphere.simulator._server import Simulator

__all__ = ["COUNTERS", "DEFAULT_MAX_QUERY_METRICS", "INTERVALS", "REALTIME", "Counter",
           "install", "sample_value"]

PERF_MANAGER = Ref("PerformanceManager", "PerfMgr")
REALTIME = 20
REALTIME_SAMPLES = 180  # an hour of 20 s samples
MAX_QUERY_METRICS_OPTION = "config.vpxd.stats.maxQueryMetrics"
DEFAULT_MAX_QUERY_METRICS = 256  # vCenter 6.5 and later (6.0: 64)
_MAX_INSTANCES = 64
_UPTIME_PERIOD = 30 * 86400


class Counter(NamedTuple):
    key: int
    group: str
    name: str
    rollup: str
    unit: str
    stats: str
    level: int
    per_device: int
    label: str
    summary: str

    @property
    def full_name(self) -> str:
        return f"{self.group}.{self.name}.{self.rollup}"


def _c(key: int, dotted: str, unit: str, stats: str, level: int, per_device: int,
       label: str, summary: str) -> Counter:
    group, rest = dotted.split(".", 1)
    name, rollup = rest.rsplit(".", 1)
    return Counter(key, group, name, rollup, unit, stats, level, per_device, label, summary)


# vCenter's keys and attributes for the counters simulated here.
COUNTERS: tuple[Counter, ...] = (
    _c(1, "cpu.usage.none", "percent", "rate", 4, 4, "Usage",
       "CPU usage as a percentage during the interval"),
    _c(2, "cpu.usage.average", "percent", "rate", 1, 3, "Usage",
       "CPU usage as a percentage during the interval"),
    _c(3, "cpu.usage.minimum", "percent", "rate", 4, 4, "Usage",
       "CPU usage as a percentage during the interval"),
    _c(4, "cpu.usage.maximum", "percent", "rate", 4, 4, "Usage",
       "CPU usage as a percentage during the interval"),
    _c(5, "cpu.usagemhz.none", "megaHertz", "rate", 4, 4, "Usage in MHz",
       "CPU usage in megahertz during the interval"),
    _c(6, "cpu.usagemhz.average", "megaHertz", "rate", 1, 3, "Usage in MHz",
       "CPU usage in megahertz during the interval"),
    _c(7, "cpu.usagemhz.minimum", "megaHertz", "rate", 4, 4, "Usage in MHz",
       "CPU usage in megahertz during the interval"),
    _c(8, "cpu.usagemhz.maximum", "megaHertz", "rate", 4, 4, "Usage in MHz",
       "CPU usage in megahertz during the interval"),
    _c(9, "cpu.reservedCapacity.average", "megaHertz", "absolute", 2, 3,
       "Reserved capacity", "Total CPU capacity reserved by virtual machines"),
    _c(10, "cpu.system.summation", "millisecond", "delta", 3, 3, "System",
       "Amount of time spent on system processes on each virtual CPU in the virtual "
       "machine"),
    _c(11, "cpu.wait.summation", "millisecond", "delta", 3, 3, "Wait",
       "Total CPU time spent in wait state"),
    _c(12, "cpu.ready.summation", "millisecond", "delta", 1, 3, "Ready",
       "Time that the virtual machine was ready, but could not get scheduled to run on "
       "the physical CPU during last measurement interval"),
    _c(13, "cpu.idle.summation", "millisecond", "delta", 2, 3, "Idle",
       "Total time that the CPU spent in an idle state"),
    _c(14, "cpu.used.summation", "millisecond", "delta", 3, 3, "Used",
       "Total CPU usage"),
    _c(278, "cpu.totalmhz.average", "megaHertz", "rate", 1, 3, "Total",
       "Total amount of CPU resources of all hosts in the cluster"),
    _c(388, "cpu.utilization.average", "percent", "rate", 2, 3, "Utilization",
       "CPU utilization as a percentage during the interval (CPU usage and CPU "
       "utilization might be different due to power management technologies or "
       "hyper-threading)"),
    _c(392, "cpu.coreUtilization.average", "percent", "rate", 2, 3, "Core Utilization",
       "CPU utilization of the corresponding core (if hyper-threading is enabled) as a "
       "percentage during the interval"),
    _c(395, "cpu.totalCapacity.average", "megaHertz", "absolute", 2, 3,
       "Total capacity", "Total CPU capacity reserved by and available for virtual "
       "machines"),
    _c(396, "cpu.latency.average", "percent", "rate", 2, 3, "Latency",
       "Percent of time the virtual machine is unable to run because it is contending "
       "for access to the physical CPU(s)"),
    _c(397, "cpu.entitlement.latest", "megaHertz", "absolute", 2, 3, "Entitlement",
       "CPU resources devoted by the ESX scheduler"),
    _c(398, "cpu.demand.average", "megaHertz", "absolute", 2, 3, "Demand",
       "The amount of CPU resources a virtual machine would use if there were no CPU "
       "contention or CPU limit"),
    _c(399, "cpu.costop.summation", "millisecond", "delta", 2, 3, "Co-stop",
       "Time the virtual machine is ready to run, but is unable to run due to "
       "co-scheduling constraints"),
    _c(402, "cpu.run.summation", "millisecond", "delta", 2, 3, "Run",
       "Time the virtual machine is scheduled to run"),
    _c(404, "cpu.readiness.average", "percent", "rate", 4, 4, "Readiness",
       "Percentage of time that the virtual machine was ready, but could not get "
       "scheduled to run on the physical CPU"),
    _c(23, "mem.usage.none", "percent", "absolute", 4, 4, "Usage",
       "Memory usage as percent of total configured or available memory"),
    _c(24, "mem.usage.average", "percent", "absolute", 1, 3, "Usage",
       "Memory usage as percent of total configured or available memory"),
    _c(25, "mem.usage.minimum", "percent", "absolute", 4, 4, "Usage",
       "Memory usage as percent of total configured or available memory"),
    _c(26, "mem.usage.maximum", "percent", "absolute", 4, 4, "Usage",
       "Memory usage as percent of total configured or available memory"),
    _c(27, "mem.reservedCapacity.average", "megaBytes", "absolute", 2, 3,
       "Reserved capacity", "Total amount of memory reservation used by powered-on "
       "virtual machines and vSphere services on the host"),
    _c(29, "mem.granted.average", "kiloBytes", "absolute", 2, 3, "Granted",
       "Amount of host physical memory or physical memory that is mapped for a virtual "
       "machine or a host"),
    _c(33, "mem.active.average", "kiloBytes", "absolute", 2, 3, "Active",
       "Amount of guest physical memory that is being actively read or written by guest. "
       "Activeness is estimated by ESXi"),
    _c(37, "mem.shared.average", "kiloBytes", "absolute", 2, 3, "Shared",
       "Amount of guest physical memory that is shared within a single virtual machine "
       "or across virtual machines"),
    _c(41, "mem.zero.average", "kiloBytes", "absolute", 2, 3, "Zero pages",
       "Guest physical memory pages whose content is 0x00"),
    _c(45, "mem.unreserved.average", "kiloBytes", "absolute", 2, 3, "Reservation available",
       "Amount by which reservation can be raised"),
    _c(49, "mem.swapused.average", "kiloBytes", "absolute", 2, 3, "Swap consumed",
       "Swap storage space consumed"),
    _c(70, "mem.swapped.average", "kiloBytes", "absolute", 2, 3, "Swapped",
       "Amount of guest physical memory that is swapped out to the swap space"),
    _c(85, "mem.swapinRate.average", "kiloBytesPerSecond", "rate", 1, 3, "Swap in rate",
       "Rate at which guest physical memory is swapped in from the swap space"),
    _c(86, "mem.swapoutRate.average", "kiloBytesPerSecond", "rate", 1, 3,
       "Swap out rate", "Rate at which guest physical memory is swapped out to the swap "
       "space"),
    _c(90, "mem.vmmemctl.average", "kiloBytes", "absolute", 1, 3, "Ballooned memory",
       "Amount of guest physical memory reclaimed from the virtual machine by the balloon "
       "driver in the guest"),
    _c(98, "mem.consumed.average", "kiloBytes", "absolute", 1, 3, "Consumed",
       "Amount of host physical memory consumed for backing up guest physical memory "
       "pages"),
    _c(102, "mem.overhead.average", "kiloBytes", "absolute", 1, 1, "Overhead",
       "Host physical memory consumed by ESXi data structures for running the virtual "
       "machines"),
    _c(105, "mem.compressed.average", "kiloBytes", "absolute", 2, 3, "Compressed",
       "Guest physical memory pages that have undergone memory compression"),
    _c(279, "mem.totalmb.average", "megaBytes", "absolute", 1, 3, "Total",
       "Total amount of machine memory of all hosts in the cluster that is available for "
       "use for virtual machine memory and overhead memory"),
    _c(419, "mem.totalCapacity.average", "megaBytes", "absolute", 2, 3, "Total capacity",
       "Total reserved, or entitlement, memory for the host"),
    _c(422, "mem.latency.average", "percent", "absolute", 2, 3, "Page-fault latency",
       "Percentage of time the virtual machine spent waiting to swap in or decompress "
       "guest physical memory"),
    _c(423, "mem.entitlement.average", "kiloBytes", "absolute", 2, 3, "Entitlement",
       "Amount of host physical memory the virtual machine deserves, as determined by "
       "ESXi"),
    _c(124, "disk.usage.none", "kiloBytesPerSecond", "rate", 4, 4, "Usage",
       "Aggregated disk I/O rate"),
    _c(125, "disk.usage.average", "kiloBytesPerSecond", "rate", 1, 3, "Usage",
       "Aggregated disk I/O rate"),
    _c(126, "disk.usage.minimum", "kiloBytesPerSecond", "rate", 4, 4, "Usage",
       "Aggregated disk I/O rate"),
    _c(127, "disk.usage.maximum", "kiloBytesPerSecond", "rate", 4, 4, "Usage",
       "Aggregated disk I/O rate"),
    _c(128, "disk.numberRead.summation", "number", "delta", 3, 3, "Read requests",
       "Number of disk reads during the collection interval"),
    _c(129, "disk.numberWrite.summation", "number", "delta", 3, 3, "Write requests",
       "Number of disk writes during the collection interval"),
    _c(130, "disk.read.average", "kiloBytesPerSecond", "rate", 2, 3, "Read rate",
       "Average number of kilobytes read from the disk each second during the collection "
       "interval"),
    _c(131, "disk.write.average", "kiloBytesPerSecond", "rate", 2, 3, "Write rate",
       "Average number of kilobytes written to disk each second during the collection "
       "interval"),
    _c(133, "disk.maxTotalLatency.latest", "millisecond", "absolute", 1, 3,
       "Highest latency", "Highest latency value across all disks used by the host"),
    _c(136, "disk.numberReadAveraged.average", "number", "rate", 1, 3,
       "Average read requests per second",
       "Average number of disk reads per second during the collection interval"),
    _c(137, "disk.numberWriteAveraged.average", "number", "rate", 1, 3,
       "Average write requests per second",
       "Average number of disk writes per second during the collection interval"),
    _c(446, "disk.commands.summation", "number", "delta", 2, 3, "Commands issued",
       "Number of SCSI commands issued during the collection interval"),
    _c(449, "disk.totalReadLatency.average", "millisecond", "absolute", 2, 3,
       "Read latency", "Average amount of time taken during the collection interval to "
       "process a SCSI read command issued from the guest OS to the virtual machine"),
    _c(453, "disk.totalWriteLatency.average", "millisecond", "absolute", 2, 3,
       "Write latency", "Average amount of time taken during the collection interval to "
       "process a SCSI write command issued by the guest OS to the virtual machine"),
    _c(455, "disk.deviceLatency.average", "millisecond", "absolute", 1, 3,
       "Physical device command latency",
       "Average amount of time, in milliseconds, to complete a SCSI command from the "
       "physical device"),
    _c(281, "disk.used.latest", "kiloBytes", "absolute", 1, 1, "Space actually used",
       "Amount of space actually used by the virtual machine or the datastore"),
    _c(282, "disk.provisioned.latest", "kiloBytes", "absolute", 1, 1,
       "Space potentially used",
       "Amount of storage set aside for use by a datastore or a virtual machine"),
    _c(283, "disk.capacity.latest", "kiloBytes", "absolute", 1, 3, "Capacity",
       "Configured size of the datastore"),
    _c(284, "disk.unshared.latest", "kiloBytes", "absolute", 1, 1, "Space not shared",
       "Amount of space associated exclusively with a virtual machine"),
    _c(142, "net.usage.none", "kiloBytesPerSecond", "rate", 4, 4, "Usage",
       "Network utilization (combined transmit-rates and receive-rates) during the "
       "interval"),
    _c(143, "net.usage.average", "kiloBytesPerSecond", "rate", 1, 3, "Usage",
       "Network utilization (combined transmit-rates and receive-rates) during the "
       "interval"),
    _c(144, "net.usage.minimum", "kiloBytesPerSecond", "rate", 4, 4, "Usage",
       "Network utilization (combined transmit-rates and receive-rates) during the "
       "interval"),
    _c(145, "net.usage.maximum", "kiloBytesPerSecond", "rate", 4, 4, "Usage",
       "Network utilization (combined transmit-rates and receive-rates) during the "
       "interval"),
    _c(146, "net.packetsRx.summation", "number", "delta", 2, 3, "Packets received",
       "Number of packets received during the interval"),
    _c(147, "net.packetsTx.summation", "number", "delta", 2, 3, "Packets transmitted",
       "Number of packets transmitted during the interval"),
    _c(148, "net.received.average", "kiloBytesPerSecond", "rate", 2, 3, "Data receive rate",
       "Average rate at which data was received during the interval"),
    _c(149, "net.transmitted.average", "kiloBytesPerSecond", "rate", 2, 3,
       "Data transmit rate", "Average rate at which data was transmitted during the "
       "interval"),
    _c(460, "net.droppedRx.summation", "number", "delta", 2, 3, "Receive packets dropped",
       "Number of receives dropped"),
    _c(461, "net.droppedTx.summation", "number", "delta", 2, 3,
       "Transmit packets dropped", "Number of transmits dropped"),
    _c(462, "net.bytesRx.average", "kiloBytesPerSecond", "rate", 2, 3, "bytesRx",
       "Average amount of data received per second"),
    _c(463, "net.bytesTx.average", "kiloBytesPerSecond", "rate", 2, 3, "bytesTx",
       "Average amount of data transmitted per second"),
    _c(155, "sys.uptime.latest", "second", "absolute", 1, 3, "Uptime",
       "Total time elapsed, in seconds, since last system startup"),
    _c(156, "sys.heartbeat.summation", "number", "delta", 1, 3, "Heartbeat",
       "Number of heartbeats issued per virtual machine during the interval"),
    _c(498, "sys.osUptime.latest", "second", "absolute", 4, 4, "OS Uptime",
       "Total time elapsed, in seconds, since last operating system boot-up"),
    _c(157, "power.power.average", "watt", "rate", 2, 3, "Usage",
       "Current power usage"),
    _c(159, "power.energy.summation", "joule", "delta", 3, 3, "Energy usage",
       "Total energy used since last stats reset"),
    _c(171, "virtualDisk.numberReadAveraged.average", "number", "rate", 1, 3,
       "Average read requests per second",
       "Average number of read commands issued per second to the virtual disk during "
       "the collection interval"),
    _c(172, "virtualDisk.numberWriteAveraged.average", "number", "rate", 1, 3,
       "Average write requests per second",
       "Average number of write commands issued per second to the virtual disk during "
       "the collection interval"),
    _c(173, "virtualDisk.read.average", "kiloBytesPerSecond", "rate", 2, 2, "Read rate",
       "Rate of reading data from the virtual disk"),
    _c(174, "virtualDisk.write.average", "kiloBytesPerSecond", "rate", 2, 2, "Write rate",
       "Rate of writing data to the virtual disk"),
    _c(175, "virtualDisk.totalReadLatency.average", "millisecond", "absolute", 1, 3,
       "Read latency", "The average time a read from the virtual disk takes"),
    _c(176, "virtualDisk.totalWriteLatency.average", "millisecond", "absolute", 1, 3,
       "Write latency", "The average time a write to the virtual disk takes"),
    _c(178, "datastore.numberReadAveraged.average", "number", "rate", 1, 3,
       "Average read requests per second",
       "Average number of read commands issued per second to the datastore during the "
       "collection interval"),
    _c(179, "datastore.numberWriteAveraged.average", "number", "rate", 1, 3,
       "Average write requests per second",
       "Average number of write commands issued per second to the datastore during the "
       "collection interval"),
    _c(180, "datastore.read.average", "kiloBytesPerSecond", "rate", 2, 2, "Read rate",
       "Rate of reading data from the datastore"),
    _c(181, "datastore.write.average", "kiloBytesPerSecond", "rate", 2, 2, "Write rate",
       "Rate of writing data to the datastore"),
    _c(182, "datastore.totalReadLatency.average", "millisecond", "absolute", 1, 3,
       "Read latency", "The average time a read from the datastore takes"),
    _c(183, "datastore.totalWriteLatency.average", "millisecond", "absolute", 1, 3,
       "Write latency", "The average time a write to the datastore takes"),
    _c(184, "datastore.maxTotalLatency.latest", "millisecond", "absolute", 3, 3,
       "Highest latency", "Highest latency value across all datastores used by the host"),
    _c(276, "clusterServices.effectivecpu.average", "megaHertz", "rate", 1, 3,
       "Effective CPU resources",
       "Total available CPU resources of all hosts within a cluster"),
    _c(277, "clusterServices.effectivemem.average", "megaBytes", "absolute", 1, 3,
       "Effective memory resources",
       "Total amount of machine memory of all hosts in the cluster that is available for "
       "use for virtual machine memory and overhead memory"),
    _c(280, "clusterServices.failover.latest", "number", "absolute", 1, 3,
       "Current failover level", "vSphere HA number of failures that can be tolerated"),
    _c(256, "vmop.numPoweron.latest", "number", "absolute", 1, 3, "VM power on count",
       "Number of virtual machine power on operations"),
    _c(257, "vmop.numPoweroff.latest", "number", "absolute", 1, 3, "VM power off count",
       "Number of virtual machine power off operations"),
    _c(258, "vmop.numSuspend.latest", "number", "absolute", 1, 3, "VM suspend count",
       "Number of virtual machine suspend operations"),
    _c(259, "vmop.numReset.latest", "number", "absolute", 1, 3, "VM reset count",
       "Number of virtual machine reset operations"),
    _c(263, "vmop.numCreate.latest", "number", "absolute", 1, 3, "VM create count",
       "Number of virtual machine create operations"),
    _c(264, "vmop.numDestroy.latest", "number", "absolute", 1, 3, "VM delete count",
       "Number of virtual machine delete operations"),
    _c(267, "vmop.numReconfigure.latest", "number", "absolute", 1, 3,
       "VM reconfigure count", "Number of virtual machine reconfigure operations"),
    _c(268, "vmop.numClone.latest", "number", "absolute", 1, 3, "VM clone count",
       "Number of virtual machine clone operations"),
)
BY_KEY: dict[int, Counter] = {c.key: c for c in COUNTERS}
BY_NAME: dict[str, Counter] = {c.full_name: c for c in COUNTERS}

_GROUPS = {
    "cpu": "CPU", "mem": "Memory", "disk": "Disk", "net": "Network", "sys": "System",
    "power": "Power", "virtualDisk": "Virtual disk", "datastore": "Datastore",
    "clusterServices": "Cluster services", "vmop": "Virtual machine operations",
}
_UNITS = {
    "percent": ("%", "Percentage"), "megaHertz": ("MHz", "Megahertz"),
    "kiloBytes": ("KB", "Kilobytes"), "megaBytes": ("MB", "Megabytes"),
    "kiloBytesPerSecond": ("KBps", "Kilobytes per second"),
    "millisecond": ("ms", "Millisecond"), "number": ("num", "Number"),
    "second": ("sec", "Second"), "watt": ("W", "Watt"), "joule": ("J", "Joule"),
}
_ROLLUPS = ("average", "maximum", "minimum", "latest", "summation", "none")
_STATS = (("absolute", "Absolute value"), ("delta", "Delta value"), ("rate", "Rate value"))

# (key, samplingPeriod, name, length) of vCenter's default historical intervals.
INTERVALS: tuple[tuple[int, int, str, int], ...] = (
    (1, 300, "Past day", 86400),
    (2, 1800, "Past week", 604800),
    (3, 7200, "Past month", 2592000),
    (4, 86400, "Past year", 31536000),
)

_VM_GROUPS = ("cpu", "mem", "disk", "net", "sys", "power", "virtualDisk", "datastore")
_NOT_ON_VM = frozenset({
    "cpu.totalmhz", "cpu.utilization", "cpu.coreUtilization", "cpu.totalCapacity",
    "cpu.reservedCapacity", "mem.unreserved", "mem.totalmb", "mem.totalCapacity",
    "mem.reservedCapacity", "disk.deviceLatency", "disk.capacity",
    "datastore.maxTotalLatency", "disk.used", "disk.provisioned", "disk.unshared",
})
_NOT_ON_HOST = frozenset({
    "cpu.totalmhz", "cpu.costop", "cpu.run", "cpu.readiness", "cpu.latency",
    "cpu.entitlement", "mem.totalmb", "mem.entitlement", "mem.latency",
    "disk.used", "disk.provisioned", "disk.capacity", "disk.unshared",
    "sys.heartbeat", "sys.osUptime", "virtualDisk",
})
_CLUSTER = ("cpu.usage.average", "cpu.usagemhz.average", "cpu.totalmhz.average",
            "cpu.reservedCapacity.average", "mem.usage.average", "mem.consumed.average",
            "mem.active.average", "mem.granted.average", "mem.shared.average",
            "mem.overhead.average", "mem.vmmemctl.average", "mem.swapused.average",
            "mem.totalmb.average", "mem.reservedCapacity.average",
            "clusterServices.effectivecpu.average", "clusterServices.effectivemem.average",
            "clusterServices.failover.latest", "vmop.numPoweron.latest",
            "vmop.numPoweroff.latest", "vmop.numSuspend.latest", "vmop.numReset.latest",
            "vmop.numCreate.latest", "vmop.numDestroy.latest", "vmop.numReconfigure.latest",
            "vmop.numClone.latest")
_COMPUTE = tuple(n for n in _CLUSTER if not n.startswith("clusterServices"))
_POOL = ("cpu.usagemhz.average", "mem.consumed.average", "mem.active.average",
         "mem.granted.average", "mem.shared.average", "mem.overhead.average",
         "mem.vmmemctl.average", "mem.swapped.average", "mem.compressed.average")
_DATASTORE = ("disk.used.latest", "disk.provisioned.latest", "disk.capacity.latest",
              "disk.unshared.latest", "datastore.numberReadAveraged.average",
              "datastore.numberWriteAveraged.average")
_DATACENTER = tuple(n for n in _CLUSTER if n.startswith("vmop."))


def _set(kind: str) -> tuple[Counter, ...]:
    if kind == "VirtualMachine":
        return tuple(c for c in COUNTERS if c.group in _VM_GROUPS
                     and f"{c.group}.{c.name}" not in _NOT_ON_VM)
    if kind == "HostSystem":
        return tuple(c for c in COUNTERS if c.group in _VM_GROUPS
                     and f"{c.group}.{c.name}" not in _NOT_ON_HOST
                     and c.group not in _NOT_ON_HOST)
    names = {"ClusterComputeResource": _CLUSTER, "ComputeResource": _COMPUTE,
             "ResourcePool": _POOL, "Datastore": _DATASTORE,
             "Datacenter": _DATACENTER}.get(kind, ())
    return tuple(BY_NAME[n] for n in names)


_SETS: dict[str, tuple[Counter, ...]] = {}


def _counters_of(kind: str) -> tuple[Counter, ...]:
    found = _SETS.get(kind)
    if found is None:
        found = _SETS[kind] = _set(kind)
    return found


# ---------------------------------------------------------------------------- properties
def install(sim: Simulator) -> None:
    """Give the PerformanceManager ``perfCounter``, ``historicalInterval`` and
    ``description``. Idempotent."""
    obj = sim.model.get(PERF_MANAGER)
    if obj is None or obj.data.get("installed"):
        return
    obj.data["installed"] = True
    obj.props.update(perfCounter=tuple(_info(c) for c in COUNTERS),
                     historicalInterval=_intervals(), description=_description())


def _element(key: str, label: str, summary: str) -> Any:
    from aiovsphere.vim import types as t

    return t.ElementDescription(key=key, label=label, summary=summary)


def _info(c: Counter) -> Any:
    from aiovsphere.vim import types as t

    group = _GROUPS.get(c.group, c.group)
    unit_label, unit_summary = _UNITS.get(c.unit, (c.unit, c.unit))
    return t.PerfCounterInfo(
        key=c.key, nameInfo=_element(c.name, c.label, c.summary),
        groupInfo=_element(c.group, group, group),
        unitInfo=_element(c.unit, unit_label, unit_summary), rollupType=c.rollup,
        statsType=c.stats, level=c.level, perDeviceLevel=c.per_device)


def _intervals() -> tuple[Any, ...]:
    from aiovsphere.vim import types as t

    return tuple(t.PerfInterval(key=key, samplingPeriod=period, name=name, length=length,
                                level=1, enabled=True)
                 for key, period, name, length in INTERVALS)


def _description() -> Any:
    from aiovsphere.vim import types as t

    return t.PerformanceDescription(
        counterType=tuple(_element(r, r.capitalize(), r.capitalize()) for r in _ROLLUPS),
        statsType=tuple(_element(k, label, label) for k, label in _STATS))


def _interval_levels(sim: Simulator) -> dict[int, int]:
    """samplingPeriod -> level of the enabled historical intervals."""
    install(sim)
    obj = sim.model.get(PERF_MANAGER)
    intervals = obj.props.get("historicalInterval", ()) if obj is not None else ()
    return {i.samplingPeriod: int(i.level or 1) for i in intervals if i.enabled}


# ---------------------------------------------------------------------------- entities
def _kind(obj: SimObject) -> str:
    from aiovsphere.vim._schema import schema

    s = schema()
    for kind in ("VirtualMachine", "HostSystem", "ClusterComputeResource",
                 "ComputeResource", "ResourcePool", "Datastore", "Datacenter"):
        if s.is_subtype(obj.type, kind):
            return kind
    return obj.type


def _realtime(kind: str) -> bool:
    return kind in ("VirtualMachine", "HostSystem")


def _path(value: Any, *names: str) -> Any:
    for name in names:
        if value is None:
            return None
        value = getattr(value, name, None)
    return value


class _Entity:
    """What the samples of one entity depend on: its size and its instances."""

    def __init__(self, model: Model, obj: SimObject) -> None:
        self.obj = obj
        self.kind = _kind(obj)
        props = obj.props
        self.on = True
        self.cpus = 1
        self.mhz = 2400
        self.mem_mb = 4096
        self.nics: tuple[str, ...] = ()
        self.disks: tuple[str, ...] = ()
        self.datastores: tuple[str, ...] = tuple(
            _datastore_instance(model, r) for r in props.get("datastore") or ())
        self.capacity_kb = 0
        if self.kind == "VirtualMachine":
            config = props.get("config")
            hw = _path(config, "hardware")
            self.cpus = int(_path(hw, "numCPU") or _path(props.get("summary"), "config",
                                                         "numCpu") or 1)
            self.mem_mb = int(_path(hw, "memoryMB") or _path(
                props.get("summary"), "config", "memoryMB") or 1024)
            state = _path(props.get("runtime"), "powerState")
            self.on = str(getattr(state, "value", state) or "poweredOn") == "poweredOn"
            devices = _path(hw, "device") or ()
            self.nics = tuple(str(d.key) for d in devices if hasattr(d, "macAddress")
                              and hasattr(d, "addressType"))
            self.disks = _disk_instances(devices)
        elif self.kind == "HostSystem":
            hw = props.get("hardware")
            summary_hw = _path(props.get("summary"), "hardware")
            self.cpus = int(_path(hw, "cpuInfo", "numCpuThreads")
                            or _path(summary_hw, "numCpuThreads") or 4)
            self.mhz = int(_path(summary_hw, "cpuMhz") or 2400)
            memory = _path(hw, "memorySize") or _path(summary_hw, "memorySize")
            self.mem_mb = int(memory) // (1024 * 1024) if memory else 16384
            pnics = _path(props.get("config"), "network", "pnic") or ()
            self.nics = tuple(str(p.device) for p in pnics) or ("vmnic0", "vmnic1")
            state = _path(props.get("runtime"), "connectionState")
            self.on = str(getattr(state, "value", state) or "connected") == "connected"
        elif self.kind == "Datastore":
            self.capacity_kb = int(_path(props.get("summary"), "capacity") or
                                   1024 ** 4) // 1024
        self.cpus = max(1, min(self.cpus, _MAX_INSTANCES))

    def instances(self, c: Counter) -> tuple[str, ...]:
        """The non-aggregate instances of counter ``c`` on this entity."""
        if self.kind not in ("VirtualMachine", "HostSystem"):
            return ()
        if c.group == "cpu" and c.name in ("usage", "usagemhz", "ready", "idle", "used",
                                           "system", "wait", "run", "costop",
                                           "utilization", "coreUtilization"):
            return tuple(str(i) for i in range(self.cpus))
        if c.group == "net":
            return self.nics
        if c.group == "virtualDisk":
            return self.disks
        if c.group == "datastore":
            return self.datastores
        return ()

    def has_aggregate(self, c: Counter) -> bool:
        return c.group not in ("virtualDisk", "datastore") or self.kind not in (
            "VirtualMachine", "HostSystem")


def _disk_instances(devices: Iterable[Any]) -> tuple[str, ...]:
    controllers = {d.key: d for d in devices if hasattr(d, "busNumber")}
    out = []
    for d in devices:
        if type(d).__name__ != "VirtualDisk":
            continue
        controller = controllers.get(getattr(d, "controllerKey", None))
        name = type(controller).__name__ if controller is not None else ""
        prefix = ("ide" if "IDE" in name else "sata" if "SATA" in name or "AHCI" in name
                  else "nvme" if "NVME" in name.upper() else "scsi")
        bus = getattr(controller, "busNumber", 0) if controller is not None else 0
        out.append(f"{prefix}{bus}:{d.unitNumber or 0}")
    return tuple(out)


def _datastore_instance(model: Model, ref: Any) -> str:
    obj = model.get(ref) if isinstance(ref, Ref) else None
    url = _path(obj.props.get("summary"), "url") if obj is not None else None
    if isinstance(url, str) and url.strip("/"):
        return url.rstrip("/").rsplit("/", 1)[-1]
    return str(getattr(ref, "value", ref))


# ---------------------------------------------------------------------------- samples
def _unit_hash(*parts: object) -> float:
    """A deterministic number in [0, 1) from ``parts``."""
    return zlib.crc32("|".join(map(str, parts)).encode()) / 2 ** 32


def sample_value(seed: int, entity: _Entity, c: Counter, instance: str, stamp: int,
                 interval: int) -> int:
    """The synthetic value of counter ``c`` for ``instance`` of ``entity`` in the sample
    ending at ``stamp`` (epoch seconds), in the counter's unit (see the module doc)."""
    ref = entity.obj.ref.value
    if c.group == "sys" and c.name in ("uptime", "osUptime"):  # a reboot every 30 days
        offset = int(_unit_hash(seed, ref, "boot") * _UPTIME_PERIOD)
        return (stamp + offset) % _UPTIME_PERIOD
    if c.group == "sys" and c.name == "heartbeat":  # VMware Tools: one per 10 s
        return interval // 10
    base = 0.1 + 0.5 * _unit_hash(seed, ref, c.group, c.name, instance)
    phase = 2 * math.pi * _unit_hash(seed, ref, c.group, c.name, instance, "phase")
    wave = 0.15 * math.sin(2 * math.pi * stamp / 3600 + phase)
    noise = 0.1 * (_unit_hash(seed, ref, c.key, instance, stamp // interval) - 0.5)
    f = min(1.0, max(0.0, base + wave + noise))
    if c.rollup == "minimum":
        f *= 0.8
    elif c.rollup == "maximum":
        f = min(1.0, f * 1.2)
    per_instance = instance != ""
    cpus = 1 if per_instance else entity.cpus
    unit = c.unit
    if unit == "percent":
        return round(f * 10000)
    if unit == "megaHertz":
        if c.name in ("totalmhz", "totalCapacity", "effectivecpu"):
            return entity.mhz * entity.cpus
        return round(f * entity.mhz * cpus)
    if unit == "kiloBytes":
        if entity.kind == "Datastore":
            cap = entity.capacity_kb
            return cap if c.name == "capacity" else round(f * cap)
        return round(f * entity.mem_mb * 1024)
    if unit == "megaBytes":
        if c.name in ("totalmb", "totalCapacity", "effectivemem"):
            return entity.mem_mb
        return round(f * entity.mem_mb)
    if unit == "kiloBytesPerSecond":
        return round(f * 50_000)
    if unit == "millisecond":
        if c.stats == "delta":  # time spent in the interval, per CPU
            return round(f * interval * 1000 * (0.05 if c.name in ("ready", "costop",
                                                                   "wait", "system")
                                                  else 1.0) * cpus)
        return round(f * 20)
    if unit == "number":
        if c.group == "vmop" or c.name == "failover":
            return int(f * 10)
        return round(f * 2000)
    if unit == "watt":
        return round(50 + f * 300)
    if unit == "joule":
        return round((50 + f * 300) * interval)
    return round(f * 1000)


def _series_values(seed: int, entity: _Entity, c: Counter, instance: str,
                   stamps: list[int], interval: int) -> list[int]:
    if instance != "" or not entity.instances(c) or c.group not in ("cpu",):
        return [sample_value(seed, entity, c, instance, s, interval) for s in stamps]
    # The aggregate of per-CPU counters: the mean (percent) or the sum of the CPUs.
    parts = [[sample_value(seed, entity, c, i, s, interval) for s in stamps]
             for i in entity.instances(c)]
    if c.unit == "percent":
        return [round(sum(col) / len(col)) for col in zip(*parts, strict=True)]
    return [sum(col) for col in zip(*parts, strict=True)]


# ---------------------------------------------------------------------------- queries
def _entity(ctx: Context, ref: Any) -> _Entity:
    if not isinstance(ref, Ref):
        raise fault("InvalidArgument", "entity is required", invalidProperty="entity")
    return _Entity(ctx.model, ctx.lookup(ref))


def _pick_interval(ctx: Context, kind: str, requested: int | None) -> int:
    """The interval that answers ``requested`` (None: the entity's finest)."""
    periods = sorted(_interval_levels(ctx.sim))
    available = ([REALTIME] if _realtime(kind) else []) + periods
    if not available:
        return REALTIME
    if requested is None or requested <= 0:
        return available[0]
    if requested in available or requested == REALTIME:  # no real time: no data
        return requested
    longer = [p for p in available if p >= requested]
    return longer[0] if longer else available[-1]


def _available(ctx: Context, entity: _Entity, interval: int) -> list[tuple[Counter, str]]:
    """(counter, instance) pairs ``entity`` has at ``interval``; ``""`` the aggregate."""
    if interval == REALTIME:
        if not _realtime(entity.kind):
            return []
        level = 4
    else:
        level = _interval_levels(ctx.sim).get(interval, 0)
        if not level:
            return []
    out = []
    for c in _counters_of(entity.kind):
        if c.level > level:
            continue
        if entity.has_aggregate(c):
            out.append((c, ""))
        if c.per_device <= level:
            out.extend((c, i) for i in entity.instances(c))
    return out


@handles("PerformanceManager", "QueryPerfCounter")
def query_perf_counter(ctx: Context, this: SimObject,
                       counterId: tuple[int, ...] = ()) -> tuple[Any, ...]:
    """vim.PerformanceManager.QueryPerfCounter: the counters with these keys, in order;
    InvalidArgument for an unknown key."""
    install(ctx.sim)
    out = []
    for key in counterId:
        c = BY_KEY.get(key)
        if c is None:
            raise fault("InvalidArgument", f"no performance counter {key}",
                        invalidProperty="counterId")
        out.append(_info(c))
    return tuple(out)


@handles("PerformanceManager", "QueryPerfCounterByLevel")
def query_perf_counter_by_level(ctx: Context, this: SimObject, level: int) -> tuple[Any, ...]:
    """vim.PerformanceManager.QueryPerfCounterByLevel: the counters collected at
    statistics ``level`` (1-4): those whose level is at most ``level``."""
    install(ctx.sim)
    if not 1 <= level <= 4:
        raise fault("InvalidArgument", "level must be 1 to 4", invalidProperty="level")
    return tuple(_info(c) for c in COUNTERS if c.level <= level)


@handles("PerformanceManager", "QueryPerfProviderSummary")
def query_perf_provider_summary(ctx: Context, this: SimObject, entity: Ref) -> Any:
    """vim.PerformanceManager.QueryPerfProviderSummary: real time (refresh rate 20 s) for
    VMs and hosts; summaries only (refresh rate -1) for clusters, compute resources,
    resource pools, datastores and datacenters; InvalidArgument otherwise."""
    install(ctx.sim)
    from aiovsphere.vim import types as t

    obj = _entity(ctx, entity)
    if not _counters_of(obj.kind):
        raise fault("InvalidArgument", f"{obj.kind} has no performance statistics",
                    invalidProperty="entity")
    realtime = _realtime(obj.kind)
    return t.PerfProviderSummary(entity=obj.obj.ref, currentSupported=realtime,
                                 summarySupported=True,
                                 refreshRate=REALTIME if realtime else -1)


@handles("PerformanceManager", "QueryAvailablePerfMetric")
def query_available_perf_metric(ctx: Context, this: SimObject, entity: Ref,
                                beginTime: datetime | None = None,
                                endTime: datetime | None = None,
                                intervalId: int | None = None) -> tuple[Any, ...]:
    """vim.PerformanceManager.QueryAvailablePerfMetric: the metrics (counter, instance)
    ``entity`` has at ``intervalId`` (default: its finest interval)."""
    install(ctx.sim)
    from aiovsphere.vim import types as t

    obj = _entity(ctx, entity)
    interval = _pick_interval(ctx, obj.kind, intervalId)
    if interval == REALTIME and obj.kind == "VirtualMachine" and not obj.on:
        return ()
    return tuple(t.PerfMetricId(counterId=c.key, instance=i)
                 for c, i in _available(ctx, obj, interval))


def _max_query_metrics(ctx: Context) -> int | None:
    """``config.vpxd.stats.maxQueryMetrics`` (None: no limit)."""
    settings = ctx.model.get(Ref("OptionManager", "VpxSettings"))
    value: Any = DEFAULT_MAX_QUERY_METRICS
    for option in (settings.props.get("setting") or ()) if settings is not None else ():
        if option.key == MAX_QUERY_METRICS_OPTION:
            value = option.value
    try:  # an int (an anyType Int/Long: str() of those is their repr) or a string
        limit = int(value) if isinstance(value, int) else int(str(value).strip())
    except ValueError:
        limit = DEFAULT_MAX_QUERY_METRICS
    return None if limit < 0 else limit


def _stamps(interval: int, start: datetime | None, end: datetime | None,
            max_sample: int | None) -> list[int]:
    """The sample timestamps (epoch seconds, ascending) a query answers."""
    current = int(now().timestamp()) // interval * interval
    if interval == REALTIME:
        count = REALTIME_SAMPLES
    else:
        count = next((length // interval for _k, period, _n, length in INTERVALS
                      if period == interval), 1)
    first = current - (count - 1) * interval
    low = first if start is None else max(first, _epoch(start) // interval * interval
                                          + interval)
    high = current if end is None else min(current, _epoch(end) // interval * interval)
    stamps = list(range(low, high + 1, interval)) if high >= low else []
    if max_sample is not None and max_sample > 0 and interval == REALTIME:
        stamps = stamps[-max_sample:]
    return stamps


def _epoch(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return math.floor(value.timestamp())


@handles("PerformanceManager", "QueryPerf")
def query_perf(ctx: Context, this: SimObject,
               querySpec: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    """vim.PerformanceManager.QueryPerf: one PerfEntityMetric (or PerfEntityMetricCSV)
    per spec with data, in spec order. See the module doc for the rules."""
    from aiovsphere.vim import types as t

    install(ctx.sim)
    plans = []
    historical_metrics = 0
    for spec in querySpec:
        entity = _entity(ctx, spec.entity)
        fmt = spec.format or "normal"
        if fmt not in ("normal", "csv"):
            raise fault("InvalidArgument", f"invalid format {fmt!r}",
                        invalidProperty="format")
        interval = _pick_interval(ctx, entity.kind, spec.intervalId)
        available = _available(ctx, entity, interval)
        if interval != REALTIME:
            historical_metrics += len(spec.metricId) if spec.metricId else len(available)
        plans.append((spec, entity, interval, available, fmt))
    limit = _max_query_metrics(ctx)
    if limit is not None and historical_metrics > limit:
        raise fault("RestrictedByAdministrator",
                    "This operation is restricted by the administrator - "
                    "'vpxd.stats.maxQueryMetrics'. Contact your system administrator.",
                    details="vpxd.stats.maxQueryMetrics")
    out: list[Any] = []
    seed = ctx.sim.seed
    for spec, entity, interval, available, fmt in plans:
        if interval == REALTIME and entity.kind == "VirtualMachine" and not entity.on:
            continue
        wanted = _wanted(spec.metricId, available)
        stamps = _stamps(interval, spec.startTime, spec.endTime, spec.maxSample)
        if not wanted or not stamps:
            continue
        series = [(c, i, _series_values(seed, entity, c, i, stamps, interval))
                  for c, i in wanted]
        times = [datetime.fromtimestamp(s, UTC) for s in stamps]
        if fmt == "csv":
            info_csv = ",".join(f"{interval},{ts.strftime('%Y-%m-%dT%H:%M:%SZ')}"
                                for ts in times)
            out.append(t.PerfEntityMetricCSV(
                entity=entity.obj.ref, sampleInfoCSV=info_csv,
                value=tuple(t.PerfMetricSeriesCSV(
                    id=t.PerfMetricId(counterId=c.key, instance=i),
                    value=",".join(map(str, values))) for c, i, values in series)))
            continue
        out.append(t.PerfEntityMetric(
            entity=entity.obj.ref,
            sampleInfo=tuple(t.PerfSampleInfo(timestamp=ts, interval=interval)
                             for ts in times),
            value=tuple(t.PerfMetricIntSeries(id=t.PerfMetricId(counterId=c.key, instance=i),
                                              value=tuple(values))
                        for c, i, values in series)))
    return tuple(out)


def _wanted(metric_ids: tuple[Any, ...], available: list[tuple[Counter, str]]
            ) -> list[tuple[Counter, str]]:
    """The available (counter, instance) pairs the metric ids ask for, in their order."""
    if not metric_ids:
        return list(available)
    by_counter: dict[int, list[str]] = {}
    for c, i in available:
        by_counter.setdefault(c.key, []).append(i)
    out: list[tuple[Counter, str]] = []
    seen: set[tuple[int, str]] = set()
    for mid in metric_ids:
        instances = by_counter.get(mid.counterId, [])
        instance = mid.instance if mid.instance is not None else ""
        chosen = instances if instance == "*" else [i for i in instances if i == instance]
        for i in chosen:
            if (mid.counterId, i) not in seen:
                seen.add((mid.counterId, i))
                out.append((BY_KEY[mid.counterId], i))
    return out

