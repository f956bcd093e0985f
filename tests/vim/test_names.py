"""Escaping of inventory names and paths (``/`` %2f, ``\\`` %5c, ``%`` %25), and the
finder's path parsing and matching, without a server."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiovsphere import EncodeError
from aiovsphere._finder import _Filter, _parse, _Pattern, _types
from aiovsphere._names import escape_name, join_path, split_path, unescape_name

NAMES = ["a/b", "100%", "back\\slash", "R&D <test>", "Größe-虚拟机"]


@pytest.mark.parametrize(("name", "escaped"), [
    ("a/b", "a%2fb"),
    ("100%", "100%25"),
    ("back\\slash", "back%5cslash"),
    ("R&D <test>", "R&D <test>"),
    ("Größe-虚拟机", "Größe-虚拟机"),
    ("%2f", "%252f"),
    ("/%\\", "%2f%25%5c"),
    ("", ""),
])
def test_escape_and_unescape(name: str, escaped: str) -> None:
    assert escape_name(name) == escaped
    assert unescape_name(escaped) == name


def test_unescape_accepts_upper_case_and_is_one_pass() -> None:
    assert unescape_name("a%2Fb%5Cc%2fd%5ce") == "a/b\\c/d\\e"
    assert unescape_name("%252f") == "%2f"  # an escaped % followed by "2f", not a slash
    assert unescape_name("%25252f") == "%252f"


def test_unescape_keeps_a_percent_that_starts_no_escape() -> None:
    assert unescape_name("100%") == "100%"
    assert unescape_name("%41%zz%2") == "%41%zz%2"


@given(st.text())
def test_round_trip_for_any_text(name: str) -> None:
    escaped = escape_name(name)
    assert unescape_name(escaped) == name
    assert "/" not in escaped and "\\" not in escaped
    assert split_path(join_path("DC0", name)) == (["DC0", name] if name else ["DC0"])


def test_join_and_split() -> None:
    assert join_path() == "/"
    assert join_path("DC0", "vm", "a/b", "100%") == "/DC0/vm/a%2fb/100%25"
    assert split_path("/DC0//vm/a%2fb/") == ["DC0", "vm", "a/b"]
    assert split_path("/") == []


# ---------------------------------------------------------------------------- parsing
def test_absolute_relative_and_bare_paths() -> None:
    assert _parse("/DC0/vm/*") == (True, ["DC0", "vm", "*"])
    assert _parse("vm/DC0_H0_VM0") == (False, ["vm", "DC0_H0_VM0"])
    assert _parse("*/DC0_H0_VM*") == (False, ["*", "DC0_H0_VM*"])
    # A bare name (no "/") is searched for at any depth.
    assert _parse("DC0_H0_VM0") == (False, ["**", "DC0_H0_VM0"])
    assert _parse("") == (False, [])
    assert _parse("/") == (True, [])
    assert _parse("./vm//./x/") == (False, ["vm", "x"])
    assert _parse("/DC0/**/**/x") == (True, ["DC0", "**", "x"])


def test_components_are_unescaped() -> None:
    assert _parse("/DC0/vm/a%2fb") == (True, ["DC0", "vm", "a/b"])
    assert _parse("100%") == (False, ["**", "100%"])
    assert _parse("100%25") == (False, ["**", "100%"])
    assert _parse("back\\slash") == (False, ["**", "back\\slash"])


def test_dot_dot_is_refused() -> None:
    with pytest.raises(EncodeError, match=r"'\.\.'"):
        _parse("/DC0/vm/../host")


def _run(pattern: _Pattern, names: list[str]) -> frozenset[int]:
    states = pattern.close({0})
    for name in names:
        states = pattern.step(states, name)
    return states


@pytest.mark.parametrize(("parts", "names", "matches"), [
    (["DC0", "vm", "*"], ["DC0", "vm", "x"], True),
    (["DC0", "vm", "*"], ["DC0", "vm"], False),
    (["DC0", "vm", "*"], ["DC0", "host", "x"], False),
    (["DC0", "vm", "DC0_H0_VM?"], ["DC0", "vm", "DC0_H0_VM7"], True),
    (["DC0", "vm", "DC0_H0_VM[0-3]"], ["DC0", "vm", "DC0_H0_VM4"], False),
    (["**", "x"], ["DC0", "vm", "f", "x"], True),
    (["**", "x"], ["x"], True),
    (["DC0", "**"], ["DC0"], True),  # ** matches zero levels
    (["DC0", "**"], ["DC0", "vm", "f"], True),
    (["**", "a/b"], ["DC0", "vm", "a/b"], True),
    (["*"], ["a/b"], True),  # a name's own slash is no separator
    (["vm", "a", "b"], ["vm", "a/b"], True),  # ...but components may span it (govc)
    (["vm", "a*", "b"], ["vm", "a/x/b"], True),
    (["vm", "a", "b"], ["vm", "a/c"], False),
    (["vm", "a", "b", "*"], ["vm", "a/b"], False),
    (["vm", "a", "b", "*"], ["vm", "a/b", "c"], True),
    (["a", "**", "b"], ["a/b"], False),  # no span across **
    (["[*]"], ["*"], True),
    (["[*]"], ["x"], False),
    (["back\\slash"], ["back\\slash"], True),
    (["R&D <*>"], ["R&D <test>"], True),
    (["Größe-*"], ["Größe-虚拟机"], True),
    (["dc0"], ["DC0"], False),  # case-sensitive
])
def test_pattern_matching(parts: list[str], names: list[str], matches: bool) -> None:
    pattern = _Pattern(parts)
    assert (pattern.end in _run(pattern, names)) is matches


def test_types_are_checked_and_cover_subtypes() -> None:
    assert _types(None) == ()
    assert _types("Network") == ("Network",)
    assert _types(["VirtualMachine", "VirtualMachine", "HostSystem"]) == (
        "VirtualMachine", "HostSystem")
    for bad in ("VirtualMachines", "VirtualMachineConfigSpec", "PropertyCollector"):
        with pytest.raises(EncodeError, match="not a managed entity type"):
            _types(bad)
    network = _Filter(("Network",))
    assert network.wants("DistributedVirtualPortgroup") and network.wants("OpaqueNetwork")
    assert not network.wants("DistributedVirtualSwitch")
    assert _Filter(("ResourcePool",)).wants("VirtualApp")
    assert _Filter(("Folder",)).wants("StoragePod")
    assert not _Filter(("ClusterComputeResource",)).wants("ComputeResource")


def test_folders_that_cannot_hold_a_type_are_not_walked() -> None:
    vm_folder = ("Folder", "VirtualMachine", "VirtualApp")
    host_folder = ("Folder", "ComputeResource")
    root = ("Folder", "Datacenter")
    datastores = _Filter(("Datastore",))
    assert not datastores.enters("Folder", vm_folder)
    assert not datastores.enters("Folder", host_folder)
    assert datastores.enters("Folder", root)
    assert datastores.enters("Datacenter", None)
    assert _Filter(("HostSystem",)).enters("Folder", host_folder)
    # A VM can sit in a vApp under a resource pool: the host folder stays in.
    assert _Filter(("VirtualMachine",)).enters("Folder", host_folder)
    assert not _Filter(("VirtualMachine",)).enters("Folder", ("Folder", "Network"))
    # Datacenters do not nest.
    assert not _Filter(("Datacenter",)).enters("Datacenter", None)
    # No filter, or a type any folder may hold: every folder.
    assert _Filter(()).enters("Folder", ("Folder", "Network"))
    assert _Filter(("Folder",)).enters("Folder", ("Folder", "Network"))
    assert _Filter(("Datastore", "Folder")).enters("Folder", vm_folder)
