"""The generated vim25 schema: its size, version table, and lookups."""

from __future__ import annotations

import pytest

from aiovsphere.vim._schema import XSD_TYPES, schema

S = schema()


def dotted(v: str) -> tuple[int, ...] | None:
    parts = v.replace("u", ".").split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


# ============================================================================ size


def test_schema_counts() -> None:
    data = S.data_type_names()
    faults = [n for n in data if S.is_fault(n)]
    assert len(data) > 3000
    assert len(S.enums) > 400
    assert len(S.managed_type_names()) > 150
    assert len(faults) > 500
    # faults are data types too, and every one descends from MethodFault
    assert all(S.is_subtype(f, "MethodFault") for f in faults)
    assert "InvalidLogin" in faults and "OptionValue" not in faults


def test_schema_is_a_singleton() -> None:
    assert schema() is S
    assert S.namespace == "urn:vim25"


@pytest.mark.parametrize(
    "version",
    ["5.5", "6.0", "6.5", "6.7", "6.7.3", "7.0.0.0", "7.0.3.0", "8.0.0.0", "8.0.3.0",
     "9.0.0.0"],
)
def test_version_table_includes(version: str) -> None:
    assert version in S.versions
    assert S.versions[S.version_index(version)] == version


def test_version_table_spans_5_5_to_9() -> None:
    majors = {d[0] for v in S.versions if (d := dotted(v)) is not None}
    assert {5, 6, 7, 8, 9} <= majors
    assert S.versions[0] == "2.0"
    newest = max(d for d in map(dotted, S.versions) if d is not None)
    assert newest[0] == 9


def test_dotted_versions_are_oldest_first() -> None:
    keys = [d for v in S.versions if (d := dotted(v)) is not None]
    assert keys == sorted(keys)
    indexes = [S.version_index(v) for v in S.versions if dotted(v) is not None]
    assert indexes == sorted(indexes)


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ("8.0.3.5", "8.0.3.1"),  # an unknown patch: the newest known at or below it
        ("7.0.1", "7.0.0.2"),
        ("99.0.0.0", "9.1.1.0"),  # a much newer server: speak the newest we know
        ("6.0", "6.0"),
    ],
)
def test_version_index_of_unknown_ids(asked: str, expected: str) -> None:
    assert S.versions[S.version_index(asked)] == expected


@pytest.mark.parametrize("asked", ["", "banana", "1.0", "vim.version.v8_0_0_0"])
def test_version_index_refuses_non_versions(asked: str) -> None:
    with pytest.raises(KeyError):
        S.version_index(asked)


# ============================================================================ lookups


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("string", "xsd"),
        ("dateTime", "xsd"),
        ("base64Binary", "xsd"),
        ("anyType", "any"),
        ("VirtualMachinePowerState", "enum"),
        ("VirtualMachineConfigSpec", "data"),
        ("DataObject", "data"),
        ("InvalidLogin", "data"),
        ("VirtualMachine", "moref"),
        ("ManagedObject", "moref"),
        ("ManagedObjectReference", "moref"),
    ],
)
def test_kinds(name: str, kind: str) -> None:
    assert S.kind(name) == kind


def test_unknown_kind_is_key_error() -> None:
    with pytest.raises(KeyError):
        S.kind("NoSuchType")
    with pytest.raises(KeyError):
        S.data("NoSuchType")


def test_xsd_types() -> None:
    assert {"string", "boolean", "byte", "short", "int", "long", "float", "double",
            "dateTime", "base64Binary", "anyURI", "anyType"} == XSD_TYPES


def test_data_type_members_base_first() -> None:
    disk = S.data("VirtualDisk")
    names = [p.name for p in disk.all]
    device = [p.name for p in S.data("VirtualDevice").all]
    assert names[: len(device)] == device
    assert names[:3] == ["dynamicType", "dynamicProperty", "key"]
    assert "capacityInKB" in names[len(device):]
    assert disk.base == "VirtualDevice"
    cap = disk.by_name["capacityInKB"]
    assert (cap.type, cap.kind, cap.array, cap.optional) == ("long", "xsd", False, False)
    assert disk.by_name["key"].type == "int"


def test_arrays_are_optional_and_typed_by_item() -> None:
    p = S.data("VirtualMachineConfigSpec").by_name["deviceChange"]
    assert (p.type, p.kind, p.array, p.optional) == ("VirtualDeviceConfigSpec", "data", True,
                                                     True)
    b = S.data("HostDigestInfo").by_name["digestValue"]
    assert (b.type, b.array) == ("byte", True)


def test_member_versions() -> None:
    p = S.data("VirtualMachineConfigSpec").by_name["sevEnabled"]
    assert S.versions[p.version] == "7.0.1.0"
    assert S.versions[S.data("VirtualWDT").version] == "7.0.0.0"


def test_reserved_word_member_attr() -> None:
    p = S.data("AlarmStatusChangedEvent").by_name["from"]
    assert (p.name, p.attr) == ("from", "from_")


def test_secret_members() -> None:
    assert S.data("HostConnectSpec").by_name["password"].secret is True
    assert S.data("HostConnectSpec").by_name["userName"].secret is False
    login = S.method("SessionManager", "Login")
    assert [(p.prop.name, p.prop.secret) for p in login.params] == [
        ("userName", False), ("password", True), ("locale", False)]


def test_subtypes_and_faults() -> None:
    assert S.is_subtype("VirtualDisk", "VirtualDevice")
    assert S.is_subtype("VirtualDisk", "DynamicData")
    assert S.is_subtype("VirtualDisk", "DataObject")
    assert not S.is_subtype("VirtualDevice", "VirtualDisk")
    assert S.is_subtype("ClusterComputeResource", "ManagedEntity")
    assert S.base_of("InvalidLogin") == "VimFault"
    assert S.base_of("VimFault") == "MethodFault"
    assert S.base_of("NoSuchType") is None
    assert S.is_fault("NoPermission") and not S.is_fault("VirtualDisk")


def test_array_wrappers() -> None:
    assert S.array_item("ArrayOfString") == "string"
    assert S.array_item("ArrayOfAnyType") == "anyType"
    assert S.array_item("ArrayOfManagedObjectReference") == "ManagedObjectReference"
    assert S.array_item("ArrayOfVirtualDevice") == "VirtualDevice"
    assert S.array_item("ArrayOfVirtualMachinePowerState") == "VirtualMachinePowerState"
    assert S.array_item("ArrayOfNothingKnown") is None
    assert S.array_wrapper("int") == "ArrayOfInt"
    assert S.array_wrapper("OptionValue") == "ArrayOfOptionValue"


def test_methods() -> None:
    m = S.method("VirtualMachine", "PowerOnVM_Task")
    assert m.owner == "VirtualMachine"
    assert m.returns is not None and (m.returns.type, m.returns.kind) == ("Task", "moref")
    assert [p.prop.name for p in m.params] == ["host"]
    assert m.params[0].prop.optional
    inherited = S.method("VirtualMachine", "Destroy_Task")
    assert inherited.owner == "ManagedEntity"
    assert S.method("Folder", "Destroy_Task") is not None
    retrieve = S.method("PropertyCollector", "RetrieveProperties")
    assert retrieve.returns is not None and retrieve.returns.array
    assert "InvalidProperty" in retrieve.faults
    assert S.method("SessionManager", "Logout").returns is None
    assert S.find_method("RetrievePropertiesEx") is S.method("PropertyCollector",
                                                             "RetrievePropertiesEx")
    assert S.find_method("NoSuchMethod") is None
    with pytest.raises(KeyError):
        S.method("VirtualMachine", "NoSuchMethod")
    with pytest.raises(KeyError):
        S.method("NoSuchType", "Destroy_Task")


def test_managed_properties() -> None:
    vm = S.managed("VirtualMachine")
    names = [p.name for p in vm.props]
    assert {"name", "parent", "config", "runtime", "datastore"} <= set(names)
    assert names.index("parent") < names.index("config")  # ManagedEntity's first
    runtime = next(p for p in vm.props if p.name == "runtime")
    assert (runtime.type, runtime.kind) == ("VirtualMachineRuntimeInfo", "data")


def test_every_data_type_and_member_resolves() -> None:
    for name in S.data_type_names():
        info = S.data(name)
        assert info.name == name
        for p in info.all:
            assert p.kind in ("xsd", "enum", "data", "moref", "any")
            assert 0 <= p.version < len(S.versions)
            if p.kind == "data":
                assert S.is_data(p.type) or p.type == "DataObject"
