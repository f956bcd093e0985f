"""Values <-> vim25 XML, driven by the generated schema.

:class:`Encoder` writes a document/literal request body for one method call;
:class:`Decoder` turns parsed response elements into typed values. Both are pure: bytes and
lxml elements in, values out. Errors are typed (:class:`~aiovsphere.EncodeError`,
:class:`~aiovsphere.DecodeError`) and name the method and the path of the offending value.

Wire rules, as vSphere servers apply them:

* Properties are written in schema order, base type first (the WSDL uses ``xsd:sequence``).
* ``xsi:type`` is written wherever the value's type differs from the declared one (a subtype,
  or any value in an ``anyType`` position); arrays are repeated elements, and an array in an
  ``anyType`` position is an ``ArrayOfX`` wrapper whose items are ``<X>`` elements.
* ``xsi:type`` values are resolved by namespace URI, whatever the prefix.
* A moref is ``<e type="VirtualMachine">vm-42</e>``; the plain ``type`` attribute is the
  managed type, ``xsi:type`` (if present, in any order) is ``ManagedObjectReference``.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from lxml import etree
from pydantic import BaseModel

from aiovsphere._errors import DecodeError, EncodeError, VersionError
from aiovsphere.soap._datetime import format_datetime, parse_datetime
from aiovsphere.vim import types as _types
from aiovsphere.vim._base import DataObject
from aiovsphere.vim._moref import ManagedObjectReference
from aiovsphere.vim._schema import XSD_TYPES, MethodInfo, PropInfo, Schema
from aiovsphere.vim.anytype import AnyArray, wrap, xsd_type_of

__all__ = [
    "NS_SOAPENV",
    "NS_VIM",
    "NS_XSD",
    "NS_XSI",
    "Decoder",
    "Encoder",
    "decode_value",
    "encode_value",
    "escape_text",
]

NS_VIM = "urn:vim25"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_XSD = "http://www.w3.org/2001/XMLSchema"
NS_SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_TYPE = "{%s}type" % NS_XSI

# Characters XML 1.0 cannot carry at all (even escaped).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_INT_RANGES = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}


def escape_text(value: str, *, attribute: bool = False) -> str:
    """Escape a string for XML text (or an attribute value).

    ``\\r`` is written as ``&#13;`` so it survives XML line-end normalisation.
    Raises ``ValueError`` for characters XML cannot carry (control characters, lone
    surrogates, U+FFFE/U+FFFF).
    """
    bad = _ILLEGAL.search(value)
    if bad is not None:
        raise ValueError(
            f"character U+{ord(bad.group()):04X} at offset {bad.start()} cannot be sent in XML"
        )
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    if attribute:
        value = value.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return value


def _format_float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    return repr(float(value))


class Encoder:
    """Encode method calls for one negotiated API version.

    ``version`` is an index into :attr:`Schema.versions`; members newer than it are refused
    with :class:`~aiovsphere.VersionError` rather than sent.
    """

    def __init__(self, schema: Schema, version: int) -> None:
        self.schema = schema
        self.version = version
        self.method = ""

    # ------------------------------------------------------------------ entry point
    def call(
        self, method: MethodInfo, this: ManagedObjectReference, args: Mapping[str, Any]
    ) -> bytes:
        """The SOAP envelope for ``this.<method>(**args)`` as UTF-8 bytes."""
        self.method = method.name
        if method.version > self.version:
            raise VersionError(
                f"needs API {self.schema.versions[method.version]}, "
                f"the session speaks {self.schema.versions[self.version]}",
                method=method.name,
            )
        known = {p.prop.attr: p.prop for p in method.params}
        known.update({p.prop.name: p.prop for p in method.params})
        unexpected = [k for k in args if k not in known]
        if unexpected:
            raise EncodeError(
                f"unexpected argument(s) {', '.join(sorted(unexpected))}; "
                f"{method.owner}.{method.name} takes "
                f"{', '.join(p.prop.name for p in method.params) or 'no arguments'}",
                method=method.name,
            )
        out: list[str] = [
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<soapenv:Envelope xmlns:soapenv="{NS_SOAPENV}" xmlns:xsd="{NS_XSD}" '
            f'xmlns:xsi="{NS_XSI}"><soapenv:Body><{method.name} xmlns="{NS_VIM}">'
        ]
        self._moref(out, "_this", this, "ManagedObject", "_this", declare=False)
        for param in method.params:
            p = param.prop
            value = args.get(p.attr, args.get(p.name))
            self._member(out, p, value, p.name)
        out.append(f"</{method.name}></soapenv:Body></soapenv:Envelope>")
        return "".join(out).encode("utf-8")

    # ------------------------------------------------------------------ helpers
    def _fail(self, message: str, path: str) -> EncodeError:
        return EncodeError(message, method=self.method, path=path)

    def _member(self, out: list[str], p: PropInfo, value: Any, path: str) -> None:
        if value is None or (p.array and isinstance(value, (tuple, list)) and not value):
            if not p.optional:
                raise self._fail("is required", path)
            return
        if p.version > self.version:
            raise VersionError(
                f"was added in API {self.schema.versions[p.version]}; "
                f"the session speaks {self.schema.versions[self.version]}",
                method=self.method,
                path=path,
            )
        if p.array:
            if isinstance(value, (str, bytes, Mapping, BaseModel)) or not isinstance(
                value, Iterable
            ):
                raise self._fail(f"expects a sequence of {p.type}, got {type(value).__name__}",
                                 path)
            for i, item in enumerate(value):
                if item is None:
                    raise self._fail("array items cannot be None", f"{path}[{i}]")
                self._item(out, p.name, item, p.type, p.kind, f"{path}[{i}]")
        else:
            self._item(out, p.name, value, p.type, p.kind, path)

    def _item(self, out: list[str], tag: str, value: Any, type_: str, kind: str,
              path: str) -> None:
        if kind == "xsd":
            out.append(f"<{tag}>{self._xsd_text(type_, value, path)}</{tag}>")
        elif kind == "enum":
            out.append(f"<{tag}>{self._enum_text(type_, value, path)}</{tag}>")
        elif kind == "moref":
            self._moref(out, tag, value, type_, path, declare=False)
        elif kind == "data":
            self._data(out, tag, value, type_, path)
        else:
            self._any(out, tag, value, path)

    def _xsd_text(self, type_: str, value: Any, path: str) -> str:
        if type_ in ("string", "anyURI"):
            if not isinstance(value, str):
                raise self._fail(f"expects str, got {type(value).__name__}", path)
            try:
                return escape_text(value.value if isinstance(value, Enum) else value)
            except ValueError as exc:
                raise self._fail(str(exc), path) from None
        if type_ == "boolean":
            if not isinstance(value, bool):
                raise self._fail(f"expects bool, got {type(value).__name__}", path)
            return "true" if value else "false"
        if type_ in _INT_RANGES:
            if not isinstance(value, int) or isinstance(value, bool):
                raise self._fail(f"expects int ({type_}), got {type(value).__name__}", path)
            lo, hi = _INT_RANGES[type_]
            if not lo <= value <= hi:
                raise self._fail(f"{value} is out of range for xsd:{type_}", path)
            return str(int(value))
        if type_ in ("float", "double"):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise self._fail(f"expects float, got {type(value).__name__}", path)
            try:
                return _format_float(value)
            except OverflowError:
                raise self._fail(f"{value} is out of range for xsd:{type_}", path) from None
        if type_ == "dateTime":
            if not isinstance(value, datetime):
                raise self._fail(f"expects datetime, got {type(value).__name__}", path)
            return format_datetime(value)
        if type_ == "base64Binary":
            if not isinstance(value, (bytes, bytearray, memoryview)):
                raise self._fail(f"expects bytes, got {type(value).__name__}", path)
            return base64.b64encode(bytes(value)).decode("ascii")
        raise self._fail(f"cannot encode xsd:{type_}", path)

    def _enum_text(self, type_: str, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise self._fail(f"expects a {type_} value (str), got {type(value).__name__}", path)
        text = value.value if isinstance(value, Enum) else value
        if text not in self.schema.enums[type_]:
            raise self._fail(
                f"{text!r} is not a {type_} value "
                f"({', '.join(self.schema.enums[type_][:8])}...)",
                path,
            )
        return escape_text(text)

    def _moref(self, out: list[str], tag: str, value: Any, type_: str, path: str,
               declare: bool) -> None:
        ref = getattr(value, "ref", value)  # a bound managed-object proxy works too
        if not isinstance(ref, ManagedObjectReference):
            raise self._fail(
                f"expects a ManagedObjectReference ({type_}), got {type(value).__name__}", path
            )
        mtype = ref.type
        if (
            type_ not in ("ManagedObject", "ManagedObjectReference")
            and self.schema.is_managed(mtype)
            and not self.schema.is_subtype(mtype, type_)
        ):
            raise self._fail(f"expects a {type_} moref, got {mtype}", path)
        try:
            attrs = f' type="{escape_text(mtype, attribute=True)}"'
            if ref.serverGuid:
                attrs += f' serverGuid="{escape_text(ref.serverGuid, attribute=True)}"'
            text = escape_text(ref.value)
        except ValueError as exc:
            raise self._fail(str(exc), path) from None
        xsi = ' xsi:type="ManagedObjectReference"' if declare else ""
        out.append(f"<{tag}{xsi}{attrs}>{text}</{tag}>")

    def _data(self, out: list[str], tag: str, value: Any, declared: str, path: str,
              force_xsi: bool = False) -> None:
        if not isinstance(value, DataObject):
            raise self._fail(f"expects {declared}, got {type(value).__name__}", path)
        known, wire = _wire_class(type(value))
        extra = value.__pydantic_extra__
        if extra:
            # Members the schema lacks (a misspelt keyword, or what a newer server sent):
            # their wire types are unknown, and dropping them silently would send a
            # different object than the caller built.
            what = (f"a {wire} (a type this schema lacks) that carries properties"
                    if wire != known.__name__ else f"{wire} properties the schema lacks")
            raise self._fail(f"cannot send {what}: {', '.join(extra)}", path)
        if declared != "DataObject" and not self.schema.is_subtype(known.__name__, declared):
            raise self._fail(f"expects {declared}, got {wire}", path)
        if known.__name__ != "DataObject" and self.schema.data(known.__name__).version > (
            self.version
        ):
            raise VersionError(
                f"{wire} was added in API "
                f"{self.schema.versions[self.schema.data(known.__name__).version]}",
                method=self.method,
                path=path,
            )
        xsi = f' xsi:type="{wire}"' if (force_xsi or wire != declared) else ""
        out.append(f"<{tag}{xsi}>")
        d = value.__dict__
        member = self._member
        for p in self.schema.data(known.__name__).all:
            v = d.get(p.attr)
            if v is None or (p.array and type(v) is tuple and not v):
                # Unset: most members of most objects. No path string is built for them.
                if not p.optional:
                    raise self._fail("is required", f"{path}.{p.name}")
                continue
            member(out, p, v, f"{path}.{p.name}")
        out.append(f"</{tag}>")

    def _any(self, out: list[str], tag: str, value: Any, path: str) -> None:
        explicit = xsd_type_of(value)
        if explicit is not None:
            out.append(
                f'<{tag} xsi:type="xsd:{explicit}">{self._xsd_text(explicit, value, path)}'
                f"</{tag}>"
            )
            return
        enum_type = self._enum_type(value)
        if enum_type is not None:
            # A vim enum member keeps its type, as the server sends it (and decodes back).
            out.append(f'<{tag} xsi:type="{enum_type}">{self._enum_text(enum_type, value, path)}'
                       f"</{tag}>")
            return
        xsd = _plain_xsd(value)
        if xsd is not None:
            out.append(f'<{tag} xsi:type="xsd:{xsd}">{self._xsd_text(xsd, value, path)}</{tag}>')
        elif isinstance(value, ManagedObjectReference) or isinstance(
            getattr(value, "ref", None), ManagedObjectReference
        ):
            self._moref(out, tag, value, "ManagedObject", path, declare=True)
        elif isinstance(value, DataObject):
            self._data(out, tag, value, "DataObject", path, force_xsi=True)
        elif isinstance(value, (tuple, list)):
            item_type = value.item_type if isinstance(value, AnyArray) else self._infer(value, path)
            if item_type == "ManagedObjectReference":
                kind = "moref"
            else:
                try:
                    kind = self.schema.kind(item_type)
                except KeyError:
                    raise self._fail(f"unknown array item type {item_type!r}", path) from None
            out.append(f'<{tag} xsi:type="{self.schema.array_wrapper(item_type)}">')
            for i, item in enumerate(value):
                self._item(out, item_type, item, item_type, kind, f"{path}[{i}]")
            out.append(f"</{tag}>")
        else:
            raise self._fail(f"cannot send a {type(value).__name__} as xsd:anyType", path)

    def _enum_type(self, value: Any) -> str | None:
        if isinstance(value, Enum) and isinstance(value, str):
            name = type(value).__name__
            if name in self.schema.enums:
                return name
        return None

    def _infer(self, items: list[Any] | tuple[Any, ...], path: str) -> str:
        if not items:
            raise self._fail(
                "an empty array in an anyType position needs its item type: "
                "use aiovsphere.vim.anytype.AnyArray('string', ())",
                path,
            )
        kinds = set()
        for item in items:
            explicit = xsd_type_of(item)
            if explicit is not None:
                kinds.add(explicit)
            elif (enum_type := self._enum_type(item)) is not None:
                kinds.add(enum_type)
            elif (xsd := _plain_xsd(item)) is not None:
                kinds.add(xsd)
            elif isinstance(item, ManagedObjectReference):
                kinds.add("ManagedObjectReference")
            elif isinstance(item, DataObject):
                kinds.add(_wire_class(type(item))[1])
            else:
                raise self._fail(f"cannot send a {type(item).__name__} in an array", path)
        if len(kinds) != 1:
            raise self._fail(
                f"array items of mixed types ({', '.join(sorted(kinds))}); "
                "use aiovsphere.vim.anytype.AnyArray(item_type, items)",
                path,
            )
        return kinds.pop()


def _wire_class(cls: type[DataObject]) -> tuple[type[DataObject], str]:
    """(nearest class built from the schema, wire type name) of a data object class.

    Classes made for wire types the schema lacks set ``__vim_known__ = False`` and keep
    their wire name; an application's own subclass of a vim class sets nothing and is sent
    as the vim type it extends.
    """
    known = cls
    while not known.__dict__.get("__vim_known__", False):
        known = known.__mro__[1]
    wire = cls.__name__ if cls.__dict__.get("__vim_known__") is False else known.__name__
    return known, wire


def _plain_xsd(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (bytes, bytearray)):
        return "base64Binary"
    if isinstance(value, datetime):
        return "dateTime"
    return None


# ============================================================================ decoding


def _text(el: etree._Element) -> str:
    t = el.text
    return t if t is not None else ""


def _bool(text: str) -> bool:
    t = text.strip()
    if t in ("true", "1"):
        return True
    if t in ("false", "0"):
        return False
    raise ValueError(f"not an xsd:boolean: {text[:40]!r}")


def _b64(text: str) -> bytes:
    return base64.b64decode("".join(text.split()), validate=True)


_XSD_PARSE: dict[str, Callable[[str], Any]] = {
    "string": str,
    "anyURI": str,
    "boolean": _bool,
    "byte": int,
    "short": int,
    "int": int,
    "long": int,
    "float": float,
    "double": float,
    "dateTime": parse_datetime,
    "base64Binary": _b64,
}

# What malformed text makes the parsers raise (OverflowError: a date past year 9999).
_DECODE_ERRORS = (ValueError, KeyError, TypeError, IndexError, OverflowError)

_new_moref = ManagedObjectReference.__new__
_setattr = object.__setattr__


def make_moref(type_: str, value: str, guid: str | None = None) -> ManagedObjectReference:
    """Build a moref without validation (decoder fast path)."""
    ref = _new_moref(ManagedObjectReference)
    _setattr(ref, "__dict__", {"type": type_, "value": value, "serverGuid": guid})
    _setattr(ref, "__pydantic_fields_set__", {"type", "value"})
    _setattr(ref, "__pydantic_extra__", None)
    _setattr(ref, "__pydantic_private__", None)
    return ref


class _Plan:
    """How to decode the children of one data type, compiled once per type.

    ``members`` maps a child tag (namespaced and bare) to
    ``(attr, array, text_conv, element_conv)``: exactly one converter is set, the first for
    members decoded from their text alone (scalars, enums), the second for the rest.
    """

    __slots__ = ("cls", "members", "name")

    def __init__(self, cls: type[DataObject], members: dict[str, _Member], name: str) -> None:
        self.cls = cls
        self.members = members
        self.name = name


_Member = tuple[str, bool, Callable[[str], Any] | None, Callable[[Any], Any] | None]


class Decoder:
    """Decode vim25 elements into typed values. One per client (it caches plans)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._plans: dict[str, _Plan] = {}
        self._subtypes: dict[tuple[str, str], bool] = {}

    def _subtype(self, name: str, ancestor: str) -> bool:
        key = (name, ancestor)
        known = self._subtypes.get(key)
        if known is None:
            known = self._subtypes[key] = self.schema.is_subtype(name, ancestor)
        return known

    # ------------------------------------------------------------------ entry points
    def returnval(self, body_child: etree._Element, method: MethodInfo, *,
                  consume: bool = False) -> Any:
        """Decode ``<XResponse>``'s ``returnval`` element(s) by the method's return type.

        ``consume=True`` frees each top-level member's subtree once it is decoded, so a
        large tree is released piece by piece (in the decoding thread) instead of all at
        once when the last reference goes.
        """
        ret = method.returns
        if ret is None:
            return None
        try:
            items = [c for c in body_child if _local(c.tag) == "returnval"]
            if ret.array:
                out = []
                for c in items:
                    out.append(self.value(c, ret))
                    if consume:
                        c.clear()
                return tuple(out)
            if not items:
                return None
            if consume and ret.kind == "data":
                return self._data(items[0], ret.type, consume=True)
            return self.value(items[0], ret)
        except DecodeError as exc:
            if exc.method:
                raise
            raise DecodeError(exc.reason, method=method.name, path=exc.path) from None
        except _DECODE_ERRORS as exc:
            raise DecodeError(f"{type(exc).__name__}: {exc}", method=method.name) from None

    def typed(self, el: etree._Element, type_name: str) -> Any:
        """Decode one element as wire type ``type_name`` (``X[]`` not accepted)."""
        p = PropInfo(_local(el.tag), _local(el.tag), type_name, self.schema.kind(type_name),
                     False, True, False, 0)
        return self.value(el, p)

    # ------------------------------------------------------------------ values
    def value(self, el: etree._Element, p: PropInfo) -> Any:
        """Decode ``el`` as member ``p`` (one item of it, for arrays)."""
        kind = p.kind
        try:
            if kind == "xsd":
                return _XSD_PARSE[p.type](_text(el))
            if kind == "enum":
                return self._enum(p.type, _text(el))
            if kind == "moref":
                return self._moref(el, p.type)
            if kind == "data":
                return self._data(el, p.type)
            return self._any(el)
        except DecodeError:
            raise
        except _DECODE_ERRORS as exc:
            raise DecodeError(f"cannot decode {p.type}: {exc}", path=_where(el)) from None

    def _enum(self, type_: str, text: str) -> Any:
        member = _types.enum_class(type_)._value2member_map_.get(text)
        return member if member is not None else text  # unknown value from a newer server

    def _moref(self, el: etree._Element, declared: str) -> ManagedObjectReference:
        """A moref (``<x type="VirtualMachine">vm-1</x>``); an ``xsi:type`` other than
        ManagedObjectReference (a string, a data object) is a DecodeError, not a moref."""
        xsi = el.get(XSI_TYPE)
        if xsi is not None and xsi.rpartition(":")[2].strip() != "ManagedObjectReference":
            raise DecodeError(f"expected a {declared} moref, got xsi:type {xsi.strip()!r}",
                              path=_where(el))
        mtype = el.get("type")
        if mtype is None:
            if declared in ("ManagedObject", "ManagedObjectReference"):
                raise DecodeError("moref without a type attribute", path=_where(el))
            mtype = declared
        return make_moref(mtype, _text(el).strip(), el.get("serverGuid"))

    def _xsi(self, el: etree._Element) -> tuple[bool, str] | None:
        """``xsi:type`` of ``el`` as (is XML Schema namespace, local name)."""
        value = el.get(XSI_TYPE)
        if value is None:
            return None
        prefix, _, local = value.strip().rpartition(":")
        ns = el.nsmap.get(prefix or None)
        if ns is None:
            # An undeclared prefix: decide by name.
            return (local in XSD_TYPES and not self.schema.is_data(local), local)
        return (ns == NS_XSD, local)

    def _plan(self, name: str) -> _Plan:
        plan = self._plans.get(name)
        if plan is None:
            cls = _types.data_class(name)
            members: dict[str, _Member] = {}
            for p in self.schema.data(name).all:
                member = (p.attr, p.array, *self._converters(p))
                members["{%s}%s" % (NS_VIM, p.name)] = member
                members[p.name] = member
            plan = _Plan(cls, members, name)
            self._plans[name] = plan
        return plan

    def _converters(
        self, p: PropInfo
    ) -> tuple[Callable[[str], Any] | None, Callable[[Any], Any] | None]:
        if p.kind == "xsd":
            return _XSD_PARSE[p.type], None
        if p.kind == "enum":
            lookup = _types.enum_class(p.type)._value2member_map_.get
            # An unknown value from a newer server stays a plain str.
            return (lambda text: lookup(text, text)), None
        type_ = p.type
        if p.kind == "moref":
            return None, lambda el: self._moref(el, type_)
        if p.kind == "data":
            return None, lambda el: self._data(el, type_)
        return None, self._any

    def _data(self, el: etree._Element, declared: str, consume: bool = False,
              typed: bool = False) -> Any:
        """Decode a data object; ``typed``: ``el``'s xsi:type is known to be ``declared``."""
        xsi = None if typed else self._xsi(el)
        name = declared
        unknown: str | None = None
        if xsi is not None and xsi[1] != declared:
            is_xsd, local = xsi
            if not is_xsd and self.schema.is_data(local):
                if declared != "DataObject" and not self._subtype(local, declared):
                    # A known type that is not a subtype: the caller would get a value of
                    # the wrong type in a typed position (or as the return value).
                    raise DecodeError(f"expected {declared}, got xsi:type {local!r}",
                                      path=_where(el))
                name = local
            elif not is_xsd and self.schema.array_item(local) is None:
                unknown = local
            elif declared == "DataObject":
                return self._any(el)  # any value fits DataObject-typed positions
            else:
                # A scalar or an array where a data object is declared: the caller would get
                # a value of the wrong type in a typed field, so refuse it here.
                raise DecodeError(f"expected {declared}, got xsi:type {local!r}",
                                  path=_where(el))
        plan = self._plan(name)
        cls = plan.cls
        if unknown is not None:
            cls = _types.unknown_subclass(unknown, cls)
        members = plan.members
        # Fill a copy of the class's defaults in place: one dict per object, no merge.
        values = cls.__vim_defaults__.copy()
        seen: list[str] = []
        arrays: list[str] | None = None
        extra: dict[str, Any] | None = None
        child = el
        try:
            for child in el:
                member = members.get(child.tag)
                if member is None:
                    tag = child.tag
                    if not isinstance(tag, str):
                        continue
                    if extra is None:
                        extra = {}
                    _add(extra, _local(tag), self._generic(child))
                    continue
                attr, array, text_conv, el_conv = member
                if text_conv is not None:
                    text = child.text
                    v = text_conv(text if text is not None else "")
                else:
                    v = el_conv(child)  # type: ignore[misc]
                if array:
                    items = values[attr]
                    if type(items) is list:
                        items.append(v)
                    else:
                        values[attr] = [v]
                        seen.append(attr)
                        if arrays is None:
                            arrays = [attr]
                        else:
                            arrays.append(attr)
                else:
                    values[attr] = v
                    seen.append(attr)
                if consume:
                    child.clear()
        except DecodeError:
            raise
        except _DECODE_ERRORS as exc:
            raise DecodeError(f"cannot decode {_local(child.tag)}: {exc}",
                              path=_where(child)) from None
        if arrays is not None:
            for attr in arrays:
                values[attr] = tuple(values[attr])
        return cls._from_decoded(values, seen, extra)

    def _any(self, el: etree._Element) -> Any:
        xsi = self._xsi(el)
        if xsi is None:
            if len(el):
                return self._generic(el)
            return _text(el)
        is_xsd, local = xsi
        if is_xsd:
            parse = _XSD_PARSE.get(local)
            if parse is None:
                return _text(el)  # an xsd type vSphere does not use: keep the text
            return wrap(local, parse(_text(el)))
        if local == "ManagedObjectReference":
            return self._moref(el, "ManagedObject")
        item = self.schema.array_item(local)
        if item is not None:
            kind = "moref" if item == "ManagedObjectReference" else self.schema.kind(item)
            p = PropInfo(item, item, item, kind, False, True, False, 0)
            return AnyArray(
                item,
                [self.value(c, p) for c in el if isinstance(c.tag, str)],
            )
        if self.schema.is_data(local):
            return self._data(el, local, typed=True)  # xsi:type already resolved
        if local in self.schema.enums:
            return self._enum(local, _text(el))
        if local.startswith("ArrayOf"):
            return AnyArray(local[7:], [self._generic(c) for c in el if isinstance(c.tag, str)])
        # A data type this schema lacks: nearest known base is DataObject itself.
        return self._data(el, "DataObject") if len(el) else _text(el)

    def _generic(self, el: etree._Element) -> Any:
        """An element this schema does not describe: keep its data reachable."""
        if el.get(XSI_TYPE) is not None:
            return self._any(el)
        if len(el) == 0:
            return _text(el)
        out: dict[str, Any] = {}
        for child in el:
            if isinstance(child.tag, str):
                _add(out, _local(child.tag), self._generic(child))
        return out


def _add(d: dict[str, Any], key: str, value: Any) -> None:
    if key in d:
        prev = d[key]
        if isinstance(prev, list):
            prev.append(value)
        else:
            d[key] = [prev, value]
    else:
        d[key] = value


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    i = tag.rfind("}")
    return tag[i + 1 :] if i >= 0 else tag


def _where(el: etree._Element) -> str:
    """A readable path to ``el`` for error messages: local names from below the SOAP Body,
    ``[n]`` (1-based) among same-named siblings, e.g. ``/XResponse/returnval/propSet[2]/val``.
    (``getpath`` spells every default-namespace element ``*``.)"""
    parts: list[str] = []
    node: etree._Element | None = el
    while node is not None and isinstance(node.tag, str):
        tag = node.tag
        if tag.startswith("{%s}" % NS_SOAPENV):
            break
        name = _local(tag)
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


# ============================================================================ single values


def encode_value(
    value: Any,
    type_name: str,
    version: str | int | None = None,
    *,
    schema: Schema | None = None,
    tag: str = "value",
) -> bytes:
    """One value as a standalone ``<tag>`` element (UTF-8), encoded as wire type ``type_name``.

    The element carries the namespace declarations it needs, so its bytes parse alone;
    :func:`decode_value` reads it back. ``type_name`` is one item's type (``"anyType"`` for
    an explicit ``xsi:type``); ``version`` is an API version id or index (default: newest).
    Raises :class:`~aiovsphere.EncodeError` (:class:`~aiovsphere.VersionError`) like a call,
    and ``KeyError`` for a ``type_name`` the schema lacks.
    """
    if schema is None:
        from aiovsphere.vim._schema import schema as _schema

        schema = _schema()
    if version is None:
        index = len(schema.versions) - 1
    elif isinstance(version, int):
        index = version
    else:
        index = schema.version_index(version)
    kind = schema.kind(type_name)
    encoder = Encoder(schema, index)
    out: list[str] = []
    encoder._item(out, tag, value, type_name, kind, tag)
    head = out[0]
    out[0] = (
        f'<{tag} xmlns="{NS_VIM}" xmlns:xsd="{NS_XSD}" xmlns:xsi="{NS_XSI}"'
        + head[len(tag) + 1 :]
    )
    return "".join(out).encode("utf-8")


def decode_value(element: etree._Element, type_name: str, *, schema: Schema | None = None) -> Any:
    """Decode one element as wire type ``type_name`` (the inverse of :func:`encode_value`).

    Raises :class:`~aiovsphere.DecodeError` when the element does not fit the type, and
    ``KeyError`` for a ``type_name`` the schema lacks.
    """
    if schema is None:
        from aiovsphere.vim._schema import schema as _schema

        schema = _schema()
    return Decoder(schema).typed(element, type_name)
