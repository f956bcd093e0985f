"""Builds the VPX (vCenter) and ESX inventories (placeholder: root folder only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiovsphere.simulator._model import SimObject
from aiovsphere.simulator._service import ROOT_FOLDER

if TYPE_CHECKING:
    from aiovsphere.simulator._server import Simulator

__all__ = ["build_inventory"]


def build_inventory(sim: Simulator) -> None:
    sim.model.add(SimObject(ROOT_FOLDER, {
        "name": "Datacenters", "childEntity": (), "childType": ("Folder", "Datacenter"),
        "parent": None,
    }))
