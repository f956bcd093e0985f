"""One reading of "a simulator with N VMs over this shape", shared by the command line
(``python -m aiovsphere.simulator``) and the pytest marker (``vsphere_simulator``)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from aiovsphere.simulator._inventory import InventorySpec
from aiovsphere.simulator._server import Simulator

__all__ = ["INVENTORY_OPTIONS", "SHAPE", "inventory_spec", "make_simulator"]

SHAPE = ("datacenters", "clusters", "hosts", "cluster_hosts")
"""Options that set the inventory's shape; with one of them ``vms`` is spread over it."""
_EXTRA = ("resource_pools", "datastores", "dvs", "portgroups", "networks")
INVENTORY_OPTIONS = frozenset(("vms", *SHAPE, *_EXTRA))
"""Every option :func:`make_simulator` turns into the inventory (``inventory=`` aside)."""


def inventory_spec(vms: int | None = None, **options: Any) -> InventorySpec:
    """The inventory for ``vms`` VMs in all (``None``: vcsim's 2 per cluster and per
    standalone host) and ``options`` (:data:`SHAPE` and ``resource_pools``,
    ``datastores``, ``dvs``, ``portgroups``, ``networks``; ``None`` values are ignored).

    Without a shape option, ``vms`` is spread as ``Simulator(vms=N)`` spreads it (one
    cluster and enough standalone hosts); with one, the other shape values keep vcsim's
    defaults and ``vms`` is divided over the clusters and standalone hosts, rounded up.
    Raises ``ValueError`` for an unknown option, VMs with nowhere to run or a value
    :class:`InventorySpec` refuses (a negative count...).
    """
    given = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(given) - set(SHAPE) - set(_EXTRA))
    if unknown:
        raise ValueError(f"unknown inventory option(s): {', '.join(unknown)}")
    extra = {k: given.pop(k) for k in _EXTRA if k in given}
    if not given:
        spec = InventorySpec.for_vm_count(vms) if vms is not None else InventorySpec()
        return dataclasses.replace(spec, **extra)
    spec = dataclasses.replace(InventorySpec(), **given, **extra)
    if vms is not None:
        pools = spec.datacenters * (spec.clusters + spec.hosts)
        if vms and not pools:
            raise ValueError("VMs need a cluster or a standalone host")
        spec = dataclasses.replace(spec, vms=math.ceil(vms / pools) if pools else 0)
    return spec


def make_simulator(options: Mapping[str, Any]) -> Simulator:
    """A :class:`Simulator` from one flat set of options: ``vms`` and the inventory
    options of :func:`inventory_spec` (or ``inventory=InventorySpec(...)``), the rest
    passed to ``Simulator`` (``https``, ``esx``, ``users``, ``task_seconds``...)."""
    rest = dict(options)
    shape = {k: rest.pop(k) for k in (*SHAPE, *_EXTRA) if k in rest}
    vms = rest.pop("vms", None)
    inventory = rest.pop("inventory", None)
    if inventory is not None:
        if shape or vms is not None:
            raise ValueError("give inventory= or vms/shape options, not both")
    else:
        inventory = inventory_spec(vms, **shape)
    return Simulator(inventory, **rest)
