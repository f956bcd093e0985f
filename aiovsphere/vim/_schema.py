"""The vim25 schema: lookup tables over the generated ``_generated/schema.json``.

The JSON is produced by ``tools/codegen/generate.py`` from the pinned pyvmomi type registry.
Its format, one entry per wire type (keys are the wire names used in ``xsi:type``):

* ``versions``: ``[[wire_id, internal_name], ...]`` oldest first; members refer to versions by
  index into this list.
* ``data``: ``{name: [base, version, [[prop, type, version, flags], ...]]}``
* ``enums``: ``{name: [version, [value, ...]]}``
* ``managed``: ``{name: [base, version, props, methods]}``; a prop is
  ``[name, type, version, flags, privilege]``; a method is
  ``[name, version, params, [flags, return_type, task_result_type], privilege, faults]``.

Types are wire names; ``X[]`` is an array of X. ``flags`` are pyvmomi's: 1 link, 2 linkable,
4 optional, 8 secret. The schema loads on first use, not at ``import aiovsphere``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

__all__ = [
    "XSD_TYPES",
    "MethodInfo",
    "ParamInfo",
    "PropInfo",
    "Schema",
    "TypeKind",
    "schema",
]

F_OPTIONAL = 4
F_SECRET = 8

# XML Schema scalar types the vim25 API uses, by wire name.
XSD_TYPES = frozenset(
    {
        "string",
        "boolean",
        "byte",
        "short",
        "int",
        "long",
        "float",
        "double",
        "dateTime",
        "base64Binary",
        "anyURI",
        "anyType",
    }
)

TypeKind = Literal["xsd", "enum", "data", "moref", "any"]


@dataclass(frozen=True, slots=True)
class PropInfo:
    """One property (or method parameter) of a type, as the wire spells it."""

    name: str
    """Wire name (element name)."""
    attr: str
    """Python attribute name (``from`` becomes ``from_``)."""
    type: str
    """Wire type name of one item (without ``[]``)."""
    kind: TypeKind
    array: bool
    optional: bool
    secret: bool
    version: int
    """Index into :attr:`Schema.versions` of the API version that introduced it."""


@dataclass(frozen=True, slots=True)
class ParamInfo:
    prop: PropInfo
    privilege: str | None


@dataclass(frozen=True, slots=True)
class MethodInfo:
    """A managed object method: vim.<Type>.<Method> in the API reference."""

    name: str
    owner: str
    version: int
    params: tuple[ParamInfo, ...]
    returns: PropInfo | None
    """Return type (``None`` for void); ``returns.array`` for ``X[]``."""
    task_result: str | None
    """For ``*_Task`` methods: the wire type of ``TaskInfo.result``."""
    privilege: str | None
    faults: tuple[str, ...]


@dataclass(slots=True)
class DataTypeInfo:
    name: str
    base: str | None
    version: int
    own: tuple[PropInfo, ...]
    all: tuple[PropInfo, ...] = ()
    by_name: dict[str, PropInfo] = field(default_factory=dict)


@dataclass(slots=True)
class ManagedTypeInfo:
    name: str
    base: str | None
    version: int
    props: tuple[PropInfo, ...]
    methods: dict[str, MethodInfo]


_ARRAY_OF = re.compile(r"^ArrayOf([A-Z].*)$")


class Schema:
    """Indexed view of the generated schema. Obtain it with :func:`schema`."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.namespace: str = raw["namespace"]
        self.versions: tuple[str, ...] = tuple(v[0] for v in raw["versions"])
        self._version_index = {v: i for i, v in enumerate(self.versions)}
        self.enums: dict[str, tuple[str, ...]] = {
            k: tuple(v[1]) for k, v in raw["enums"].items()
        }
        self._raw_data: dict[str, Any] = raw["data"]
        self._raw_managed: dict[str, Any] = raw["managed"]
        self._data: dict[str, DataTypeInfo] = {}
        self._managed: dict[str, ManagedTypeInfo] = {}
        # ArrayOfX wrapper names -> item type, for anyType positions.
        self._array_of: dict[str, str] = {}
        for item in (*XSD_TYPES, *self._raw_data, *self.enums, "ManagedObjectReference"):
            self._array_of["ArrayOf" + item[0].upper() + item[1:]] = item

    # ------------------------------------------------------------------ versions
    def version_index(self, version: str) -> int:
        """Index of a wire API version id such as ``"8.0.3.0"``.

        An id we do not know (a newer server) ranks after every known version.
        Raises ``KeyError`` only for ids that are not dotted versions at all.
        """
        try:
            return self._version_index[version]
        except KeyError:
            pass
        key = _version_key(version)
        if key == (-1,):
            raise KeyError(version)
        older = [i for i, v in enumerate(self.versions) if (-1,) < _version_key(v) <= key]
        if not older:
            raise KeyError(version)
        return max(older)

    # ------------------------------------------------------------------ kinds
    def kind(self, type_name: str) -> TypeKind:
        if type_name == "anyType":
            return "any"
        if type_name in XSD_TYPES:
            return "xsd"
        if type_name in self.enums:
            return "enum"
        if type_name in self._raw_managed or type_name in (
            "ManagedObject",
            "ManagedObjectReference",
        ):
            return "moref"
        if type_name in self._raw_data or type_name == "DataObject":
            return "data"
        raise KeyError(type_name)

    def is_data(self, name: str) -> bool:
        return name in self._raw_data

    def is_managed(self, name: str) -> bool:
        return name in self._raw_managed

    def array_item(self, wrapper: str) -> str | None:
        """``"ArrayOfString"`` -> ``"string"``; ``None`` if not a known wrapper."""
        return self._array_of.get(wrapper)

    def array_wrapper(self, item: str) -> str:
        return "ArrayOf" + item[0].upper() + item[1:]

    # ------------------------------------------------------------------ data types
    def data(self, name: str) -> DataTypeInfo:
        info = self._data.get(name)
        if info is None:
            info = self._build_data(name)
        return info

    def _build_data(self, name: str) -> DataTypeInfo:
        if name == "DataObject":
            info = DataTypeInfo("DataObject", None, 0, ())
            self._data[name] = info
            return info
        base, version, props = self._raw_data[name]  # KeyError: unknown type
        own = tuple(self._prop(p[0], p[1], p[2], p[3]) for p in props)
        parent = self.data(base) if base else None
        info = DataTypeInfo(name, base, version, own)
        info.all = (parent.all if parent else ()) + own
        info.by_name = {p.name: p for p in info.all}
        self._data[name] = info
        return info

    def _prop(self, name: str, type_: str, version: int, flags: int) -> PropInfo:
        array = type_.endswith("[]")
        item = type_[:-2] if array else type_
        attr = name + "_" if name in _RESERVED else name
        return PropInfo(
            name=name,
            attr=attr,
            type=item,
            kind=self.kind(item),
            array=array,
            optional=bool(flags & F_OPTIONAL) or array,
            secret=bool(flags & F_SECRET),
            version=version,
        )

    def base_of(self, name: str) -> str | None:
        if name in self._raw_data:
            base: str | None = self._raw_data[name][0]
            return base
        if name in self._raw_managed:
            mbase: str | None = self._raw_managed[name][0]
            return mbase
        return None

    def is_subtype(self, name: str, ancestor: str) -> bool:
        cur: str | None = name
        while cur is not None:
            if cur == ancestor:
                return True
            cur = self.base_of(cur)
        return ancestor == "DataObject" and name in self._raw_data

    def is_fault(self, name: str) -> bool:
        return name in self._raw_data and self.is_subtype(name, "MethodFault")

    def data_type_names(self) -> list[str]:
        return list(self._raw_data)

    def managed_type_names(self) -> list[str]:
        return list(self._raw_managed)

    # ------------------------------------------------------------------ managed types
    def managed(self, name: str) -> ManagedTypeInfo:
        info = self._managed.get(name)
        if info is None:
            info = self._build_managed(name)
        return info

    def _build_managed(self, name: str) -> ManagedTypeInfo:
        if name == "ManagedObject":
            info = ManagedTypeInfo("ManagedObject", None, 0, (), {})
            self._managed[name] = info
            return info
        base, version, props, methods = self._raw_managed[name]
        parent = self.managed(base) if base else None
        mprops = (parent.props if parent else ()) + tuple(
            self._prop(p[0], p[1], p[2], p[3]) for p in props
        )
        mdict = dict(parent.methods) if parent else {}
        for m in methods:
            mname, mversion, params, ret, privilege, faults = m
            ret_flags, ret_type, task_result = ret
            returns = (
                None
                if ret_type == "void"
                else self._prop("returnval", ret_type, mversion, ret_flags)
            )
            mdict[mname] = MethodInfo(
                name=mname,
                owner=name,
                version=mversion,
                params=tuple(
                    ParamInfo(self._prop(p[0], p[1], p[2], p[3]), p[4]) for p in params
                ),
                returns=returns,
                task_result=task_result,
                privilege=privilege,
                faults=tuple(faults),
            )
        info = ManagedTypeInfo(name, base, version, mprops, mdict)
        self._managed[name] = info
        return info

    def method(self, owner: str, name: str) -> MethodInfo:
        """Look a method up by the managed type it is called on (inherited ones included).

        Raises ``KeyError`` if the type or method is unknown.
        """
        return self.managed(owner).methods[name]

    def find_method(self, name: str) -> MethodInfo | None:
        """A method by wire name on any managed type (for objects of unknown type)."""
        for owner in self._raw_managed:
            for m in self._raw_managed[owner][3]:
                if m[0] == name:
                    return self.managed(owner).methods[name]
        return None


_RESERVED = frozenset({"from", "class", "def", "global", "import", "in", "is", "lambda"})


def _version_key(version: str) -> tuple[int, ...]:
    parts: list[int] = []
    for part in re.split(r"[.u]", version):
        if not part.isdigit():
            return (-1,)
        parts.append(int(part))
    return tuple(parts)


@cache
def schema() -> Schema:
    """The process-wide schema (immutable once loaded; loaded on first call)."""
    text = resources.files("aiovsphere.vim._generated").joinpath("schema.json").read_text()
    return Schema(json.loads(text))
