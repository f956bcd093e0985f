"""The server side of the vim25 codec: decode requests, encode responses and faults.

Used by :mod:`aiovsphere.simulator` so that the embedded server speaks vim25 through the
very schema and codec the client uses (no second type system). Pure: bytes in, bytes out.

- :func:`decode_request`: a SOAP request body -> :class:`Request` (method, ``_this``
  moref, parameters decoded to typed values by the method's parameter types).
- :func:`encode_response`: a method's return value -> ``<XResponse><returnval>``.
- :func:`encode_fault`: a fault data object (``types.InvalidLogin(...)``) -> a SOAP
  ``Fault`` whose ``detail`` holds ``<InvalidLoginFault xsi:type="InvalidLogin">``, as
  vCenter sends it (and as pyvmomi and govmomi read it).

The request parser is the client's hardened one: no DTDs, no entities, no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from aiovsphere._errors import DecodeError, EncodeError
from aiovsphere.soap._xml import new_parser
from aiovsphere.soap.codec import (
    NS_SOAPENV,
    NS_VIM,
    NS_XSD,
    NS_XSI,
    Decoder,
    Encoder,
    escape_text,
)
from aiovsphere.vim._base import DataObject
from aiovsphere.vim._moref import ManagedObjectReference
from aiovsphere.vim._schema import MethodInfo, ParamInfo, PropInfo, Schema

__all__ = ["Request", "decode_request", "encode_fault", "encode_response"]

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
    f'xmlns:soapenv="{NS_SOAPENV}" xmlns:xsd="{NS_XSD}" xmlns:xsi="{NS_XSI}">'
    "<soapenv:Body>"
)
_TAIL = "</soapenv:Body></soapenv:Envelope>"

# The undocumented method pyvmomi 8+ reads every property with, called on the object
# itself: <Fetch><_this type="VirtualMachine">vm-1</_this><prop>name</prop></Fetch>; the
# answer is the value as an anyType returnval. It is not in the schema, so it is here.
FETCH = MethodInfo(
    "Fetch", "ManagedObject", 0,
    (ParamInfo(PropInfo("prop", "prop", "string", "xsd", False, False, False, 0), None),),
    PropInfo("returnval", "returnval", "anyType", "any", False, True, False, 0),
    None, None, ())


@dataclass(frozen=True, slots=True)
class Request:
    """One decoded call: ``this.<method.name>(**params)``."""

    method: MethodInfo
    this: ManagedObjectReference
    params: dict[str, Any]
    """By Python attribute name (``from_``); arrays are tuples; absent optionals absent."""


def _local(tag: Any) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def decode_request(body: bytes, schema: Schema) -> Request:
    """Decode a SOAP request. Raises :class:`~aiovsphere.DecodeError` for anything that is
    not a well-formed vim25 call (bad XML, no Body, unknown method, a parameter that does
    not fit its type); the server answers that with a fault, never a crash."""
    try:
        root = etree.fromstring(body, new_parser())
    except etree.XMLSyntaxError as exc:
        raise DecodeError(f"request is not well-formed XML: {exc}") from None
    if root is None or _local(root.tag) != "Envelope":
        raise DecodeError("request is not a SOAP envelope")
    docinfo = root.getroottree().docinfo
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None:
        # SOAP forbids a DTD; the parser already expands nothing and reads no file, and
        # refusing it outright means no entity is silently dropped from a value either.
        raise DecodeError("a SOAP request may not carry a DOCTYPE")
    body_el = next((c for c in root if _local(c.tag) == "Body"), None)
    call = next((c for c in body_el if isinstance(c.tag, str)), None) if body_el is not None \
        else None
    if call is None:
        raise DecodeError("request has no SOAP Body call")
    name = _local(call.tag)
    this_el = next((c for c in call if _local(c.tag) == "_this"), None)
    if this_el is None:
        raise DecodeError(f"{name}: no _this", method=name)
    this = ManagedObjectReference(this_el.get("type") or "ManagedObject",
                                  (this_el.text or "").strip(),
                                  serverGuid=this_el.get("serverGuid"))
    method: MethodInfo | None
    try:
        method = schema.method(this.type, name)
    except KeyError:
        method = schema.find_method(name)
    if method is None and name == "Fetch":
        method = FETCH
    if method is None:
        raise DecodeError(f"unknown method {name}", method=name)
    decoder = Decoder(schema)
    by_name: dict[str, PropInfo] = {p.prop.name: p.prop for p in method.params}
    params: dict[str, Any] = {}
    for child in call:
        if not isinstance(child.tag, str):
            continue
        tag = _local(child.tag)
        if tag == "_this":
            continue
        prop = by_name.get(tag)
        if prop is None:
            raise DecodeError(f"unexpected parameter {tag!r}", method=name, path=tag)
        try:
            value = decoder.value(child, prop)
        except DecodeError as exc:
            raise DecodeError(exc.reason, method=name, path=exc.path or tag) from None
        if prop.array:
            params[prop.attr] = (*params.get(prop.attr, ()), value)
        elif prop.attr in params:
            raise DecodeError(f"parameter {tag!r} given twice (it is not an array)",
                              method=name, path=tag)
        else:
            params[prop.attr] = value
    _check(schema, method, this, params)
    return Request(method, this, params)


def _check(schema: Schema, method: MethodInfo, this: ManagedObjectReference,
           params: dict[str, Any]) -> None:
    """Validate the decoded call as the client validates what it sends: the same Encoder
    refuses a missing required parameter or member, an enum value the schema lacks, an
    integer out of its xsd range. The decoder stays lenient for what servers send; the
    server is strict about what it stores (one bad value would make the object unreadable
    for every session)."""
    try:
        Encoder(schema, len(schema.versions) - 1).call(method, this, params)
    except EncodeError as exc:
        raise DecodeError(exc.reason, method=method.name, path=exc.path) from None


def encode_response(method: MethodInfo, value: Any, schema: Schema,
                    version: int | None = None) -> bytes:
    """``<{method}Response xmlns="urn:vim25"><returnval>...`` for ``value`` (``None`` for
    void or an unset optional result; a tuple for array results). ``version`` is the
    schema version index to encode for (default: newest). Raises EncodeError when the
    value does not fit the declared return type (a simulator bug, not a client's)."""
    encoder = Encoder(schema, len(schema.versions) - 1 if version is None else version)
    encoder.method = method.name
    out = [_HEAD, f'<{method.name}Response xmlns="{NS_VIM}">']
    ret = method.returns
    if ret is not None and value is not None:
        returnval = PropInfo("returnval", "returnval", ret.type, ret.kind, ret.array,
                             True, False, 0)
        encoder._member(out, returnval, value, "returnval")
    out.append(f"</{method.name}Response>{_TAIL}")
    return "".join(out).encode("utf-8")


def encode_fault(fault: DataObject, message: str, schema: Schema,
                 version: int | None = None) -> bytes:
    """A SOAP 1.1 ``Fault`` carrying ``fault`` (a MethodFault data object) in ``detail``
    and ``message`` as ``faultstring``; served with HTTP 500."""
    encoder = Encoder(schema, len(schema.versions) - 1 if version is None else version)
    wire = type(fault).__name__
    out = [_HEAD, "<soapenv:Fault><faultcode>ServerFaultCode</faultcode>",
           f"<faultstring>{escape_text(message)}</faultstring><detail>"]
    body: list[str] = []
    encoder._data(body, f"{wire}Fault", fault, "MethodFault", "fault", force_xsi=True)
    body[0] = body[0].replace(f"<{wire}Fault ", f'<{wire}Fault xmlns="{NS_VIM}" ', 1)
    out.extend(body)
    out.append(f"</detail></soapenv:Fault>{_TAIL}")
    return "".join(out).encode("utf-8")
