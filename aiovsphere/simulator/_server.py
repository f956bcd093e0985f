"""The simulator's HTTP(S) front: aiohttp serving vim25 SOAP at ``/sdk``.

``POST /sdk`` decodes the call with the client's own codec (:mod:`aiovsphere.soap.server`),
finds the caller's session by its ``vmware_soap_session`` cookie, runs the handler
(:mod:`aiovsphere.simulator._dispatch`) and encodes the answer or the fault.
``GET /sdk/vimServiceVersions.xml`` and ``/sdk/vimService.wsdl`` serve what version
negotiation reads (aiovsphere's and pyvmomi's).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import secrets
import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from aiovsphere._errors import DecodeError
from aiovsphere.simulator._context import Context, Session, SimFault, fault
from aiovsphere.simulator._dispatch import NO_SESSION, invoke
from aiovsphere.simulator._model import Model
from aiovsphere.soap.server import decode_request, encode_fault, encode_response
from aiovsphere.vim._schema import schema

if TYPE_CHECKING:
    from aiovsphere.simulator._inventory import InventorySpec

__all__ = ["Simulator", "User"]

log = logging.getLogger("aiovsphere.simulator")

COOKIE = "vmware_soap_session"
DEFAULT_API_VERSION = "8.0.3.0"
MAX_REQUEST_BYTES = 64 * 1024 * 1024


class User:
    """A simulator account: ``password`` and ``role`` (``"Admin"`` or ``"ReadOnly"``)."""

    __slots__ = ("password", "role")

    def __init__(self, password: str, role: str = "Admin") -> None:
        if role not in ("Admin", "ReadOnly"):
            raise ValueError(f"role must be 'Admin' or 'ReadOnly', not {role!r}")
        self.password = password
        self.role = role

    def __repr__(self) -> str:
        return f"User(role={self.role!r})"  # never the password


class Simulator:
    """An in-process vCenter (or ESXi) simulator speaking vim25 over HTTP or HTTPS.

        async with Simulator(vms=100) as sim:
            async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
                ...

    Args:
        inventory: the inventory to build (:class:`~aiovsphere.simulator.InventorySpec`);
            by default vcsim's VPX model (1 datacenter, 1 cluster of 3 hosts, 1 standalone
            host, 2 VMs per host/cluster...); ``vms=N`` is a shortcut for about N VMs.
        esx: a standalone ESXi (``about.apiType == "HostAgent"``) instead of vCenter.
        users: ``{name: User(password, role)}``. ``None`` (default): any non-empty user
            name and password log in as an administrator, except user names starting with
            ``"readonly"``, which log in read-only (as vcsim, plus a read-only role).
        https: serve TLS with a self-signed certificate made at start (``thumbprint``:
            its SHA-256, for ``aiovsphere.connect(..., thumbprint=sim.thumbprint)``).
        host, port: where to listen (port 0: any free port).
        api_version: the newest vim25 version served (``about.apiVersion``).
        task_seconds: how long a task runs (queued -> running with progress -> done).
        seed: seeds the synthetic values (performance samples, MAC addresses, UUIDs).
        session_idle_timeout: seconds after which an idle session ends (the next call
            gets NotAuthenticated), as vCenter's SOAP session timeout; ``None``: never.
            May be changed while running.
    """

    def __init__(
        self,
        inventory: InventorySpec | None = None,
        *,
        vms: int | None = None,
        esx: bool = False,
        users: Mapping[str, User] | None = None,
        https: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        api_version: str = DEFAULT_API_VERSION,
        task_seconds: float = 0.05,
        seed: int = 0,
        session_idle_timeout: float | None = None,
    ) -> None:
        from aiovsphere.simulator._inventory import InventorySpec

        if inventory is None:
            inventory = InventorySpec.for_vm_count(vms) if vms is not None else InventorySpec()
        if esx:
            inventory = inventory.esx()
        self.inventory = inventory
        self.users = dict(users) if users is not None else None
        self.https = https
        self.host = host
        self.port = port
        self.api_version = api_version
        self.task_seconds = task_seconds
        self.seed = seed
        self.session_idle_timeout = session_idle_timeout
        self.schema = schema()
        self.model = Model()
        self.sessions: dict[str, Session] = {}  # by cookie
        self.thumbprint: str | None = None
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._built = False
        from aiovsphere.simulator._injection import FaultInjector

        self.faults = FaultInjector(self)

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """``http(s)://127.0.0.1:PORT/sdk`` once started."""
        if self._url is None:
            raise RuntimeError("the simulator is not running")
        return self._url

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Build the inventory and listen."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        from aiovsphere.simulator import _handlers  # noqa: F401 - registers every handler
        from aiovsphere.simulator._inventory import build

        if not self._built:  # a stopped simulator started again keeps its inventory
            build(self)
            self._built = True
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_post("/sdk", self._soap)
        app.router.add_get("/sdk/vimServiceVersions.xml", self._versions)
        app.router.add_get("/sdk/vimService.wsdl", self._wsdl)
        runner = web.AppRunner(app, access_log=None, handle_signals=False,
                               shutdown_timeout=0.5)
        await runner.setup()
        ssl_context = self._ssl_context() if self.https else None
        site = web.TCPSite(runner, self.host, self.port, ssl_context=ssl_context,
                           backlog=2048)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()  # e.g. the port is taken: nothing half-started
            raise
        # Listening: the model is long-lived and large, so move it out of the GC's young
        # generations (collections during requests would walk it again and again);
        # stop() unfreezes.
        gc.collect()
        gc.freeze()
        self._runner = runner
        server = site._server  # the asyncio Server: its socket tells the port
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        scheme = "https" if self.https else "http"
        self._url = f"{scheme}://{self.host}:{port}/sdk"

    async def stop(self) -> None:
        """Stop listening; running tasks and waits end."""
        runner, self._runner = self._runner, None
        self.faults.clear()  # held (paused) calls go on, so the server can stop
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.wait(self._background)
        if runner is not None:
            await runner.cleanup()
        self._url = None
        gc.unfreeze()  # what start() froze may be collected again (this model's cycles)

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run ``coro`` in the background (task progress, timers); cancelled at stop."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _ssl_context(self) -> ssl.SSLContext:
        from aiovsphere.simulator._tls import self_signed

        cert_pem, key_pem, der = self_signed(self.host)
        self.thumbprint = hashlib.sha256(der).hexdigest()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        import os
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            cert = os.path.join(tmp, "cert.pem")
            key = os.path.join(tmp, "key.pem")
            with open(cert, "wb") as f:
                f.write(cert_pem)
            with open(key, "wb") as f:
                f.write(key_pem)
            context.load_cert_chain(cert, key)
        return context

    # ------------------------------------------------------------------ sessions
    def new_session(self, user: str, role: str) -> Session:
        session = Session(key=_uuid(), cookie=secrets.token_hex(20), user=user, role=role)
        self.sessions[session.cookie] = session
        return session

    def end_session(self, session: Session) -> None:
        """Forget ``session`` and remove its session-scoped objects (views, collectors)."""
        self.sessions.pop(session.cookie, None)
        for obj in self.model:
            if obj.owner == session.key:
                self.model.remove(obj.ref)

    def check_login(self, user: str, password: str) -> str:
        """The role of ``user``, or InvalidLogin."""
        if self.users is None:
            if user and password:
                return "ReadOnly" if user.lower().startswith("readonly") else "Admin"
        else:
            account = self.users.get(user)
            if account is not None and secrets.compare_digest(account.password, password):
                return account.role
        raise fault("InvalidLogin")

    # ------------------------------------------------------------------ HTTP
    async def _versions(self, _request: web.Request) -> web.Response:
        # By the schema's order: internal version ids (m5CA1EF4D...) sort by position,
        # so a newer release is never listed as a prior version.
        served = self.schema.version_index(self.api_version)
        prior = [v for v in reversed(self.schema.versions)
                 if self.schema.version_index(v) < served][:12]
        body = ('<?xml version="1.0" encoding="UTF-8" ?>\n<namespaces version="1.0">\n'
                " <namespace>\n  <name>urn:vim25</name>\n"
                f"  <version>{self.api_version}</version>\n  <priorVersions>\n"
                + "".join(f"   <version>{v}</version>\n" for v in prior)
                + "  </priorVersions>\n </namespace>\n</namespaces>\n")
        return web.Response(body=body.encode(), content_type="text/xml")

    async def _wsdl(self, _request: web.Request) -> web.Response:
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<definitions targetNamespace='
                '"urn:vim25Service" xmlns="http://schemas.xmlsoap.org/wsdl/">\n'
                f'<!-- soapAction="urn:vim25/{self.api_version}" -->\n</definitions>\n')
        return web.Response(body=body.encode(), content_type="text/xml")

    async def _soap(self, request: web.Request) -> web.StreamResponse:
        injected = await self.faults.before(request)
        if injected is not None:
            return injected
        body = await request.read()
        session = self._session_of(request)
        headers: dict[str, str] = {}
        try:
            call = decode_request(body, self.schema)
        except DecodeError as exc:
            return self._fault(fault("InvalidRequest", f"invalid request: {exc}"))
        name = call.method.name
        ctx = Context(self, session, name)
        try:
            override = await self.faults.on_call(request, name, call.this)
            if override is not None:
                return override
            if session is not None and self.sessions.get(session.cookie) is not session:
                # The session ended while fault injection held the call.
                session = ctx.session = None
            if session is None and name not in NO_SESSION:
                raise fault("NotAuthenticated", object=call.this,
                            privilegeId="System.View")
            this = ctx.lookup(call.this)
            ctx.this = this
            if session is not None:
                session.last_active = _now()
            result = await invoke(ctx, this, name, call.params)
            if ctx.session is not None and ctx.session is not session:
                headers["Set-Cookie"] = (f'{COOKIE}="{ctx.session.cookie}"; Path=/; '
                                         "HttpOnly; Secure" if self.https else
                                         f'{COOKIE}="{ctx.session.cookie}"; Path=/; HttpOnly')
            out = encode_response(call.method, result, self.schema)
        except SimFault as exc:
            return await self.faults.after(request, name, self._fault(exc))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a simulator bug: a SOAP fault, never a bare 500 page
            log.exception("simulator bug in %s", name)
            return self._fault(fault("SystemError", f"simulator: {type(exc).__name__}: {exc}",
                                     reason=str(exc)))
        return await self.faults.after(
            request, name, web.Response(body=out, content_type="text/xml", charset="utf-8",
                                        headers=headers))

    def _session_of(self, request: web.Request) -> Session | None:
        raw = request.cookies.get(COOKIE)
        if raw is None:
            return None
        return self.sessions.get(raw.strip('"'))

    def _fault(self, exc: SimFault) -> web.Response:
        body = encode_fault(exc.fault, exc.message, self.schema)
        return web.Response(status=500, body=body, content_type="text/xml", charset="utf-8")


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


def _now() -> Any:
    from aiovsphere.simulator._context import now

    return now()
