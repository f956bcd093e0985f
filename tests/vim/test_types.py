"""Data object, enum, moref and anyType wrapper values."""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from aiovsphere.vim import _classes, types
from aiovsphere.vim._base import DataObject
from aiovsphere.vim._moref import ManagedObjectReference as MoRef
from aiovsphere.vim.anytype import AnyArray, Byte, Double, Float, Int, Long, Short, xsd_type_of

# ============================================================================ morefs


class TestMoref:
    def test_positional_and_keyword(self) -> None:
        a = MoRef("VirtualMachine", "vm-1")
        b = MoRef(type="VirtualMachine", value="vm-1")
        assert a.__dict__ == b.__dict__ == {"type": "VirtualMachine", "value": "vm-1",
                                            "serverGuid": None}

    def test_equality_ignores_missing_server_guid(self) -> None:
        bare = MoRef("VirtualMachine", "vm-1")
        g1 = MoRef("VirtualMachine", "vm-1", serverGuid="guid-1")
        g2 = MoRef("VirtualMachine", "vm-1", serverGuid="guid-2")
        assert bare == g1 and g1 == bare
        assert bare == g2
        assert g1 != g2  # both present and different: two vCenters' objects
        assert g1 == MoRef("VirtualMachine", "vm-1", serverGuid="guid-1")

    def test_hash_ignores_server_guid(self) -> None:
        bare = MoRef("VirtualMachine", "vm-1")
        g1 = MoRef("VirtualMachine", "vm-1", serverGuid="guid-1")
        assert hash(bare) == hash(g1)
        assert {bare: "x"}[g1] == "x"
        assert len({bare, g1, MoRef("VirtualMachine", "vm-1")}) == 1

    @pytest.mark.parametrize(
        "other",
        [MoRef("VirtualMachine", "vm-2"), MoRef("HostSystem", "vm-1"), MoRef("VirtualMachine",
                                                                            "VM-1")],
    )
    def test_type_and_value_must_match(self, other: MoRef) -> None:
        assert MoRef("VirtualMachine", "vm-1") != other

    def test_not_equal_to_other_things(self) -> None:
        ref = MoRef("Folder", "group-d1")
        assert ref != "Folder:group-d1"
        assert ref != ("Folder", "group-d1")
        assert (ref == object()) is False

    def test_types_the_schema_lacks(self) -> None:
        ref = MoRef("com.vmware.content.Library", "lib-1")
        assert ref.type == "com.vmware.content.Library"
        assert str(ref) == "com.vmware.content.Library:lib-1"

    def test_repr_and_str(self) -> None:
        assert repr(MoRef("Folder", "f")) == "ManagedObjectReference('Folder', 'f')"
        assert repr(MoRef("Folder", "f", serverGuid="g")) == (
            "ManagedObjectReference('Folder', 'f', serverGuid='g')")
        assert str(MoRef("Folder", "f", serverGuid="g")) == "Folder:f"

    def test_frozen_and_strict_fields(self) -> None:
        ref = MoRef("Folder", "f")
        with pytest.raises(ValidationError):
            ref.value = "g"  # type: ignore[misc]
        with pytest.raises(ValidationError):
            MoRef("Folder", "f", color="red")  # type: ignore[call-arg]
        with pytest.raises(ValidationError):
            MoRef("Folder")

    def test_pickle_and_copy(self) -> None:
        ref = MoRef("Datastore", "ds-1", serverGuid="g")
        for back in (pickle.loads(pickle.dumps(ref)), copy.deepcopy(ref)):
            assert back.__dict__ == ref.__dict__
            assert type(back) is MoRef


# ============================================================================ data objects


class TestDataObjects:
    def test_classes_follow_the_schema_tree(self) -> None:
        assert issubclass(types.VirtualDisk, types.VirtualDevice)
        assert issubclass(types.VirtualDevice, types.DynamicData)
        assert issubclass(types.DynamicData, DataObject)
        assert types.VirtualDisk.__name__ == "VirtualDisk"
        assert types.VirtualDisk.__module__ == "aiovsphere.vim.types"
        assert types.data_class("VirtualDisk") is types.VirtualDisk

    def test_unknown_type_names(self) -> None:
        with pytest.raises(AttributeError, match="NoSuchType"):
            types.NoSuchType  # noqa: B018
        with pytest.raises(KeyError):
            types.data_class("NoSuchType")
        assert "VirtualDisk" in dir(types) and "VirtualMachinePowerState" in dir(types)

    def test_defaults(self) -> None:
        disk = types.VirtualDisk(key=1, capacityInKB=2)
        assert disk.backing is None and disk.unitNumber is None
        assert disk.dynamicProperty == ()
        assert disk.model_extra == {}

    def test_validation_and_coercion(self) -> None:
        spec = types.VirtualMachineConfigSpec(numCPUs=2, deviceChange=[])
        assert spec.numCPUs == 2 and spec.deviceChange == ()
        with pytest.raises(ValidationError):
            types.VirtualMachineConfigSpec(numCPUs="two")
        with pytest.raises(ValidationError):
            types.VirtualMachineConfigSpec(createDate="not a date")

    def test_frozen_and_model_copy(self) -> None:
        spec = types.VirtualMachineConfigSpec(name="a", numCPUs=1)
        with pytest.raises(ValidationError):
            spec.name = "b"  # type: ignore[misc]
        changed = spec.model_copy(update={"numCPUs": 4})
        assert (changed.name, changed.numCPUs, spec.numCPUs) == ("a", 4, 1)

    def test_equality_by_type_and_values(self) -> None:
        a = types.OptionValue(key="k", value=1)
        assert a == types.OptionValue(key="k", value=1)
        assert a != types.OptionValue(key="k", value=2)
        assert a != types.OptionValue(key="j", value=1)

    def test_reserved_word_member(self) -> None:
        event = types.AlarmStatusChangedEvent(from_="green", to="red")
        assert event.from_ == "green"
        assert types.AlarmStatusChangedEvent(**{"from": "green"}).from_ == "green"

    def test_repr_only_set_members_and_secrets_masked(self) -> None:
        spec = types.HostConnectSpec(hostName="esx1", userName="root", password="hunter2")
        text = repr(spec)
        assert text == "HostConnectSpec(hostName='esx1', userName='root', password='***')"
        assert "hunter2" not in str(spec)

    def test_extra_members_kept_and_readable(self) -> None:
        obj = types.OptionValue._from_wire({"key": "k"}, {"futureField": "x"})
        assert obj.futureField == "x"
        assert obj.model_extra == {"futureField": "x"}
        assert obj != types.OptionValue(key="k")

    @pytest.mark.parametrize(
        "value",
        [
            types.VirtualDisk(key=1, capacityInKB=2, backing=types.VirtualDiskFlatVer2BackingInfo(
                fileName="[ds] x.vmdk", diskMode="persistent")),
            types.OptionValue(key="k", value=AnyArray("int", [Int(1)])),
            types.AlarmStatusChangedEvent(from_="green", createdTime=datetime(2024, 1, 1,
                                                                              tzinfo=UTC)),
            types.OptionValue._from_wire({"key": "k"}, {"futureField": {"a": ["1", "2"]}}),
        ],
    )
    def test_pickle_round_trip(self, value: DataObject) -> None:
        back = pickle.loads(pickle.dumps(value))
        assert back == value and type(back) is type(value)
        assert back.model_extra == value.model_extra
        assert copy.deepcopy(value) == value


# ============================================================================ unknown subtypes


class TestUnknownSubclass:
    def test_named_after_wire_type_and_derived_from_base(self) -> None:
        cls = types.unknown_subclass("VirtualQuantumDevice", types.VirtualDevice)
        assert cls.__name__ == "VirtualQuantumDevice"
        assert cls.__mro__[1] is types.VirtualDevice
        assert cls.__vim_known__ is False and types.VirtualDevice.__vim_known__ is True
        assert types.unknown_subclass("VirtualQuantumDevice", types.VirtualDevice) is cls
        # same wire name under another base is another class
        other = types.unknown_subclass("VirtualQuantumDevice", types.DynamicData)
        assert other is not cls and other.__mro__[1] is types.DynamicData

    @pytest.mark.parametrize("name", ["not an identifier", "class", "1abc", ""])
    def test_unusable_names_fall_back_to_base(self, name: str) -> None:
        assert types.unknown_subclass(name, types.VirtualDevice) is types.VirtualDevice

    def test_bounded(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_classes, "_unknown", {})
        monkeypatch.setattr(_classes, "_UNKNOWN_LIMIT", 3)
        made = [types.unknown_subclass(f"Future{i}", types.DynamicData) for i in range(5)]
        assert [c.__name__ for c in made] == ["Future0", "Future1", "Future2", "DynamicData",
                                              "DynamicData"]

    def test_pickle_round_trip(self) -> None:
        cls = types.unknown_subclass("VirtualQuantumDevice", types.VirtualDevice)
        obj = cls._from_wire({"key": 7}, {"qubits": "64"})
        back = pickle.loads(pickle.dumps(obj))
        assert type(back) is cls
        assert back == obj and back.key == 7 and back.qubits == "64"
        nested = types.OptionValue(key="k", value=obj)
        assert pickle.loads(pickle.dumps(nested)) == nested
        assert copy.deepcopy(obj) == obj


# ============================================================================ enums


class TestEnums:
    def test_members_are_strings(self) -> None:
        on = types.VirtualMachinePowerState.poweredOn
        assert on == "poweredOn" and str(on) == "poweredOn" and f"{on}" == "poweredOn"
        assert isinstance(on, str)
        assert types.VirtualMachinePowerState("suspended") is (
            types.VirtualMachinePowerState.suspended)
        assert [m.value for m in types.VirtualMachinePowerState] == [
            "poweredOff", "poweredOn", "suspended"]
        assert types.enum_class("VirtualMachinePowerState") is types.VirtualMachinePowerState

    def test_every_enum_value_is_reachable(self) -> None:
        from aiovsphere.vim._schema import schema

        s = schema()
        for name, values in s.enums.items():
            cls = types.enum_class(name)
            assert [m.value for m in cls] == list(values), name
            for m in cls:
                assert getattr(cls, m.name) is m

    def test_pickle(self) -> None:
        on = types.VirtualMachinePowerState.poweredOn
        assert pickle.loads(pickle.dumps(on)) is on


# ============================================================================ anyType wrappers


class TestWrappers:
    @pytest.mark.parametrize(
        ("value", "xsd", "base"),
        [(Int(5), "int", int), (Long(5), "long", int), (Short(5), "short", int),
         (Byte(5), "byte", int), (Float(0.5), "float", float), (Double(0.5), "double", float)],
    )
    def test_wrappers(self, value: object, xsd: str, base: type) -> None:
        assert xsd_type_of(value) == xsd
        assert isinstance(value, base)
        assert value == base(value)
        assert repr(value) == f"{type(value).__name__}({base(value)!r})"
        back = pickle.loads(pickle.dumps(value))
        assert type(back) is type(value) and back == value

    def test_plain_values_have_no_explicit_type(self) -> None:
        assert xsd_type_of(5) is None and xsd_type_of(True) is None and xsd_type_of("5") is None

    def test_any_array(self) -> None:
        arr = AnyArray("string", ["a", "b"])
        assert arr == ("a", "b") and arr.item_type == "string"
        assert repr(arr) == "AnyArray('string', ('a', 'b'))"
        back = pickle.loads(pickle.dumps(arr))
        assert type(back) is AnyArray and back.item_type == "string" and back == arr
        assert AnyArray("int").item_type == "int" and AnyArray("int") == ()
