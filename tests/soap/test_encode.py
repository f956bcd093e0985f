"""Encoding requests: escaping, anyType xsi:types, schema order, versions, and typed errors."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from lxml import etree

from aiovsphere import EncodeError, ManagedObjectReference, VersionError
from aiovsphere.soap.codec import decode_value, encode_value, escape_text
from aiovsphere.vim import types
from aiovsphere.vim.anytype import AnyArray, Byte, Double, Float, Int, Long, Short

from .support import (
    NS_SOAPENV,
    NS_VIM,
    NS_XSD,
    S,
    children,
    decoder,
    encoder,
    fragment,
    local,
    request_args,
    xsi_type,
)

SM = ManagedObjectReference("SessionManager", "SessionManager")
OM = ManagedObjectReference("OptionManager", "VpxSettings")
VM = ManagedObjectReference("VirtualMachine", "vm-42")


def login(version: str | None = None, **args: Any) -> etree._Element:
    return request_args(encoder(version).call(S.method("SessionManager", "Login"), SM, args))


def update_options(values: list[Any], version: str | None = None) -> etree._Element:
    method = S.method("OptionManager", "UpdateOptions")
    return request_args(encoder(version).call(method, OM, {"changedValue": values}))


def any_value(value: Any) -> etree._Element:
    """The <value> element of OptionValue(key="k", value=value) in an UpdateOptions call."""
    (opt,) = update_options([types.OptionValue(key="k", value=value)]).iterfind(
        f"{{{NS_VIM}}}changedValue")
    (el,) = opt.iterfind(f"{{{NS_VIM}}}value")
    return el


def reconfig(spec: Any, version: str | None = None) -> etree._Element:
    method = S.method("VirtualMachine", "ReconfigVM_Task")
    return request_args(encoder(version).call(method, VM, {"spec": spec}))


# ============================================================================ envelope


def test_envelope_shape_and_this() -> None:
    body = encoder().call(S.method("SessionManager", "Login"), SM,
                          {"userName": "u", "password": "p"})
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    method = request_args(body)
    assert method.tag == f"{{{NS_VIM}}}Login"
    assert children(method) == ["_this", "userName", "password"]
    this = method[0]
    assert (this.get("type"), this.text, this.attrib.keys()) == (
        "SessionManager", "SessionManager", ["type"])
    root = etree.fromstring(body)
    assert root.nsmap["soapenv"] == NS_SOAPENV


# ============================================================================ escaping

SPECIAL = [
    "a & b",
    "<tag attr=\"v\">",
    "it's > it is",
    "]]> cdata end",
    "line1\r\nline2\rline3\n",
    "\ttabbed\t",
    "  leading and trailing  ",
    "emoji 😀🚀 and flags 🇯🇵",
    "CJK 日本語 中文 한국어",
    "combining e\u0301 and RTL \u05e9\u05dc\u05d5\u05dd",
    "NEL \x85 LS \u2028 DEL \x7f BOM \ufeff",
    "&amp; already escaped &lt;",
    "",
]


class TestEscaping:
    @pytest.mark.parametrize("text", SPECIAL)
    def test_text_round_trips_through_lxml(self, text: str) -> None:
        method = login(userName=text, password=text + "!")
        assert method[1].text in (text, None if text == "" else text)
        assert (method[1].text or "") == text
        assert method[2].text == text + "!"

    def test_carriage_return_is_a_character_reference(self) -> None:
        body = encoder().call(S.method("SessionManager", "Login"), SM,
                              {"userName": "a\r\nb", "password": "p"})
        assert b"<userName>a&#13;\nb</userName>" in body
        assert escape_text("x\ry") == "x&#13;y"

    def test_markup_characters_escaped_in_the_bytes(self) -> None:
        body = encoder().call(S.method("SessionManager", "Login"), SM,
                              {"userName": "<&>", "password": "\"'"})
        assert b"<userName>&lt;&amp;&gt;</userName>" in body
        assert b"<password>\"'</password>" in body

    def test_non_ascii_sent_as_utf8(self) -> None:
        body = encoder().call(S.method("SessionManager", "Login"), SM,
                              {"userName": "日本😀", "password": "p"})
        assert "<userName>日本😀</userName>".encode() in body

    @pytest.mark.parametrize("text", ['q"uote', "new\nline", "tab\there", "cr\r", "<&>", "é😀"])
    def test_moref_attributes_round_trip(self, text: str) -> None:
        ref = ManagedObjectReference("VirtualMachine", f"vm {text}", serverGuid=f"g{text}")
        method = reconfig_with_moref(ref)
        assert (method.get("type"), method.get("serverGuid"), method.text) == (
            "VirtualMachine", f"g{text}", f"vm {text}")

    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("nul\x00byte", "U+0000"),
            ("unit sep \x1f", "U+001F"),
            ("vertical tab \x0b", "U+000B"),
            ("form feed \x0c", "U+000C"),
            ("lone high \ud800 surrogate", "U+D800"),
            ("lone low \udfff", "U+DFFF"),
            ("not a char \ufffe", "U+FFFE"),
            ("\uffff", "U+FFFF"),
        ],
    )
    def test_illegal_characters_refused_before_sending(self, text: str, code: str) -> None:
        with pytest.raises(EncodeError) as info:
            login(userName=text, password="p")
        assert type(info.value) is EncodeError
        assert info.value.method == "Login"
        assert info.value.path == "userName"
        assert code in str(info.value)

    def test_illegal_character_path_in_nested_and_any_positions(self) -> None:
        with pytest.raises(EncodeError) as info:
            update_options([types.OptionValue(key="ok"),
                            types.OptionValue(key="bad\x01")])
        assert info.value.path == "changedValue[1].key"
        with pytest.raises(EncodeError) as info:
            update_options([types.OptionValue(key="k", value="v\x00")])
        assert info.value.path == "changedValue[0].value"
        with pytest.raises(EncodeError) as info:
            update_options([types.OptionValue(key="k", value=ManagedObjectReference(
                "VirtualMachine", "vm-\x02"))])
        assert info.value.path == "changedValue[0].value"

    def test_illegal_character_in_moref_refused(self) -> None:
        method = S.method("SessionManager", "Login")
        with pytest.raises(EncodeError) as info:
            encoder().call(method, ManagedObjectReference("SessionManager", "s\x00"),
                           {"userName": "u", "password": "p"})
        assert info.value.path == "_this"


def reconfig_with_moref(ref: ManagedObjectReference) -> etree._Element:
    method = S.method("PropertyCollector", "RetrievePropertiesEx")
    spec = types.PropertyFilterSpec(
        propSet=(types.PropertySpec(type="VirtualMachine", pathSet=("name",)),),
        objectSet=(types.ObjectSpec(obj=ref),),
    )
    body = encoder().call(method, ManagedObjectReference("PropertyCollector", "pc"),
                          {"specSet": [spec], "options": types.RetrieveOptions()})
    (obj,) = request_args(body).iterfind(f".//{{{NS_VIM}}}obj")
    return obj


# ============================================================================ anyType


class TestAnyType:
    @pytest.mark.parametrize(
        ("value", "xsd", "text"),
        [
            (5, "long", "5"),
            (-(2**63), "long", "-9223372036854775808"),
            (Long(7), "long", "7"),
            (Int(5), "int", "5"),
            (Int(-(2**31)), "int", "-2147483648"),
            (Short(-3), "short", "-3"),
            (Byte(127), "byte", "127"),
            (Byte(-128), "byte", "-128"),
            (Float(1.5), "float", "1.5"),
            (Double(2.0), "double", "2.0"),
            (2.5, "double", "2.5"),
            (float("inf"), "double", "INF"),
            (True, "boolean", "true"),
            (False, "boolean", "false"),
            ("text", "string", "text"),
            ("", "string", None),
            (b"\x00\xff", "base64Binary", "AP8="),
            (datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC), "dateTime", "2024-05-06T07:08:09Z"),
        ],
    )
    def test_exact_xsi_type(self, value: Any, xsd: str, text: str | None) -> None:
        el = any_value(value)
        assert xsi_type(el) == (NS_XSD, xsd)
        assert el.text == text
        assert len(el) == 0

    @pytest.mark.parametrize(
        ("value", "cls"),
        [(Int(5), Int), (Short(5), Short), (Byte(5), Byte), (Long(5), Long), (5, Long),
         (Float(0.25), Float), (Double(0.25), Double), (0.25, Double)],
    )
    def test_wrapper_decodes_back_and_reencodes_the_same(self, value: Any, cls: type) -> None:
        decoded = decoder().typed(any_value(value), "anyType")
        assert type(decoded) is cls and decoded == value
        again = any_value(decoded)
        assert xsi_type(again) == xsi_type(any_value(value))
        assert again.text == any_value(value).text

    def test_any_array_of_string(self) -> None:
        el = any_value(AnyArray("string", ["a", "<b>", ""]))
        assert xsi_type(el) == (NS_VIM, "ArrayOfString")
        assert [c.tag for c in el] == [f"{{{NS_VIM}}}string"] * 3
        assert [c.text or "" for c in el] == ["a", "<b>", ""]
        assert all(xsi_type(c) is None for c in el)

    def test_empty_any_array_keeps_its_type(self) -> None:
        el = any_value(AnyArray("int", ()))
        assert xsi_type(el) == (NS_VIM, "ArrayOfInt") and len(el) == 0
        value = decoder().typed(el, "anyType")
        assert value.item_type == "int" and value == ()

    @pytest.mark.parametrize(
        ("items", "wrapper", "tag"),
        [
            ([1, 2], "ArrayOfLong", "long"),
            ((Int(1), Int(2)), "ArrayOfInt", "int"),
            (["x"], "ArrayOfString", "string"),
            ([True], "ArrayOfBoolean", "boolean"),
            ([ManagedObjectReference("Datastore", "ds-1")], "ArrayOfManagedObjectReference",
             "ManagedObjectReference"),
            ([types.OptionValue(key="a")], "ArrayOfOptionValue", "OptionValue"),
            ([types.VirtualMachinePowerState.poweredOn], "ArrayOfVirtualMachinePowerState",
             "VirtualMachinePowerState"),
        ],
    )
    def test_inferred_arrays(self, items: Any, wrapper: str, tag: str) -> None:
        el = any_value(items)
        assert xsi_type(el) == (NS_VIM, wrapper)
        assert [local(c) for c in el] == [tag] * len(items)
        decoded = decoder().typed(el, "anyType")
        assert isinstance(decoded, AnyArray) and decoded.item_type == tag
        assert list(decoded) == list(items)

    def test_moref_in_any_position(self) -> None:
        el = any_value(ManagedObjectReference("HostSystem", "host-1", serverGuid="g"))
        assert xsi_type(el) == (NS_VIM, "ManagedObjectReference")
        assert (el.get("type"), el.get("serverGuid"), el.text) == ("HostSystem", "g", "host-1")

    def test_data_object_in_any_position_always_has_xsi_type(self) -> None:
        el = any_value(types.OptionValue(key="inner", value=Int(1)))
        assert xsi_type(el) == (NS_VIM, "OptionValue")
        assert children(el) == ["key", "value"]
        assert xsi_type(el[1]) == (NS_XSD, "int")

    def test_enum_member_in_any_position_keeps_enum_type(self) -> None:
        el = any_value(types.VirtualMachinePowerState.suspended)
        assert xsi_type(el) == (NS_VIM, "VirtualMachinePowerState")
        assert el.text == "suspended"
        assert decoder().typed(el, "anyType") is types.VirtualMachinePowerState.suspended

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            (Int(2**31), "out of range for xsd:int"),
            (Short(2**15), "out of range for xsd:short"),
            (Byte(-129), "out of range for xsd:byte"),
            (2**63, "out of range for xsd:long"),
            ([1, "a"], "mixed types"),
            ([], "needs its item type"),
            (AnyArray("NoSuchType", [1]), "unknown array item type"),
            (AnyArray("int", ["1"]), "expects int"),
            (object(), "cannot send a object"),
            ({"a": 1}, "cannot send a dict"),
            ({1, 2}, "cannot send a set"),
            ([object()], "cannot send a object in an array"),
        ],
    )
    def test_bad_any_values(self, value: Any, message: str) -> None:
        with pytest.raises(EncodeError, match=message) as info:
            any_value(value)
        assert info.value.path.startswith("changedValue[0].value")
        assert info.value.method == "UpdateOptions"


# ============================================================================ encoding rules


def disk() -> Any:
    return types.VirtualDisk(
        capacityInKB=1024,
        unitNumber=0,
        controllerKey=1000,
        backing=types.VirtualDiskFlatVer2BackingInfo(diskMode="persistent", fileName=""),
        deviceInfo=types.Description(summary="s", label="l"),
        key=-1,
    )


class TestRules:
    def test_schema_order_base_type_first(self) -> None:
        spec = types.VirtualMachineConfigSpec(
            deviceChange=(types.VirtualDeviceConfigSpec(device=disk(), operation="add"),),
            memoryMB=2048,
            numCPUs=2,
            name="vm1",
        )
        method = reconfig(spec)
        (spec_el,) = method.iterfind(f"{{{NS_VIM}}}spec")
        assert children(spec_el) == ["name", "numCPUs", "memoryMB", "deviceChange"]
        change = spec_el[3]
        assert children(change) == ["operation", "device"]
        device = change[1]
        # VirtualDevice members first (schema order), then VirtualDisk's own
        assert children(device) == ["key", "deviceInfo", "backing", "controllerKey",
                                    "unitNumber", "capacityInKB"]
        assert children(device[1]) == ["label", "summary"]
        backing = device[2]
        assert children(backing) == ["fileName", "diskMode"]

    def test_xsi_type_only_where_the_type_differs(self) -> None:
        spec = types.VirtualMachineConfigSpec(
            deviceChange=(types.VirtualDeviceConfigSpec(device=disk(), operation="add"),))
        method = reconfig(spec)
        spec_el = method[1]
        change = spec_el[0]
        device = change[1]
        assert xsi_type(spec_el) is None  # declared VirtualMachineConfigSpec
        assert xsi_type(change) is None  # declared VirtualDeviceConfigSpec
        assert xsi_type(device) == (NS_VIM, "VirtualDisk")  # declared VirtualDevice
        assert xsi_type(device[1]) is None  # Description is Description
        assert xsi_type(device[2]) == (NS_VIM, "VirtualDiskFlatVer2BackingInfo")
        assert device[0].text == "-1"
        # nothing else carries one
        typed = [local(e) for e in method.iter() if e.get(
            "{http://www.w3.org/2001/XMLSchema-instance}type")]
        assert typed == ["device", "backing"]

    def test_spec_round_trips_through_the_decoder(self) -> None:
        spec = types.VirtualMachineConfigSpec(
            name="vm & co",
            deviceChange=(types.VirtualDeviceConfigSpec(device=disk(), operation="add"),))
        method = reconfig(spec)
        back = decoder().typed(method[1], "VirtualMachineConfigSpec")
        assert back == spec
        assert type(back.deviceChange[0].device) is types.VirtualDisk
        assert back.deviceChange[0].operation is types.VirtualDeviceConfigSpecOperation.add

    def test_property_newer_than_session_raises_version_error(self) -> None:
        spec = types.VirtualMachineConfigSpec(name="a", sevEnabled=True)
        with pytest.raises(VersionError) as info:
            reconfig(spec, version="6.0")
        assert isinstance(info.value, EncodeError)
        assert info.value.path == "spec.sevEnabled"
        assert info.value.method == "ReconfigVM_Task"
        assert "7.0.1.0" in str(info.value) and "6.0" in str(info.value)
        # the same property is fine on a session that speaks 7.0.1.0
        assert children(reconfig(spec, version="7.0.1.0")[1]) == ["name", "sevEnabled"]
        # and a spec without it encodes at 6.0
        assert children(reconfig(types.VirtualMachineConfigSpec(name="a"), "6.0")[1]) == [
            "name"]

    def test_unset_newer_property_is_not_an_error(self) -> None:
        spec = types.VirtualMachineConfigSpec(name="a", sevEnabled=None, vcpuConfig=())
        assert children(reconfig(spec, version="5.5")[1]) == ["name"]

    def test_data_type_newer_than_session_raises_version_error(self) -> None:
        wdt = types.VirtualWDT(key=-1)
        spec = types.VirtualMachineConfigSpec(
            deviceChange=(types.VirtualDeviceConfigSpec(device=wdt, operation="add"),))
        with pytest.raises(VersionError) as info:
            reconfig(spec, version="6.7")
        assert info.value.path == "spec.deviceChange[0].device"
        assert "VirtualWDT" in str(info.value) and "7.0.0.0" in str(info.value)

    def test_method_newer_than_session_raises_version_error(self) -> None:
        method = S.method("VirtualMachine", "QueryConnections")
        with pytest.raises(VersionError) as info:
            encoder("7.0.0.0").call(method, VM, {})
        assert info.value.method == "QueryConnections"
        assert "7.0.1.0" in str(info.value)
        assert children(request_args(encoder("7.0.1.0").call(method, VM, {}))) == ["_this"]

    def test_required_argument_missing(self) -> None:
        with pytest.raises(EncodeError) as info:
            login(password="p")
        assert type(info.value) is EncodeError
        assert (info.value.method, info.value.path) == ("Login", "userName")
        assert "is required" in str(info.value)

    def test_required_nested_member_missing(self) -> None:
        with pytest.raises(EncodeError) as info:
            update_options([types.OptionValue(value=1)])
        assert info.value.path == "changedValue[0].key"
        with pytest.raises(EncodeError) as info:
            reconfig(types.VirtualMachineConfigSpec(
                deviceChange=(types.VirtualDeviceConfigSpec(operation="add"),)))
        assert info.value.path == "spec.deviceChange[0].device"

    def test_unknown_argument(self) -> None:
        with pytest.raises(EncodeError) as info:
            login(userName="u", password="p", pasword="typo", extra=1)
        assert info.value.method == "Login"
        assert "extra, pasword" in str(info.value)
        assert "userName, password, locale" in str(info.value)

    def test_reserved_word_members_use_their_alias(self) -> None:
        event = types.AlarmStatusChangedEvent(
            key=1, chainId=1, createdTime=datetime(2024, 1, 1, tzinfo=UTC), userName="u",
            alarm=types.AlarmEventArgument(name="a", alarm=ManagedObjectReference("Alarm", "a1")),
            source=types.ManagedEntityEventArgument(
                name="s", entity=ManagedObjectReference("Folder", "f")),
            entity=types.ManagedEntityEventArgument(
                name="e", entity=ManagedObjectReference("Folder", "f")),
            from_="green", to="red",
        )
        el = etree.fromstring(encode_value(event, "Event"))
        assert xsi_type(el) == (NS_VIM, "AlarmStatusChangedEvent")
        assert "from" in children(el) and "from_" not in children(el)
        assert decode_value(el, "Event") == event

    def test_application_subclass_sent_as_its_vim_type(self) -> None:
        class MyOption(types.OptionValue):
            def describe(self) -> str:
                return f"{self.key}={self.value}"

        opt = MyOption(key="k", value=Int(1))
        el = update_options([opt])[1]
        assert xsi_type(el) is None  # an OptionValue where OptionValue is declared
        assert children(el) == ["key", "value"]
        el = any_value(opt)
        assert xsi_type(el) == (NS_VIM, "OptionValue")
        assert decoder().typed(el, "anyType") == types.OptionValue(key="k", value=Int(1))

    def test_unknown_subtype_from_a_newer_server_is_sent_back_by_wire_name(self) -> None:
        device = decoder().typed(fragment(
            '<d xsi:type="VirtualFutureDevice"><key>5</key></d>'), "VirtualDevice")
        spec = types.VirtualMachineConfigSpec(
            deviceChange=(types.VirtualDeviceConfigSpec(device=device, operation="edit"),))
        el = reconfig(spec)[1][0][1]
        assert xsi_type(el) == (NS_VIM, "VirtualFutureDevice")
        assert children(el) == ["key"]

    def test_unknown_subtype_with_unknown_members_is_refused(self) -> None:
        device = decoder().typed(fragment(
            '<d xsi:type="VirtualFutureDevice"><key>5</key><qubits>3</qubits></d>'),
            "VirtualDevice")
        spec = types.VirtualMachineConfigSpec(
            deviceChange=(types.VirtualDeviceConfigSpec(device=device, operation="edit"),))
        with pytest.raises(EncodeError, match="qubits") as info:
            reconfig(spec)
        assert info.value.path == "spec.deviceChange[0].device"

    def test_empty_string_vs_unset_vs_empty_array(self) -> None:
        spec = types.VirtualMachineConfigSpec(name="", annotation=None, deviceChange=(),
                                              extraConfig=[])
        body = encoder().call(S.method("VirtualMachine", "ReconfigVM_Task"), VM, {"spec": spec})
        assert b"<spec><name></name></spec>" in body  # "" is sent; None and () are not
        (spec_el,) = request_args(body).iterfind(f"{{{NS_VIM}}}spec")
        assert children(spec_el) == ["name"]
        back = decoder().typed(spec_el, "VirtualMachineConfigSpec")
        assert (back.name, back.annotation, back.deviceChange) == ("", None, ())

    def test_paging_token_zero_is_sent(self) -> None:
        method = S.method("PropertyCollector", "ContinueRetrievePropertiesEx")
        body = encoder().call(method, ManagedObjectReference("PropertyCollector", "pc"),
                              {"token": "0"})
        assert children(request_args(body)) == ["_this", "token"]
        assert request_args(body)[1].text == "0"
        with pytest.raises(EncodeError, match="is required"):
            encoder().call(method, ManagedObjectReference("PropertyCollector", "pc"),
                           {"token": None})

    def test_signed_byte_array_as_repeated_elements(self) -> None:
        values = (-128, -1, 0, 1, 127)
        el = etree.fromstring(encode_value(
            types.HostDigestInfo(digestMethod="SHA256", digestValue=values), "HostDigestInfo"))
        assert children(el) == ["digestMethod"] + ["digestValue"] * 5
        assert [int(c.text) for c in el[1:]] == list(values)
        assert decode_value(el, "HostDigestInfo").digestValue == values
        for bad in (128, -129):
            with pytest.raises(EncodeError, match="out of range for xsd:byte") as info:
                encode_value(types.HostDigestInfo(digestMethod="x", digestValue=(0, bad)),
                             "HostDigestInfo")
            assert info.value.path == "value.digestValue[1]"

    def test_base64_binary(self) -> None:
        data = bytes(range(256))
        el = etree.fromstring(encode_value(types.GuestRegValueBinarySpec(value=data),
                                           "GuestRegValueBinarySpec"))
        (value,) = el
        assert value.text == base64.b64encode(data).decode()
        assert "\n" not in value.text
        assert decode_value(el, "GuestRegValueBinarySpec").value == data

    def test_datetime_members_normalised(self) -> None:
        when = datetime(2024, 2, 29, 23, 30, tzinfo=timezone(timedelta(hours=-8)))
        spec = types.VirtualMachineConfigSpec(createDate=when)
        (el,) = reconfig(spec)[1]
        assert el.text == "2024-02-29T23:30:00-08:00"
        naive = types.VirtualMachineConfigSpec(createDate=datetime(2024, 1, 1, 0, 0))
        assert reconfig(naive)[1][0].text == "2024-01-01T00:00:00Z"


# ============================================================================ wrong Python types


def raw(cls: Any, **values: Any) -> Any:
    """An instance built without validation (pydantic would refuse or coerce these)."""
    return cls.model_construct(**values)


WRONG = [
    # (method owner, method, args, path, message fragment)
    ("SessionManager", "Login", {"userName": 5, "password": "p"}, "userName", "expects str"),
    ("SessionManager", "Login", {"userName": b"u", "password": "p"}, "userName", "expects str"),
    ("SessionManager", "Login", {"userName": None, "password": "p"}, "userName", "required"),
    ("OptionManager", "UpdateOptions", {"changedValue": "abc"}, "changedValue",
     "expects a sequence"),
    ("OptionManager", "UpdateOptions", {"changedValue": types.OptionValue(key="k")},
     "changedValue", "expects a sequence"),
    ("OptionManager", "UpdateOptions", {"changedValue": {"key": "k"}}, "changedValue",
     "expects a sequence"),
    ("OptionManager", "UpdateOptions", {"changedValue": 5}, "changedValue",
     "expects a sequence"),
    ("OptionManager", "UpdateOptions", {"changedValue": [None]}, "changedValue[0]",
     "cannot be None"),
    ("OptionManager", "UpdateOptions", {"changedValue": [{"key": "k"}]}, "changedValue[0]",
     "expects OptionValue, got dict"),
    ("OptionManager", "UpdateOptions", {"changedValue": [types.Description(label="l",
                                                                           summary="s")]},
     "changedValue[0]", "expects OptionValue, got Description"),
    ("VirtualMachine", "ReconfigVM_Task", {"spec": "spec"}, "spec", "expects"),
    ("VirtualMachine", "ReconfigVM_Task", {"spec": raw(types.VirtualMachineConfigSpec,
        numCPUs="2")}, "spec.numCPUs", "expects int"),
    ("VirtualMachine", "ReconfigVM_Task", {"spec": raw(types.VirtualMachineConfigSpec,
        numCPUs=True)}, "spec.numCPUs", "expects int"),
    ("VirtualMachine", "ReconfigVM_Task", {"spec": raw(types.VirtualMachineConfigSpec,
        numCPUs=2**40)}, "spec.numCPUs", "out of range"),
    ("VirtualMachine", "ReconfigVM_Task", {"spec": raw(types.VirtualMachineConfigSpec,
        memoryMB=1.5)}, "spec.memoryMB", "expects int"),
    ("VirtualMachine", "ReconfigVM_Task", {"spec": raw(types.VirtualMachineConfigSpec,
        cpuHotAddEnabled="yes")}, "spec.cpuHotAddEnabled", "expects bool"),
    ("VirtualMachine", "ReconfigVM_Task", {"spec": raw(types.VirtualMachineConfigSpec,
        createDate="2024-01-01")}, "spec.createDate", "expects datetime"),
    ("VirtualMachine", "ReconfigVM_Task", {"spec": raw(types.VirtualMachineConfigSpec,
        messageBusTunnelEnabled="yes")}, "spec.messageBusTunnelEnabled", "expects bool"),
    ("VirtualMachine", "ReconfigVM_Task", {"spec": types.VirtualMachineConfigSpec(
        numCpus=2)}, "spec", "VirtualMachineConfigSpec properties the schema lacks: numCpus"),
    ("HostSystem", "UpdateSystemResources", {"resourceInfo": raw(
        types.HostSystemResourceInfo, key="k", config=raw(types.ResourceConfigSpec,
        cpuAllocation=types.ResourceAllocationInfo(), memoryAllocation=(
            types.ResourceAllocationInfo()), changeVersion=b"v"))},
     "resourceInfo.config.changeVersion", "expects str"),
    ("VirtualMachine", "ReconfigVM_Task", {"spec": types.VirtualMachineConfigSpec(
        deviceChange=(types.VirtualDeviceConfigSpec(device=disk(), operation="explode"),))},
     "spec.deviceChange[0].operation", "not a VirtualDeviceConfigSpecOperation value"),
    ("VirtualMachine", "ReconfigVM_Task", {"spec": types.VirtualMachineConfigSpec(
        deviceChange=(raw(types.VirtualDeviceConfigSpec, device=disk(), operation=3),))},
     "spec.deviceChange[0].operation", "expects a VirtualDeviceConfigSpecOperation"),
    ("VirtualMachine", "ReconfigVM_Task", {"spec": types.VirtualMachineConfigSpec(
        deviceChange=(types.VirtualDeviceConfigSpec(device=disk(), operation=(
            types.VirtualMachinePowerState.poweredOn)),))},
     "spec.deviceChange[0].operation", "not a VirtualDeviceConfigSpecOperation value"),
    ("PropertyCollector", "ContinueRetrievePropertiesEx", {"token": 0}, "token",
     "expects str"),
    ("Datacenter", "PowerOnMultiVM_Task", {"vm": [ManagedObjectReference("HostSystem", "h")]},
     "vm[0]", "expects a VirtualMachine moref, got HostSystem"),
    ("Datacenter", "PowerOnMultiVM_Task", {"vm": ["vm-1"]}, "vm[0]",
     "expects a ManagedObjectReference"),
    ("HostSystem", "QueryTpmAttestationReport", {}, None, None),  # no args: fine
    ("PerformanceManager", "QueryPerf", {"querySpec": [raw(types.PerfQuerySpec,
        entity=ManagedObjectReference("VirtualMachine", "vm-1"), intervalId=10**30)]},
     "querySpec[0].intervalId", "out of range"),
    ("PerformanceManager", "QueryPerf", {"querySpec": [raw(types.PerfQuerySpec,
        entity=ManagedObjectReference("VirtualMachine", "vm-1"), maxSample=float("nan"))]},
     "querySpec[0].maxSample", "expects int"),
    ("ClusterComputeResource", "ApplyRecommendation", {"key": 1}, "key", "expects str"),
]


@pytest.mark.parametrize(("owner", "name", "args", "path", "message"), WRONG)
def test_wrong_python_types_raise_encode_error(
    owner: str, name: str, args: dict[str, Any], path: str | None, message: str | None
) -> None:
    method = S.method(owner, name)
    this = ManagedObjectReference(owner, "x")
    if path is None:
        assert children(request_args(encoder().call(method, this, args))) == ["_this"]
        return
    with pytest.raises(EncodeError) as info:
        encoder().call(method, this, args)
    assert info.value.path == path
    assert info.value.method == name
    assert message in str(info.value)


def test_float_member_out_of_range_is_an_encode_error() -> None:
    spec = raw(types.FloatOption, min=0.0, max=1.0, defaultValue=10**400)
    with pytest.raises(EncodeError, match="out of range for xsd:float") as info:
        encode_value(spec, "FloatOption")
    assert info.value.path == "value.defaultValue"


def test_this_must_be_a_moref() -> None:
    with pytest.raises(EncodeError) as info:
        encoder().call(S.method("SessionManager", "Login"), "SessionManager",  # type: ignore[arg-type]
                       {"userName": "u", "password": "p"})
    assert info.value.path == "_this"


def test_encode_value_and_decode_value_helpers() -> None:
    spec = types.VirtualMachineConfigSpec(name="x", numCPUs=2)
    data = encode_value(spec, "VirtualMachineConfigSpec", "6.0", tag="spec")
    el = etree.fromstring(data)  # standalone: carries its own namespace declarations
    assert el.tag == f"{{{NS_VIM}}}spec"
    assert el.nsmap == {None: NS_VIM, "xsd": NS_XSD,
                        "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
    assert children(el) == ["name", "numCPUs"] and xsi_type(el) is None
    assert decode_value(el, "VirtualMachineConfigSpec") == spec
    with pytest.raises(VersionError) as info:
        encode_value(types.VirtualMachineConfigSpec(sevEnabled=True),
                     "VirtualMachineConfigSpec", "6.0")
    assert info.value.path == "value.sevEnabled"
    any_el = etree.fromstring(encode_value(Int(3), "anyType"))
    assert xsi_type(any_el) == (NS_XSD, "int") and decode_value(any_el, "anyType") == 3
