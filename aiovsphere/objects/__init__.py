"""Typed helpers on the common managed objects, like govmomi's ``object`` package.

::

    from aiovsphere.objects import VirtualMachine, from_ref

    vm = VirtualMachine(client, ref)            # ref: a moref or client.mo(...) proxy
    await vm.power_off()                        # waits for the task; faults raise
    task = await vm.power_on(wait=False)        # the Task moref, not waited for
    clone = await vm.clone("web-2", power_on=True)
    snap = await vm.create_snapshot("before-upgrade")
    nics = await vm.devices(types.VirtualEthernetCard)
    await vm.raw.MountToolsInstaller()          # every raw method stays available

    helper = from_ref(client, ref)              # the right helper class for ref.type

Each helper holds ``ref``, ``client`` and ``raw`` (the ``client.mo(ref)`` proxy), reads
properties with ``await helper.get(*paths)`` and its name with ``await helper.name()``,
and compares and hashes like its moref. Task methods wait through
:func:`aiovsphere.wait_for_task` (``progress=`` is passed through) and return the typed
result; ``wait=False`` returns the Task moref instead.
"""

from aiovsphere.objects._base import Entity, Progress, RefLike, from_ref
from aiovsphere.objects._compute import (
    ClusterComputeResource,
    ComputeResource,
    ResourcePool,
    default_pool_spec,
)
from aiovsphere.objects._datacenter import Datacenter, DatacenterFolders
from aiovsphere.objects._datastore import Datastore, DatastoreFile, datastore_path
from aiovsphere.objects._folder import Folder
from aiovsphere.objects._host import HostSystem
from aiovsphere.objects._network import (
    DistributedVirtualPortgroup,
    DistributedVirtualSwitch,
    Network,
)
from aiovsphere.objects._vm import Snapshot, SnapshotLike, VirtualMachine

__all__ = [
    "ClusterComputeResource",
    "ComputeResource",
    "Datacenter",
    "DatacenterFolders",
    "Datastore",
    "DatastoreFile",
    "DistributedVirtualPortgroup",
    "DistributedVirtualSwitch",
    "Entity",
    "Folder",
    "HostSystem",
    "Network",
    "Progress",
    "RefLike",
    "ResourcePool",
    "Snapshot",
    "SnapshotLike",
    "VirtualMachine",
    "datastore_path",
    "default_pool_spec",
    "from_ref",
]
