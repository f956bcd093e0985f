"""TLS against the embedded simulator over HTTPS (its self-signed certificate) and a
trustme CA: refused by default with a message that says why and what to do, pinned by
SHA-256 or SHA-1 thumbprint, a wrong pin refused before any request, a hostname mismatch
refused even for a trusted CA, and verification skipped only by ``insecure=True``.
(``tests/transport/test_tls.py`` covers the same against a fake vCenter, pin formats and
custom CA contexts; here it is the real simulator and the end-to-end connect.)"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections.abc import AsyncIterator

import pytest
import trustme
from aiohttp import web

import aiovsphere
from aiovsphere.simulator import Simulator
from aiovsphere.transport.http import AiohttpTransport
from tests._local_server import serve
from tests.adversarial._support import SERVICE_CONTENT_XML

PASSWORD = "TLS-S3cret-pw!"  # must never reach a server that failed verification


@pytest.fixture(scope="module")
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(vms=1, https=True) as sim:
        assert sim.url.startswith("https://") and sim.thumbprint
        yield sim


async def sha1_of(sim: Simulator) -> str:
    """The SHA-1 thumbprint of the certificate the simulator presents (read off the loop:
    the simulator serves on this one)."""
    port = int(sim.url.split(":")[2].split("/")[0])
    pem = await asyncio.to_thread(ssl.get_server_certificate, ("127.0.0.1", port), timeout=10)
    der = ssl.PEM_cert_to_DER_cert(pem)
    assert hashlib.sha256(der).hexdigest() == sim.thumbprint  # the same certificate
    return hashlib.sha1(der).hexdigest()


def colons(hexdigest: str) -> str:
    return ":".join(hexdigest[i:i + 2] for i in range(0, len(hexdigest), 2)).upper()


async def logins(sim: Simulator) -> int:
    return sum(1 for s in sim.sessions.values())


async def test_self_signed_is_refused_by_default_and_says_why(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing in the environment turns verification off: only insecure=True does.
    for name in ("AIOVSPHERE_INSECURE", "PYTHONHTTPSVERIFY", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, "0" if name == "PYTHONHTTPSVERIFY" else "")
    before = await logins(sim)
    with pytest.raises(aiovsphere.ConnectError) as info:
        async with aiovsphere.connect(sim.url, user="u", password=PASSWORD):
            pass
    message = str(info.value)
    assert "TLS verification failed" in message
    assert "self-signed" in message or "certificate verify failed" in message, message
    assert "thumbprint=" in message and "insecure=True" in message
    assert PASSWORD not in message and PASSWORD not in repr(info.value)
    assert await logins(sim) == before


@pytest.mark.parametrize("form", ["sha256", "sha256-colons", "sha1", "sha1-colons"])
async def test_the_right_thumbprint_is_accepted(sim: Simulator, form: str) -> None:
    digest = sim.thumbprint if form.startswith("sha256") else await sha1_of(sim)
    assert digest is not None
    pin = colons(digest) if form.endswith("colons") else digest
    async with aiovsphere.connect(sim.url, user="u", password=PASSWORD,
                                  thumbprint=pin) as client:
        assert (await client.invoke(client.service_instance, "CurrentTime")) is not None


@pytest.mark.parametrize("algorithm", ["sha256", "sha1"])
async def test_a_wrong_thumbprint_is_refused_before_anything_is_sent(
    sim: Simulator, algorithm: str
) -> None:
    right = sim.thumbprint if algorithm == "sha256" else await sha1_of(sim)
    assert right is not None
    wrong = ("0" if right[0] != "0" else "1") + right[1:]
    before = await logins(sim)
    with pytest.raises(aiovsphere.ConnectError) as info:
        async with aiovsphere.connect(sim.url, user="u", password=PASSWORD, thumbprint=wrong):
            pass
    assert "does not match the pinned thumbprint" in str(info.value)
    assert colons(right).lower() in str(info.value).lower()  # what the server showed
    assert info.value.method == "GET"  # the very first request (version negotiation)
    assert await logins(sim) == before


async def test_insecure_only_when_asked(sim: Simulator) -> None:
    assert AiohttpTransport()._ssl is True  # the default verifies
    async with aiovsphere.connect(sim.url, user="u", password=PASSWORD,
                                  insecure=True) as client:
        assert client.session.logged_in


async def _serve_content(cert: trustme.LeafCert, hits: list[str]
                         ) -> tuple[web.AppRunner, int]:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)

    async def answer(request: web.Request) -> web.Response:
        hits.append(await request.text())
        return web.Response(body=SERVICE_CONTENT_XML, content_type="text/xml")

    app = web.Application()
    app.router.add_route("POST", "/sdk", answer)
    return await serve(app, shutdown_timeout=0.5, ssl_context=ctx)


@pytest.mark.parametrize("name", ["vcenter.example.com", "127.0.0.1"])
async def test_hostname_mismatch_is_refused_even_for_a_trusted_ca(name: str) -> None:
    ca = trustme.CA()
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    hits: list[str] = []
    runner, port = await _serve_content(ca.issue_cert(name), hits)
    try:
        client = aiovsphere.Client(f"https://127.0.0.1:{port}/sdk", version="8.0.3.0",
                                   transport=AiohttpTransport(ssl_context=client_ctx))
        try:
            if name == "127.0.0.1":  # the control: same CA, right name
                await client.open()
                assert len(hits) == 1
                return
            with pytest.raises(aiovsphere.ConnectError) as info:
                await client.open()
        finally:
            await client.close()
    finally:
        await runner.cleanup()
    message = str(info.value)
    assert "TLS verification failed" in message
    assert "match" in message.lower() or "hostname" in message.lower(), message
    assert hits == []
