"""Helpers (no tests) for the adversarial simulator tests: post hand-written SOAP bodies
to the embedded simulator's ``/sdk`` and read the answer."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import aiohttp

NS = ('xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
      'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')


def envelope(inner: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<soapenv:Envelope {NS}>'
            f"<soapenv:Body>{inner}</soapenv:Body></soapenv:Envelope>").encode()


def call(method: str, this_type: str, this: str, inner: str = "", prolog: str = "") -> bytes:
    return envelope(f'<{method} xmlns="urn:vim25"><_this type="{this_type}">{this}</_this>'
                    f"{inner}</{method}>", prolog)


@dataclass
class Answer:
    status: int
    content_type: str
    text: str
    set_cookie: str | None

    @property
    def fault(self) -> str | None:
        """The vim fault type of a SOAP fault answer, else ``None``."""
        m = re.search(r'<detail><(\w+)Fault xmlns="urn:vim25" xsi:type="(\w+)"', self.text)
        return m.group(2) if m else None

    @property
    def cookie(self) -> str:
        assert self.set_cookie is not None
        return self.set_cookie.split('"')[1]


async def post(session: aiohttp.ClientSession, url: str, body: bytes,
               cookie: str | None = None) -> Answer:
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "urn:vim25/8.0.3.0"}
    if cookie is not None:
        headers["Cookie"] = f'vmware_soap_session="{cookie}"'
    data: bytes | io.BytesIO = io.BytesIO(body) if len(body) > 1 << 20 else body
    async with session.post(url, data=data, headers=headers) as response:
        raw = await response.read()
        return Answer(response.status, response.headers.get("Content-Type", ""),
                      raw.decode("utf-8", "replace"), response.headers.get("Set-Cookie"))


def soap_fault(answer: Answer) -> str | None:
    """The vim fault of ``answer`` when it is a proper SOAP fault (HTTP 500, text/xml)."""
    if answer.status != 500 or not answer.content_type.startswith("text/xml"):
        return None
    return answer.fault


LOGIN = "SessionManager"


async def login_raw(session: aiohttp.ClientSession, url: str, user: str = "admin",
                    password: str = "pw") -> str:
    """Log in with a raw POST; the session cookie."""
    answer = await post(session, url, call(
        "Login", "SessionManager", "SessionManager",
        f"<userName>{user}</userName><password>{password}</password>"))
    assert answer.status == 200, answer.text
    return answer.cookie
