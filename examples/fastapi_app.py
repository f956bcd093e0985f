"""An example FastAPI service on aiovsphere: list VMs, power a VM, read cached inventory.

Run it against vCenter (or the simulator):

    AIOVSPHERE_URL=https://vcenter.example.com AIOVSPHERE_USERNAME=... \\
    AIOVSPHERE_PASSWORD=... uvicorn examples.fastapi_app:app

Routes:
    GET  /vms                    live read: one ContainerView, one RetrievePropertiesEx
    GET  /vms/cached             the InventoryCache snapshot: no vCenter call at all
    GET  /vms/{moref}            one VM's properties (404 if there is no such VM)
    POST /vms/{moref}/power/{state}   state: on | off | reset; waits for the task and
                                      answers with the new power state (409 if the VM is
                                      already in that state)

Tested in tests/integration/test_fastapi.py through httpx's ASGI transport against vcsim.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI

from aiovsphere import ManagedObjectReference
from aiovsphere.fastapi import ClientDep, VSphere

VM_PATHS = ["name", "runtime.powerState", "config.hardware.numCPU",
            "config.hardware.memoryMB"]
POWER_METHODS = {"on": "PowerOnVM_Task", "off": "PowerOffVM_Task", "reset": "ResetVM_Task"}


def vm_json(record: Any) -> dict[str, Any]:
    return {
        "moref": record.obj.value,
        "name": record.name,
        "power_state": str(record.runtime.powerState),
        "num_cpu": record.config.hardware.numCPU,
        "memory_mb": record.config.hardware.memoryMB,
    }


def create_app(vsphere: VSphere | None = None) -> FastAPI:
    """The application; ``vsphere`` defaults to one configured from the environment."""
    vsphere = vsphere or VSphere(caches={"vms": ("VirtualMachine", VM_PATHS)})
    app = FastAPI(title="aiovsphere example", lifespan=vsphere.lifespan)
    vsphere.install_error_handlers(app)

    @app.get("/vms")
    async def list_vms(client: ClientDep) -> list[dict[str, Any]]:
        async with client.container_view(["VirtualMachine"]) as view:
            records = await client.retrieve(view, VM_PATHS)
        return sorted((vm_json(r) for r in records), key=lambda v: v["name"])

    @app.get("/vms/cached")
    async def cached_vms() -> dict[str, Any]:
        snapshot = vsphere.cache("vms").snapshot()
        return {
            "version": snapshot.version,
            "timestamp": snapshot.timestamp.isoformat(),
            "vms": sorted((vm_json(r) for r in snapshot.values()), key=lambda v: v["name"]),
        }

    @app.get("/vms/{moref}")
    async def get_vm(moref: str, client: ClientDep) -> dict[str, Any]:
        (record,) = await client.retrieve([ManagedObjectReference("VirtualMachine", moref)],
                                          VM_PATHS)
        return vm_json(record)

    @app.post("/vms/{moref}/power/{state}")
    async def power(moref: str, state: Literal["on", "off", "reset"],
                    client: ClientDep) -> dict[str, Any]:
        vm = ManagedObjectReference("VirtualMachine", moref)
        task = await client.invoke(vm, POWER_METHODS[state])
        await client.wait_for_task(task)
        (record,) = await client.retrieve([vm], VM_PATHS)
        return {"task": task.value, **vm_json(record)}

    return app


app = create_app()
