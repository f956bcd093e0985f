"""Decoding responses: xsi:type by namespace URI, morefs, types a newer server sends, empty
values, byte arrays, anyType wrappers, and typed decode errors."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from aiovsphere import DecodeError, ManagedObjectReference
from aiovsphere.vim import types
from aiovsphere.vim._base import DataObject
from aiovsphere.vim.anytype import AnyArray, Byte, Double, Float, Int, Long, Short

from .support import NS_XSD, NS_XSI, S, decoder, fragment, golden, parse, response

XSI = f'xmlns:xsi="{NS_XSI}"'


def props(method: str, body: bytes) -> object:
    from aiovsphere.soap.envelope import body_of

    return decoder().returnval(body_of(parse(body)), S.method("PropertyCollector", method))


@pytest.fixture(scope="module")
def vcsim_result() -> types.RetrieveResult:
    result = props("RetrievePropertiesEx", golden("vcsim_retrieve_properties.xml"))
    assert isinstance(result, types.RetrieveResult)
    return result


@pytest.fixture(scope="module")
def vcsim_vals(vcsim_result: types.RetrieveResult) -> dict[str, object]:
    return {p.name: p.val for p in vcsim_result.objects[0].propSet}


# ============================================================================ xsi:type by URI


class TestXsiTypeByNamespace:
    def test_vcsim_prefix_for_xsi_and_xsd_values(self, vcsim_vals: dict[str, object]) -> None:
        # vcsim spells the attribute XMLSchema-instance:type; the values still get types.
        assert vcsim_vals["name"] == "DC0_H0_VM0 & <friends>"
        assert type(vcsim_vals["name"]) is str
        assert vcsim_vals["config.hardware.numCPU"] == 2
        assert type(vcsim_vals["config.hardware.numCPU"]) is Int
        assert vcsim_vals["config.template"] is False

    def test_xs_prefix_bound_to_xml_schema(self, vcsim_vals: dict[str, object]) -> None:
        value = vcsim_vals["summary.storage.committed"]
        assert value == 1073741824
        assert type(value) is Long

    def test_vim_prefix_on_array_wrapper(self, vcsim_vals: dict[str, object]) -> None:
        value = vcsim_vals["config.annotationTags"]
        assert isinstance(value, AnyArray)
        assert value.item_type == "string"
        assert tuple(value) == ("gold", "0", "")

    def test_enum_and_data_values_in_any_positions(self, vcsim_vals: dict[str, object]) -> None:
        state = vcsim_vals["runtime.powerState"]
        assert state is types.VirtualMachinePowerState.poweredOn
        extra = vcsim_vals["config.extraConfig"]
        assert isinstance(extra, AnyArray) and extra.item_type == "OptionValue"
        assert [type(o).__name__ for o in extra] == ["OptionValue", "OptionValue"]
        assert [(o.key, o.value) for o in extra] == [("svga.present", "TRUE"),
                                                     ("sched.mem.min", 0)]
        assert type(extra[1].value) is Long

    @pytest.mark.parametrize(
        ("decl", "qname"),
        [
            (f'xmlns:xsd="{NS_XSD}"', "xsd:int"),
            (f'xmlns:xs="{NS_XSD}"', "xs:int"),
            (f'xmlns:XMLSchema="{NS_XSD}"', "XMLSchema:int"),
            (f'xmlns:ns0="{NS_XSD}"', "ns0:int"),
            (f'xmlns="{NS_XSD}"', "int"),  # default namespace is XML Schema here
        ],
    )
    def test_any_prefix_bound_to_xsd(self, decl: str, qname: str) -> None:
        # Nothing declared on ancestors: ``xsi`` and the value's prefix live on the element.
        el = fragment(f'<val {XSI} {decl} xsi:type="{qname}">42</val>', declare=False)
        assert el.get(f"{{{NS_XSI}}}type") == qname
        value = decoder().typed(el, "anyType")
        assert value == 42 and type(value) is Int

    @pytest.mark.parametrize("attr_prefix", ["xsi", "XMLSchema-instance", "i", "p0"])
    def test_any_prefix_for_the_xsi_attribute(self, attr_prefix: str) -> None:
        el = fragment(
            f'<val xmlns:{attr_prefix}="{NS_XSI}" {attr_prefix}:type="xsd:short">-7</val>'
        )
        value = decoder().typed(el, "anyType")
        assert value == -7 and type(value) is Short

    def test_type_attribute_in_another_namespace_is_not_xsi(self) -> None:
        el = fragment('<val xmlns:q="urn:example:not-xsi" q:type="xsd:int">42</val>')
        value = decoder().typed(el, "anyType")
        assert value == "42" and type(value) is str

    @pytest.mark.parametrize("uri", ["urn:example:not-xsd", "urn:vim25",
                                     "http://www.w3.org/2001/XMLSchema-instance"])
    def test_wrong_uri_prefix_is_not_mistaken_for_xsd(self, uri: str) -> None:
        el = fragment(f'<val xmlns:xsd="{uri}" xsi:type="xsd:long">5</val>')
        value = decoder().typed(el, "anyType")
        assert type(value) is str and value == "5"

    def test_wrong_uri_prefix_for_a_data_type_declared_as_xsd_name(self) -> None:
        # "boolean" bound to a non-XSD namespace is not xsd:boolean; no parse as bool.
        el = fragment('<val xmlns:t="urn:example:types" xsi:type="t:boolean">maybe</val>')
        assert decoder().typed(el, "anyType") == "maybe"

    def test_vim_type_with_prefix_bound_to_urn_vim25(self) -> None:
        el = fragment(
            '<val xmlns:v="urn:vim25" xsi:type="v:OptionValue"><key>k</key>'
            '<value xsi:type="v:ArrayOfInt"><int>1</int><int>-2</int></value></val>'
        )
        value = decoder().typed(el, "anyType")
        assert type(value) is types.OptionValue
        assert value.key == "k"
        assert isinstance(value.value, AnyArray) and value.value.item_type == "int"
        assert tuple(value.value) == (1, -2)

    def test_vim_subtype_with_prefix_in_typed_position(self) -> None:
        el = fragment(
            '<backing xmlns:vim25="urn:vim25" xsi:type="vim25:VirtualDiskFlatVer2BackingInfo">'
            "<fileName>[ds] a.vmdk</fileName><diskMode>persistent</diskMode></backing>"
        )
        value = decoder().typed(el, "VirtualDeviceBackingInfo")
        assert type(value) is types.VirtualDiskFlatVer2BackingInfo
        assert (value.fileName, value.diskMode) == ("[ds] a.vmdk", "persistent")

    def test_undeclared_value_prefix_falls_back_to_the_name(self) -> None:
        # The prefix of the *value* is undeclared (the attribute's own prefix is fine).
        el = fragment(f'<val xmlns:xsi="{NS_XSI}" xsi:type="xsd:long">9</val>', declare=False)
        value = decoder().typed(el, "anyType")
        assert value == 9 and type(value) is Long

    def test_unprefixed_vim_name_with_default_namespace(self) -> None:
        el = fragment('<val xsi:type="ArrayOfString"><string>a</string></val>')
        value = decoder().typed(el, "anyType")
        assert value == ("a",) and value.item_type == "string"


# ============================================================================ morefs


class TestMorefs:
    def test_type_attribute_after_xsi_type(self, vcsim_vals: dict[str, object]) -> None:
        assert vcsim_vals["runtime.host"] == ManagedObjectReference("HostSystem", "host-21")
        assert type(vcsim_vals["runtime.host"]) is ManagedObjectReference

    def test_type_attribute_before_xsi_type(self, vcsim_vals: dict[str, object]) -> None:
        ref = vcsim_vals["parent"]
        assert isinstance(ref, ManagedObjectReference)
        assert (ref.type, ref.value, ref.serverGuid) == ("Folder", "group-v3", None)

    @pytest.mark.parametrize(
        "xml",
        [
            '<val xsi:type="ManagedObjectReference" type="VirtualMachine">vm-7</val>',
            '<val type="VirtualMachine" xsi:type="ManagedObjectReference">vm-7</val>',
            '<val type="VirtualMachine" xmlns:v="urn:vim25" '
            'xsi:type="v:ManagedObjectReference">vm-7</val>',
        ],
    )
    def test_both_orders_in_any_position(self, xml: str) -> None:
        ref = decoder().typed(fragment(xml), "anyType")
        assert ref.__dict__ == {"type": "VirtualMachine", "value": "vm-7", "serverGuid": None}

    def test_content_library_type_kept_as_generic_moref(
        self, vcsim_vals: dict[str, object]
    ) -> None:
        ref = vcsim_vals["config.contentLibraryItemInfo"]
        assert type(ref) is ManagedObjectReference
        assert ref.type == "com.vmware.content.library.Item"
        assert ref.value == "b0c8e2a4-5d1e-4cf7-9a3b-6f0e1d2c3b4a"
        assert not S.is_managed(ref.type)

    def test_content_library_type_in_typed_moref_position(self) -> None:
        el = fragment('<obj type="com.vmware.content.Library">lib-1</obj>')
        ref = decoder().typed(el, "ManagedObject")
        assert (ref.type, ref.value) == ("com.vmware.content.Library", "lib-1")

    def test_array_of_morefs_with_server_guid(self, vcsim_vals: dict[str, object]) -> None:
        refs = vcsim_vals["datastore"]
        assert isinstance(refs, AnyArray) and refs.item_type == "ManagedObjectReference"
        assert [r.__dict__ for r in refs] == [
            {"type": "Datastore", "value": "datastore-11", "serverGuid": None},
            {"type": "Datastore", "value": "datastore-12",
             "serverGuid": "b2f1c4d0-0000-4000-8000-000000000001"},
        ]
        # equal to a moref without the guid, and one dict key with it
        assert refs[1] == ManagedObjectReference("Datastore", "datastore-12")
        assert {refs[1]: 1}[ManagedObjectReference("Datastore", "datastore-12")] == 1

    def test_declared_type_used_when_attribute_missing(self) -> None:
        ref = decoder().typed(fragment("<rootFolder>group-d1</rootFolder>"), "Folder")
        assert (ref.type, ref.value) == ("Folder", "group-d1")

    def test_missing_type_in_generic_position_is_a_decode_error(self) -> None:
        with pytest.raises(DecodeError, match="type attribute"):
            decoder().typed(fragment("<obj>vm-1</obj>"), "ManagedObject")

    def test_value_whitespace_stripped(self) -> None:
        ref = decoder().typed(fragment('<obj type="Datacenter">\n  datacenter-2\n</obj>'),
                              "ManagedObject")
        assert ref.value == "datacenter-2"

    def test_object_content_obj_and_paging_token(
        self, vcsim_result: types.RetrieveResult
    ) -> None:
        assert vcsim_result.token == "0"
        assert type(vcsim_result.token) is str
        assert [o.obj.value for o in vcsim_result.objects] == ["vm-42", "vm-43"]


# ============================================================================ newer servers


@pytest.fixture(scope="module")
def future_vals() -> dict[str, object]:
    result = props("RetrievePropertiesEx", golden("future_server_devices.xml"))
    return {p.name: p.val for p in result.objects[0].propSet}


class TestNewerServer:
    def test_unknown_subtype_derives_from_declared_base(
        self, future_vals: dict[str, object]
    ) -> None:
        devices = future_vals["config.hardware.device"]
        assert devices.item_type == "VirtualDevice"
        assert [type(d).__name__ for d in devices] == [
            "VirtualIDEController", "VirtualFutureDevice", "VirtualDisk"]
        future = devices[1]
        cls = type(future)
        assert cls.__name__ == "VirtualFutureDevice"
        assert cls.__mro__[1] is types.VirtualDevice
        assert isinstance(future, types.VirtualDevice) and isinstance(future, DataObject)
        assert cls.__vim_known__ is False
        # known members decoded by the base's schema, typed
        assert (future.key, future.controllerKey, future.unitNumber) == (17000, 100, 3)
        assert future.deviceInfo.summary == "Quantum accelerator"
        # unknown members kept, nested ones as dicts
        assert future.model_extra == {
            "futureSetting": "on",
            "futureLimits": {"qubits": "64", "mode": "entangled"},
        }
        assert future.futureSetting == "on"

    def test_unknown_subtype_class_is_shared(self) -> None:
        xml = '<d xsi:type="VirtualFutureDevice"><key>1</key></d>'
        a = decoder().typed(fragment(xml), "VirtualDevice")
        b = decoder().typed(fragment(xml), "VirtualDevice")
        assert type(a) is type(b)
        assert a == b and a.key == 1

    def test_unknown_elements_on_known_types(self, future_vals: dict[str, object]) -> None:
        disk = future_vals["config.hardware.device"][2]
        assert type(disk) is types.VirtualDisk
        assert disk.capacityInBytes == 17179869184
        assert disk.model_extra == {"diskTier": ["hot", "cold"]}
        backing = disk.backing
        assert type(backing) is types.VirtualDiskFlatVer2BackingInfo
        assert backing.thinProvisioned is True
        assert backing.diskMode == "persistent_future_mode"
        assert backing.model_extra == {"futureCompression": "zstd"}

    def test_unknown_enum_value_kept_as_str(self, future_vals: dict[str, object]) -> None:
        runtime = future_vals["runtime"]
        assert type(runtime) is types.VirtualMachineRuntimeInfo
        assert runtime.powerState == "poweredSideways"
        assert type(runtime.powerState) is str
        assert runtime.connectionState is types.VirtualMachineConnectionState.connected
        assert runtime.host == ManagedObjectReference("HostSystem", "host-9")
        assert runtime.quantumState == "superposed"
        assert runtime.bootTime == datetime(2026, 1, 2, 3, 4, 5, 123456, UTC)

    def test_unknown_type_in_any_position(self, future_vals: dict[str, object]) -> None:
        info = future_vals["futureInfo"]
        assert type(info).__name__ == "VirtualMachineFutureInfo"
        assert type(info).__mro__[1] is DataObject
        assert info.model_extra == {"generation": "12", "nested": {"a": ["1", "2"]}}

    def test_unknown_array_wrapper_in_any_position(self) -> None:
        el = fragment('<val xsi:type="ArrayOfFutureThing"><FutureThing><x>1</x></FutureThing>'
                      "<FutureThing><x>2</x></FutureThing></val>")
        value = decoder().typed(el, "anyType")
        assert isinstance(value, AnyArray) and value.item_type == "FutureThing"
        assert list(value) == [{"x": "1"}, {"x": "2"}]

    def test_unknown_scalar_type_in_any_position_keeps_text(self) -> None:
        el = fragment('<val xsi:type="FutureSpeedEnum">ludicrous</val>')
        assert decoder().typed(el, "anyType") == "ludicrous"

    def test_unknown_element_with_xsi_type_decoded(self) -> None:
        el = fragment('<o xsi:type="OptionValue"><key>a</key>'
                      '<futureValue xsi:type="xsd:int">3</futureValue></o>')
        value = decoder().typed(el, "OptionValue")
        assert value.model_extra == {"futureValue": 3}
        assert type(value.model_extra["futureValue"]) is Int

    def test_unknown_subtype_of_a_fault_in_localized_fault(self) -> None:
        el = fragment('<error><fault xsi:type="FutureHostFault"><msg>m</msg><why>x</why>'
                      "</fault><localizedMessage>lm</localizedMessage></error>")
        value = decoder().typed(el, "LocalizedMethodFault")
        assert type(value.fault).__name__ == "FutureHostFault"
        assert isinstance(value.fault, types.MethodFault)
        assert value.fault.msg == "m" and value.fault.model_extra == {"why": "x"}


# ============================================================================ empty and unset


class TestEmptyAndUnset:
    def test_empty_element_is_empty_string_and_absent_is_none(self) -> None:
        a = decoder().typed(fragment("<d><key>k</key><label></label></d>"), "ElementDescription")
        b = decoder().typed(fragment("<d><key>k</key><label/></d>"), "ElementDescription")
        c = decoder().typed(fragment("<d><key>k</key></d>"), "ElementDescription")
        assert a.label == "" and b.label == "" and c.label is None
        assert a == b != c

    def test_absent_arrays_are_empty_tuples(self) -> None:
        value = decoder().typed(fragment("<r></r>"), "RetrieveResult")
        assert value.objects == () and value.token is None

    def test_one_element_array_is_a_one_tuple(self) -> None:
        value = decoder().typed(fragment('<r><objects><obj type="Folder">f</obj></objects></r>'),
                                "RetrieveResult")
        assert isinstance(value.objects, tuple) and len(value.objects) == 1
        assert value.objects[0].propSet == ()

    @pytest.mark.parametrize("token", ["0", "00", "false", " ", "None"])
    def test_paging_tokens_are_opaque_strings(self, token: str) -> None:
        body = response("ContinueRetrievePropertiesEx",
                        f"<returnval><token>{token}</token></returnval>")
        result = decoder().returnval(body, S.method("PropertyCollector",
                                                    "ContinueRetrievePropertiesEx"))
        assert result.token == token and type(result.token) is str

    def test_empty_token_is_empty_string_not_none(self) -> None:
        body = response("RetrievePropertiesEx", "<returnval><token></token></returnval>")
        result = decoder().returnval(body, S.method("PropertyCollector",
                                                    "RetrievePropertiesEx"))
        assert result.token == ""

    def test_void_and_absent_returnval(self) -> None:
        body = response("RetrievePropertiesEx", "")
        assert decoder().returnval(body, S.method("PropertyCollector",
                                                  "RetrievePropertiesEx")) is None
        body = response("Logout", "")
        assert decoder().returnval(body, S.method("SessionManager", "Logout")) is None

    def test_scalar_and_moref_array_returnvals(self) -> None:
        now = decoder().returnval(
            response("CurrentTime", "<returnval>2025-03-04T05:06:07.89+01:00</returnval>"),
            S.method("ServiceInstance", "CurrentTime"))
        assert now == datetime(2025, 3, 4, 4, 6, 7, 890000, UTC)
        found = decoder().returnval(
            response("FindAllByUuid", '<returnval type="VirtualMachine">vm-1</returnval>'
                                      '<returnval type="HostSystem">host-2</returnval>'),
            S.method("SearchIndex", "FindAllByUuid"))
        assert found == (ManagedObjectReference("VirtualMachine", "vm-1"),
                         ManagedObjectReference("HostSystem", "host-2"))

    def test_array_returnval_absent_is_empty_tuple(self) -> None:
        method = S.method("PropertyCollector", "RetrieveProperties")
        assert method.returns is not None and method.returns.array
        assert decoder().returnval(response("RetrieveProperties", ""), method) == ()

    def test_signed_byte_array_as_repeated_elements(self) -> None:
        values = [-128, -1, 0, 1, 127]
        xml = "".join(f"<digestValue>{v}</digestValue>" for v in values)
        value = decoder().typed(fragment(f"<d><digestMethod>SHA256</digestMethod>{xml}</d>"),
                                "HostDigestInfo")
        assert value.digestValue == tuple(values)
        assert all(type(v) is int for v in value.digestValue)

    def test_base64_binary_with_line_breaks(self) -> None:
        data = bytes(range(256))
        text = base64.encodebytes(data).decode()  # wrapped at 76 columns
        assert "\n" in text
        value = decoder().typed(fragment(f"<s><value>{text}</value></s>"),
                                "GuestRegValueBinarySpec")
        assert value.value == data

    def test_empty_base64_is_empty_bytes(self) -> None:
        value = decoder().typed(fragment("<s><value/></s>"), "GuestRegValueBinarySpec")
        assert value.value == b""


# ============================================================================ anyType wrappers


class TestAnyTypeDecoding:
    @pytest.mark.parametrize(
        ("xsd", "text", "cls", "expected"),
        [
            ("int", "5", Int, 5),
            ("long", "-9223372036854775808", Long, -(2**63)),
            ("short", "32767", Short, 32767),
            ("byte", "-128", Byte, -128),
            ("float", "1.5", Float, 1.5),
            ("double", "-2.25E3", Double, -2250.0),
            ("double", "INF", Double, float("inf")),
            ("boolean", "true", bool, True),
            ("boolean", "0", bool, False),
            ("string", " padded ", str, " padded "),
            ("anyURI", "https://h/sdk", str, "https://h/sdk"),
            ("base64Binary", "AAEC", bytes, b"\x00\x01\x02"),
            ("dateTime", "2025-06-01T12:00:00Z", datetime, datetime(2025, 6, 1, 12, tzinfo=UTC)),
        ],
    )
    def test_xsd_values_keep_their_wire_type(
        self, xsd: str, text: str, cls: type, expected: object
    ) -> None:
        value = decoder().typed(fragment(f'<v xsi:type="xsd:{xsd}">{text}</v>'), "anyType")
        assert type(value) is cls
        assert value == expected

    def test_int_wrapper_computes_like_int(self) -> None:
        value = decoder().typed(fragment('<v xsi:type="xsd:int">5</v>'), "anyType")
        assert value == 5 and value + 1 == 6 and hash(value) == hash(5)
        assert repr(value) == "Int(5)"

    @pytest.mark.parametrize(
        ("wrapper", "items", "expected"),
        [
            ("ArrayOfInt", "<int>1</int><int>2</int>", ("int", (1, 2))),
            ("ArrayOfLong", "<long>3</long>", ("long", (3,))),
            ("ArrayOfBoolean", "<boolean>true</boolean><boolean>false</boolean>",
             ("boolean", (True, False))),
            ("ArrayOfString", "", ("string", ())),
            ("ArrayOfByte", "<byte>-1</byte>", ("byte", (-1,))),
            ("ArrayOfVirtualMachinePowerState", "<VirtualMachinePowerState>suspended"
             "</VirtualMachinePowerState>", ("VirtualMachinePowerState", ("suspended",))),
            ("ArrayOfAnyType", '<anyType xsi:type="xsd:int">4</anyType>'
             '<anyType xsi:type="xsd:string">x</anyType>', ("anyType", (4, "x"))),
        ],
    )
    def test_arrays(self, wrapper: str, items: str, expected: tuple[str, tuple]) -> None:
        value = decoder().typed(fragment(f'<v xsi:type="{wrapper}">{items}</v>'), "anyType")
        assert isinstance(value, AnyArray)
        assert (value.item_type, tuple(value)) == expected

    def test_no_xsi_type_text_and_children(self) -> None:
        assert decoder().typed(fragment("<v>plain</v>"), "anyType") == "plain"
        assert decoder().typed(fragment("<v><a>1</a><b/></v>"), "anyType") == {"a": "1",
                                                                                "b": ""}

    def test_known_data_type_without_children(self) -> None:
        value = decoder().typed(fragment('<v xsi:type="OptionValue"/>'), "anyType")
        assert type(value) is types.OptionValue and value.key is None


# ============================================================================ errors


class TestDecodeErrors:
    @pytest.mark.parametrize(
        ("type_name", "text"),
        [
            ("int", "abc"),
            ("int", "1.5"),
            ("int", ""),
            ("long", "9" * 5000),
            ("short", "0x10"),
            ("boolean", "yes"),
            ("boolean", ""),
            ("float", "one"),
            ("double", "1,5"),
            ("dateTime", "yesterday"),
            ("dateTime", "2024-13-01T00:00:00Z"),
            ("dateTime", "2024-02-30T00:00:00Z"),
            ("dateTime", "9999-12-31T24:00:00Z"),
            ("dateTime", "2024-01-01T00:00:00+25:00"),
            ("base64Binary", "!!!"),
            ("base64Binary", "AAA"),
        ],
    )
    def test_bad_scalar_text(self, type_name: str, text: str) -> None:
        el = fragment(f"<outer><inner>{text}</inner></outer>")[0]
        with pytest.raises(DecodeError) as info:
            decoder().typed(el, type_name)
        assert not isinstance(info.value, (ValueError, KeyError, OverflowError))
        assert info.value.path == "/wrapper/outer/inner"
        assert type_name in str(info.value)

    def test_bad_member_names_method_and_path(self) -> None:
        body = response(
            "RetrievePropertiesEx",
            "<returnval><objects><obj type='VirtualMachine'>vm-1</obj><propSet><name>x</name>"
            "<val xsi:type='xsd:int'>twelve</val></propSet></objects></returnval>",
        )
        with pytest.raises(DecodeError) as info:
            decoder().returnval(body, S.method("PropertyCollector", "RetrievePropertiesEx"))
        assert info.value.method == "RetrievePropertiesEx"
        assert info.value.path.endswith("/propSet/val")
        assert str(info.value).startswith("RetrievePropertiesEx /")

    def test_bad_boolean_in_data_object(self) -> None:
        el = fragment("<b><fileName>f</fileName><diskMode>persistent</diskMode>"
                      "<thinProvisioned>TRUE</thinProvisioned></b>")
        with pytest.raises(DecodeError) as info:
            decoder().typed(el, "VirtualDiskFlatVer2BackingInfo")
        assert info.value.path.endswith("/thinProvisioned")

    def test_bad_int_in_array(self) -> None:
        el = fragment("<d><digestMethod>x</digestMethod><digestValue>1</digestValue>"
                      "<digestValue>one</digestValue></d>")
        with pytest.raises(DecodeError) as info:
            decoder().typed(el, "HostDigestInfo")
        assert info.value.path.endswith("/digestValue[2]")
