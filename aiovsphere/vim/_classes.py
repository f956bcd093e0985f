"""Runtime of :mod:`aiovsphere.vim.types`: every data object and enum class, built lazily.

``from aiovsphere.vim import types; types.VirtualMachineConfigSpec(name="vm1", numCPUs=2)``

Classes are named by their wire (WSDL) names and created from the schema the first time
they are used, so ``import aiovsphere`` stays fast; ``types.pyi`` gives them static types.
Data objects are frozen pydantic models (:class:`~aiovsphere.vim._base.DataObject`); enums
are ``str`` enums, and an enum value a newer server sends that this schema lacks decodes
as a plain ``str``.
"""

from __future__ import annotations

import enum
import keyword
import threading
from datetime import datetime
from typing import Any

from pydantic import Field, create_model

from aiovsphere.vim._base import DataObject
from aiovsphere.vim._moref import ManagedObjectReference
from aiovsphere.vim._schema import PropInfo, schema

__all__ = [
    "DataObject",
    "ManagedObjectReference",
    "data_class",
    "enum_class",
    "enum_member_name",
    "unknown_subclass",
]

_PY = {
    "string": str,
    "anyURI": str,
    "boolean": bool,
    "byte": int,
    "short": int,
    "int": int,
    "long": int,
    "float": float,
    "double": float,
    "dateTime": datetime,
    "base64Binary": bytes,
}

# Caches of built classes. Process-wide like the schema they derive from: classes are
# immutable values, and two clients must see the same class for the same type.
_lock = threading.RLock()
_data: dict[str, type[DataObject]] = {"DataObject": DataObject}
_enums: dict[str, type[enum.Enum]] = {}
_unknown: dict[tuple[str, str], type[DataObject]] = {}
_UNKNOWN_LIMIT = 2048  # a hostile server must not grow this without bound


def _annotation(p: PropInfo) -> Any:
    item: Any
    if p.kind == "xsd":
        item = _PY.get(p.type, Any)
    elif p.kind == "moref":
        item = ManagedObjectReference
    elif p.kind == "enum":
        item = str
    else:
        # Nested data objects and anyType: typed in types.pyi; checked by the encoder.
        item = Any
    if p.array:
        return tuple[item, ...]
    return item | None


def data_class(name: str) -> type[DataObject]:
    """The class for data type ``name`` (wire name). Raises ``KeyError`` if unknown."""
    cls = _data.get(name)
    if cls is not None:
        return cls
    with _lock:
        cls = _data.get(name)
        if cls is None:
            cls = _build(name)
    return cls


def _build(name: str) -> type[DataObject]:
    info = schema().data(name)
    base = data_class(info.base) if info.base else DataObject
    fields: dict[str, Any] = {}
    for p in info.own:
        default: Any = () if p.array else None
        fields[p.attr] = (
            _annotation(p),
            Field(default=default, alias=p.name if p.attr != p.name else None, repr=not p.secret),
        )
    cls: type[DataObject] = create_model(
        name, __base__=base, __module__="aiovsphere.vim.types", **fields
    )
    cls.__vim_defaults__ = {p.attr: () if p.array else None for p in info.all}
    cls.__vim_known__ = True
    _data[name] = cls
    return cls


def unknown_subclass(wire_name: str, base: type[DataObject]) -> type[DataObject]:
    """A class for a wire type the schema lacks, derived from its nearest known ``base``.

    Past a bound on distinct unknown names, ``base`` itself is returned.
    """
    key = (wire_name, base.__name__)
    cls = _unknown.get(key)
    if cls is not None:
        return cls
    if not wire_name.isidentifier() or keyword.iskeyword(wire_name):
        return base
    with _lock:
        if len(_unknown) >= _UNKNOWN_LIMIT:
            return base
        cls = create_model(wire_name, __base__=base, __module__="aiovsphere.vim.types")
        cls.__vim_defaults__ = base.__vim_defaults__
        cls.__vim_known__ = False
        # Not an attribute of aiovsphere.vim.types, so pickle by (wire name, known base).
        cls.__reduce__ = _reduce_unknown  # type: ignore[method-assign,assignment]
        _unknown[key] = cls
    return cls


def _reduce_unknown(self: DataObject) -> tuple[Any, ...]:
    cls = type(self)
    return (_rebuild_unknown, (cls.__name__, cls.__mro__[1].__name__, self.__getstate__()))


def _rebuild_unknown(wire_name: str, base_name: str, state: dict[Any, Any]) -> DataObject:
    cls = unknown_subclass(wire_name, data_class(base_name))
    self = cls.__new__(cls)
    self.__setstate__(state)
    return self


def enum_class(name: str) -> type[enum.Enum]:
    """The ``str`` enum class for enum type ``name``. Raises ``KeyError`` if unknown."""
    cls = _enums.get(name)
    if cls is not None:
        return cls
    values = schema().enums[name]
    with _lock:
        cls = _enums.get(name)
        if cls is None:
            used: set[str] = set()
            members = [(enum_member_name(value, used), value) for value in values]
            built: type[enum.Enum] = enum.Enum(  # type: ignore[misc]
                name, members, type=str, module="aiovsphere.vim.types"
            )
            built.__str__ = str.__str__  # type: ignore[method-assign]
            _enums[name] = cls = built
    return cls


def enum_member_name(value: str, used: set[str]) -> str:
    """The Python member name for enum value ``value`` (shared with the stub generator).

    Non-identifier characters become ``_``; a name that would shadow ``str``/``Enum``
    attributes or a keyword gets a trailing ``_``; ``used`` disambiguates collisions.
    """
    ident = "".join(c if c.isalnum() or c == "_" else "_" for c in value) or "_"
    if ident[0].isdigit():
        ident = "_" + ident
    if keyword.iskeyword(ident) or ident in _SHADOWED or ident.startswith("_"):
        ident += "_"
    while ident in used:
        ident += "_"
    used.add(ident)
    return ident


_SHADOWED = frozenset(dir(str)) | {"name", "value", "mro"}


def __getattr__(name: str) -> Any:
    s = schema()
    if s.is_data(name) or name == "DataObject":
        return data_class(name)
    if name in s.enums:
        return enum_class(name)
    raise AttributeError(f"module 'aiovsphere.vim.types' has no vim25 type {name!r}")


def __dir__() -> list[str]:
    s = schema()
    return sorted({*globals(), *s.data_type_names(), *s.enums})
