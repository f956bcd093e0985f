"""ObjectRecord (immutable per-object records) and apply_change (PropertyChange ops on
plain, nested and indexed paths), with real vim types."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiovsphere import ObjectRecord, apply_change, faults
from aiovsphere._faults import fault_class
from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as MoRef

VM = MoRef("VirtualMachine", "vm-42")


def _disk(key: int, kb: int = 1024) -> t.VirtualDisk:
    return t.VirtualDisk(key=key, controllerKey=1000, unitNumber=key % 16, capacityInKB=kb)


def _nic(key: int, mac: str = "00:50:56:00:00:01") -> t.VirtualE1000:
    return t.VirtualE1000(key=key, addressType="generated", macAddress=mac)


def _config() -> t.VirtualMachineConfigInfo:
    return t.VirtualMachineConfigInfo(
        name="web-1", annotation="x" * 5000,
        hardware=t.VirtualHardware(numCPU=2, memoryMB=2048,
                                   device=(_disk(2000), _disk(2001), _nic(4000))),
    )


def _summary() -> t.VirtualMachineSummary:
    return t.VirtualMachineSummary(
        runtime=t.VirtualMachineRuntimeInfo(powerState="poweredOn",
                                            host=MoRef("HostSystem", "host-1")),
        overallStatus="green",
    )


def _no_permission() -> Exception:
    return fault_class("NoPermission")("no read", fault=t.NoPermission(privilegeId="System.Read"))


# ============================================================================ ObjectRecord
class TestObjectRecord:
    def test_mapping_and_attribute_access(self) -> None:
        rec = ObjectRecord(VM, {"name": "web-1", "runtime.powerState": "poweredOn",
                                "guest.ipAddress": None})
        assert rec.obj == VM
        assert rec["name"] == rec.name == "web-1"
        assert rec["runtime.powerState"] == rec.runtime.powerState == "poweredOn"
        assert rec.guest.ipAddress is None  # asked for, unset on the server
        assert len(rec) == 3 and list(rec) == ["name", "runtime.powerState", "guest.ipAddress"]
        assert "name" in rec and "runtime" not in rec
        assert rec.get("config") is None
        with pytest.raises(KeyError):
            rec["config"]
        with pytest.raises(AttributeError, match="no retrieved property 'config'"):
            rec.config  # noqa: B018
        with pytest.raises(AttributeError):
            rec.runtime.host  # noqa: B018 (only runtime.powerState was retrieved)

    def test_attribute_access_inside_a_retrieved_object(self) -> None:
        rec = ObjectRecord(VM, {"summary": _summary(), "config": _config()})
        assert rec.summary.runtime.powerState == "poweredOn"
        assert rec.summary.runtime.host == MoRef("HostSystem", "host-1")
        # A path inside a retrieved property reads through it, as if it had been retrieved.
        assert rec.config.hardware.numCPU == 2
        assert [d.key for d in rec.config.hardware.device] == [2000, 2001, 4000]
        assert rec.summary.overallStatus == "green"

    def test_immutable(self) -> None:
        rec = ObjectRecord(VM, {"name": "web-1"}, {"config": _no_permission()})
        with pytest.raises(AttributeError):
            rec.name = "other"  # type: ignore[misc]
        with pytest.raises(AttributeError):
            rec.obj = MoRef("VirtualMachine", "vm-1")  # type: ignore[misc]
        with pytest.raises(AttributeError):
            del rec.name
        with pytest.raises(TypeError):
            rec["name"] = "other"  # type: ignore[index]
        with pytest.raises(TypeError):
            rec.missing["x"] = _no_permission()  # type: ignore[index]
        # The dict the record was built from does not reach inside it.
        props = {"name": "web-1"}
        rec2 = ObjectRecord(VM, props)
        props["name"] = "changed"
        assert rec2.name == "web-1"
        # replace() builds a new record; the old one stays.
        rec3 = rec2.replace({"name": "web-2"})
        assert (rec2.name, rec3.name, rec3.obj) == ("web-1", "web-2", VM)

    def test_equality(self) -> None:
        a = ObjectRecord(VM, {"name": "web-1", "summary": _summary()})
        b = ObjectRecord(VM, {"name": "web-1", "summary": _summary()})
        assert a == b
        assert a != ObjectRecord(VM, {"name": "web-2", "summary": _summary()})
        assert a != ObjectRecord(MoRef("VirtualMachine", "vm-1"),
                                 {"name": "web-1", "summary": _summary()})
        assert a != ObjectRecord(VM, {"name": "web-1"})
        assert a != ObjectRecord(VM, {"name": "web-1", "summary": _summary()},
                                 {"config": _no_permission()})
        assert a != {"name": "web-1", "summary": _summary()}  # not a plain mapping
        with pytest.raises(TypeError):
            hash(a)

    def test_missing_paths_raise_their_fault(self) -> None:
        denied = _no_permission()
        rec = ObjectRecord(VM, {"name": "web-1"}, {"config.annotation": denied})
        assert rec.fault is denied
        assert "config.annotation" not in rec
        with pytest.raises(faults.NoPermission) as info:
            rec["config.annotation"]
        assert info.value is denied
        with pytest.raises(faults.NoPermission):
            rec.config.annotation  # noqa: B018
        assert rec.name == "web-1"

    def test_whole_object_fault(self) -> None:
        gone = fault_class("ManagedObjectNotFound")("gone", fault=t.ManagedObjectNotFound(obj=VM))
        rec = ObjectRecord(VM, {}, {"": gone})
        assert rec.fault is gone and len(rec) == 0
        with pytest.raises(faults.ManagedObjectNotFound):
            rec.name  # noqa: B018
        with pytest.raises(faults.ManagedObjectNotFound):
            rec["name"]

    def test_repr_is_short(self) -> None:
        rec = ObjectRecord(VM, {"config": _config(), "name": "web-1", "summary": _summary(),
                                "a": 1, "b": 2}, {"guest": _no_permission()})
        text = repr(rec)
        assert len(repr(_config())) > 5000
        assert len(text) < 400, text
        assert text.startswith("<ObjectRecord VirtualMachine:vm-42 config=VirtualMachine")
        assert "name='web-1'" in text and ", ...>" not in text
        assert text.endswith(", ... missing=['guest']>")
        assert "xxxxxxxxxx" * 10 not in text


# ============================================================================ apply_change
class TestPlainPaths:
    def test_assign_add_remove_indirect_remove(self) -> None:
        props: dict[str, object] = {"name": "web-1", "runtime.powerState": "poweredOn"}
        apply_change(props, "name", "assign", "web-2")
        apply_change(props, "runtime.powerState", "assign", "poweredOff")
        assert props == {"name": "web-2", "runtime.powerState": "poweredOff"}
        apply_change(props, "guest.ipAddress", "add", "10.0.0.1")  # not retrieved: kept
        assert props["guest.ipAddress"] == "10.0.0.1"
        # A retrieved path that is removed reads as unset (None), as a fresh retrieve would.
        apply_change(props, "name", "remove", None)
        apply_change(props, "runtime.powerState", "indirectRemove", None)
        assert props == {"name": None, "runtime.powerState": None,
                         "guest.ipAddress": "10.0.0.1"}
        rec = ObjectRecord(VM, props)
        assert rec.name is None and rec.runtime.powerState is None
        apply_change(props, "config", "remove", None)  # never there: nothing happens
        assert "config" not in props

    def test_unparsable_path(self) -> None:
        for bad in ("config.hardware.device[4000", "config..name", "a]b", "x[1]]"):
            props: dict[str, object] = {"config": _config()}
            with pytest.raises(ValueError, match="path"):
                apply_change(props, bad, "assign", 1)
            assert props == {"config": _config()}
        with pytest.raises(ValueError):
            apply_change({}, "config..name", "assign", 1)


class TestNestedPaths:
    def test_assign_inside_a_retrieved_object(self) -> None:
        original = _summary()
        props: dict[str, object] = {"summary": original}
        apply_change(props, "summary.runtime.powerState", "assign", "poweredOff")
        new = props["summary"]
        assert isinstance(new, t.VirtualMachineSummary)
        assert new.runtime.powerState == "poweredOff"
        assert new.runtime.host == MoRef("HostSystem", "host-1")  # the rest kept
        assert new.overallStatus == "green"
        # model_copy: the original objects are untouched.
        assert original == _summary() and original.runtime.powerState == "poweredOn"
        assert new is not original and new.runtime is not original.runtime

    def test_remove_inside_a_retrieved_object(self) -> None:
        props: dict[str, object] = {"summary": _summary()}
        apply_change(props, "summary.runtime.host", "remove", None)
        new = props["summary"]
        assert isinstance(new, t.VirtualMachineSummary)
        assert new.runtime.host is None and new.runtime.powerState == "poweredOn"

    def test_a_nested_retrieved_path_is_the_longest_match(self) -> None:
        props: dict[str, object] = {"summary.runtime": _summary().runtime, "name": "web-1"}
        apply_change(props, "summary.runtime.powerState", "assign", "suspended")
        assert props["summary.runtime"].powerState == "suspended"  # type: ignore[attr-defined]
        assert set(props) == {"summary.runtime", "name"}

    def test_a_path_that_does_not_fit_the_value(self) -> None:
        props: dict[str, object] = {"summary": _summary(), "name": "web-1"}
        with pytest.raises(ValueError):
            apply_change(props, "summary.noSuchField.x", "assign", 1)
        with pytest.raises(ValueError):
            apply_change(props, "name.first", "assign", 1)  # a str has no fields
        props = {"summary": t.VirtualMachineSummary()}
        with pytest.raises(ValueError):
            apply_change(props, "summary.runtime.powerState", "assign", "poweredOff")


class TestIndexedPaths:
    def test_add_assign_remove_by_key(self) -> None:
        original = _config()
        devices = original.hardware.device
        props: dict[str, object] = {"config": original}

        apply_change(props, "config.hardware.device[4001]", "add", _nic(4001, "aa"))
        keys = [d.key for d in props["config"].hardware.device]  # type: ignore[attr-defined]
        assert keys == [2000, 2001, 4000, 4001]  # appended

        apply_change(props, "config.hardware.device[4000]", "assign", _nic(4000, "bb"))
        new_devices = props["config"].hardware.device  # type: ignore[attr-defined]
        assert [d.key for d in new_devices] == [2000, 2001, 4000, 4001]
        assert new_devices[2].macAddress == "bb"  # replaced in place
        assert isinstance(new_devices[2], t.VirtualE1000)

        apply_change(props, "config.hardware.device[2000]", "remove", None)
        new_devices = props["config"].hardware.device  # type: ignore[attr-defined]
        assert [d.key for d in new_devices] == [2001, 4000, 4001]
        assert isinstance(new_devices, tuple)
        # Everything else of the config is kept; the original is untouched.
        assert props["config"].name == "web-1"  # type: ignore[attr-defined]
        assert props["config"].hardware.numCPU == 2  # type: ignore[attr-defined]
        assert original.hardware.device is devices
        assert [d.key for d in devices] == [2000, 2001, 4000]
        assert devices[2].macAddress == "00:50:56:00:00:01"

    def test_indexed_path_under_a_retrieved_array(self) -> None:
        original = (_disk(2000), _nic(4000))
        props: dict[str, object] = {"config.hardware.device": original}
        apply_change(props, "config.hardware.device[4000]", "remove", None)
        assert props["config.hardware.device"] == (_disk(2000),)
        apply_change(props, "config.hardware.device[2000].capacityInKB", "assign", 4096)
        (disk,) = props["config.hardware.device"]  # type: ignore[misc]
        assert disk.capacityInKB == 4096 and disk.key == 2000
        assert original == (_disk(2000), _nic(4000))

    def test_remove_of_an_unknown_key_changes_nothing(self) -> None:
        props: dict[str, object] = {"config.hardware.device": (_disk(2000),)}
        apply_change(props, "config.hardware.device[9]", "remove", None)
        assert props == {"config.hardware.device": (_disk(2000),)}
        with pytest.raises(ValueError, match="no element with key '9'"):
            apply_change(props, "config.hardware.device[9].capacityInKB", "assign", 1)

    def test_moref_and_quoted_keys(self) -> None:
        host = MoRef("HostSystem", "host-1")
        props: dict[str, object] = {"config.extraConfig": (
            t.OptionValue(key="a", value="1"), t.OptionValue(key="b.c", value="2"))}
        apply_change(props, 'config.extraConfig["b.c"]', "assign",
                     t.OptionValue(key="b.c", value="3"))
        assert [(o.key, o.value) for o in props["config.extraConfig"]] == [  # type: ignore[attr-defined]
            ("a", "1"), ("b.c", "3")]
        # Arrays keyed by moref (e.g. datastore.host) use "Type:value".
        entry = t.DatastoreHostMount(key=host, mountInfo=t.HostMountInfo(accessMode="readWrite"))
        props = {"host": (entry,)}
        apply_change(props, "host[HostSystem:host-1].mountInfo.accessMode", "assign",
                     "readOnly")
        assert props["host"][0].mountInfo.accessMode == "readOnly"  # type: ignore[index]


@st.composite
def _ops(draw: st.DrawFn) -> list[tuple[str, int, int]]:
    keys = st.integers(min_value=0, max_value=12)
    return draw(st.lists(st.tuples(st.sampled_from(["add", "assign", "remove"]), keys,
                                   st.integers(0, 10**6)), max_size=40))


@settings(max_examples=200, deadline=None)
@given(initial=st.lists(st.integers(0, 12), unique=True, max_size=8), ops=_ops())
def test_keyed_array_changes_match_a_dict_model(initial: list[int],
                                                ops: list[tuple[str, int, int]]) -> None:
    """Random add/assign/remove on a keyed array behave like a dict keyed by ``key``
    (insertion ordered: a new key goes last, a replaced one keeps its place)."""
    devices = tuple(_disk(k, 1) for k in initial)
    props: dict[str, object] = {"config": t.VirtualMachineConfigInfo(
        hardware=t.VirtualHardware(device=devices))}
    model = {k: 1 for k in initial}
    for op, key, kb in ops:
        apply_change(props, f"config.hardware.device[{key}]", op,
                     None if op == "remove" else _disk(key, kb))
        if op == "remove":
            model.pop(key, None)
        else:
            model[key] = kb
        result = props["config"].hardware.device  # type: ignore[attr-defined]
        assert [(d.key, d.capacityInKB) for d in result] == list(model.items())
    assert [d.key for d in devices] == initial  # the original tuple is untouched
