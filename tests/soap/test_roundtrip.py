"""Every data type in the schema round-trips: encode -> parse -> decode gives the same value.

Values are generated from the schema itself: scalars within their xsd ranges, strings of
XML-legal text (markup characters, CR/LF/TAB, non-ASCII), enum members, morefs of the declared
managed type or a subtype, nested data objects to a small depth (sometimes a subtype, with
``xsi:type``), arrays as tuples, and anyType values from the explicit wrappers.

One generator serves two drivers: a deterministic loop that builds one value for each of the
~3,200 types, and a hypothesis test that samples types and shrinks failures.
"""

from __future__ import annotations

import random
import string
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Protocol

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiovsphere.soap.codec import decode_value, encode_value
from aiovsphere.vim._classes import data_class, enum_class
from aiovsphere.vim._moref import ManagedObjectReference
from aiovsphere.vim._schema import PropInfo
from aiovsphere.vim.anytype import AnyArray, Byte, Double, Float, Int, Long, Short

from .support import S, parse, strict_equal

ALL_DATA = sorted(S.data_type_names())
MANAGED = sorted(S.managed_type_names())
ENUMS = sorted(S.enums)
MAX_DEPTH = 2  # optional nested data objects stop here; required ones always go on
MAX_ITEMS = 2

RANGES = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
ZONES = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)),
         timezone(timedelta(hours=14)), timezone(timedelta(minutes=-45))]
# Text: markup characters, whitespace XML must keep, non-ASCII of every width.
PALETTE = (string.ascii_letters + string.digits + " &<>\"'\r\n\t;=/]" +
           "é中文日本語한국어" + "😀🚀𝄞" + "\u0085\u2028\ufeff\x7f")
ILLEGAL = set(range(0x00, 0x09)) | {0x0B, 0x0C} | set(range(0x0E, 0x20)) | {0xFFFE, 0xFFFF}
OTHER_MOREF_TYPES = ["com.vmware.content.Library", "com.vmware.content.library.Item",
                     "FutureManagedThing"]


def _subtypes(names: list[str]) -> dict[str, list[str]]:
    subs: dict[str, list[str]] = defaultdict(list)
    for name in names:
        cur: str | None = name
        while cur is not None:
            subs[cur].append(name)
            cur = S.base_of(cur)
    return subs


DATA_SUBTYPES = _subtypes(ALL_DATA)
MANAGED_SUBTYPES = _subtypes(MANAGED)


class Chooser(Protocol):
    def boolean(self) -> bool: ...
    def integer(self, lo: int, hi: int) -> int: ...
    def floating(self) -> float: ...
    def text(self) -> str: ...
    def binary(self) -> bytes: ...
    def when(self) -> datetime: ...
    def pick(self, options: list[Any]) -> Any: ...


class RandomChooser:
    """Seeded ``random`` choices, biased to edges (bounds, empty, special characters)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def boolean(self) -> bool:
        return self.rng.random() < 0.5

    def integer(self, lo: int, hi: int) -> int:
        r = self.rng.random()
        if r < 0.3:
            return self.rng.choice([lo, hi, 0, -1 if lo < 0 else 1])
        return self.rng.randint(lo, hi)

    def floating(self) -> float:
        return self.rng.choice([0.0, -0.0, 1.5, float("inf"), float("-inf"), 5e-324,
                                1.7976931348623157e308, self.rng.uniform(-1e12, 1e12),
                                self.rng.random()])

    def text(self) -> str:
        n = self.rng.choice([0, 1, 3, 8])
        out = []
        for _ in range(n):
            if self.rng.random() < 0.8:
                out.append(self.rng.choice(PALETTE))
            else:
                c = self.rng.randint(0x20, 0x10FFFF)
                while 0xD800 <= c <= 0xDFFF or c in ILLEGAL:
                    c = self.rng.randint(0x20, 0x10FFFF)
                out.append(chr(c))
        return "".join(out)

    def binary(self) -> bytes:
        return self.rng.randbytes(self.rng.choice([0, 1, 5, 16]))

    def when(self) -> datetime:
        base = datetime(1, 1, 2) + timedelta(
            microseconds=self.rng.randint(0, (datetime(9999, 12, 30) - datetime(1, 1, 2))
                                          // timedelta(microseconds=1)))
        return base.replace(tzinfo=self.rng.choice(ZONES))

    def pick(self, options: list[Any]) -> Any:
        return self.rng.choice(options)


XML_TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs",),
                           exclude_characters="".join(chr(c) for c in ILLEGAL)),
    max_size=10,
)


class HypothesisChooser:
    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def boolean(self) -> bool:
        return self.data.draw(st.booleans())

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(st.integers(lo, hi))

    def floating(self) -> float:
        return self.data.draw(st.floats(allow_nan=False))

    def text(self) -> str:
        return self.data.draw(XML_TEXT)

    def binary(self) -> bytes:
        return self.data.draw(st.binary(max_size=16))

    def when(self) -> datetime:
        return self.data.draw(st.datetimes(min_value=datetime(1, 1, 2),
                                           max_value=datetime(9999, 12, 30),
                                           timezones=st.sampled_from(ZONES)))

    def pick(self, options: list[Any]) -> Any:
        return self.data.draw(st.sampled_from(options))


# ============================================================================ generator


def gen_xsd(c: Chooser, type_name: str) -> Any:
    if type_name in ("string", "anyURI"):
        return c.text()
    if type_name == "boolean":
        return c.boolean()
    if type_name in RANGES:
        return c.integer(*RANGES[type_name])
    if type_name in ("float", "double"):
        return c.floating()
    if type_name == "dateTime":
        return c.when()
    if type_name == "base64Binary":
        return c.binary()
    raise AssertionError(type_name)


def gen_moref(c: Chooser, declared: str) -> ManagedObjectReference:
    if declared in ("ManagedObject", "ManagedObjectReference"):
        mtype = c.pick(MANAGED + OTHER_MOREF_TYPES)
    else:
        mtype = c.pick(MANAGED_SUBTYPES[declared])
    guid = (c.text() or "g") if c.boolean() else None  # an empty serverGuid is not sent
    return ManagedObjectReference(mtype, c.text().strip(), serverGuid=guid)


def gen_enum(c: Chooser, name: str) -> Any:
    return enum_class(name)(c.pick(list(S.enums[name])))


ANY_KINDS = ["Int", "Long", "Short", "Byte", "Float", "Double", "bool", "str", "bytes",
             "datetime", "moref", "enum", "array", "data"]
ARRAY_ITEMS = ["string", "int", "long", "short", "byte", "boolean", "double", "float",
               "dateTime", "base64Binary", "ManagedObjectReference", "enum", "data"]


def gen_any(c: Chooser, depth: int) -> Any:
    kind = c.pick(ANY_KINDS if depth < MAX_DEPTH else ANY_KINDS[:-1])
    if kind in ("Int", "Long", "Short", "Byte"):
        cls = {"Int": Int, "Long": Long, "Short": Short, "Byte": Byte}[kind]
        return cls(c.integer(*RANGES[cls.xsd]))
    if kind in ("Float", "Double"):
        return (Float if kind == "Float" else Double)(c.floating())
    if kind == "bool":
        return c.boolean()
    if kind == "str":
        return c.text()
    if kind == "bytes":
        return c.binary()
    if kind == "datetime":
        return c.when()
    if kind == "moref":
        return gen_moref(c, "ManagedObject")
    if kind == "enum":
        return gen_enum(c, c.pick(ENUMS))
    if kind == "array":
        item = c.pick(ARRAY_ITEMS if depth < MAX_DEPTH else ARRAY_ITEMS[:-1])
        n = c.integer(0, MAX_ITEMS)
        if item == "ManagedObjectReference":
            return AnyArray(item, [gen_moref(c, "ManagedObject") for _ in range(n)])
        if item == "enum":
            name = c.pick(ENUMS)
            return AnyArray(name, [gen_enum(c, name) for _ in range(n)])
        if item == "data":
            name = c.pick(ALL_DATA)
            return AnyArray(name, [gen_data(c, name, depth + 1, exact=True) for _ in range(n)])
        return AnyArray(item, [gen_xsd(c, item) for _ in range(n)])
    return gen_data(c, c.pick(ALL_DATA), depth + 1)


def gen_member(c: Chooser, p: PropInfo, depth: int) -> Any:
    if p.kind == "xsd":
        return gen_xsd(c, p.type)
    if p.kind == "enum":
        return gen_enum(c, p.type)
    if p.kind == "moref":
        return gen_moref(c, p.type)
    if p.kind == "any":
        return gen_any(c, depth)
    return gen_data(c, p.type, depth + 1)


def gen_data(c: Chooser, declared: str, depth: int, exact: bool = False) -> Any:
    """A value of ``declared`` or (sometimes) one of its subtypes."""
    name = declared
    subs = DATA_SUBTYPES[declared] if declared != "DataObject" else ALL_DATA
    if not exact and len(subs) > 1 and c.integer(0, 3) == 0:
        name = c.pick(subs)
    values: dict[str, Any] = {}
    for p in S.data(name).all:
        if p.optional:
            if p.kind in ("data", "any") and depth >= MAX_DEPTH:
                continue
            if not c.boolean():
                continue
        if p.array:
            n = c.integer(0 if p.optional else 1, MAX_ITEMS)
            values[p.attr] = tuple(gen_member(c, p, depth) for _ in range(n))
        else:
            values[p.attr] = gen_member(c, p, depth)
    return data_class(name)(**values)


# ============================================================================ checks


def round_trip(value: Any, type_name: str) -> Any:
    body = encode_value(value, type_name)
    return decode_value(parse(body), type_name)


def check(value: Any, type_name: str) -> None:
    strict_equal(value, round_trip(value, type_name))
    # The same value in an anyType position carries its own xsi:type.
    strict_equal(value, round_trip(value, "anyType"))


def test_required_members_terminate() -> None:
    """No cycle of required data members: generating past MAX_DEPTH always ends."""
    seen: dict[str, int] = {}

    def depth(name: str, stack: tuple[str, ...]) -> int:
        assert name not in stack, f"required cycle: {' -> '.join((*stack, name))}"
        if name in seen:
            return seen[name]
        deepest = 0
        for p in S.data(name).all:
            if not p.optional and p.kind == "data":
                for sub in [p.type]:
                    deepest = max(deepest, 1 + depth(sub, (*stack, name)))
        seen[name] = deepest
        return deepest

    chains = {name: depth(name, ()) for name in ALL_DATA}
    assert max(chains.values()) < 12
    assert len(chains) == len(ALL_DATA) > 3000


def test_every_data_type_round_trips() -> None:
    """One generated value per data type (deterministic seed per type)."""
    failures: list[str] = []
    for i, name in enumerate(ALL_DATA):
        value = gen_data(RandomChooser(i), name, 0, exact=True)
        assert type(value).__name__ == name
        try:
            check(value, name)
        except AssertionError as exc:  # collect them all, then report
            failures.append(f"{name}: {exc}")
    assert not failures, f"{len(failures)} types failed:\n" + "\n".join(failures[:20])


def test_every_data_type_round_trips_with_all_members_set() -> None:
    """Each type once more with a seed that sets most optional members."""

    class Dense(RandomChooser):
        def boolean(self) -> bool:
            return self.rng.random() < 0.9

    for i, name in enumerate(ALL_DATA):
        value = gen_data(Dense(10_000 + i), name, 1, exact=True)
        check(value, name)


@settings(max_examples=2000, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_values_round_trip(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(ALL_DATA), label="type")
    value = gen_data(HypothesisChooser(data), name, 0)
    check(value, name)


@settings(max_examples=300, deadline=None, database=None)
@given(st.data())
def test_random_any_values_round_trip(data: st.DataObject) -> None:
    value = gen_any(HypothesisChooser(data), 0)
    strict_equal(value, round_trip(value, "anyType"))


@pytest.mark.parametrize("name", ["VirtualMachineConfigSpec", "HostConfigInfo",
                                  "ClusterConfigSpecEx", "PropertyFilterSpec", "TaskInfo"])
def test_big_types_round_trip_densely(name: str) -> None:
    for seed in range(5):
        value = gen_data(RandomChooser(seed), name, 0, exact=True)
        check(value, name)
