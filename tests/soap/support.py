"""Shared helpers for the codec tests: schema, encoder/decoder, XML and golden files."""

from __future__ import annotations

import datetime as _dt
from enum import Enum
from pathlib import Path
from typing import Any

from lxml import etree

from aiovsphere.soap._xml import parse_bytes
from aiovsphere.soap.codec import NS_SOAPENV, NS_VIM, NS_XSD, NS_XSI, Decoder, Encoder
from aiovsphere.soap.envelope import body_of
from aiovsphere.vim._base import DataObject
from aiovsphere.vim._moref import ManagedObjectReference
from aiovsphere.vim._schema import schema
from aiovsphere.vim.anytype import AnyArray

GOLDEN = Path(__file__).parent / "golden"
S = schema()
NEWEST = len(S.versions) - 1
NS = {"s": NS_SOAPENV, "v": NS_VIM, "xsi": NS_XSI, "xsd": NS_XSD}
XSI_TYPE = "{%s}type" % NS_XSI


def encoder(version: str | None = None) -> Encoder:
    return Encoder(S, NEWEST if version is None else S.version_index(version))


def decoder() -> Decoder:
    return Decoder(S)


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def parse(body: bytes | str) -> etree._Element:
    """Parse a whole document through the hardened sink (as the client does)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return parse_bytes(body, 1 << 30)


def fragment(xml: str, *, declare: bool = True) -> etree._Element:
    """Parse one element inside a wrapper that declares the vim25 default namespace and the
    usual ``xsi``/``xsd`` prefixes (as an Envelope does), unless ``declare`` is false."""
    decls = f'xmlns="{NS_VIM}" xmlns:xsi="{NS_XSI}" xmlns:xsd="{NS_XSD}"' if declare else ""
    root = parse(f"<wrapper {decls}>{xml}</wrapper>")
    (el,) = root
    return el


def response(method: str, inner: str, extra_ns: str = "") -> etree._Element:
    """The ``<methodResponse>`` element of an envelope around ``inner``."""
    doc = (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{NS_SOAPENV}" xmlns:xsd="{NS_XSD}" '
        f'xmlns:xsi="{NS_XSI}" {extra_ns}><soapenv:Body>'
        f'<{method}Response xmlns="{NS_VIM}">{inner}</{method}Response>'
        f"</soapenv:Body></soapenv:Envelope>"
    )
    return body_of(parse(doc))


def request_args(body: bytes) -> etree._Element:
    """The method element of an encoded request (checks the envelope on the way)."""
    root = etree.fromstring(body)
    assert root.tag == f"{{{NS_SOAPENV}}}Envelope"
    (body_el,) = root
    assert body_el.tag == f"{{{NS_SOAPENV}}}Body"
    (method,) = body_el
    assert etree.QName(method).namespace == NS_VIM
    return method


def local(el: etree._Element) -> str:
    return etree.QName(el).localname


def children(el: etree._Element) -> list[str]:
    return [local(c) for c in el if isinstance(c.tag, str)]


def xsi_type(el: etree._Element) -> tuple[str | None, str] | None:
    """``xsi:type`` of ``el`` resolved to (namespace URI, local name)."""
    value = el.get(XSI_TYPE)
    if value is None:
        return None
    prefix, _, name = value.rpartition(":")
    return el.nsmap.get(prefix or None), name


def strict_equal(a: Any, b: Any, path: str = "$") -> None:
    """Assert ``a == b`` and that both have the same types all the way down.

    ``==`` alone is too lenient for round trips: ``Int(5) == Long(5) == 5`` and
    ``AnyArray("int", ...) == AnyArray("long", ...)``.
    """
    if isinstance(a, DataObject):
        assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
        da = {k: v for k, v in a.__dict__.items() if v is not None and v != ()}
        db = {k: v for k, v in b.__dict__.items() if v is not None and v != ()}
        assert da.keys() == db.keys(), f"{path}: members {sorted(da)} != {sorted(db)}"
        for k in da:
            strict_equal(da[k], db[k], f"{path}.{k}")
        assert (a.__pydantic_extra__ or {}) == (b.__pydantic_extra__ or {}), path
        assert a == b, path
        return
    if isinstance(a, str) and isinstance(b, str):
        # An enum member and its plain value are one wire value: the constructor of a data
        # object stores enum-typed members as ``str``, the decoder gives enum members.
        assert a == b, f"{path}: {a!r} != {b!r}"
        if isinstance(a, Enum):  # what was sent as an enum comes back as that enum
            assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
        return
    assert type(a) is type(b), f"{path}: {type(a).__name__} {a!r} != {type(b).__name__} {b!r}"
    if isinstance(a, AnyArray):
        assert a.item_type == b.item_type, f"{path}: {a.item_type} != {b.item_type}"
    if isinstance(a, tuple):
        assert len(a) == len(b), f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            strict_equal(x, y, f"{path}[{i}]")
        return
    if isinstance(a, ManagedObjectReference):
        assert a.__dict__ == b.__dict__, f"{path}: {a.__dict__!r} != {b.__dict__!r}"
        return
    if isinstance(a, _dt.datetime):
        assert a == b and a.utcoffset() == b.utcoffset(), f"{path}: {a!r} != {b!r}"
        return
    assert a == b, f"{path}: {a!r} != {b!r}"
