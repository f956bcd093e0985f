"""ServiceInstance, ServiceContent and the manager singletons, with vCenter's morefs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiovsphere.simulator._model import SimObject
from aiovsphere.vim._moref import ManagedObjectReference as Ref

if TYPE_CHECKING:
    from aiovsphere.simulator._server import Simulator

__all__ = ["MANAGERS", "ROOT_FOLDER", "SERVICE_INSTANCE", "create_service"]

SERVICE_INSTANCE = Ref("ServiceInstance", "ServiceInstance")
ROOT_FOLDER = Ref("Folder", "group-d1")

# ServiceContent member -> moref, as vCenter names them.
MANAGERS: dict[str, Ref] = {
    "propertyCollector": Ref("PropertyCollector", "propertyCollector"),
    "viewManager": Ref("ViewManager", "ViewManager"),
    "setting": Ref("OptionManager", "VpxSettings"),
    "userDirectory": Ref("UserDirectory", "UserDirectory"),
    "sessionManager": Ref("SessionManager", "SessionManager"),
    "authorizationManager": Ref("AuthorizationManager", "AuthorizationManager"),
    "perfManager": Ref("PerformanceManager", "PerfMgr"),
    "eventManager": Ref("EventManager", "EventManager"),
    "taskManager": Ref("TaskManager", "TaskManager"),
    "customFieldsManager": Ref("CustomFieldsManager", "CustomFieldsManager"),
    "searchIndex": Ref("SearchIndex", "SearchIndex"),
    "fileManager": Ref("FileManager", "FileManager"),
    "virtualDiskManager": Ref("VirtualDiskManager", "virtualDiskManager"),
    "licenseManager": Ref("LicenseManager", "LicenseManager"),
    "dvSwitchManager": Ref("DistributedVirtualSwitchManager", "DVSManager"),
}
_ESX_ABSENT = ("dvSwitchManager", "userDirectory")


def create_service(sim: Simulator) -> None:
    """Add ServiceInstance, the root folder and the managers to ``sim.model``."""
    from aiovsphere.simulator._context import now
    from aiovsphere.vim import types as t

    esx = sim.inventory.esx_host
    about = t.AboutInfo(
        name="VMware ESXi" if esx else "VMware vCenter Server",
        fullName=(f"VMware ESXi {sim.api_version} build-20000000 (aiovsphere simulator)"
                  if esx else
                  f"VMware vCenter Server {sim.api_version} build-20000000 "
                  "(aiovsphere simulator)"),
        vendor="VMware, Inc.", version=sim.api_version, build="20000000",
        localeVersion="INTL", localeBuild="000", osType="linux-x64",
        productLineId="embeddedEsx" if esx else "vpx",
        apiType="HostAgent" if esx else "VirtualCenter",
        apiVersion=sim.api_version,
        instanceUuid="a5e0c7b5-1c1d-4a3e-9c7e-000000000001",
        licenseProductName="VMware ESX Server" if esx else "VMware VirtualCenter Server",
        licenseProductVersion="8.0",
    )
    managers = {k: v for k, v in MANAGERS.items() if not (esx and k in _ESX_ABSENT)}
    content = t.ServiceContent(rootFolder=ROOT_FOLDER, about=about, **managers)  # type: ignore[arg-type]
    model = sim.model
    model.add(SimObject(SERVICE_INSTANCE, {
        "content": content,
        "capability": t.Capability(provisioningSupported=not esx,
                                   multiHostSupported=not esx,
                                   userShellAccessSupported=False,
                                   supportedEVCMode=(), networkBackupAndRestoreSupported=False),
        "serverClock": None,
    }, dynamic={"serverClock": lambda _ctx: now()}))
    from aiovsphere.simulator._handlers.service import session_list, user_session

    for ref in managers.values():
        obj = SimObject(ref, _manager_props(ref))
        if ref.type == "SessionManager":
            obj.dynamic.update(currentSession=user_session, sessionList=session_list)
        model.add(obj)


def _manager_props(ref: Ref) -> dict[str, Any]:
    if ref.type == "SessionManager":
        return {"message": None, "messageLocaleList": ("en",), "supportedLocaleList": ("en",),
                "defaultLocale": "en"}
    if ref.type == "TaskManager":
        return {"recentTask": (), "maxCollector": 32}
    if ref.type == "OptionManager":
        return {"setting": (), "supportedOption": ()}
    return {}
