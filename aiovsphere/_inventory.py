"""The inventory job: every VM with its host, CPU and memory, in a few paged calls."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from aiovsphere._property import container_view, retrieve_pages, view_filter_spec

if TYPE_CHECKING:
    from aiovsphere._client import Client

__all__ = ["VmRow", "list_vms"]

VM_PATHS = (
    "name",
    "runtime.powerState",
    "runtime.host",
    "config.hardware.numCPU",
    "config.hardware.memoryMB",
)


@dataclass(frozen=True, slots=True)
class VmRow:
    """One VM: ``moref`` as ``"vm-42"``, ``memory_mb`` in MB as the API reports it."""

    moref: str
    name: str | None
    power_state: str | None
    host: str | None
    num_cpu: int | None
    memory_mb: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def list_vms(client: Client, *, page_size: int = 1000) -> list[VmRow]:
    """All VMs under the root folder, sorted by name (one ContainerView, paged retrieval;
    host names from a second retrieval over the hosts' ContainerView)."""
    vms: dict[Any, dict[str, Any]] = {}
    async with container_view(client, ["VirtualMachine"]) as view:
        async for page in retrieve_pages(client, [view_filter_spec(view, "VirtualMachine",
                                                                    VM_PATHS)],
                                         max_objects=page_size):
            for obj in page:
                vms[obj.obj] = {p.name: p.val for p in obj.propSet}
    hosts: dict[Any, str] = {}
    if any(v.get("runtime.host") is not None for v in vms.values()):
        async with container_view(client, ["HostSystem"]) as view:
            async for page in retrieve_pages(
                client, [view_filter_spec(view, "HostSystem", ["name"])], max_objects=page_size
            ):
                for obj in page:
                    hosts[obj.obj] = next((p.val for p in obj.propSet if p.name == "name"), "")
    rows = []
    for ref, props in vms.items():
        host_ref = props.get("runtime.host")
        state = props.get("runtime.powerState")
        rows.append(
            VmRow(
                moref=ref.value,
                name=props.get("name"),
                power_state=str(state.value if hasattr(state, "value") else state)
                if state is not None else None,
                host=hosts.get(host_ref) if host_ref is not None else None,
                num_cpu=_int(props.get("config.hardware.numCPU")),
                memory_mb=_int(props.get("config.hardware.memoryMB")),
            )
        )
    rows.sort(key=lambda r: (r.name or "", r.moref))
    return rows


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
