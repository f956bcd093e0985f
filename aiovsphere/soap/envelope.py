"""SOAP 1.1 envelopes: find the body of a response, or turn a Fault into an exception."""

from __future__ import annotations

from typing import Any

from lxml import etree

from aiovsphere._errors import DecodeError, SoapFault
from aiovsphere.faults import fault_class
from aiovsphere.soap.codec import NS_SOAPENV, Decoder, _local
from aiovsphere.vim._base import DataObject
from aiovsphere.vim._schema import Schema

__all__ = ["NotSoap", "body_of", "fault_from"]

_ENVELOPE = "{%s}Envelope" % NS_SOAPENV
_BODY = "{%s}Body" % NS_SOAPENV
_FAULT = "{%s}Fault" % NS_SOAPENV


class NotSoap(Exception):
    """The XML is not a SOAP envelope; the caller maps this to InvalidResponseError."""


def body_of(root: etree._Element) -> etree._Element:
    """The first element in the SOAP Body (a ``<XResponse>`` or a ``<Fault>``)."""
    if root.tag != _ENVELOPE:
        raise NotSoap(f"root element is <{_local(root.tag)}>, not a SOAP Envelope")
    body = root.find(_BODY)
    if body is None:
        raise NotSoap("SOAP Envelope without a Body")
    for child in body:
        if isinstance(child.tag, str):
            return child
    raise NotSoap("empty SOAP Body")


def is_fault(el: etree._Element) -> bool:
    return el.tag == _FAULT


def fault_from(el: etree._Element, decoder: Decoder, method: str) -> SoapFault:
    """Build the exception for a ``<soapenv:Fault>`` element.

    The detail element may be named ``<XFault>``, ``<Fault>`` or ``<X>``, with or without
    ``xsi:type``; the fault type is ``xsi:type`` if given, else what the element name says
    (:func:`_name_from_tag`). No detail, an empty faultstring or an unknown fault type still
    give a typed exception (``MethodFault`` at worst), never a decoding error.
    """
    faultstring = ""
    faultcode = ""
    detail: etree._Element | None = None
    for child in el:
        name = _local(child.tag)
        if name == "faultstring":
            faultstring = (child.text or "").strip()
        elif name == "faultcode":
            faultcode = (child.text or "").strip()
        elif name == "detail":
            detail = next((c for c in child if isinstance(c.tag, str)), None)
    fault: DataObject | None = None
    wire_name = ""
    if detail is not None:
        xsi = decoder._xsi(detail)
        if xsi is not None and not xsi[0]:
            wire_name = xsi[1]
        else:
            wire_name = _name_from_tag(_local(detail.tag), decoder.schema)
        known = wire_name if decoder.schema.is_fault(wire_name) else "MethodFault"
        try:
            fault = _decode_fault(decoder, detail, known, wire_name)
        except DecodeError:
            fault = None  # keep the fault typed even if its detail is malformed
    if not wire_name:
        wire_name = "MethodFault" if "Server" in faultcode or not faultcode else faultcode
    cls = fault_class(wire_name)
    return cls(faultstring, fault=fault, fault_name=wire_name, method=method)


def _name_from_tag(tag: str, schema: Schema) -> str:
    """The fault type a detail element without ``xsi:type`` names.

    The WSDL names it ``<XFault>`` for type ``X`` (so ``RuntimeFault`` is sent as
    ``<RuntimeFaultFault>``); servers also write ``<X>`` itself, or a bare ``<Fault>`` that
    names nothing (``MethodFault``). A known fault type wins over the suffix rule.
    """
    if tag == "Fault" or not tag:
        return "MethodFault"
    stripped = tag[: -len("Fault")] if tag.endswith("Fault") else tag
    if schema.is_fault(stripped):
        return stripped
    if schema.is_fault(tag):
        return tag
    return stripped


def _decode_fault(decoder: Decoder, detail: etree._Element, known: str, wire: str) -> Any:
    value = decoder.typed(detail, known)
    if known != wire and type(value).__name__ == known:
        from aiovsphere.vim.types import unknown_subclass

        cls = unknown_subclass(wire, type(value))
        value = cls._from_decoded(dict(value.__dict__), value.__pydantic_fields_set__,
                                  value.__pydantic_extra__)
    return value
