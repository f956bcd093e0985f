"""The simulated inventory: its shape (:class:`InventorySpec`) and the builder.

Named like vcsim's models so tests move between the two: datacenter ``DC0``; cluster
``DC0_C0`` with hosts ``DC0_C0_H0``...; standalone hosts ``DC0_H0``...; VMs
``DC0_H0_VM0`` on standalone hosts and ``DC0_C0_RP0_VM0`` in a cluster's resource pool;
datastores ``LocalDS_0``...; the networks ``VM Network``, ``VM Network 1``...; a
distributed switch ``DVS0`` with portgroups ``DC0_DVPG0`` (the VMs' NICs are on it),
``DC0_DVPG1``... (vcsim's ``Model.Portgroup``). The ESX model is one host
(``localhost.localdomain``'s ``ha-datacenter``, as ESXi names it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiovsphere.simulator._server import Simulator

__all__ = ["InventorySpec", "build"]


@dataclass(frozen=True)
class InventorySpec:
    """The inventory's shape (vcsim's VPX model defaults).

    ``vms`` VMs per standalone host and per cluster; ``cluster_hosts`` hosts per cluster;
    ``hosts`` standalone hosts per datacenter; ``resource_pools`` child pools per
    cluster (VMs stay in the cluster's root pool); ``datastores`` shared datastores;
    ``dvs``: a distributed switch per datacenter with ``portgroups`` portgroups
    (``DC0_DVPG0``..., the VMs on the first; ignored without ``dvs``); ``networks``
    standard networks per datacenter ("VM Network", "VM Network 1"...; every host on
    all, the VMs on the first without a switch).

    Raises ``ValueError`` for a negative count, ``networks`` < 1,
    or ``portgroups`` < 1 with ``dvs``.
    """

    datacenters: int = 1
    clusters: int = 1
    cluster_hosts: int = 3
    hosts: int = 1
    vms: int = 2
    resource_pools: int = 0
    datastores: int = 1
    dvs: bool = True
    esx_host: bool = False
    portgroups: int = 1
    networks: int = 1

    def __post_init__(self) -> None:
        for name in ("datacenters", "clusters", "cluster_hosts", "hosts", "vms",
                     "resource_pools", "datastores", "portgroups", "networks"):
            if getattr(self, name) < 0:
                raise ValueError(f"InventorySpec.{name} cannot be negative")
        if self.networks < 1:
            raise ValueError("InventorySpec.networks must be at least 1 (\"VM Network\")")
        if self.dvs and self.portgroups < 1:
            raise ValueError("InventorySpec.portgroups must be at least 1 with dvs=True")

    @classmethod
    def for_vm_count(cls, n: int, *, max_vms_per_pool: int = 50) -> InventorySpec:
        """About ``n`` VMs over one cluster plus standalone hosts (as the vcsim launcher)."""
        if n < 0:
            raise ValueError("the VM count cannot be negative")
        pools = max(2, math.ceil(n / max_vms_per_pool))
        return cls(hosts=pools - 1, vms=math.ceil(n / pools) if n else 0)

    def esx(self) -> InventorySpec:
        """The standalone-ESXi model with this spec's VM count on the one host."""
        return replace(self, esx_host=True, datacenters=1, clusters=0, hosts=1, dvs=False)

    @property
    def vm_count(self) -> int:
        if self.esx_host:
            return self.vms
        return self.datacenters * (self.hosts + self.clusters) * self.vms


def build(sim: Simulator) -> None:
    """Fill ``sim.model``: the service objects, then the inventory."""
    from aiovsphere.simulator._handlers import events, folders, perf
    from aiovsphere.simulator._service import create_service
    from aiovsphere.simulator._vpx import build_inventory

    create_service(sim)
    build_inventory(sim)
    # Managers whose properties are read before any of their methods is called.
    events.install(sim)
    perf.install(sim)
    folders.install_settings(sim)
