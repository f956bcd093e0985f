"""Privileges and session isolation in the embedded simulator: a read-only user cannot
change anything; one session cannot see, use or destroy another's views, collectors,
filters or paging tokens; TerminateSession ends the other session's waits; secrets
(passwords, cookies, clone tickets) never show in faults, logs or reprs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere.simulator import Simulator, User
from aiovsphere.simulator._model import SimObject
from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as Ref

from .test_adv_sim_support import call, login_raw, post, soap_fault

PASSWORD = "Adv-S1m-S3cret!pw"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    users = {"admin": User(PASSWORD), "viewer": User(PASSWORD, "ReadOnly")}
    async with Simulator(users=users, task_seconds=0) as sim:
        yield sim


def named(sim: Simulator, name: str, kind: str = "VirtualMachine") -> SimObject:
    return next(o for o in sim.model.of_type(kind) if o.props.get("name") == name)


def fingerprint(sim: Simulator) -> dict[Ref, tuple[Any, ...]]:
    """What a modification would change: every object, its name, power state, config."""
    out: dict[Ref, tuple[Any, ...]] = {}
    for obj in sim.model:
        if obj.owner is not None:
            continue
        runtime = obj.props.get("runtime")
        out[obj.ref] = (obj.props.get("name"), getattr(runtime, "powerState", None),
                        obj.props.get("config"), obj.props.get("childEntity"),
                        obj.props.get("info"), obj.props.get("setting"))
    return out


async def test_a_read_only_user_changes_nothing(sim: Simulator) -> None:
    async with aiovsphere.connect(sim.url, user="admin", password=PASSWORD) as admin:
        vm = named(sim, "DC0_H0_VM0").ref
        off_vm = named(sim, "DC0_H0_VM1").ref
        await admin.wait_for_task(await admin.invoke(off_vm, "PowerOffVM_Task"))
        snapshot = await admin.wait_for_task(await admin.invoke(
            vm, "CreateSnapshot_Task", name="s1", memory=False, quiesce=False))
        template = named(sim, "DC0_C0_RP0_VM1").ref
        await admin.wait_for_task(await admin.invoke(template, "PowerOffVM_Task"))
        await admin.invoke(template, "MarkAsTemplate")
        ext_task = (await admin.invoke(admin.service("taskManager"), "CreateTask", obj=vm,
                                       taskTypeId="adv.task", cancelable=True)).task
        dc = named(sim, "DC0", "Datacenter")
        vm_folder, host_folder = dc.props["vmFolder"], dc.props["hostFolder"]
        pool = sim.model.get(vm).props["resourcePool"]
        admin_key = next(s.key for s in sim.sessions.values() if s.user == "admin")
        settings = admin.service("setting")
        assert settings is not None

        async with aiovsphere.connect(sim.url, user="viewer", password=PASSWORD) as ro:
            before = fingerprint(sim)
            tasks_before = len(sim.model.of_type("Task"))
            calls: list[tuple[Ref, str, dict[str, Any]]] = [
                (vm, "PowerOffVM_Task", {}), (off_vm, "PowerOnVM_Task", {}),
                (vm, "ResetVM_Task", {}), (vm, "SuspendVM_Task", {}),
                (vm, "ShutdownGuest", {}), (vm, "RebootGuest", {}), (vm, "StandbyGuest", {}),
                (vm, "Rename_Task", {"newName": "pwned"}), (off_vm, "Destroy_Task", {}),
                (vm_folder, "Rename_Task", {"newName": "pwned"}),
                (vm, "ReconfigVM_Task", {"spec": t.VirtualMachineConfigSpec(numCPUs=2)}),
                (off_vm, "MarkAsTemplate", {}),
                (template, "MarkAsVirtualMachine", {"pool": pool}),
                (vm, "CloneVM_Task", {"folder": vm_folder, "name": "pwned",
                                      "spec": t.VirtualMachineCloneSpec(
                                          location=t.VirtualMachineRelocateSpec(),
                                          powerOn=False, template=False)}),
                (vm, "CreateSnapshot_Task", {"name": "s2", "memory": False,
                                             "quiesce": False}),
                (snapshot, "RevertToSnapshot_Task", {}),
                (vm, "RevertToCurrentSnapshot_Task", {}),
                (snapshot, "RemoveSnapshot_Task", {"removeChildren": False}),
                (vm, "RemoveAllSnapshots_Task", {}),
                (snapshot, "RenameSnapshot", {"name": "pwned"}),
                (vm_folder, "CreateFolder", {"name": "pwned"}),
                (admin.content.rootFolder, "CreateDatacenter", {"name": "pwned"}),
                (host_folder, "CreateClusterEx", {"name": "pwned",
                                                  "spec": t.ClusterConfigSpecEx()}),
                (vm_folder, "MoveIntoFolder_Task", {"list": [vm]}),
                (pool, "CreateResourcePool", {"name": "pwned",
                                              "spec": _pool_spec()}),
                (pool, "UpdateConfig", {"name": "pwned"}),
                (pool, "DestroyChildren", {}),
                (settings, "UpdateOptions", {"changedValue": [t.OptionValue(
                    key="event.maxAge", value=1)]}),
                (admin.service("eventManager"), "PostEvent", {"eventToPost": t.GeneralUserEvent(
                    key=0, chainId=0, createdTime=_now(), userName="x", message="pwned")}),
                (admin.service("sessionManager"), "TerminateSession",
                 {"sessionId": [admin_key]}),
                (admin.service("taskManager"), "CreateTask", {
                    "obj": vm, "taskTypeId": "x", "cancelable": True}),
                (ext_task, "SetTaskState", {"state": "success"}),
                (ext_task, "UpdateProgress", {"percentDone": 5}),
                (ext_task, "SetTaskDescription", {"description": t.LocalizableMessage(
                    key="k", message="pwned")}),
                (ext_task, "CancelTask", {}),
            ]
            refused: dict[str, str] = {}
            for ref, method, params in calls:
                try:
                    await ro.invoke(ref, method, **params)
                except faults.NoPermission as exc:
                    refused[method] = exc.fault.privilegeId
                    assert exc.fault.object == ref
            assert sorted(refused) == sorted({m for _r, m, _p in calls})
            assert all(refused.values())  # a privilege is named
            assert refused["PowerOnVM_Task"] == "VirtualMachine.Interact.PowerOn"
            await asyncio.sleep(0)  # a task wrongly started would be queued by now
            assert fingerprint(sim) == before
            assert len(sim.model.of_type("Task")) == tasks_before
            # Reading is allowed.
            assert (await ro.get_properties(vm, ["name"]))["name"] == "DC0_H0_VM0"


def _pool_spec() -> Any:
    alloc = t.ResourceAllocationInfo(reservation=0, expandableReservation=True, limit=-1,
                                     shares=t.SharesInfo(level="normal", shares=4000))
    return t.ResourceConfigSpec(cpuAllocation=alloc, memoryAllocation=alloc)


def _now() -> Any:
    from aiovsphere.simulator._context import now

    return now()


async def test_paging_tokens_filters_and_versions_are_per_session(sim: Simulator) -> None:
    async with aiovsphere.connect(sim.url, user="admin", password=PASSWORD) as a, \
            aiovsphere.connect(sim.url, user="admin", password=PASSWORD) as b:
        pc = a.service("propertyCollector")
        spec = t.PropertyFilterSpec(
            propSet=(t.PropertySpec(type="ManagedEntity", pathSet=("name",)),),
            objectSet=tuple(t.ObjectSpec(obj=o.ref) for o in sim.model.of_type(
                "VirtualMachine")))
        page = await a.invoke(pc, "RetrievePropertiesEx", specSet=[spec],
                              options=t.RetrieveOptions(maxObjects=1))
        assert page.token is not None
        with pytest.raises(faults.InvalidArgument):
            await b.invoke(pc, "ContinueRetrievePropertiesEx", token=page.token)
        with pytest.raises(faults.InvalidArgument):
            await b.invoke(pc, "CancelRetrievePropertiesEx", token=page.token)
        seen = [o.obj for o in page.objects]
        token = page.token
        while token is not None:  # the token still works for its own session
            more = await a.invoke(pc, "ContinueRetrievePropertiesEx", token=token)
            seen.extend(o.obj for o in more.objects)
            token = more.token
        assert sorted(r.value for r in seen) == sorted(
            o.ref.value for o in sim.model.of_type("VirtualMachine"))

        flt = await a.invoke(pc, "CreateFilter", spec=spec, partialUpdates=False)
        assert (await a.get_properties(pc, ["filter"]))["filter"] == (flt,)
        assert not (await b.get_properties(pc, ["filter"])).get("filter")
        with pytest.raises(faults.ManagedObjectNotFound):
            await b.invoke(flt, "DestroyPropertyFilter")
        first = await a.invoke(pc, "WaitForUpdatesEx", version="",
                               options=t.WaitOptions(maxWaitSeconds=0))
        # b has no filter on the shared collector: a's version means nothing to it.
        with pytest.raises(faults.InvalidCollectorVersion):
            await b.invoke(pc, "WaitForUpdatesEx", version=first.version,
                           options=t.WaitOptions(maxWaitSeconds=0))
        assert flt in sim.model


async def test_terminate_session_ends_the_other_sessions_wait(sim: Simulator) -> None:
    async with aiohttp.ClientSession() as http, \
            aiovsphere.connect(sim.url, user="admin", password=PASSWORD) as admin:
        cookie = await login_raw(http, sim.url, "admin", PASSWORD)
        victim = sim.sessions[cookie].key
        own = await post(http, sim.url, call("CreatePropertyCollector", "PropertyCollector",
                                             "propertyCollector"), cookie)
        collector = own.text.split('type="PropertyCollector">')[1].split("<")[0]
        await post(http, sim.url, call(
            "CreateFilter", "PropertyCollector", collector,
            "<spec><propSet><type>Folder</type><pathSet>name</pathSet></propSet>"
            '<objectSet><obj type="Folder">group-d1</obj></objectSet></spec>'
            "<partialUpdates>false</partialUpdates>"), cookie)
        await post(http, sim.url, call("WaitForUpdatesEx", "PropertyCollector", collector,
                                       "<version></version>"), cookie)
        waits = [asyncio.ensure_future(post(http, sim.url, call(
            "WaitForUpdatesEx", "PropertyCollector", where, "<version>1</version>"), cookie))
            for where in (collector,)]
        await asyncio.sleep(0.05)
        assert not any(w.done() for w in waits)
        await admin.invoke(admin.service("sessionManager"), "TerminateSession",
                           sessionId=[victim])
        async with asyncio.timeout(3):
            answers = await asyncio.gather(*waits)
        assert [soap_fault(a) for a in answers] in (["NotAuthenticated"],
                                                   ["RequestCanceled"])
        assert not any(o.owner == victim for o in sim.model)
        # The admin goes on.
        assert (await admin.get_properties(admin.content.rootFolder, ["name"]))["name"]


async def test_a_read_only_user_cannot_list_everyones_sessions_tolerance(
        sim: Simulator) -> None:
    """Regression guard for what works: a read-only user cannot end other sessions."""
    async with aiovsphere.connect(sim.url, user="admin", password=PASSWORD) as admin, \
            aiovsphere.connect(sim.url, user="viewer", password=PASSWORD) as ro:
        key = next(s.key for s in sim.sessions.values() if s.user == "admin")
        with pytest.raises(faults.NoPermission):
            await ro.invoke(ro.service("sessionManager"), "TerminateSession",
                            sessionId=[key])
        assert await admin.invoke(admin.service("sessionManager"), "SessionIsActive",
                                  sessionID=key, userName="admin") is True


async def test_a_read_only_user_cannot_enumerate_or_probe_sessions(sim: Simulator) -> None:
    async with aiovsphere.connect(sim.url, user="admin", password=PASSWORD), \
            aiovsphere.connect(sim.url, user="viewer", password=PASSWORD) as ro:
        admin_key = next(s.key for s in sim.sessions.values() if s.user == "admin")
        manager = ro.service("sessionManager")
        records = await ro.retrieve([manager], ["sessionList"], missing="record")
        listed = records[0].get("sessionList") if "sessionList" not in records[0].missing \
            else ()
        assert admin_key not in [s.key for s in listed or ()]
        with pytest.raises(faults.NoPermission):
            await ro.invoke(manager, "SessionIsActive", sessionID=admin_key,
                            userName="admin")


async def test_secrets_stay_out_of_faults_logs_and_reprs(
        sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = [PASSWORD]
    async with aiohttp.ClientSession() as http:
        bad = await post(http, sim.url, call(
            "Login", "SessionManager", "SessionManager",
            f"<userName>admin</userName><password>{PASSWORD}x</password>"))
        assert soap_fault(bad) == "InvalidLogin"
        for inner in (f"<userName>admin</userName><password><x>{PASSWORD}</x></password>",
                      f"<userName>admin</userName><password>{PASSWORD}</password>"
                      f"<bogus>{PASSWORD}</bogus>",
                      f'<userName>admin</userName><password xsi:type="xsd:int">{PASSWORD}'
                      "x</password>"):
            answer = await post(http, sim.url, call("Login", "SessionManager",
                                                    "SessionManager", inner))
            assert answer.status == 500 and PASSWORD not in answer.text
        cookie = await login_raw(http, sim.url, "admin", PASSWORD)
        secrets.append(cookie)
        ticket_answer = await post(http, sim.url, call(
            "AcquireCloneTicket", "SessionManager", "SessionManager"), cookie)
        ticket = ticket_answer.text.split("<returnval>")[1].split("<")[0]
        secrets.append(ticket)
        cloned = await post(http, sim.url, call("CloneSession", "SessionManager",
                                                "SessionManager",
                                                f"<cloneTicket>{ticket}</cloneTicket>"))
        secrets.append(cloned.cookie)
        again = await post(http, sim.url, call("CloneSession", "SessionManager",
                                               "SessionManager",
                                               f"<cloneTicket>{ticket}</cloneTicket>"))
        assert soap_fault(again) == "InvalidLogin"  # a ticket works once
        for answer in (bad, again):
            assert not [s for s in secrets if s in answer.text]
    async with aiovsphere.connect(sim.url, user="admin", password=PASSWORD) as client:
        secrets.extend(sim.sessions)  # every live cookie, the client's own included
        await client.get_properties(client.content.rootFolder, ["name"])
        with pytest.raises(faults.InvalidLogin) as info:
            await client.invoke(client.service("sessionManager"), "Login", userName="admin",
                                password=PASSWORD + "wrong")
        assert PASSWORD not in str(info.value) and PASSWORD not in repr(info.value)
    texts = [caplog.text, repr(sim), repr(sim.faults), repr(sim.users),
             *(repr(u) for u in (sim.users or {}).values())]
    for text in texts:
        assert not [s for s in secrets if s in text], text[:300]


async def test_a_session_repr_hides_its_cookie(sim: Simulator) -> None:
    async with aiovsphere.connect(sim.url, user="admin", password=PASSWORD):
        session = next(iter(sim.sessions.values()))
        assert session.cookie not in repr(session)


@pytest.mark.parametrize("how", ["pause-terminate", "delay-expire"])
async def test_a_call_held_while_its_session_ends_is_not_authenticated(
        sim: Simulator, how: str) -> None:
    vm = named(sim, "DC0_H0_VM0")
    async with aiohttp.ClientSession() as http, \
            aiovsphere.connect(sim.url, user="admin", password=PASSWORD) as admin:
        cookie = await login_raw(http, sim.url, "admin", PASSWORD)
        key = sim.sessions[cookie].key
        body = call("PowerOffVM_Task", "VirtualMachine", vm.ref.value)
        if how == "pause-terminate":
            async with sim.faults.paused(method="PowerOffVM_Task") as pause:
                held = asyncio.ensure_future(post(http, sim.url, body, cookie))
                async with asyncio.timeout(5):
                    await pause.wait_held(1)
                await admin.invoke(admin.service("sessionManager"), "TerminateSession",
                                   sessionId=[key])
        else:
            sim.faults.delay(0.3, method="PowerOffVM_Task")
            held = asyncio.ensure_future(post(http, sim.url, body, cookie))
            async with asyncio.timeout(5):
                await sim.faults.wait_injected("delay", "PowerOffVM_Task")
            sim.faults.expire_sessions()
        assert cookie not in sim.sessions
        answer = await held
        await asyncio.sleep(0.05)  # a task wrongly started has run by now (task_seconds=0)
        assert str(vm.props["runtime"].powerState) == "poweredOn"
        assert soap_fault(answer) == "NotAuthenticated", answer
