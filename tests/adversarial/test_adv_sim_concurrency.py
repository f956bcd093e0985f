"""The embedded simulator under concurrent modification: 200 power, rename and
reconfigure calls from several clients on overlapping VMs; afterwards every task has ended,
the inventory is self-consistent and an InventoryCache that followed along matches a fresh
retrieval."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import aiovsphere
from aiovsphere.simulator import InventorySpec, Simulator
from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as Ref

PATHS = ["name", "runtime.powerState", "summary.runtime.powerState", "config.hardware.numCPU",
         "config.hardware.memoryMB", "summary.config.name", "summary.config.numCpu",
         "summary.config.memorySizeMB", "parent", "runtime.host"]


def _op(rng: random.Random, vm: Ref) -> tuple[str, dict[str, Any]]:
    kind = rng.choice(["on", "off", "rename", "cpu", "mem", "suspend"])
    if kind == "on":
        return "PowerOnVM_Task", {}
    if kind == "off":
        return "PowerOffVM_Task", {}
    if kind == "suspend":
        return "SuspendVM_Task", {}
    if kind == "rename":  # a small pool of names: siblings race for the same one
        return "Rename_Task", {"newName": f"race-{rng.randrange(4)}"}
    if kind == "cpu":
        return "ReconfigVM_Task", {"spec": t.VirtualMachineConfigSpec(
            numCPUs=rng.choice([1, 2, 4]))}
    return "ReconfigVM_Task", {"spec": t.VirtualMachineConfigSpec(
        memoryMB=rng.choice([32, 64, 128]))}


async def test_200_concurrent_operations_leave_a_consistent_inventory() -> None:
    rng = random.Random(4)
    async with Simulator(InventorySpec(), task_seconds=0.01) as sim:
        clients = [aiovsphere.connect(sim.url, user=f"user{i}", password="pw")
                   for i in range(4)]
        opened = [await c.__aenter__() for c in clients]
        try:
            watcher = opened[0]
            async with watcher.inventory_cache("VirtualMachine", PATHS) as cache:
                vms = sorted((o.ref for o in sim.model.of_type("VirtualMachine")),
                             key=lambda r: r.value)
                assert len(vms) >= 4
                targets = vms[:4]  # overlapping: 200 calls on 4 VMs

                async def one(i: int) -> Any:
                    client = opened[i % len(opened)]
                    method, params = _op(rng, targets[i % len(targets)])
                    task = await client.invoke(targets[i % len(targets)], method, **params)
                    return await client.wait_for_task(task)

                results = await asyncio.gather(*(one(i) for i in range(200)),
                                               return_exceptions=True)
                # Every call got a task and every task ended: a result or a vim fault.
                unexpected = [r for r in results if isinstance(r, BaseException)
                              and not isinstance(r, aiovsphere.SoapFault)]
                assert unexpected == []
                kinds = Counter(type(r).__name__ for r in results
                                if isinstance(r, BaseException))
                assert set(kinds) <= {"InvalidPowerState", "DuplicateName"}, kinds
                assert 0 < sum(kinds.values()) < 200  # conflicts happened, and successes
                tasks = sim.model.of_type("Task")
                assert len(tasks) >= 200
                assert {str(o.props["info"].state) for o in tasks} <= {"success", "error"}

                # The model is self-consistent.
                for vm in sim.model.of_type("VirtualMachine"):
                    runtime, summary = vm.props["runtime"], vm.props["summary"]
                    assert str(runtime.powerState) == str(summary.runtime.powerState)
                    assert summary.config.name == vm.props["name"]
                    hw = vm.props["config"].hardware
                    assert (summary.config.numCpu, summary.config.memorySizeMB) == (
                        hw.numCPU, hw.memoryMB)
                    host = sim.model.get(runtime.host)
                    assert host is not None and vm.ref in host.props["vm"]
                    parent = sim.model.get(vm.props["parent"])
                    assert parent is not None and vm.ref in parent.props["childEntity"]
                for folder in sim.model.of_type("Folder"):
                    names = []
                    for ref in folder.props.get("childEntity") or ():
                        child = sim.model.get(ref)
                        assert child is not None
                        assert child.props["parent"] == folder.ref
                        names.append(child.props["name"])
                    assert len(names) == len(set(names)), names

                # The cache that followed along equals a fresh retrieval.
                async with watcher.container_view(["VirtualMachine"]) as view:
                    fresh = {r.obj: dict(r) for r in await watcher.retrieve(view, PATHS)}
                assert len(fresh) == len(vms)
                final = sim.model.version
                await cache.wait_until(
                    lambda s: {k: dict(v) for k, v in s.items()} == fresh, timeout=10)
                assert sim.model.version == final  # nothing moved while we compared
        finally:
            for c in clients:
                await c.__aexit__(None, None, None)


def inconsistencies(sim: Simulator) -> list[tuple[Any, ...]]:
    """Every broken back link, dangling reference, power-state split or duplicate sibling
    name in the simulator's model."""
    model = sim.model
    out: list[tuple[Any, ...]] = []
    for obj in model:
        parent = obj.props.get("parent")
        if parent is not None and obj.type != "VirtualMachineSnapshot":
            up = model.get(parent)
            if up is None:
                out.append(("dangling parent", obj.ref, parent))
            elif up.type == "Folder" and obj.ref not in (up.props.get("childEntity") or ()):
                out.append(("parent does not list it", obj.ref, parent))
        for ref in obj.props.get("childEntity") or ():
            child = model.get(ref)
            if child is None or child.props.get("parent") != obj.ref:
                out.append(("child does not point back", obj.ref, ref))
        if obj.type == "Folder":
            names = [model.get(r).props.get("name")  # type: ignore[union-attr]
                     for r in obj.props.get("childEntity") or () if model.get(r)]
            if len(names) != len(set(names)):
                out.append(("duplicate names", obj.ref, names))
        if obj.type in ("HostSystem", "Datastore", "Network", "ResourcePool"):
            for ref in obj.props.get("vm") or ():
                if model.get(ref) is None:
                    out.append(("dangling vm", obj.ref, ref))
        if obj.type != "VirtualMachine":
            continue
        runtime = obj.props["runtime"]
        if str(runtime.powerState) != str(obj.props["summary"].runtime.powerState):
            out.append(("power state split", obj.ref))
        host = model.get(runtime.host)
        if host is None or obj.ref not in host.props.get("vm", ()):
            out.append(("host does not list it", obj.ref))
        pool = obj.props.get("resourcePool")
        if pool is not None and obj.ref not in (model.get(pool) or obj).props.get("vm", ()):
            out.append(("pool does not list it", obj.ref))
        for ref in obj.props.get("datastore") or ():
            store = model.get(ref)
            if store is None or obj.ref not in store.props.get("vm", ()):
                out.append(("datastore does not list it", obj.ref, ref))
    return out


async def test_concurrent_clone_destroy_move_and_rename_keep_the_tree_consistent() -> None:
    rng = random.Random(7)
    async with Simulator(InventorySpec(), task_seconds=0.01) as sim, \
            aiovsphere.connect(sim.url, user="a", password="pw") as client:
        vm_folder = next(o.ref for o in sim.model.of_type("Folder")
                         if o.props.get("name") == "vm")
        sub = await client.invoke(vm_folder, "CreateFolder", name="sub")
        subsub = await client.invoke(sub, "CreateFolder", name="subsub")
        folders = [vm_folder, sub, subsub]
        outcomes: Counter[str] = Counter()

        async def one() -> None:
            vm = rng.choice([o.ref for o in sim.model.of_type("VirtualMachine")])
            # (No folder destroyed while a move into it is queued: that orphans the moved
            # entity, see test_a_move_into_a_folder_destroyed_meanwhile_orphans_nothing.)
            kind = rng.choice(["clone", "destroy", "move", "rename", "off", "on",
                               "move-folder", "create-folder", "snapshot", "reconfigure"])
            name = f"c{rng.randrange(5)}"
            calls: dict[str, tuple[Ref, str, dict[str, Any]]] = {
                "clone": (vm, "CloneVM_Task", {"folder": rng.choice(folders), "name": name,
                                               "spec": t.VirtualMachineCloneSpec(
                                                   location=t.VirtualMachineRelocateSpec(),
                                                   powerOn=rng.random() < 0.5,
                                                   template=False)}),
                "destroy": (vm, "Destroy_Task", {}),
                "move": (rng.choice(folders), "MoveIntoFolder_Task", {"list": [vm]}),
                "rename": (vm, "Rename_Task", {"newName": name}),
                "off": (vm, "PowerOffVM_Task", {}),
                "on": (vm, "PowerOnVM_Task", {}),
                "move-folder": (rng.choice(folders), "MoveIntoFolder_Task",
                                {"list": [rng.choice(folders[1:])]}),
                "create-folder": (rng.choice(folders), "CreateFolder", {"name": name}),
                "snapshot": (vm, "CreateSnapshot_Task", {"name": "s", "memory": False,
                                                         "quiesce": False}),
                "reconfigure": (vm, "ReconfigVM_Task", {"spec": t.VirtualMachineConfigSpec(
                    name=name, memoryMB=rng.choice([32, 64]))}),
            }
            ref, method, params = calls[kind]
            try:
                result = await client.invoke(ref, method, **params)
                if result is not None and result.type == "Task":
                    await client.wait_for_task(result)
                outcomes[f"{kind} ok"] += 1
            except aiovsphere.SoapFault as exc:
                outcomes[f"{kind} {type(exc).__name__}"] += 1

        async with asyncio.timeout(20):
            await asyncio.gather(*(one() for _ in range(150)))
        assert sum(outcomes.values()) == 150
        assert sum(n for k, n in outcomes.items() if k.endswith(" ok")) > 10
        assert {str(o.props["info"].state) for o in sim.model.of_type("Task")} <= {
            "success", "error"}
        assert inconsistencies(sim) == []


async def test_a_move_into_a_folder_destroyed_meanwhile_orphans_nothing() -> None:
    async with Simulator(task_seconds=0.02) as sim, \
            aiovsphere.connect(sim.url, user="a", password="pw") as client:
        vm_folder = next(o.ref for o in sim.model.of_type("Folder")
                         if o.props.get("name") == "vm")
        vm = next(o.ref for o in sim.model.of_type("VirtualMachine")
                  if o.props["name"] == "DC0_H0_VM0")
        doomed = await client.invoke(vm_folder, "CreateFolder", name="doomed")
        destroy = await client.invoke(doomed, "Destroy_Task")
        move = await client.invoke(doomed, "MoveIntoFolder_Task", list=[vm])  # queued behind
        outcome = await client.wait_for_tasks([destroy, move], return_exceptions=True)
        assert outcome[0] is None
        assert isinstance(outcome[1], aiovsphere.faults.ManagedObjectNotFound)
        assert sim.model.get(vm).props["parent"] == vm_folder  # type: ignore[union-attr]
        assert inconsistencies(sim) == []
        async with client.container_view(["VirtualMachine"]) as view:
            names = {r.name for r in await client.retrieve(view, ["name"])}
        assert "DC0_H0_VM0" in names
