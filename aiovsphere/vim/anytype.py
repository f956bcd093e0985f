"""Explicit wire types for values in ``xsd:anyType`` positions.

A value stored in an ``anyType`` field (``OptionValue.value``, PropertyCollector ``val``,
``KeyAnyValue.value``) carries its own ``xsi:type`` on the wire, and servers care which:
an ESXi advanced option declared ``long`` refuses ``xsd:int``. Plain Python values are sent as

========================  =======================
Python value              xsi:type
========================  =======================
``bool``                  ``xsd:boolean``
``int``                   ``xsd:long``
``float``                 ``xsd:double``
``str``                   ``xsd:string``
``bytes``                 ``xsd:base64Binary``
``datetime``              ``xsd:dateTime``
moref / data object       its own type
vim enum member           its enum type
``tuple``/``list``        ``ArrayOfX`` inferred from the items (non-empty, one type)
========================  =======================

Wrap a value to choose: ``Int(5)`` is sent as ``xsd:int``, ``Short``, ``Byte``, ``Float``
likewise, and ``AnyArray("int", [1, 2])`` as ``ArrayOfInt``. Decoding gives back the same
wrappers (they are ``int``/``float``/``tuple`` subclasses, so they compare and compute
like the plain values), which makes an anyType value round-trip unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["AnyArray", "Byte", "Double", "Float", "Int", "Long", "Short", "xsd_type_of"]


class _Tagged:
    xsd: str = ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({super().__repr__()})"


class Byte(_Tagged, int):
    """``xsd:byte`` (-128..127)."""

    xsd = "byte"


class Short(_Tagged, int):
    """``xsd:short``."""

    xsd = "short"


class Int(_Tagged, int):
    """``xsd:int`` (32-bit)."""

    xsd = "int"


class Long(_Tagged, int):
    """``xsd:long`` (64-bit); what a plain ``int`` is sent as."""

    xsd = "long"


class Float(_Tagged, float):
    """``xsd:float``."""

    xsd = "float"


class Double(_Tagged, float):
    """``xsd:double``; what a plain ``float`` is sent as."""

    xsd = "double"


class AnyArray(tuple[Any, ...]):
    """An ``ArrayOfX`` value: ``AnyArray(item_type, items)``; ``item_type`` is a wire name
    (``"string"``, ``"int"``, ``"ManagedObjectReference"``, ``"OptionValue"``...)."""

    item_type: str

    def __new__(cls, item_type: str, items: Iterable[Any] = ()) -> AnyArray:
        self = super().__new__(cls, items)
        self.item_type = item_type
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (AnyArray, (self.item_type, tuple(self)))

    def __repr__(self) -> str:
        return f"AnyArray({self.item_type!r}, {tuple(self)!r})"


_WRAPPERS: dict[str, type[Any]] = {
    "byte": Byte,
    "short": Short,
    "int": Int,
    "long": Long,
    "float": Float,
    "double": Double,
}


def xsd_type_of(value: Any) -> str | None:
    """The explicit xsd type of a wrapper, or ``None`` for plain values."""
    return value.xsd if isinstance(value, _Tagged) else None


def wrap(xsd: str, value: Any) -> Any:
    """Wrap a decoded anyType number so that it keeps its wire type."""
    cls = _WRAPPERS.get(xsd)
    return cls(value) if cls is not None else value
