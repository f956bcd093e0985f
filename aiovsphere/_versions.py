"""API version negotiation from ``/sdk/vimServiceVersions.xml`` or ``/sdk/vimService.wsdl``."""

from __future__ import annotations

import re

from lxml import etree

from aiovsphere.soap._xml import new_parser
from aiovsphere.vim._schema import Schema

__all__ = ["choose_version", "versions_from_wsdl", "versions_from_xml"]


def versions_from_xml(body: bytes) -> list[str]:
    """The urn:vim25 versions a ``vimServiceVersions.xml`` document lists, newest first."""
    try:
        root = etree.fromstring(body, new_parser())
    except etree.XMLSyntaxError:
        return []
    for ns in root.iter("namespace"):
        if (ns.findtext("name") or "").strip() != "urn:vim25":
            continue
        out = [(ns.findtext("version") or "").strip()]
        prior = ns.find("priorVersions")
        if prior is not None:
            out += [(v.text or "").strip() for v in prior.iter("version")]
        return [v for v in out if v]
    return []


_WSDL_VERSION = re.compile(rb"urn:vim25/([0-9][0-9A-Za-z.]*)")


def versions_from_wsdl(body: bytes) -> list[str]:
    """Versions named by ``soapAction="urn:vim25/X"`` in a WSDL, newest first."""
    found = {m.group(1).decode("ascii") for m in _WSDL_VERSION.finditer(body)}
    return sorted(found, key=_key, reverse=True)


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.u]", version))


def choose_version(schema: Schema, server: list[str]) -> str | None:
    """The newest version both sides know; ``None`` if none is shared.

    A server newer than this schema is spoken to in the newest version we know that it
    lists; a version we do not know but the server offers is never chosen (we could not
    encode for it).
    """
    ours = set(schema.versions)
    shared = [v for v in server if v in ours and _key(v)[0] >= 0]
    if not shared:
        return None
    return max(shared, key=schema.version_index)
