"""SOAP faults as typed exceptions: detail element spellings, unknown faults, no detail,
the exception tree, faults inside a missingSet, pickling."""

from __future__ import annotations

import pickle

import pytest

import aiovsphere
from aiovsphere import ManagedObjectReference, SoapFault
from aiovsphere import faults as F
from aiovsphere.soap.envelope import body_of, fault_from, is_fault
from aiovsphere.vim import types

from .support import NS_SOAPENV, NS_XSI, decoder, golden, parse


def fault_of(body: bytes | str, method: str = "Login") -> SoapFault:
    element = body_of(parse(body))
    assert is_fault(element)
    return fault_from(element, decoder(), method)


def envelope(detail: str | None, faultstring: str | None = "msg",
             faultcode: str = "ServerFaultCode") -> str:
    fs = "" if faultstring is None else f"<faultstring>{faultstring}</faultstring>"
    det = "" if detail is None else f"<detail>{detail}</detail>"
    return (
        f'<soapenv:Envelope xmlns:soapenv="{NS_SOAPENV}" xmlns:xsi="{NS_XSI}">'
        f"<soapenv:Body><soapenv:Fault><faultcode>{faultcode}</faultcode>{fs}{det}"
        f"</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )


# ============================================================================ golden captures


def test_vcenter_invalid_login() -> None:
    exc = fault_of(golden("fault_invalid_login.xml"))
    assert type(exc) is F.InvalidLogin
    assert isinstance(exc, F.VimFault) and isinstance(exc, F.MethodFault)
    assert isinstance(exc, aiovsphere.SoapFault) and isinstance(exc, aiovsphere.VSphereError)
    assert exc.fault_name == "InvalidLogin"
    assert type(exc.fault) is types.InvalidLogin
    assert exc.faultstring == "Cannot complete login due to an incorrect user name or password."
    assert exc.method == "Login"
    assert str(exc) == ("Login: InvalidLogin: Cannot complete login due to an incorrect user "
                        "name or password.")


def test_vcsim_fault_element_with_prefixed_xsi_type() -> None:
    exc = fault_of(golden("fault_vcsim_not_found.xml"), "PowerOnVM_Task")
    assert type(exc) is F.ManagedObjectNotFound
    assert isinstance(exc, F.RuntimeFault)
    assert exc.fault.obj == ManagedObjectReference("VirtualMachine", "vm-999")
    assert exc.faultstring.startswith("The object 'vim.VirtualMachine:vm-999' has already")


def test_fault_with_message_and_task() -> None:
    exc = fault_of(golden("fault_task_in_progress.xml"), "ReconfigVM_Task")
    assert type(exc) is F.TaskInProgress
    assert exc.fault.task == ManagedObjectReference("Task", "task-311")
    (message,) = exc.fault.faultMessage
    assert message.key == "com.vmware.vim.vpxd.vm.busy"
    assert [(a.key, a.value) for a in message.arg] == [("vm", "web-01")]
    assert exc.localized_message == "Another task is already in progress on web-01."


# ============================================================================ spellings


@pytest.mark.parametrize(
    ("detail", "cls", "name"),
    [
        ('<InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"/>', "InvalidLogin",
         "InvalidLogin"),
        ('<InvalidLoginFault xmlns="urn:vim25"/>', "InvalidLogin", "InvalidLogin"),
        ('<InvalidLogin xmlns="urn:vim25"/>', "InvalidLogin", "InvalidLogin"),
        ('<InvalidLogin xmlns="urn:vim25" xsi:type="InvalidLogin"/>', "InvalidLogin",
         "InvalidLogin"),
        ('<Fault xmlns="urn:vim25" xsi:type="InvalidLogin"/>', "InvalidLogin", "InvalidLogin"),
        ("<Fault xsi:type='InvalidLogin'></Fault>", "InvalidLogin", "InvalidLogin"),
        ('<Fault xmlns:v="urn:vim25" xsi:type="v:InvalidLogin"/>', "InvalidLogin",
         "InvalidLogin"),
        # a bare <Fault> names no type
        ('<Fault xmlns="urn:vim25"/>', "MethodFault", "MethodFault"),
        # types whose own name ends in "Fault": <XFault> is WSDL, <X> is what some send
        ('<RuntimeFaultFault xmlns="urn:vim25"/>', "RuntimeFault", "RuntimeFault"),
        ('<RuntimeFault xmlns="urn:vim25"/>', "RuntimeFault", "RuntimeFault"),
        ('<SnapshotFaultFault xmlns="urn:vim25"/>', "SnapshotFault", "SnapshotFault"),
        ('<SnapshotFault xmlns="urn:vim25"/>', "SnapshotFault", "SnapshotFault"),
        ('<VimFault xmlns="urn:vim25"/>', "VimFault", "VimFault"),
        ('<NotAuthenticatedFault xmlns="urn:vim25" xsi:type="NotAuthenticated"/>',
         "NotAuthenticated", "NotAuthenticated"),
        # xsi:type wins over the element name
        ('<InvalidStateFault xmlns="urn:vim25" xsi:type="InvalidPowerState">'
         "<existingState>poweredOff</existingState></InvalidStateFault>",
         "InvalidPowerState", "InvalidPowerState"),
    ],
)
def test_detail_element_spellings(detail: str, cls: str, name: str) -> None:
    exc = fault_of(envelope(detail))
    assert type(exc) is getattr(F, cls)
    assert exc.fault_name == name
    assert type(exc.fault).__name__ == name
    assert isinstance(exc.fault, types.MethodFault)
    assert exc.faultstring == "msg"


def test_fault_members_decoded_with_subtype() -> None:
    exc = fault_of(envelope(
        '<InvalidStateFault xmlns="urn:vim25" xsi:type="InvalidPowerState">'
        "<requestedState>poweredOn</requestedState><existingState>poweredOff</existingState>"
        "</InvalidStateFault>"))
    assert isinstance(exc, F.InvalidState)
    assert exc.fault.existingState is types.VirtualMachinePowerState.poweredOff
    assert exc.fault.requestedState is types.VirtualMachinePowerState.poweredOn


# ============================================================================ unknown faults


@pytest.mark.parametrize(
    "detail",
    [
        '<FutureQuantumFault xmlns="urn:vim25" xsi:type="FutureQuantum"><msg>decohered</msg>'
        "<qubit>3</qubit></FutureQuantumFault>",
        '<FutureQuantumFault xmlns="urn:vim25"><msg>decohered</msg><qubit>3</qubit>'
        "</FutureQuantumFault>",
        '<Fault xmlns="urn:vim25" xsi:type="FutureQuantum"><msg>decohered</msg><qubit>3</qubit>'
        "</Fault>",
    ],
)
def test_unknown_fault_maps_to_method_fault(detail: str) -> None:
    exc = fault_of(envelope(detail, faultstring="quantum failure"))
    assert type(exc) is F.MethodFault
    assert exc.fault_name == "FutureQuantum"
    assert type(exc.fault).__name__ == "FutureQuantum"
    assert type(exc.fault).__mro__[1] is types.MethodFault
    assert exc.fault.msg == "decohered"
    assert exc.fault.model_extra == {"qubit": "3"}
    assert exc.localized_message == "decohered"
    assert str(exc) == "Login: FutureQuantum: quantum failure"


def test_unknown_fault_caught_as_soap_fault() -> None:
    with pytest.raises(aiovsphere.SoapFault) as info:
        raise fault_of(envelope('<NewFault xmlns="urn:vim25" xsi:type="Brand_New"/>'))
    assert info.value.fault_name == "Brand_New"


def test_malformed_detail_still_gives_the_typed_exception() -> None:
    exc = fault_of(envelope(
        '<NotEnoughCpusFault xmlns="urn:vim25" xsi:type="NotEnoughCpus">'
        "<numCpuDest>many</numCpuDest><numCpuVm>4</numCpuVm></NotEnoughCpusFault>"))
    assert type(exc) is F.NotEnoughCpus
    assert exc.fault is None
    assert exc.fault_name == "NotEnoughCpus"


# ============================================================================ degenerate


@pytest.mark.parametrize("faultstring", ["", None])
def test_empty_or_missing_faultstring(faultstring: str | None) -> None:
    exc = fault_of(envelope('<NoPermissionFault xmlns="urn:vim25" xsi:type="NoPermission">'
                            "<privilegeId>VirtualMachine.Interact.PowerOn</privilegeId>"
                            "</NoPermissionFault>", faultstring=faultstring))
    assert type(exc) is F.NoPermission
    assert exc.faultstring == ""
    assert exc.fault.privilegeId == "VirtualMachine.Interact.PowerOn"
    assert str(exc) == "Login: NoPermission: NoPermission"


def test_faultstring_whitespace_trimmed() -> None:
    exc = fault_of(envelope(None, faultstring="\n  A general system error occurred \n"))
    assert exc.faultstring == "A general system error occurred"


@pytest.mark.parametrize("detail", [None, "", "   ", "<!-- nothing -->"])
def test_no_detail(detail: str | None) -> None:
    exc = fault_of(envelope(detail, faultstring="A general system error occurred: boom"))
    assert type(exc) is F.MethodFault
    assert exc.fault is None
    assert exc.fault_name == "MethodFault"
    assert exc.localized_message == "A general system error occurred: boom"
    assert str(exc) == "Login: MethodFault: A general system error occurred: boom"


def test_no_detail_and_no_faultstring() -> None:
    exc = fault_of(envelope(None, faultstring=None))
    assert type(exc) is F.MethodFault
    assert (exc.fault, exc.faultstring, exc.fault_name) == (None, "", "MethodFault")
    assert str(exc) == "Login: MethodFault: MethodFault"


# ============================================================================ exception tree


def test_exception_hierarchy() -> None:
    assert F.InvalidLogin.__mro__[:5] == (
        F.InvalidLogin, F.VimFault, F.MethodFault, aiovsphere.SoapFault,
        aiovsphere.VSphereError)
    assert issubclass(F.NoPermission, F.SecurityError)
    assert issubclass(F.SecurityError, F.RuntimeFault)
    assert issubclass(F.RuntimeFault, F.MethodFault)
    assert not issubclass(F.InvalidLogin, F.RuntimeFault)
    assert F.InvalidLogin.__module__ == "aiovsphere.faults"
    assert F.fault_class("InvalidLogin") is F.InvalidLogin
    # unknown names and non-fault data types fall back to MethodFault
    assert F.fault_class("NoSuchFaultAnywhere") is F.MethodFault
    assert F.fault_class("OptionValue") is F.MethodFault
    with pytest.raises(AttributeError):
        F.OptionValue  # noqa: B018
    with pytest.raises(AttributeError):
        F.NoSuchFaultAnywhere  # noqa: B018


def test_except_clauses_catch_by_base() -> None:
    exc = fault_of(golden("fault_invalid_login.xml"))
    caught = []
    for base in (F.InvalidLogin, F.VimFault, F.MethodFault, aiovsphere.SoapFault):
        try:
            raise exc
        except base as e:
            caught.append(e)
    assert caught == [exc] * 4
    with pytest.raises(F.InvalidLogin):
        raise exc


def test_constructed_fault_takes_name_from_data_object() -> None:
    exc = F.NoPermission("denied", fault=types.NoPermission(privilegeId="System.View"))
    assert exc.fault_name == "NoPermission"
    assert exc.localized_message == "denied"
    assert str(exc) == "NoPermission: denied"


# ============================================================================ missingSet


def test_fault_inside_missing_set() -> None:
    from aiovsphere.vim._schema import schema

    result = decoder().returnval(
        body_of(parse(golden("vcsim_retrieve_properties.xml"))),
        schema().method("PropertyCollector", "RetrievePropertiesEx"))
    content = result.objects[1]
    assert content.propSet == ()
    (missing,) = content.missingSet
    assert type(missing) is types.MissingProperty
    assert missing.path == "config"
    assert type(missing.fault) is types.LocalizedMethodFault
    assert type(missing.fault.fault) is types.NoPermission
    assert missing.fault.fault.object == ManagedObjectReference("VirtualMachine", "vm-43")
    assert missing.fault.fault.privilegeId == "System.Read"
    assert missing.fault.localizedMessage == "Permission to perform this operation was denied."
    # it can be raised as the matching exception
    exc = F.fault_class(type(missing.fault.fault).__name__)(
        missing.fault.localizedMessage, fault=missing.fault.fault)
    assert isinstance(exc, F.SecurityError)


# ============================================================================ pickling


@pytest.mark.parametrize(
    "body",
    [
        golden("fault_invalid_login.xml"),
        golden("fault_task_in_progress.xml"),
        golden("fault_vcsim_not_found.xml"),
        envelope('<FutureQuantumFault xmlns="urn:vim25" xsi:type="FutureQuantum">'
                 "<msg>m</msg><qubit>3</qubit></FutureQuantumFault>").encode(),
        envelope(None, faultstring="no detail").encode(),
    ],
    ids=["InvalidLogin", "TaskInProgress", "vcsim", "unknown", "no-detail"],
)
def test_exceptions_pickle_round_trip(body: bytes) -> None:
    exc = fault_of(body, "SomeMethod")
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        back = pickle.loads(pickle.dumps(exc, protocol))
        assert type(back) is type(exc)
        assert back.fault == exc.fault
        assert type(back.fault) is type(exc.fault)
        assert (back.fault_name, back.faultstring, back.method, back.task) == (
            exc.fault_name, exc.faultstring, exc.method, exc.task)
        assert back.localized_message == exc.localized_message
        assert str(back) == str(exc)
        assert back.args == exc.args


def test_pickle_keeps_task() -> None:
    exc = F.InvalidState("bad state", fault=types.InvalidState(), method="PowerOnVM_Task",
                         task=ManagedObjectReference("Task", "task-9"))
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is F.InvalidState
    assert back.task == ManagedObjectReference("Task", "task-9")
    assert str(back) == "PowerOnVM_Task: InvalidState: bad state"
