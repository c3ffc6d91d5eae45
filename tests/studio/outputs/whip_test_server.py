"""A configurable WHIP endpoint for tests (aiohttp, 127.0.0.1, ephemeral port).

By default it behaves like a well-mannered WHIP server: ``POST /whip/endpoint`` with the
right bearer token answers ``201`` with a relative ``Location``, an ``ETag`` and an SDP answer
derived from the offer (mids, codecs and header extensions echoed, ``recvonly``, simulcast
rids accepted; fake ICE/DTLS attributes — nothing connects).  Tests change its attributes to
misbehave: see :class:`WhipTestServer`.  Every request is recorded in ``server.requests``.

Two ways to run it:

* ``async with WhipTestServer() as server:`` inside the test's own loop;
* the :func:`whip_server` fixture (import it into the test module): the server runs on its
  own loop in a thread that the fixture joins, so sync tests and code running its own loop
  (``asyncio.run``, a network thread) can reach it.

:func:`other_whip_server` is a second one on another port — another origin, for redirects
and session URLs that must not receive the token — and :func:`tls_whip_server` speaks https
with a self-signed certificate (``client_ssl_context()`` trusts it).
"""
from __future__ import annotations

import asyncio
import itertools
import re
import ssl
import tempfile
import threading
from pathlib import Path
from dataclasses import dataclass, field
from typing import Callable, Iterator

import pytest
from aiohttp import web
from multidict import CIMultiDict

DEFAULT_TOKEN = "s3cr3t-T0ken-for-tests"
ENDPOINT_PATH = "/whip/endpoint"
RESOURCE_PREFIX = "/whip/resource/"
FAKE_FINGERPRINT = "sha-256 " + ":".join(f"{b:02X}" for b in range(0x10, 0x30))
STUN_LINK = '<stun:stun.example.net:3478>; rel="ice-server"'
TURN_LINK = (
    '<turn:turn.example.net:3478?transport=udp>; rel="ice-server"; '
    'username="user1"; credential="p@ss;word,1"; credential-type="password"'
)


@dataclass
class RecordedRequest:
    """What the server received."""

    method: str
    path: str
    headers: CIMultiDict
    body: str
    query: dict[str, str] = field(default_factory=dict)


def _lines(sdp: str) -> list[str]:
    return [line for line in sdp.replace("\r\n", "\n").split("\n") if line]


def answer_for_offer(
    offer_sdp: str,
    *,
    accept_rids: list[str] | None = None,
    video_codecs: list[str] | None = None,
    rid_style: str = "simulcast",
) -> str:
    """A plausible answer to ``offer_sdp``: each section echoed ``recvonly`` (or rejected).

    ``video_codecs`` keeps only those codec names in video (None: all); no match rejects the
    video section (port 0).  ``accept_rids`` limits the simulcast rids accepted (None: all
    offered).  ``rid_style="rid-only"`` answers with ``a=rid:x recv`` lines and no
    ``a=simulcast`` line.
    """
    lines = _lines(offer_sdp)
    starts = [i for i, line in enumerate(lines) if line.startswith("m=")]
    sections = [lines[s:e] for s, e in zip(starts, starts[1:] + [len(lines)])]
    mids = []
    out_sections: list[list[str]] = []
    for section in sections:
        kind, _port, proto, *formats = section[0][2:].split()
        mid = next((line[6:] for line in section if line.startswith("a=mid:")), str(len(mids)))
        mids.append(mid)
        rtpmap = {m.group(1): m.group(2) for m in (re.match(r"a=rtpmap:(\d+) (\S+)", line) for line in section) if m}
        keep = list(formats)
        if kind == "video" and video_codecs is not None:
            wanted = {name.lower() for name in video_codecs}
            primary = [pt for pt in formats if rtpmap.get(pt, "").split("/")[0].lower() in wanted]
            apts = {
                m.group(1)
                for m in (re.match(r"a=fmtp:(\d+) apt=(\d+)", line) for line in section)
                if m and m.group(2) in primary
            }
            keep = [pt for pt in formats if pt in primary or pt in apts]
        rejected = not keep
        out = [f"m={kind} {0 if rejected else 9} {proto} {' '.join(keep or formats[:1])}", "c=IN IP4 0.0.0.0"]
        out.append(f"a=mid:{mid}")
        if rejected:
            out.append("a=inactive")
            out_sections.append(out)
            continue
        out += ["a=recvonly", "a=rtcp-mux", "a=ice-ufrag:TeSt", "a=ice-pwd:testtesttesttesttesttest"]
        out += [f"a=fingerprint:{FAKE_FINGERPRINT}", "a=setup:passive"]
        for line in section:
            if line.startswith("a=extmap:"):
                out.append(line)
            match = re.match(r"a=(?:rtpmap|fmtp|rtcp-fb):(\d+) ", line)
            if match and match.group(1) in keep:
                out.append(line)
        offered_rids = [m.group(1) for m in (re.match(r"a=rid:(\S+) send", line) for line in section) if m]
        if offered_rids:
            rids = [rid for rid in offered_rids if accept_rids is None or rid in accept_rids]
            out += [f"a=rid:{rid} recv" for rid in rids]
            if rid_style == "simulcast":
                out.append("a=simulcast:recv " + ";".join(rids))
        out.append("a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host")
        out.append("a=end-of-candidates")
        out_sections.append(out)
    head = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=WhipTestServer", "t=0 0", "a=ice-lite"]
    head.append("a=group:BUNDLE " + " ".join(mids))
    return "\r\n".join(head + [line for section in out_sections for line in section]) + "\r\n"


class WhipTestServer:
    """The endpoint plus its knobs (plain attributes; change them any time before a request).

    * ``token`` — the bearer token expected (None: no auth); a wrong one gets ``401``.
    * ``location`` — ``"relative"`` (default), ``"absolute"``, None (omitted) or a literal value.
    * ``etag`` — sent on 201 (None: omitted).
    * ``links`` — ``Link`` header values, one header each (a value may hold several links).
    * ``redirects`` — path -> (status, location): e.g. ``{"/whip/endpoint": (307, "/whip/b")}``.
    * ``post_status`` — (status, headers, body) answered instead of a session (e.g. 503 +
      Retry-After); ``post_status_once`` answers it once, then behaves again.
    * ``answer_sdp`` — a literal answer, or a callable offer -> answer; None derives one
      (``accept_rids``, ``video_codecs``, ``rid_style`` shape it, see :func:`answer_for_offer`).
    * ``content_type`` — of the 201 answer.
    * ``answer_delay_s`` — sleep before answering a POST (for time-out tests).
    * ``delete_status`` / ``patch_status`` / ``patch_body`` / ``patch_etag`` — for the resource.
    * ``accept_patch`` — the ``Accept-Patch`` header of the 201 (None: omitted).
    * ``media`` — answer with a real aiortc peer (loopback ICE, DTLS): the publisher really goes
      live; :meth:`drop_sessions` then hangs up like a server dropping the session.
    * ``stop()`` then ``start()`` again listens on the same port (a server restart).
    * ``tls=True`` (constructor) — https with a self-signed certificate for 127.0.0.1;
      :meth:`client_ssl_context` is a client context that trusts it.
    * ``resource_redirects`` — path prefix -> (status, location) answered to PATCH/DELETE of a
      resource (e.g. ``{"/whip/resource/": (307, other.url("/whip/resource/1"))}``).
    """

    def __init__(self, *, token: str | None = DEFAULT_TOKEN, tls: bool = False) -> None:
        self.token = token
        self.is_tls = tls
        self._certificate_pem: bytes | None = None
        self._key_pem: bytes | None = None
        self.resource_redirects: dict[str, tuple[int, str]] = {}
        self.location: str | None = "relative"
        self.etag: str | None = '"etag-1"'
        self.links: list[str] = []
        self.redirects: dict[str, tuple[int, str]] = {}
        self.post_status: tuple[int, dict[str, str], str] | None = None
        self.post_status_once = False
        self.answer_sdp: str | Callable[[str], str] | None = None
        self.accept_rids: list[str] | None = None
        self.video_codecs: list[str] | None = None
        self.rid_style = "simulcast"
        self.content_type = "application/sdp"
        self.answer_delay_s = 0.0
        self.delete_status = 200
        self.patch_status = 204
        self.patch_body = ""
        self.patch_etag: str | None = None
        self.accept_patch: str | None = None
        self.media = False
        self.peer_connections: dict[str, object] = {}  # resource path -> aiortc peer (media mode)
        self.last_resource_path: str | None = None
        self.requests: list[RecordedRequest] = []
        self.sessions: set[str] = set()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self.port = 0

    # -- addresses -----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"{'https' if self.is_tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def endpoint_url(self) -> str:
        return self.base_url + ENDPOINT_PATH

    def url(self, path: str) -> str:
        return self.base_url + path

    def requests_of(self, method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method]

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this server's self-signed certificate (tls=True)."""
        assert self._certificate_pem is not None, "start a tls=True server first"
        return ssl.create_default_context(cadata=self._certificate_pem.decode("ascii"))

    def _server_ssl_context(self) -> ssl.SSLContext:
        if self._certificate_pem is None:
            self._certificate_pem, self._key_pem = _self_signed_certificate()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # load_cert_chain reads files only: hand it a private temporary directory.
        with tempfile.TemporaryDirectory() as directory:
            cert_file, key_file = Path(directory, "cert.pem"), Path(directory, "key.pem")
            cert_file.write_bytes(self._certificate_pem)
            key_file.write_bytes(self._key_pem)
            context.load_cert_chain(cert_file, key_file)
        return context

    # -- life cycle ------------------------------------------------------------------------------
    async def start(self) -> "WhipTestServer":
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, "127.0.0.1", self.port or 0, reuse_address=True,
            ssl_context=self._server_ssl_context() if self.is_tls else None,
        )
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        await self.drop_sessions()
        self.sessions.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "WhipTestServer":
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- handlers ------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.text()
        self.requests.append(
            RecordedRequest(request.method, request.path, CIMultiDict(request.headers), body, dict(request.query))
        )
        if self.token is not None and request.headers.get("Authorization") != f"Bearer {self.token}":
            # Echo what we got, as careless servers do: the client must still never show it.
            return web.Response(status=401, text=f"invalid token: {request.headers.get('Authorization')}")
        if request.path.startswith(RESOURCE_PREFIX):
            for prefix, (status, location) in self.resource_redirects.items():
                if request.path.startswith(prefix):
                    return web.Response(status=status, headers={"Location": location})
            return await self._resource(request, body)
        if request.method != "POST":
            return web.Response(status=405)
        if request.path in self.redirects:
            status, location = self.redirects[request.path]
            return web.Response(status=status, headers={"Location": location})
        if self.answer_delay_s:
            try:
                await asyncio.wait_for(self._stopping.wait(), self.answer_delay_s)
            except asyncio.TimeoutError:
                pass
        if self.post_status is not None:
            status, headers, text = self.post_status
            if self.post_status_once:
                self.post_status = None
            return web.Response(status=status, headers=headers, text=text)
        if request.content_type != "application/sdp":
            return web.Response(status=415)
        if self.media:
            return await self._created_with_media(body)
        return self._created(body)

    async def _created_with_media(self, offer: str) -> web.Response:
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

        from studio.outputs.aiortc_adapter.receive import loopback_candidates

        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        with loopback_candidates(True):
            await pc.setLocalDescription(await pc.createAnswer())
        response = self._created(offer, answer=pc.localDescription.sdp)
        self.peer_connections[self.last_resource_path] = pc
        return response

    async def drop_sessions(self) -> int:
        """Hang up every media session (the server dropping them); returns how many."""
        pcs, self.peer_connections = list(self.peer_connections.values()), {}
        for pc in pcs:
            await pc.close()  # type: ignore[attr-defined]
        return len(pcs)

    def _created(self, offer: str, answer: str | None = None) -> web.Response:
        if answer is not None:
            pass  # a real peer's answer (media mode)
        elif callable(self.answer_sdp):
            answer = self.answer_sdp(offer)
        elif self.answer_sdp is not None:
            answer = self.answer_sdp
        else:
            answer = answer_for_offer(
                offer, accept_rids=self.accept_rids, video_codecs=self.video_codecs, rid_style=self.rid_style
            )
        resource_path = f"{RESOURCE_PREFIX}{next(self._ids)}"
        self.sessions.add(resource_path)
        self.last_resource_path = resource_path
        headers = CIMultiDict({"Content-Type": self.content_type})
        if self.location == "relative":
            headers["Location"] = resource_path
        elif self.location == "absolute":
            headers["Location"] = self.url(resource_path)
        elif self.location is not None:
            headers["Location"] = self.location
        if self.etag is not None:
            headers["ETag"] = self.etag
        if self.accept_patch is not None:
            headers["Accept-Patch"] = self.accept_patch
        for value in self.links:
            headers.add("Link", value)
        return web.Response(status=201, headers=headers, body=answer.encode("utf-8"))

    async def _resource(self, request: web.Request, body: str) -> web.Response:
        if request.method == "DELETE":
            self.sessions.discard(request.path)
            pc = self.peer_connections.pop(request.path, None)
            if pc is not None:
                await pc.close()  # type: ignore[attr-defined]
            return web.Response(status=self.delete_status)
        if request.method == "PATCH":
            headers = {"ETag": self.patch_etag} if self.patch_etag else {}
            if self.patch_status == 200:
                return web.Response(status=200, headers=headers, body=self.patch_body.encode(),
                                    content_type="application/trickle-ice-sdpfrag")
            return web.Response(status=self.patch_status, headers=headers)
        return web.Response(status=405)


class ThreadedWhipTestServer(WhipTestServer):
    """The same server on its own loop in a thread: ``start_in_thread()`` / ``stop_thread()``."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start_in_thread(self) -> "ThreadedWhipTestServer":
        started = threading.Event()
        failure: list[BaseException] = []
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self.start())
            except BaseException as error:  # noqa: BLE001 - handed to the starting thread
                failure.append(error)
                started.set()
                return
            started.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self.stop())
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="whip-test-server", daemon=True)
        self._thread.start()
        started.wait(10)
        if failure:
            self._thread.join()
            raise failure[0]
        return self

    def call(self, coro_fn: Callable[[], object], timeout: float = 10.0) -> object:
        """Run ``coro_fn()`` on the server's loop (e.g. ``server.call(server.drop_sessions)``)."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro_fn(), self._loop).result(timeout)  # type: ignore[arg-type]

    def stop_thread(self) -> None:
        if self._thread is None or self._loop is None:
            return
        if self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None


def _self_signed_certificate() -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) for IP 127.0.0.1, valid for a day."""
    from bench.testbed.turn import self_signed_pem

    return self_signed_pem("127.0.0.1", "127.0.0.1", days=1)


def _serve(server: ThreadedWhipTestServer) -> Iterator[ThreadedWhipTestServer]:
    server.start_in_thread()
    try:
        yield server
    finally:
        server.stop_thread()


@pytest.fixture
def whip_server() -> Iterator[ThreadedWhipTestServer]:
    """A fresh WHIP test endpoint per test, on its own loop thread (joined at teardown)."""
    yield from _serve(ThreadedWhipTestServer())


@pytest.fixture
def other_whip_server() -> Iterator[ThreadedWhipTestServer]:
    """A second endpoint on another port: another origin (it expects the same token)."""
    yield from _serve(ThreadedWhipTestServer())


@pytest.fixture
def tls_whip_server() -> Iterator[ThreadedWhipTestServer]:
    """An https endpoint (self-signed; use ``client_ssl_context()``)."""
    yield from _serve(ThreadedWhipTestServer(tls=True))
