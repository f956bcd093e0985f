"""SearchIndex (vim.SearchIndex): inventory paths, children, UUIDs, IPs, DNS names and
datastore paths.

Names are compared as the API stores them, escaped (``/`` as ``%2f``, ``\\`` as ``%5c``,
``%`` as ``%25``), with the escapes' case ignored and unescaped forms accepted too
(``a/b`` and ``a%2fb`` both name a VM stored as ``a%2fb``, so a name's own slash never
splits a path).

- FindChild(entity, name): the immediate child named ``name``: a folder's
  ``childEntity``; a datacenter's ``vm``, ``host``, ``datastore`` and ``network``
  folders; a compute resource's hosts and root pool; a pool's child pools and VMs (a
  vApp's too). ``None`` when there is none.
- FindByInventoryPath(path): walks those children from the root folder, one ``/``
  separated component at a time; leading, trailing and doubled slashes are ignored. A
  VM is reached through the VM folders only (a pool's children in a path are its pools,
  as in ``/DC0/host/DC0_C0/Resources/pool``), a vApp's VMs through the vApp.
- FindByUuid / FindAllByUuid: VMs by BIOS ``config.uuid`` or, with ``instanceUuid``,
  ``config.instanceUuid``; with ``vmSearch`` false, hosts by
  ``hardware.systemInfo.uuid``. UUIDs compare case-insensitively.
- FindByIp / FindAllByIp: VMs whose guest reports the address (``guest.ipAddress`` or any
  ``guest.net[].ipAddress``); hosts with it on a VMkernel NIC
  (``config.network.vnic[].spec.ip.ipAddress``).
- FindByDnsName / FindAllByDnsName: VMs by ``guest.hostName``; hosts by their DNS
  configuration's host name or fully qualified name (case-insensitive).
- FindByDatastorePath(datacenter, "[ds] dir/vm.vmx"): the VM whose
  ``config.files.vmPathName`` it is; InvalidDatastorePath when the path has no
  ``[datastore]``, InvalidDatastore when the datacenter has no such datastore.

``datacenter`` limits a search to one datacenter (ManagedObjectNotFound if it does not
exist). The ``Find*`` forms answer the first match (inventory order) or ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aiovsphere.simulator._context import Context, SimFault, fault
from aiovsphere.simulator._dispatch import handles
from aiovsphere.simulator._events import datacenter_of
from aiovsphere.simulator._model import SimObject
from aiovsphere.vim._moref import ManagedObjectReference as Ref

if TYPE_CHECKING:
    from aiovsphere.simulator._model import Model

__all__ = ["children", "find_child", "name_key", "resolve_path"]

_UNESCAPE = re.compile(r"%(25|2[fF]|5[cC])")
_UNESCAPES = {"25": "%", "2f": "/", "5c": "\\"}


def name_key(name: str) -> str:
    """The comparable form of a name, escaped or not: its unescaped text."""
    return _UNESCAPE.sub(lambda m: _UNESCAPES[m.group(1).lower()], name)


def _refs(value: Any) -> list[Ref]:
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, tuple | list):
        return [v for v in value if isinstance(v, Ref)]
    return []


def _is(obj: SimObject, base: str) -> bool:
    from aiovsphere.vim._schema import schema

    s = schema()
    return s.is_managed(obj.type) and s.is_subtype(obj.type, base)


def children(obj: SimObject, *, path: bool = False) -> list[Ref]:
    """The children of ``obj`` as FindChild sees them (``path=True``: as
    FindByInventoryPath walks them: a plain pool's VMs left out)."""
    props = obj.props
    if _is(obj, "Datacenter"):
        return _refs([props.get(f) for f in ("vmFolder", "hostFolder", "datastoreFolder",
                                             "networkFolder")])
    if _is(obj, "Folder"):
        return _refs(props.get("childEntity"))
    if _is(obj, "ComputeResource"):
        return _refs(props.get("host")) + _refs(props.get("resourcePool"))
    if _is(obj, "VirtualApp"):
        return _refs(props.get("resourcePool")) + _refs(props.get("vm"))
    if _is(obj, "ResourcePool"):
        pools = _refs(props.get("resourcePool"))
        return pools if path else pools + _refs(props.get("vm"))
    return []


def find_child(model: Model, obj: SimObject, name: str, *, path: bool = False
               ) -> SimObject | None:
    """The child of ``obj`` named ``name`` (escaped or not), or ``None``."""
    wanted = name_key(name)
    for ref in children(obj, path=path):
        child = model.get(ref)
        if child is not None and name_key(str(child.props.get("name", ""))) == wanted:
            return child
    return None


def _root(ctx: Context) -> SimObject | None:
    si = ctx.model.get(Ref("ServiceInstance", "ServiceInstance"))
    root = getattr(si.props.get("content"), "rootFolder", None) if si is not None else None
    return ctx.model.get(root) if isinstance(root, Ref) else None


def resolve_path(ctx: Context, path: str) -> SimObject | None:
    """The object at inventory path ``path`` (see the module doc), or ``None``."""
    parts = [p for p in path.split("/") if p]
    cur = _root(ctx)
    if not parts:
        return None
    for part in parts:
        if cur is None:
            return None
        cur = find_child(ctx.model, cur, part, path=True)
    return cur


@handles("SearchIndex", "FindByInventoryPath")
def find_by_inventory_path(ctx: Context, this: SimObject, inventoryPath: str) -> Ref | None:
    found = resolve_path(ctx, inventoryPath)
    return found.ref if found is not None else None


@handles("SearchIndex", "FindChild")
def find_child_handler(ctx: Context, this: SimObject, entity: Ref, name: str) -> Ref | None:
    obj = ctx.lookup(entity)
    found = find_child(ctx.model, obj, name)
    return found.ref if found is not None else None


# ---------------------------------------------------------------------------- by property
def _candidates(ctx: Context, datacenter: Ref | None, vm_search: bool) -> Iterator[SimObject]:
    """The VMs (or hosts) to search, limited to ``datacenter`` when given."""
    dc = ctx.lookup(datacenter) if datacenter is not None else None
    kind = "VirtualMachine" if vm_search else "HostSystem"
    for obj in ctx.model.of_type(kind):
        if dc is None:
            yield obj
        elif (found := datacenter_of(ctx.model, obj)) is not None and found.ref == dc.ref:
            yield obj


def _attr(value: Any, *names: str) -> Any:
    for name in names:
        if value is None:
            return None
        value = getattr(value, name, None)
    return value


def _by_uuid(ctx: Context, datacenter: Ref | None, uuid: str, vmSearch: bool,
             instanceUuid: bool | None) -> list[Ref]:
    wanted = uuid.strip().lower()
    out = []
    for obj in _candidates(ctx, datacenter, vmSearch):
        if vmSearch:
            value = _attr(obj.props.get("config"), "instanceUuid" if instanceUuid else "uuid")
        else:
            value = _attr(obj.props.get("hardware"), "systemInfo", "uuid") or _attr(
                obj.props.get("summary"), "hardware", "uuid")
        if isinstance(value, str) and value.lower() == wanted:
            out.append(obj.ref)
    return out


def _vm_ips(obj: SimObject) -> Iterator[str]:
    guest = obj.props.get("guest")
    ip = _attr(guest, "ipAddress")
    if ip:
        yield str(ip)
    for nic in _attr(guest, "net") or ():
        yield from (str(a) for a in (getattr(nic, "ipAddress", None) or ()))


def _host_ips(obj: SimObject) -> Iterator[str]:
    network = _attr(obj.props.get("config"), "network")
    for vnic in (_attr(network, "vnic") or ()) + (_attr(network, "consoleVnic") or ()):
        ip = _attr(vnic, "spec", "ip", "ipAddress")
        if ip:
            yield str(ip)


def _by_ip(ctx: Context, datacenter: Ref | None, ip: str, vmSearch: bool) -> list[Ref]:
    wanted = ip.strip().lower()
    ips = _vm_ips if vmSearch else _host_ips
    return [obj.ref for obj in _candidates(ctx, datacenter, vmSearch)
            if any(a.lower() == wanted for a in ips(obj))]


def _host_names(obj: SimObject) -> Iterator[str]:
    network = _attr(obj.props.get("config"), "network")
    configs = [_attr(network, "dnsConfig")]
    configs += [_attr(n, "dnsConfig") for n in (_attr(network, "netStackInstance") or ())]
    for dns in configs:
        name = _attr(dns, "hostName")
        if name:
            yield str(name)
            domain = _attr(dns, "domainName")
            if domain:
                yield f"{name}.{domain}"


def _by_dns(ctx: Context, datacenter: Ref | None, dnsName: str, vmSearch: bool) -> list[Ref]:
    wanted = dnsName.strip().lower().rstrip(".")
    out = []
    for obj in _candidates(ctx, datacenter, vmSearch):
        names = ([str(n)] if (n := _attr(obj.props.get("guest"), "hostName")) else []) \
            if vmSearch else list(_host_names(obj))
        if any(n.lower().rstrip(".") == wanted for n in names):
            out.append(obj.ref)
    return out


def _first(refs: list[Ref]) -> Ref | None:
    return refs[0] if refs else None


@handles("SearchIndex", "FindByUuid")
def find_by_uuid(ctx: Context, this: SimObject, uuid: str, vmSearch: bool,
                 datacenter: Ref | None = None, instanceUuid: bool | None = None
                 ) -> Ref | None:
    return _first(_by_uuid(ctx, datacenter, uuid, vmSearch, instanceUuid))


@handles("SearchIndex", "FindAllByUuid")
def find_all_by_uuid(ctx: Context, this: SimObject, uuid: str, vmSearch: bool,
                     datacenter: Ref | None = None, instanceUuid: bool | None = None
                     ) -> tuple[Ref, ...]:
    return tuple(_by_uuid(ctx, datacenter, uuid, vmSearch, instanceUuid))


@handles("SearchIndex", "FindByIp")
def find_by_ip(ctx: Context, this: SimObject, ip: str, vmSearch: bool,
               datacenter: Ref | None = None) -> Ref | None:
    return _first(_by_ip(ctx, datacenter, ip, vmSearch))


@handles("SearchIndex", "FindAllByIp")
def find_all_by_ip(ctx: Context, this: SimObject, ip: str, vmSearch: bool,
                   datacenter: Ref | None = None) -> tuple[Ref, ...]:
    return tuple(_by_ip(ctx, datacenter, ip, vmSearch))


@handles("SearchIndex", "FindByDnsName")
def find_by_dns_name(ctx: Context, this: SimObject, dnsName: str, vmSearch: bool,
                     datacenter: Ref | None = None) -> Ref | None:
    return _first(_by_dns(ctx, datacenter, dnsName, vmSearch))


@handles("SearchIndex", "FindAllByDnsName")
def find_all_by_dns_name(ctx: Context, this: SimObject, dnsName: str, vmSearch: bool,
                         datacenter: Ref | None = None) -> tuple[Ref, ...]:
    return tuple(_by_dns(ctx, datacenter, dnsName, vmSearch))


_DS_PATH = re.compile(r"^\s*\[([^\]]+)\]\s*(.*)$")


def _normal_ds_path(path: str) -> tuple[str, str] | None:
    match = _DS_PATH.match(path)
    if match is None:
        return None
    return match.group(1), match.group(2).strip()


@handles("SearchIndex", "FindByDatastorePath")
def find_by_datastore_path(ctx: Context, this: SimObject, datacenter: Ref,
                           path: str) -> Ref | None:
    parsed = _normal_ds_path(path)
    if parsed is None:
        raise fault("InvalidDatastorePath", f"Invalid datastore path '{path}'.",
                    datastorePath=path)
    ds_name, rest = parsed
    dc = ctx.lookup(datacenter)
    names = {name_key(str(o.props.get("name", ""))) for o in ctx.model.of_type("Datastore")
             if (found := datacenter_of(ctx.model, o)) is not None and found.ref == dc.ref}
    names |= {name_key(str(o.props.get("name", ""))) for r in _refs(dc.props.get("datastore"))
              if (o := ctx.model.get(r)) is not None}
    if name_key(ds_name) not in names:
        from aiovsphere.vim import types as t

        raise SimFault(t.InvalidDatastore(name=ds_name), f"Invalid datastore path '{path}'.")
    for obj in _candidates(ctx, datacenter, True):
        vmx = _attr(obj.props.get("config"), "files", "vmPathName")
        if isinstance(vmx, str) and (parsed_vmx := _normal_ds_path(vmx)) is not None \
                and name_key(parsed_vmx[0]) == name_key(ds_name) and parsed_vmx[1] == rest:
            return obj.ref
    return None
